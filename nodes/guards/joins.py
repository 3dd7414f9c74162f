"""Answers that join two notes in one sentence.

Shown two notes, the embedded model sometimes runs them together: "I have a grey-and-white cat,
Kisi, who lives in Vesturbær on Saturday." (the cat note's Kisi, the moving note's "Vesturbær"
and "on Saturday"; a never-seen user's question, twenty-fourth session). Every word is in a shown
note, so the grounding check passes it. :func:`joined_across` finds an answer clause that takes
a name or rare word that only one shown note holds from each of two notes; words the question
itself names do not count (a two-part question may join two notes by asking so), nor numbers
(two notes write them differently), and clauses a sentence joins with "; " or ", and" are
read apart ("Kisi sleeps on the radiator; we moved to Vesturbær." tells two true things).
"""

from __future__ import annotations

import re

from backends.decoding import sentences
from nodes.guards.grounding import content_words, support, supported
from privacy.views import COUNT_WORDS

# clauses a sentence may join on its own ("Kisi sleeps on the radiator; we moved to Vesturbær.")
# (not before a pronoun, which takes the first clause's subject along: "Kisi, and she lives in Vesturbær")
_CLAUSES = re.compile(r"\s*;\s*|,\s+(?:and|but|so|while)\s+(?!(?:she|he|it|they|her|his|its|their)\b)"
                      r"|\s+(?:and then|but now)\s+(?!(?:she|he|it|they|her|his|its|their)\b)", re.I)


def _named(text: str) -> list[str]:
    """The names and rare words of ``text``; not numbers, which two notes say in different forms
    ("2 years old" and "Two rooms")."""
    return [w for w in content_words(text) if not any(ch.isdigit() for ch in w) and w.lower() not in COUNT_WORDS]


def joined_across(answer: str, notes: dict[str, str], question: str = "") -> tuple[tuple[str, str], ...]:
    """``((word, note), (word, note))``: the first answer clause that names a word only one shown
    note holds from each of two notes (``notes``: key → text, title included; a word is held as the
    grounding check holds it: a possessive, a plural or an inflection of the note's word); () when
    none does."""
    if len(notes) < 2:
        return ()
    vocabs = {key: support([text]) for key, text in notes.items()}
    asked = support([question])
    for clause in (c for sentence in sentences(answer) for c in _CLAUSES.split(sentence)):
        only: dict[str, str] = {}
        for word in _named(clause):
            holders = [] if supported(word, asked) else [key for key, vocab in vocabs.items() if supported(word, vocab)]
            if len(holders) == 1:
                only.setdefault(holders[0], word)
        if len(only) >= 2:
            return tuple((word, key) for key, word in list(only.items())[:2])
    return ()
