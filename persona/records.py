"""The records persona training passes around: facts, Q&A pairs and chat examples (JSONL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twin.jsonl import iter_jsonl


@dataclass
class Fact:
    """One thing the person said in a note, with every question that asks for it."""

    key: str  # stable id: "<note path>#<intent>" — the unit of dedup and of the split
    note: str  # note path (relative to the notes folder)
    date: str  # ISO date of the note (updated > date)
    intent: str  # e.g. "live", "name:starter", "topic:about-me/the-short-version"
    questions: list[str]  # paraphrases; earlier ones are train phrasings, the rest held out
    answer: str  # first-person answer in the note's own words
    fact: str  # the short span an answer must contain to count as recalled ("Rotterdam")
    source_text: str  # the chunk the answer came from (for context-faithful examples)
    heading: str = ""
    title: str = ""
    held_out: list[str] = field(default_factory=list)  # phrasings kept out of training (test only)
    teacher: str = "extractive"  # extractive | llm
    grounding: int = 10  # self-assigned 1-10: is the answer supported by the note
    style: int = 8  # self-assigned 1-10: does it sound like the person (first person, voice)


@dataclass
class Example:
    """One chat-format SFT example: the last assistant message is the target."""

    messages: list[dict[str, str]]
    kind: str  # qa | identity | context | conflict | counterfactual | transcript
    split: str  # train | test
    fact_key: str = ""
    fact: str = ""  # span the target contains (for recall/conflict evals); "" for transcripts
    note: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


def read_examples(path: Path) -> list[Example]:
    """Read a chat JSONL written by `twin train data` (or by hand: only `messages` is required)."""
    if not path.is_file():
        raise FileNotFoundError(f"training data not found: {path} (run `twin train data` first)")
    return [_example_from(data, f"{path}:{number}") for number, data in iter_jsonl(path, error=ValueError)]


def _example_from(data: dict[str, Any], where: str) -> Example:
    messages = data.get("messages")
    if not isinstance(messages, list) or not messages or not all(
        isinstance(m, dict) and isinstance(m.get("content"), str) and m.get("role") in ("system", "user", "assistant")
        for m in messages
    ):
        raise ValueError(f"{where}: `messages` must be a list of {{role, content}} (system/user/assistant)")
    if messages[-1]["role"] != "assistant":
        raise ValueError(f"{where}: the last message must be the assistant's reply (the training target)")
    known = {k: data[k] for k in ("kind", "split", "fact_key", "fact", "note", "meta") if k in data}
    known.setdefault("kind", "qa")
    known.setdefault("split", "train")
    return Example(messages=messages, **known)
