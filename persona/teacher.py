"""The model teacher: any configured chat backend writes scored Q&A pairs from a note chunk.

The prompt is ``prompts/persona_teacher.md``. Replies are JSON lines; every line that is not a
usable pair is counted as a parse failure in the data card (a 135M model writes many).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage

import prompts
from persona.extractive import ChunkLike, NoteLike
from persona.records import Fact
from persona.text import normalise

_OBJECT = re.compile(r"\{.*?\}(?=\s*(?:\{|$))", re.DOTALL | re.MULTILINE)


def teacher_prompt(note: NoteLike, chunk: ChunkLike, person: str, count: int, paraphrases: int) -> str:
    return prompts.render(
        "persona_teacher", person=person, count=str(count), paraphrases=str(paraphrases),
        title=note.title, date=str(note.date), heading=chunk.heading or note.title, text=chunk.text.strip(),
    )


def parse_pairs(reply: str) -> tuple[list[dict[str, Any]], int]:
    """(usable pair dicts, number of unusable objects/lines) from a teacher reply."""
    pairs, bad = [], 0
    for raw in _OBJECT.findall(reply):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError:
            bad += 1
            continue
        if not isinstance(data, dict) or not _text(data.get("question")) or not _text(data.get("answer")):
            bad += 1
            continue
        pairs.append(data)
    if not pairs and reply.strip():
        bad = max(bad, 1)
    return pairs, bad


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _score(value: Any) -> int:
    try:
        return max(1, min(10, int(float(value))))
    except (TypeError, ValueError):
        return 1  # a pair without a score is not trusted


def pair_to_fact(pair: dict[str, Any], note: NoteLike, chunk: ChunkLike) -> Fact:
    question = _text(pair["question"])
    extra = [q.strip() for q in pair.get("questions", []) if isinstance(q, str) and q.strip()] \
        if isinstance(pair.get("questions"), list) else []
    answer = _text(pair["answer"])
    fact = _text(pair.get("fact"))
    grounding = _score(pair.get("grounding"))
    if fact and normalise(fact) not in normalise(chunk.text):
        grounding = min(grounding, 3)  # the "fact" is not in the note: not grounded, whatever it says
    digest = hashlib.sha1(normalise(question).encode()).hexdigest()[:8]
    return Fact(
        key=f"llm:{note.path}:{digest}", note=note.path, date=str(note.date), intent="llm",
        questions=list(dict.fromkeys([question, *extra])), answer=answer, fact=fact,
        source_text=chunk.text.strip(), heading=chunk.heading, title=note.title, teacher="llm",
        grounding=grounding, style=_score(pair.get("style")),
    )


def teach(model: BaseChatModel, note: NoteLike, chunks: list[ChunkLike], person: str, count: int,
          paraphrases: int, stats: Counter) -> list[Fact]:
    """Ask the teacher model about every chunk of one note."""
    facts = []
    for chunk in chunks:
        if len(chunk.text.strip()) < 40:
            continue
        reply = model.invoke([HumanMessage(teacher_prompt(note, chunk, person, count, paraphrases))])
        pairs, bad = parse_pairs(str(reply.content))
        stats["llm_parse_failures"] += bad
        stats["llm_pairs"] += len(pairs)
        facts.extend(pair_to_fact(pair, note, chunk) for pair in pairs)
    return facts
