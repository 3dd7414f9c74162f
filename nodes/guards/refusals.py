"""In-voice refusals from ``prompts/refusal.md``, picked deterministically per question."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import prompts

KINDS = ("off_limits", "private", "injection", "sysprompt", "no_note", "error")


@lru_cache(maxsize=4)
def prompt_variants(name: str, kinds: tuple[str, ...]) -> dict[str, list[str]]:
    """{section: [variant, ...]} parsed from ``prompts/<name>.md`` (``#`` lines are comments);
    every one of ``kinds`` must have a section with variants."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in prompts.load(name).splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            sections[current] = []
        elif current and line.startswith("- "):
            sections[current].append(line[2:].strip())
    missing = [k for k in kinds if not sections.get(k)]
    if missing:
        raise ValueError(f"prompts/{name}.md lacks a section with variants for: {', '.join(missing)}")
    return sections


def refusal_variants() -> dict[str, list[str]]:
    return prompt_variants("refusal", KINDS)


def pick_variant(variants: list[str], message: str) -> str:
    """One of ``variants``, the same for the same message (case and spacing aside)."""
    pick = int(hashlib.sha1(re.sub(r"\s+", " ", message.strip().lower()).encode()).hexdigest(), 16)
    return variants[pick % len(variants)]


def refusal(kind: str, question: str, person: str, topic: str = "that") -> str:
    variants = refusal_variants().get(kind) or refusal_variants()["error"]
    return pick_variant(variants, question).format(person=person, topic=topic)
