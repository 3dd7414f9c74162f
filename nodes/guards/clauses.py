"""Leaving out the part of a sentence that says too much, not the sentence.

"Ben Lomond, when I was fourteen, with my dad, in trainers, in a cloud." answers "What was
the first Munro you ever climbed?" and mentions family in passing: the judge (nodes/guards/
runtime.py) used to drop the whole sentence, and the answer with it. Now a sentence whose
comma-set clause alone says too much loses that clause, marked with an ellipsis ("Ben Lomond,
when I was fourteen, …, in trainers, in a cloud."), and with it the clauses that hang on it (a
relative clause or one that speaks of the same person: "…, with my dad, who took every
roundabout fast." ends at the clause before). The sentence's first clause must not say too much
itself, and what is left must not touch an off-limits topic in any wording (``touches``: the
topics' question patterns, wider than the answer patterns, catch "about the migraines", "Mum
waited in the car"); otherwise the sentence goes whole, as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_CLAUSE_BREAK = re.compile(r",\s+")
# a clause that refers to the one before it: a relative clause, or one about the same person
_HANGS_ON = re.compile(r"(?:who|whom|whose|which|that|where|when|so|and so|he|she|they|his|her|their|him|them)\b", re.I)
_END = re.compile(r"[.!?…][\"'’”)\]]*$")
ELIDED = "…"
MIN_WORDS = 3  # less than this left of the sentence: it goes whole


def without_clauses(sentence: str, says_too_much: Callable[[str], bool],
                    touches: Callable[[str], bool] = lambda text: False) -> str:
    """``sentence`` less the comma-set clauses that say too much on their own (and those that
    hang on them), each dropped run marked ``…``; or "" when that cannot make it safe (its first
    clause says too much, no clause does on its own, too little is left, or what is left still
    says too much or ``touches`` a topic)."""
    text = sentence.strip()
    end = _END.search(text)
    ending, body = (end.group(0), text[: end.start()]) if end else ("", text)
    parts = _CLAUSE_BREAK.split(body)
    if len(parts) < 2 or not parts[0].strip() or says_too_much(parts[0]):
        return ""
    kept: list[str] = []
    dropped = False
    for part in parts:
        dropped = says_too_much(part) or (dropped and bool(_HANGS_ON.match(part)))
        if not dropped:
            kept.append(part)
        elif kept[-1] != ELIDED:
            kept.append(ELIDED)
    if ELIDED not in kept:
        return ""
    shorter = ", ".join(kept).replace(f", {ELIDED}", f" {ELIDED}" if kept[-1] == ELIDED else f", {ELIDED}")
    shorter += "" if kept[-1] == ELIDED else (ending or ".")
    words = [w for w in shorter.split() if w != ELIDED]
    unsafe = len(words) < MIN_WORDS or says_too_much(shorter) or touches(shorter)
    return "" if unsafe else shorter
