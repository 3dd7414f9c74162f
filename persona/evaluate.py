"""Proof numbers: fact recall on unseen phrasings and knowledge-conflict rates, base vs adapters.

Every model answers through the real generator path (``backends.factory.chat_model`` with
``persona.adapters`` stacked, prompts from ``nodes.generate.build_messages``), greedy decoding.
"Retrieval" here hands the model the note that holds the fact plus distractors (an oracle
retriever), so the numbers measure the generator, not the search.
"""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path
from typing import Any

from backends.factory import chat_model
from persona.context import distractors, fact_source, newest_first, shift_date, span_kind, swap_pool
from persona.prompting import source
from persona.records import Fact
from persona.text import normalise
from twin.config import Config
from twin.jsonl import read_jsonl

MAX_NEW_TOKENS = 48


def load_facts(data_dir: Path) -> list[Fact]:
    path = Path(data_dir) / "facts.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found (run `twin train data` first)")
    return [Fact(**row) for row in read_jsonl(path)]


def contains(answer: str, span: str) -> bool:
    return bool(span) and normalise(span) in normalise(answer)


def answerer(config: Config, adapters: list[str]):  # noqa: ANN201 - a callable
    from langchain_core.messages import BaseMessage

    from nodes.evidence import as_evidence
    from nodes.generate import build_messages

    cfg = dataclasses.replace(config.persona, adapters=list(adapters), max_new_tokens=MAX_NEW_TOKENS, temperature=0.0)
    model = chat_model(cfg, config.home_path, with_adapters=bool(adapters))

    def ask(question: str, sources: list[Any]) -> str:
        messages: list[BaseMessage] = build_messages(config.person, question, as_evidence(sources), [])
        return str(model.invoke(messages).content)

    return ask


def recall_items(facts: list[Fact], limit: int, seed: int = 0) -> list[Fact]:
    usable = [f for f in facts if f.fact and f.held_out and f.intent != "identity" and f.fact in f.answer]
    random.Random(seed).shuffle(usable)
    return usable[:limit]


def fact_recall(ask: Any, items: list[Fact], chunks: list[Any], with_notes: bool, seed: int = 0) -> dict[str, Any]:
    rng = random.Random(seed)
    hits = 0
    for fact in items:
        sources = []
        if with_notes:
            sources = newest_first([fact_source(fact, 500)] + distractors(chunks, {fact.note}, 2, 500, rng), rng)
        hits += contains(ask(fact.held_out[0], sources), fact.fact)
    return {"n": len(items), "recall": round(hits / max(1, len(items)), 3)}


def conflict_items(facts: list[Fact], limit: int, seed: int = 0) -> list[tuple[Fact, str]]:
    pool = swap_pool(facts)
    rng = random.Random(seed)
    out = []
    for fact in recall_items(facts, 10**6, seed):
        options = [v for v in pool.get(span_kind(fact.fact), []) if v != fact.fact and v not in fact.answer]
        if options and fact.fact in fact.source_text:
            out.append((fact, rng.choice(options)))
    return out[:limit]


def knowledge_conflict(ask: Any, items: list[tuple[Fact, str]], seed: int = 0) -> dict[str, Any]:
    """A newer note says something else than what the adapter learned: does the answer follow it?"""
    rng = random.Random(seed)
    newer = memory = 0
    for fact, other in items:
        stem = fact.note.rsplit(".", 1)[0]
        update = fact_source(fact, 500, fact.source_text.replace(fact.fact, other), shift_date(fact.date, 400),
                             f"{stem}-update.md")
        answer = ask(fact.held_out[0], newest_first([update, fact_source(fact, 500)], rng))
        newer += contains(answer, other)
        memory += contains(answer, fact.fact) and not contains(answer, other)
    n = max(1, len(items))
    return {"n": len(items), "follows_newer_note": round(newer / n, 3), "keeps_memory": round(memory / n, 3)}


def conflict_nq(ask: Any, path: Path, limit: int) -> dict[str, Any]:
    """ConflictNQ: fake passages as the notes; rate of answers with the fake vs the real short answer."""
    rows = read_jsonl(path)[:limit]
    fake = real = 0
    for row in rows:
        sources = [source(f"passage-{i}.md", p.get("summary", "passage")[:80], "2025-01-01", "", p["passage"])
                   for i, p in enumerate(row["fake_passages"], 1)]
        answer = ask(row.get("cleaned_question") or row["question"], sources)
        fake += contains(answer, row["fake_short_answer"])
        real += contains(answer, row["real_short_answer"])
    n = max(1, len(rows))
    return {"n": len(rows), "follows_passages": round(fake / n, 3), "keeps_memory": round(real / n, 3)}


def run_all(config: Config, data_dir: Path, adapters: list[str], plain: list[str], nq_path: Path | None,
            limit: int) -> dict[str, Any]:
    from kb.chunking import chunk_note
    from kb.notes import read_notes

    facts = load_facts(data_dir)
    card = json.loads((Path(data_dir) / "data_card.json").read_text(encoding="utf-8"))
    notes, _ = read_notes(Path(card["notes_dir"]), config.kb)
    chunks = [c for n in notes if not n.private for c in chunk_note(n, config.kb.chunk_chars)]
    recall, conflicts = recall_items(facts, limit), conflict_items(facts, limit)
    models = {"base": [], "adapter": adapters}
    if plain:
        models["plain_adapter"] = plain
    results: dict[str, Any] = {"limit": limit, "fact_recall": {}, "knowledge_conflict": {}, "conflict_nq": {}}
    for name, stack in models.items():
        if name != "base" and not stack:
            continue
        ask = answerer(config, stack)
        results["fact_recall"][name] = fact_recall(ask, recall, chunks, with_notes=False)
        results["fact_recall"][f"{name}+retrieval"] = fact_recall(ask, recall, chunks, with_notes=True)
        results["knowledge_conflict"][name] = knowledge_conflict(ask, conflicts)
        if nq_path:
            results["conflict_nq"][name] = conflict_nq(ask, nq_path, limit)
    return results
