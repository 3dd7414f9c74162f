"""Update cues: the sentences in which a note says it replaces an older one ("I left
Fernwood", "I no longer live in Lisbon", "Pebble is now called Cairn", "## Leaving Fernwood").

The retriever (kb/retrieve.py) uses :func:`mentions_update` to put such a newer note right
above the note it updates; the lexical index (kb/lexical.py) keeps each chunk's
:func:`cue_words` so the notes that may update a subject are found by an indexed lookup.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

# An update cue right before the subject ("I left Fernwood", "no longer live in Lisbon", "I handed in my notice at Tryk",
# "formerly Pebble") or right after it ("Pebble is now called Cairn"): up to 4 words apart.
_CUE_WORDS = (r"(?:\bno longer|\b(?:i|we|he|she|they|have|had|just) left|^\W*leaving|\bmoved (?:away )?from|"
               r"\bmoving (?:away )?from|\bformerly|\bpreviously (?:called|named|known as)|\bused to (?:be|live|work)|"
               r"\bswitched (?:away )?from|\b(?:i|we) quit|\bstopped (?:using|working)|\bwhat happened to|"
               r"\bgoodbye|\bsold|\b(?:handed|gave) in (?:my|our|her|his) notice|\bresigned)")
_CUE_BEFORE = _CUE_WORDS + r"\W+(?:\w+\W+){0,4}?"
_RENAMED = r"\W+(?:is|was|has been|got) (?:now called|now named|renamed|replaced)\b"
_CUE_AFTER = r"(?:\W+\w+){0,4}?" + _RENAMED
# Each per-word pattern contains one of these: a sentence without them needs no per-word test.
_ANY_CUE_BEFORE, _ANY_RENAMED, _IS_NOW = re.compile(_CUE_WORDS), re.compile(_RENAMED), re.compile(r"is now\s+[A-Z]")
# A word every cue above holds: a text or sentence with none of them has no update cue.
_CUE_LITERALS = ("no longer", "left", "leaving", "moved", "moving", "formerly", "previously", "used to", "switched",
                 "quit", "stopped", "what happened to", "goodbye", "sold", "now called", "now named", "renamed",
                 "replaced", "is now", "notice", "resigned")


# Which cues an index's stored cue words were computed with: a file from other patterns gets
# them recomputed on open (kb/lexical.py), so a new cue finds the updates already indexed.
CUES_VERSION = hashlib.sha1(f"{_CUE_WORDS}|{_RENAMED}|{_IS_NOW.pattern}".encode()).hexdigest()[:12]

# Where one sentence of a note ends (also kb/life_state.py, kb/fingerprints.py)
SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")
_TOKEN = re.compile(r"[^\W_]+")
MIN_SUBJECT_LENGTH = 4  # a subject word (kb/retrieve.py ``subject_terms``) has at least this many letters


def _may_hold_a_cue(lower: str) -> bool:
    return any(word in lower for word in _CUE_LITERALS)


def cue_words(text: str) -> set[str]:
    """Every word (lower-cased, >= ``MIN_SUBJECT_LENGTH`` letters) of the sentences of ``text``
    that hold an update cue: the lexical index keeps them, so finding the notes that may say
    they update a subject is one indexed lookup (:func:`mentions_update` then decides).
    A superset: every word :func:`mentions_update` can match is among them."""
    return {w for _, lower, *_ in _cue_sentences(text) for w in _TOKEN.findall(lower) if len(w) >= MIN_SUBJECT_LENGTH}


def holds_update_cue(text: str) -> bool:
    """Whether any sentence of ``text`` holds an update cue: a text without one can never
    :func:`mentions_update` anything (most chunks hold none)."""
    return bool(_cue_sentences(text))


def mentions_update(text: str, terms: set[str]) -> bool:
    """A sentence that names one of ``terms`` right next to an update cue ("I left Fernwood",
    "I no longer live in Lisbon", "Pebble is now called Cairn", "## Leaving Fernwood")."""
    for sentence, lower, before, after, is_now in _cue_sentences(text):
        for t in terms:
            if t not in lower:
                continue
            if (before and _cue_then(t).search(lower)) or (after and _then_renamed(t).search(lower)):
                return True
            if is_now and _is_now_after(t).search(sentence):  # "X is now Y"
                return True
    return False


@lru_cache(maxsize=2048)
def _cue_sentences(text: str) -> tuple[tuple[str, str, bool, bool, bool], ...]:
    """``(sentence, lower-cased, cue before?, renamed?, "is now"?)`` for each sentence of
    ``text`` that holds an update cue (most hold none; a candidate's text is tested against
    every ranked note, so this is worked out once per text)."""
    if not _may_hold_a_cue(text.lower()):
        return ()
    out = []
    for sentence in SENTENCE_BREAK.split(text):
        lower = sentence.lower()
        if not _may_hold_a_cue(lower):
            continue
        before, after = bool(_ANY_CUE_BEFORE.search(lower)), bool(_ANY_RENAMED.search(lower))
        is_now = bool(_IS_NOW.search(sentence))
        if before or after or is_now:
            out.append((sentence, lower, before, after, is_now))
    return tuple(out)


# The per-word patterns, compiled once per word (compiling them for every sentence was most
# of a query's rerank time).
@lru_cache(maxsize=4096)
def _cue_then(term: str) -> re.Pattern[str]:
    return re.compile(_CUE_BEFORE + rf"\b{re.escape(term)}\b")


@lru_cache(maxsize=4096)
def _then_renamed(term: str) -> re.Pattern[str]:
    return re.compile(rf"\b{re.escape(term)}\b" + _CUE_AFTER)


@lru_cache(maxsize=4096)
def _is_now_after(term: str) -> re.Pattern[str]:
    return re.compile(rf"\b{re.escape(term)}\b(?:\W+\w+){{0,3}}?\W+is now\s+[A-Z]", re.I)


# After a cue, the words up to the first of these are what was left; what follows is what holds now
# ("We moved from Rathmines to Phibsborough", "I left Fernwood and joined Tryk", "Sold the Brompton, bought a Dawes").
_TURN = re.compile(r"\b(?:to|into|and|then|for|joined|bought|got|now|but)\b|[,;:()—–]")


@lru_cache(maxsize=4096)
def behind_words(text: str) -> frozenset[str]:
    """The words (lower-case) that ``text`` only ever names as left behind: each of their
    mentions sits right after an update cue, before the turn to what holds now ("Rathmines" in
    "We moved from Rathmines to Phibsborough"; not "Phibsborough", nor a word the text also names
    elsewhere). A later "no longer … Rathmines" does not update such a text."""
    behind: dict[str, int] = {}
    for _, lower, before, _, _ in _cue_sentences(text):
        if not before:
            continue
        for cue in _ANY_CUE_BEFORE.finditer(lower):
            rest = lower[cue.end():]
            turn = _TURN.search(rest)
            for word in _TOKEN.findall(rest[: turn.start() if turn else len(rest)]):
                behind[word] = behind.get(word, 0) + 1
    if not behind:
        return frozenset()
    counts: dict[str, int] = {}
    for word in _TOKEN.findall(text.lower()):
        if word in behind:
            counts[word] = counts.get(word, 0) + 1
    return frozenset(w for w, n in behind.items() if counts.get(w, 0) <= n)


def without_behind(text: str) -> str:
    """``text`` without the words it names only as left behind (:func:`behind_words`), each
    whitespace-separated word read by its letters and digits ("I no longer use TinyLetter; it is
    Buttondown now." keeps "I no longer it is Buttondown now."; "$40" is read as "40"): what it
    says holds now."""
    behind = behind_words(text)
    if not behind:
        return text
    return " ".join(w for w in text.split() if not set(_TOKEN.findall(w.lower())) & behind)

