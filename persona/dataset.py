"""Notes (+ transcripts) → facts → scored, deduplicated, split chat examples and a data card."""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from persona.context import context_examples
from persona.extractive import facts_from_chunks
from persona.prompting import chat_messages, system_prompt
from persona.records import Example, Fact
from persona.text import normalise
from persona.transcripts import parse_transcript, transcript_files, windows
from twin.config import Config
from twin.jsonl import write_jsonl

TEACHERS = ("extractive", "llm", "both")


@dataclass
class DataOptions:
    teacher: str = "extractive"  # extractive | llm | both
    paraphrases: int = 10  # training phrasings per fact
    held_out: int = 2  # extra phrasings per fact kept for the test split only
    threshold: int = 6  # drop pairs whose grounding or style score is below this (1-10)
    test_share: float = 0.1  # share of notes whose facts all go to the test split
    context_share: float = 0.35  # share of training examples that carry retrieved notes
    counterfactual_share: float = 0.15  # share with an updated note contradicting an older one
    distractors: int = 2  # unrelated notes added to a context example
    context_chars: int = 500  # characters of each note shown in a context example
    dedup_ratio: int = 92  # rapidfuzz ratio above which two questions with the same answer are one
    llm_pairs: int = 3  # pairs the model teacher is asked for per chunk
    transcripts: list[str] = field(default_factory=list)  # files or folders of `Speaker: text` dialogues
    window: int = 10  # transcript turns shown before each of the person's replies
    seed: int = 0

    def validate(self) -> DataOptions:
        if self.teacher not in TEACHERS:
            raise ValueError(f"teacher {self.teacher!r} is not allowed; choose one of: {', '.join(TEACHERS)}")
        if self.paraphrases < 1:
            raise ValueError("paraphrases must be >= 1")
        for name in ("test_share", "context_share", "counterfactual_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        return self


@dataclass
class BuiltData:
    train: list[Example]
    test: list[Example]
    facts: list[Fact]
    card: dict[str, Any]


# -- facts ------------------------------------------------------------------------------
def collect_facts(config: Config, notes_dir: Path, opts: DataOptions,
                  teacher_model: Callable[[], Any] | None, stats: Counter) -> tuple[list[Fact], list[Any]]:
    """All candidate facts from public notes, plus the chunks (for distractors)."""
    from kb.chunking import chunk_note
    from kb.notes import read_notes

    notes, skips = read_notes(Path(notes_dir), config.kb)
    stats["files_skipped"] += len(skips)
    facts: list[Fact] = []
    chunks_all: list[Any] = []
    for note in notes:
        if note.private:
            stats["private_notes_excluded"] += 1
            continue
        stats["public_notes"] += 1
        chunks = chunk_note(note, config.kb.chunk_chars)
        chunks_all.extend(chunks)
        if opts.teacher in ("extractive", "both"):
            facts.extend(facts_from_chunks(note, chunks, config.person))
        if opts.teacher in ("llm", "both") and teacher_model is not None:
            from persona.teacher import teach

            facts.extend(teach(teacher_model(), note, chunks, config.person, opts.llm_pairs, opts.paraphrases, stats))
    return facts, chunks_all


def score_filter(facts: list[Fact], threshold: int, stats: Counter) -> list[Fact]:
    kept = []
    for fact in facts:
        stats[f"scores_grounding_{fact.grounding}"] += 1
        stats[f"scores_style_{fact.style}"] += 1
        if min(fact.grounding, fact.style) < threshold:
            stats["dropped_below_threshold"] += 1
        else:
            kept.append(fact)
    return kept


def resolve_conflicts(facts: list[Fact], stats: Counter) -> tuple[list[Fact], dict[str, list[Fact]]]:
    """Same question key in several notes: the newest note wins; older versions are kept aside."""
    by_key: dict[str, list[Fact]] = defaultdict(list)
    for fact in facts:
        by_key[fact.key.split("@")[0]].append(fact)
    winners, superseded = [], {}
    for group in by_key.values():
        group.sort(key=lambda f: f.date, reverse=True)
        winners.append(group[0])
        if len(group) > 1:
            superseded[group[0].key] = group[1:]
            stats["superseded_by_newer_note"] += len(group) - 1
    return winners, superseded


def dedup(facts: list[Fact], ratio: int, stats: Counter) -> list[Fact]:
    """Remove near-duplicate questions (a phrasing already used by another fact) and duplicate facts."""
    seen: list[tuple[str, str]] = []
    owner: dict[str, str] = {}
    out = []
    for fact in sorted(facts, key=lambda f: (f.intent in ("topic", "wh", "llm"), f.date), reverse=False):
        answer = normalise(fact.answer)
        if any(a == answer and fuzz.ratio(q, normalise(fact.questions[0])) >= ratio for q, a in seen):
            stats["dropped_duplicate_fact"] += 1
            continue
        kept = []
        for question in fact.questions:
            norm = normalise(question)
            if owner.get(norm, fact.key) != fact.key:
                stats["dropped_duplicate_question"] += 1
                continue
            owner[norm] = fact.key
            kept.append(question)
        if not kept:
            stats["dropped_duplicate_fact"] += 1
            continue
        fact.questions = kept
        seen.append((normalise(kept[0]), answer))
        out.append(fact)
    return out


def split_notes(facts: list[Fact], superseded: dict[str, list[Fact]], share: float, seed: int) -> set[str]:
    """Notes whose facts are all held out (never notes with identity or conflicting facts)."""
    protected = {f.note for f in facts if f.intent == "identity" or f.key in superseded}
    protected |= {old.note for olds in superseded.values() for old in olds}
    candidates = sorted({f.note for f in facts} - protected)
    if not candidates or share <= 0:
        return set()
    count = max(1, round(share * len({f.note for f in facts})))
    return set(random.Random(seed).sample(candidates, min(count, len(candidates))))


# -- examples ---------------------------------------------------------------------------
def phrasing_split(fact: Fact, opts: DataOptions, rng: random.Random) -> tuple[list[str], list[str]]:
    questions = list(fact.questions)
    rng.shuffle(questions)
    held = min(opts.held_out, max(0, len(questions) - 1))
    test = questions[:held]
    train = questions[held : held + opts.paraphrases]
    return train, test


def qa_example(person: str, fact: Fact, question: str, split: str, kind: str = "qa") -> Example:
    return Example(
        messages=chat_messages(person, question, [], fact.answer), kind="identity" if fact.intent == "identity" else kind,
        split=split, fact_key=fact.key, fact=fact.fact, note=fact.note, meta={"question": question},
    )


def transcript_examples(person: str, opts: DataOptions, rng: random.Random, stats: Counter) -> list[Example]:
    out = []
    system = {"role": "system", "content": system_prompt(person)}
    for spec in opts.transcripts:
        for path in transcript_files(Path(spec)):
            convs = windows(parse_transcript(path.read_text(encoding="utf-8")), person, opts.window)
            if not convs:
                stats["transcripts_without_person"] += 1
            for conv in convs:
                split = "test" if rng.random() < opts.test_share else "train"
                out.append(Example(messages=[system, *conv], kind="transcript", split=split, note=path.name))
    return out


def build(config: Config, notes_dir: Path, opts: DataOptions,
          teacher_model: Callable[[], Any] | None = None) -> BuiltData:
    opts.validate()
    stats: Counter = Counter()
    rng = random.Random(opts.seed)
    raw, chunks = collect_facts(config, notes_dir, opts, teacher_model, stats)
    stats["facts_generated"] = len(raw)
    facts = score_filter(raw, opts.threshold, stats)
    facts, superseded = resolve_conflicts(facts, stats)
    facts = dedup(facts, opts.dedup_ratio, stats)
    test_notes = split_notes(facts, superseded, opts.test_share, opts.seed)
    train, test = [], []
    for fact in sorted(facts, key=lambda f: f.key):
        train_q, test_q = phrasing_split(fact, opts, rng)
        if fact.note in test_notes:
            test.extend(qa_example(config.person, fact, q, "test") for q in train_q + test_q)
            continue
        fact.questions, fact.held_out = train_q, test_q
        train.extend(qa_example(config.person, fact, q, "train") for q in train_q)
        test.extend(qa_example(config.person, fact, q, "test") for q in test_q)
    ctx_train = context_examples(config.person, facts, superseded, chunks, train, opts, rng, "train", test_notes)
    ctx_test = context_examples(config.person, facts, superseded, chunks, test, opts, rng, "test", test_notes)
    train = _replace(train, ctx_train)
    test = _replace(test, ctx_test)
    for ex in transcript_examples(config.person, opts, rng, stats):
        (train if ex.split == "train" else test).append(ex)
    rng.shuffle(train)
    if not train:
        raise ValueError(f"no training examples could be made from {notes_dir}: no public notes with usable facts "
                         f"(public notes: {stats['public_notes']}, dropped below threshold: "
                         f"{stats['dropped_below_threshold']})")
    card = data_card(config, notes_dir, opts, facts, train, test, test_notes, stats)
    return BuiltData(train=train, test=test, facts=facts, card=card)


def _replace(base: list[Example], swapped: dict[int, Example | list[Example]]) -> list[Example]:
    out: list[Example] = []
    for i, ex in enumerate(base):
        new = swapped.get(i, ex)
        out.extend(new if isinstance(new, list) else [new])
    out.extend(swapped.get(-1, []))  # type: ignore[arg-type]
    return out


def data_card(config: Config, notes_dir: Path, opts: DataOptions, facts: list[Fact], train: list[Example],
              test: list[Example], test_notes: set[str], stats: Counter) -> dict[str, Any]:
    kinds = {s: dict(Counter(e.kind for e in rows)) for s, rows in (("train", train), ("test", test))}
    return {
        "person": config.person,
        "notes_dir": str(Path(notes_dir).resolve()),
        "options": asdict(opts),
        "counts": {"facts": len(facts), "train": len(train), "test": len(test), "by_kind": kinds},
        "test_notes": sorted(test_notes),
        "teachers": dict(Counter(f.teacher for f in facts)),
        "stats": dict(sorted(stats.items())),
        "notes_used": sorted({f.note for f in facts}),
    }


def save(built: BuiltData, out_dir: Path) -> dict[str, Path]:
    """train.jsonl, test.jsonl, facts.jsonl, data_card.json and data_card.md under ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / f"{name}.jsonl" for name in ("train", "test", "facts")}
    write_jsonl(paths["train"], built.train)
    write_jsonl(paths["test"], built.test)
    write_jsonl(paths["facts"], built.facts)
    paths["card"] = out_dir / "data_card.json"
    paths["card"].write_text(json.dumps(built.card, indent=2, ensure_ascii=False), encoding="utf-8")
    paths["card_md"] = out_dir / "data_card.md"
    paths["card_md"].write_text(card_markdown(built.card), encoding="utf-8")
    return paths


def card_markdown(card: dict[str, Any]) -> str:
    counts = card["counts"]
    lines = [f"# Data card: persona set for {card['person']}", "",
             f"- notes folder: `{card['notes_dir']}` ({len(card['notes_used'])} public notes used; "
             f"private notes excluded: {card['stats'].get('private_notes_excluded', 0)})",
             f"- teacher: {card['options']['teacher']} ({', '.join(f'{k}: {v}' for k, v in card['teachers'].items())})",
             f"- facts: {counts['facts']}; examples: train {counts['train']}, test {counts['test']}",
             f"- test notes (held out whole): {', '.join(card['test_notes']) or 'none'}", "",
             "| split | kind | examples |", "| --- | --- | --- |"]
    for split, kinds in counts["by_kind"].items():
        lines += [f"| {split} | {kind} | {n} |" for kind, n in sorted(kinds.items())]
    lines += ["", "## Drops and scores", "", "| what | count |", "| --- | --- |"]
    lines += [f"| {k} | {v} |" for k, v in card["stats"].items()]
    return "\n".join(lines) + "\n"
