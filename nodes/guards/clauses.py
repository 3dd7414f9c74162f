"""Leaving out the part of a sentence that says too much, not the sentence.

"Ben Lomond, when I was fourteen, with my dad, in trainers, in a cloud." answers "What was
the first Munro you ever climbed?" and mentions family in passing: the judge (nodes/guards/
runtime.py) used to drop the whole sentence, and the answer with it. Now a sentence whose
comma-set clause alone says too much loses that clause ("Ben Lomond, when I was fourteen, in
trainers, in a cloud."), and with it a relative clause that hangs on it ("…in a hired van driven
by my dad, who took every roundabout like it owed him money." loses both). The sentence's first
clause must not say too much itself, and what is left must not either.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_CLAUSE_BREAK = re.compile(r",\s+")
_HANGS_ON = re.compile(r"(?:who|whom|whose|which|where|when|so|and so)\b", re.I)  # refers to the clause before
_END = re.compile(r"[.!?…][\"'’”)\]]*$")
MIN_WORDS = 3  # less than this left of the sentence: it goes whole


def without_clauses(sentence: str, says_too_much: Callable[[str], bool]) -> str:
    """``sentence`` less the comma-set clauses that say too much on their own (and those that
    hang on them), or "" when that cannot make it safe (its first clause says too much, no
    clause does on its own, or too little is left)."""
    text = sentence.strip()
    end = _END.search(text)
    ending, body = (end.group(0), text[: end.start()]) if end else ("", text)
    parts = _CLAUSE_BREAK.split(body)
    if len(parts) < 2 or says_too_much(parts[0]):
        return ""
    kept, dropped_before = [], False
    for part in parts:
        dropped_before = says_too_much(part) or (dropped_before and bool(_HANGS_ON.match(part)))
        if not dropped_before:
            kept.append(part)
    if len(kept) == len(parts):
        return ""
    shorter = ", ".join(kept) + (ending or ".")
    return "" if len(shorter.split()) < MIN_WORDS or says_too_much(shorter) else shorter
