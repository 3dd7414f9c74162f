"""Respelling: a name the model garbled while copying it from the notes, spelt as the notes spell it.

Context-aware decoding copies names from the notes but now and then garbles one ("Maynrd" for
"Maynard", "Skerly Wren" for "Skerry Wren"). The grounding check rightly finds such a word in
no note, and the whole answer went to the quote. A garbled copy is one letter or two away from a
word of the notes, starts with the same letter and has about its length; it is put back as the
notes spell it before the judge reads the answer. Numbers are never respelt (9 is not 8), nor
are words close to two different note words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz import fuzz, process

from nodes.guards.grounding import content_words, support, unsupported_words

MIN_LETTERS = 4  # shorter words are too easily one letter from another word
SIMILARITY = 80.0  # rapidfuzz ratio (0-100) between the garbled word and the note's
_LETTERS = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")


def _note_words(texts: Sequence[str]) -> dict[str, str]:
    """The notes' content words, lower-cased, each with its spelling in the notes."""
    words: dict[str, str] = {}
    for text in texts:
        for word in content_words(text):
            if _LETTERS.fullmatch(word) and len(word) >= MIN_LETTERS:
                words.setdefault(word.lower(), word)
    return words


def _closest(word: str, known: dict[str, str]) -> str | None:
    """The one note word ``word`` is a garbled copy of, or None."""
    low = word.lower()
    near = [k for k in known if k[0] == low[0] and abs(len(k) - len(low)) <= 2]
    found = process.extract(low, near, scorer=fuzz.ratio, limit=2, score_cutoff=SIMILARITY)
    return known[found[0][0]] if len(found) == 1 else None


def respelled(answer: str, texts: Sequence[str]) -> tuple[str, list[str]]:
    """``answer`` with its garbled copies of the notes' words (``texts``) spelt as the notes do,
    and what was changed ("Maynrd → Maynard")."""
    vocab = support(list(texts))
    known = _note_words(texts)
    changes: list[str] = []
    for word in unsupported_words(answer, vocab):
        if not _LETTERS.fullmatch(word) or len(word) < MIN_LETTERS:
            continue
        right = _closest(word, known)
        if right is None:
            continue
        answer = re.sub(rf"(?<![\w'’-]){re.escape(word)}(?![\w'’-])", right, answer)
        changes.append(f"{word} → {right}")
    return answer, changes
