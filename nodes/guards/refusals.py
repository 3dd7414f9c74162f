"""In-voice refusals from ``prompts/refusal.md``, picked deterministically per question."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import prompts

KINDS = ("off_limits", "private", "injection", "sysprompt", "no_note", "error")


@lru_cache(maxsize=1)
def refusal_variants() -> dict[str, list[str]]:
    """{section: [variant, ...]} parsed from the prompt file (``#`` lines are comments)."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in prompts.load("refusal").splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            sections[current] = []
        elif current and line.startswith("- "):
            sections[current].append(line[2:].strip())
    missing = [k for k in KINDS if not sections.get(k)]
    if missing:
        raise ValueError(f"prompts/refusal.md lacks a section with variants for: {', '.join(missing)}")
    return sections


def refusal(kind: str, question: str, person: str, topic: str = "that") -> str:
    variants = refusal_variants().get(kind) or refusal_variants()["error"]
    pick = int(hashlib.sha1(re.sub(r"\s+", " ", question.strip().lower()).encode()).hexdigest(), 16)
    return variants[pick % len(variants)].format(person=person, topic=topic)
