"""A copy of a note's sentence that lost a name, put back as the note says it.

The embedded model copies its notes but now and then drops or swaps the one name that answers:
"New binoculars: the BD II, 10x42" from "The new binoculars are a Kowa BD II, 10x42";
"Bakklandet: A coffee bar in an old boathouse" from "Kaffe Fyrlykta: A coffee bar in an old
boathouse on Bakklandet" (a new user's question, sixteenth session). Every word it kept is in the
notes, so the grounding check passes it, but it is not the answer. An answer sentence that copies
a shown sentence (most of its content words are that sentence's, :func:`nodes.guards.copies.copies`)
and leaves out one of its names, numbers or rare words is replaced by the shown sentence. Notes
are written in the first person, so the note's own sentence is in voice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from backends.decoding import sentences
from nodes.guards.context_leak import DUMP_WORDS
from nodes.guards.copies import MIN_WORDS, content_tokens, copies
from nodes.guards.grounding import unsaid

MAX_WORDS = DUMP_WORDS * 3 // 4  # a longer note sentence is not put back: the judge reads a long verbatim copy as a dump


def joined(copy: str, note_sentence: str, shown: Sequence[str]) -> bool:
    """``copy`` also names what another shown sentence names and ``note_sentence`` does not: the
    model joined two sentences, and putting one back would lose the other's part ("We stayed three
    nights at Ty Gwennol…" from "…at a B&B in St Davids…" and "It's called Ty Gwennol."). Not when
    the copy lost a proper name of ``note_sentence`` for it: that is one name swapped for another,
    a garble ("…everything on hill is Hemi now." from "…everything on the hill is Perendale now."
    and "…they can outrun Hemi": tuning person dev6)."""
    elsewhere = " ".join(s for s in shown if s.strip() != note_sentence).lower()
    brought = [w for w in unsaid(copy, note_sentence) if w.lower() in elsewhere]
    if not brought:
        return False
    lost = [w for w in unsaid(note_sentence, copy) if _proper_name(w)]
    return not any(_swapped(copy, new, note_sentence, old) for new in brought for old in lost)


def _proper_name(word: str) -> bool:
    """A capitalised name with lower-case letters ("Perendale", "Kowa"), not an initialism ("B&B", "BD")."""
    return word[:1].isupper() and any(c.islower() for c in word)


def _swapped(copy: str, new: str, note_sentence: str, old: str) -> bool:
    """``new`` stands in ``copy`` where ``old`` stood in ``note_sentence``: after the same word
    ("is Hemi now" / "is Perendale now"). A name brought in elsewhere is a join, not a swap."""
    before = _word_before(copy, new)
    return bool(before) and before == _word_before(note_sentence, old)


def _word_before(text: str, word: str) -> str:
    found = re.search(r"(\w+)\W+" + re.escape(word) + r"\b", text)
    return found.group(1).lower() if found else ""


def restored_copies(answer: str, shown: Sequence[str]) -> tuple[str, list[str]]:
    """``answer`` with each sentence that copies one of the ``shown`` sentences (as the model
    read them: ``MIN_SHARED`` of its content words, and at least ``MIN_WORDS``, are that
    sentence's) but lost a name, number or rare word of it replaced by that sentence (one of
    ``MAX_WORDS`` words at most, and not when the copy also holds a name of another shown
    sentence: :func:`joined`); and the words put back. A sentence that copies nothing, or
    loses nothing, stays as the model said it."""
    notes = [(s.strip(), content_tokens(s)) for s in shown if s.strip() and len(s.split()) <= MAX_WORDS]
    out: list[str] = []
    put_back: list[str] = []
    for sentence in sentences(answer):
        own = content_tokens(sentence)
        source, words = max(notes, key=lambda n: len(own & n[1]), default=("", set()))
        copied = bool(source) and copies(own, words) and len(own & words) >= MIN_WORDS
        lost = unsaid(source, sentence) if copied and not joined(sentence, source, shown) else []
        if lost:
            put_back.extend(lost)
            lead = sentence[:len(sentence) - len(sentence.lstrip())]  # the space before it: "student. A…"
            out.append(lead + source + (" " if sentence[-1:].isspace() else ""))
        else:
            out.append(sentence)
    return "".join(out).strip(), list(dict.fromkeys(put_back))
