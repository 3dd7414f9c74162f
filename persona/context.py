"""Context-faithful examples: retrieved notes in the prompt, distractors, and updates that win.

A share of question/answer examples is rewritten so the prompt carries notes exactly as the
generator shows them (``nodes.generate.build_messages``): the note that answers, unrelated
distractor notes and, for conflicts, an older note that says something else. The target always
follows the newest relevant note. Counterfactual examples swap the fact for another value of the
same kind (a year for a year, a name for a name) in a note dated later, so the model must read
the notes rather than recite what it memorised.
"""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from typing import Any

from persona.prompting import chat_messages, source
from persona.records import Example, Fact
from twin.state import Source

_MONTH = r"(January|February|March|April|May|June|July|August|September|October|November|December)"


def span_kind(span: str) -> str:
    if re.fullmatch(r"(19|20)\d\d", span):
        return "year"
    if re.search(_MONTH, span) and re.search(r"\d", span):
        return "date"
    if re.search(r"\d", span):
        return "number"
    if span[:1].isupper():
        return "name"
    return ""


def excerpt(text: str, anchor: str, limit: int) -> str:
    """Up to ``limit`` characters of ``text`` around ``anchor``, cut at whitespace."""
    text = text.strip()
    if len(text) <= limit:
        return text
    at = max(0, text.find(anchor)) if anchor else 0
    start = max(0, at - limit // 4)
    start = 0 if start < 40 else text.rfind("\n", 0, start) + 1 or start
    piece = text[start : start + limit]
    return piece.rsplit(" ", 1)[0] if start + limit < len(text) else piece


def shift_date(iso: str, days: int) -> str:
    try:
        return (date.fromisoformat(iso[:10]) + timedelta(days=days)).isoformat()
    except ValueError:
        return iso


def fact_source(fact: Fact, limit: int, text: str | None = None, when: str | None = None,
                path: str | None = None) -> Source:
    body = excerpt(text if text is not None else fact.source_text, fact.fact or fact.answer[:30], limit)
    return source(path or fact.note, fact.title, when or fact.date, fact.heading, body, 0.6)


def distractors(chunks: list[Any], avoid: set[str], count: int, limit: int, rng: random.Random) -> list[Source]:
    pool = [c for c in chunks if c.note_path not in avoid and len(c.text) > 60]
    picked = rng.sample(pool, min(count, len(pool)))
    return [source(c.note_path, c.title, c.date, c.heading, excerpt(c.text, "", limit), 0.3) for c in picked]


def newest_first(sources: list[Source], rng: random.Random) -> list[Source]:
    rng.shuffle(sources)
    return sorted(sources, key=lambda s: s["date"], reverse=True)


def swap_pool(facts: list[Fact]) -> dict[str, list[str]]:
    pool: dict[str, list[str]] = {}
    for fact in facts:
        kind = span_kind(fact.fact) if fact.fact else ""
        if kind and fact.fact in fact.answer:
            pool.setdefault(kind, []).append(fact.fact)
    return {k: sorted(set(v)) for k, v in pool.items()}


def counterfactual(person: str, fact: Fact, question: str, pool: dict[str, list[str]], chunks: list[Any],
                   opts: Any, rng: random.Random, split: str) -> Example | None:
    kind = span_kind(fact.fact) if fact.fact else ""
    options = [v for v in pool.get(kind, []) if v != fact.fact and v not in fact.answer]
    if not options or fact.fact not in fact.source_text:
        return None
    other = rng.choice(options)
    altered_newer = rng.random() < 0.5
    days = rng.randint(60, 900) * (1 if altered_newer else -1)
    stem = fact.note.rsplit(".", 1)[0]
    altered = fact_source(fact, opts.context_chars, fact.source_text.replace(fact.fact, other),
                          shift_date(fact.date, days), f"{stem}-update.md" if altered_newer else f"{stem}-old.md")
    original = fact_source(fact, opts.context_chars)
    sources = [altered, original] + distractors(chunks, {fact.note}, max(0, opts.distractors - 1), opts.context_chars, rng)
    answer, target = (fact.answer.replace(fact.fact, other), other) if altered_newer else (fact.answer, fact.fact)
    return Example(
        messages=chat_messages(person, question, newest_first(sources, rng), answer),
        kind="counterfactual", split=split, fact_key=fact.key, fact=target, note=fact.note,
        meta={"question": question, "memory": fact.fact, "newer": target, "altered_newer": altered_newer},
    )


def with_notes(person: str, fact: Fact, question: str, chunks: list[Any], opts: Any, rng: random.Random,
               split: str) -> Example:
    sources = [fact_source(fact, opts.context_chars)]
    sources += distractors(chunks, {fact.note}, opts.distractors, opts.context_chars, rng)
    return Example(
        messages=chat_messages(person, question, newest_first(sources, rng), fact.answer),
        kind="context", split=split, fact_key=fact.key, fact=fact.fact, note=fact.note, meta={"question": question},
    )


def conflict(person: str, fact: Fact, olds: list[Fact], question: str, chunks: list[Any], opts: Any,
             rng: random.Random, split: str) -> Example:
    """A real update in the notes (Lisbon → Rotterdam): both notes retrieved, the newest wins."""
    sources = [fact_source(fact, opts.context_chars)] + [fact_source(o, opts.context_chars) for o in olds]
    sources += distractors(chunks, {fact.note, *(o.note for o in olds)}, 1, opts.context_chars, rng)
    return Example(
        messages=chat_messages(person, question, newest_first(sources, rng), fact.answer),
        kind="conflict", split=split, fact_key=fact.key, fact=fact.fact, note=fact.note,
        meta={"question": question, "memory": olds[-1].fact, "newer": fact.fact},
    )


def context_examples(person: str, facts: list[Fact], superseded: dict[str, list[Fact]], chunks: list[Any],
                     base: list[Example], opts: Any, rng: random.Random, split: str,
                     test_notes: set[str]) -> dict[int, Any]:
    """Index → replacement example for ``base``; key -1 holds extra conflict examples to append."""
    by_key = {f.key: f for f in facts}
    pool = swap_pool(facts)
    out: dict[int, Any] = {}
    for i, ex in enumerate(base):
        fact = by_key.get(ex.fact_key)
        if fact is None or ex.kind != "qa":
            continue
        roll = rng.random()
        question = ex.meta["question"]
        if roll < opts.counterfactual_share:
            made = counterfactual(person, fact, question, pool, chunks, opts, rng, split)
            out[i] = made or with_notes(person, fact, question, chunks, opts, rng, split)
        elif roll < opts.counterfactual_share + opts.context_share:
            out[i] = with_notes(person, fact, question, chunks, opts, rng, split)
    extra = []
    for key, olds in superseded.items():
        fact = by_key.get(key)
        if fact is None or (split == "train") == (fact.note in test_notes):
            continue
        questions = fact.questions if split == "train" else fact.held_out
        extra.extend(conflict(person, fact, olds, q, chunks, opts, rng, split) for q in questions[:3])
    out[-1] = extra
    return out
