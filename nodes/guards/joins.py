"""Answers that join two notes in one sentence.

Shown two notes, the embedded model sometimes runs them together: "I have a grey-and-white cat,
Kisi, who lives in Vesturbær on Saturday." (the cat note's Kisi, the moving note's "Vesturbær"
and "on Saturday"; a never-seen user's question, twenty-fourth session). Every word is in a shown
note, so the grounding check passes it. :func:`joined_across` finds an answer sentence that takes
a name, number or rare word that only one shown note holds from each of two notes; words the
question itself names do not count (a two-part question may join two notes by asking so).
"""

from __future__ import annotations

import re

from backends.decoding import sentences
from nodes.guards.grounding import content_words


def _holders(word: str, notes: dict[str, str]) -> list[str]:
    pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.I)
    return [key for key, text in notes.items() if pattern.search(text)]


def joined_across(answer: str, notes: dict[str, str], question: str = "") -> tuple[tuple[str, str], ...]:
    """``((word, note), (word, note))``: the first answer sentence that names a word only one
    shown note holds from each of two notes (``notes``: key → text, title included); () when
    none does."""
    if len(notes) < 2:
        return ()
    asked = {w.lower() for w in content_words(question)}
    for sentence in sentences(answer):
        only: dict[str, str] = {}
        for word in content_words(sentence):
            holders = _holders(word, notes) if word.lower() not in asked else []
            if len(holders) == 1:
                only.setdefault(holders[0], word)
        if len(only) >= 2:
            return tuple((word, key) for key, word in list(only.items())[:2])
    return ()
