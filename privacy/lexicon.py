"""Which words are ordinary English, and which are names, codes or rare terms worth guarding.

Used by :mod:`kb.fingerprints` (at ingest) and by the privacy eval: a private-only token
is a *secret* when it is a name, a code or a rare word, so that "sertraline" or "Freja"
never come out while ordinary words that merely happen to occur only in private notes
("sister", "budget") do not block honest answers on their own.

Commonness comes from the embedding model's WordPiece vocabulary (the ~30k most frequent
words, shipped with the embedded model) plus the ``english-words`` word lists, with light
morphology (plurals, -ed/-ing, British spellings, compounds).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each even ever few for from
further get got had has have having he her here hers herself him himself his how i if in into is
it its itself just like may me might more most much must my myself no nor not now of off on once
only or other our ours ourselves out over own really same she should so some still such than that
the their theirs them themselves then there these they this those through to too under until up
upon us very was we were what when where which while who whom why will with would yes yet you your
yours yourself yourselves i'm i've i'd i'll it's don't didn't isn't wasn't can't won't one two
three four five six seven eight nine ten every many lot lots thing things way day days time
week weeks month months year years
""".split())

# Capitalised words that are not names worth guarding on their own.
CALENDAR_AND_TITLES = frozenset("""
monday tuesday wednesday thursday friday saturday sunday mondays tuesdays wednesdays thursdays
fridays saturdays sundays january february march april may june july august september october
november december christmas easter midsummer university college school street road avenue
project projects team dr mr mrs ms prof doctor english dutch swedish portuguese european
""".split())

_SUFFIXES = ("'s", "n't", "ies", "es", "s", "ed", "d", "ing", "ers", "er", "ly", "ment", "ness")


VERY_COMMON_RANK = 3000  # the most frequent words, too ordinary to hint at a private note
_FIRST_WORD_ID = 1996  # in the BERT uncased vocabulary, whole words start here ("the"), by frequency


@lru_cache(maxsize=1)
def _vocab_ranks() -> dict[str, int]:
    """Frequency rank of each whole word of the embedded model's vocabulary ({} if missing)."""
    try:
        from backends.sources import resolve_embedding_source

        path = Path(resolve_embedding_source("embedded")) / "vocab.txt"
        lines = path.read_text(encoding="utf-8").split("\n")
    except Exception:  # noqa: BLE001 - no embedded model: fall back to the word lists alone
        return {}
    return {w: i - _FIRST_WORD_ID for i, w in enumerate(lines) if w.isalpha() and i >= _FIRST_WORD_ID}


def _bert_vocab() -> dict[str, int]:
    return _vocab_ranks()


def frequency_rank(word: str) -> int | None:
    """0 for "the", larger for rarer words; None outside the ~30k-word vocabulary."""
    return _vocab_ranks().get(word.lower())


def is_very_common(word: str) -> bool:
    rank = frequency_rank(word)
    return rank is not None and rank < VERY_COMMON_RANK


@lru_cache(maxsize=1)
def _dictionary() -> frozenset[str]:
    try:
        from english_words import get_english_words_set
    except ImportError:
        return frozenset()
    return frozenset(get_english_words_set(["web2", "gcide"], lower=True, alpha=True))


def is_frequent(word: str) -> bool:
    """Among the ~30k most frequent words (the WordPiece vocabulary)."""
    return word.lower() in _bert_vocab()


def _known(word: str) -> bool:
    return word in _bert_vocab() or word in _dictionary()


def _stems(word: str) -> list[str]:
    out = [word]
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            out += [stem, stem + "e", stem + "y"]
            if len(stem) > 3 and stem[-1] == stem[-2]:
                out.append(stem[:-1])  # levelled -> level, planned -> plan
    out += [w.replace("is", "iz", 1) for w in list(out) if "is" in w]  # practise/practize
    return out


def is_common_word(word: str, compounds: bool = True) -> bool:
    """An ordinary English word (or an inflection, spelling variant or, with ``compounds``, a
    compound of one: "bookshelves"; without, a word known only as two words joined is not:
    the grounding check reads "galatteries", "simmerated", "sungone" as the garbled copies they are)."""
    word = word.lower().strip("'")
    if not word.isalpha():
        return False
    if any(_known(stem) for stem in _stems(word)):
        return True
    for prefix in ("re", "un", "non", "pre", "over", "under", "out"):
        if word.startswith(prefix) and len(word) - len(prefix) >= 4 and any(
            _known(s) for s in _stems(word[len(prefix):])
        ):
            return True
    return compounds and any(
        _known(word[:i]) and any(_known(s) for s in _stems(word[i:]))
        for i in range(3, len(word) - 2)
    )


def mid_sentence_capitals(text: str) -> set[str]:
    """Lower-cased words that appear capitalised in the middle of a sentence (names)."""
    names = set()
    for line in text.splitlines():
        body = line.lstrip("#>-*0123456789. ").strip()
        for m in re.finditer(r"(?<=[a-z0-9,;()\"'] )([A-Z][A-Za-z']+)", body):
            names.add(m.group(1).lower().removesuffix("'s"))
    return names
