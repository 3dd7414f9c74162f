"""Answers that copy a note's sentence wrongly: without its "not", or from the wrong note.

The embedded model copies its notes telegraphically, dropping small words ("Eat one warm,
standing in cold"); when the word it drops is the negation, the copy says the reverse of the
note ("…buy a bag for later that will survive ride home" from "…that will not survive the ride
home"; a new user's first question, tenth session). :func:`dropped_negations` finds the answer
sentences that copy a note sentence (most of their words are that sentence's) and keep the word
a negation in it governed ("survive") with no negation of their own before it.

Shown two notes, it also copies the sentence of the other one: "Where did you stay on Skye?" →
"We stayed at a guesthouse in Alfama" (the Lisbon note). :func:`copied_from_elsewhere` finds an
answer sentence copied from a shown note that names none of the question's names while another
shown note does. The grounding check looks at names, numbers and rare words, and all of these are
in the notes, so it passed both.

An answer that is the notes word for word (:func:`word_for_word`) says nothing in the person's
voice that a cited quote would not, and the quote's sentences are often picked better than the one
the model copied: with ``[judge] quote_copies`` the judge gives the quote instead.
"""

from __future__ import annotations

import re

from backends.decoding import sentences
from privacy.lexicon import STOPWORDS

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_NEGATION = re.compile(r"^(?:not|never|no|nor|cannot|nothing|nobody|none|neither|\w+n['’]t)$", re.I)
GOVERNED = 3  # the negated word: the first content word this many tokens after the negation
BEFORE = 4  # the copy's own negation may stand this many tokens before that word
MIN_SHARED = 0.6  # share of an answer sentence's content words found in the note sentence: a copy
MIN_WORDS = 3  # a copy is at least this many content words long


def _tokens(text: str) -> list[str]:
    return [t.lower().replace("’", "'") for t in _TOKEN.findall(text)]


def _content(tokens: list[str]) -> set[str]:
    return {t for t in tokens if len(t) >= 3 and t not in STOPWORDS and not _NEGATION.match(t)}


def _negated_words(tokens: list[str]) -> list[str]:
    """The words a negation governs in a sentence ("will not survive the ride" -> survive)."""
    out = []
    for i, token in enumerate(tokens):
        if _NEGATION.match(token):
            after = [t for t in tokens[i + 1:i + 1 + GOVERNED] if t in _content([t])]
            if after:
                out.append(after[0])
    return out


def _negated_in(tokens: list[str], word: str) -> bool:
    """``word`` occurs in ``tokens`` with a negation shortly before it (or not at all)."""
    places = [i for i, t in enumerate(tokens) if t == word]
    return not places or any(_NEGATION.match(t) for i in places for t in tokens[max(0, i - BEFORE):i])


def says_no(sentence: str) -> bool:
    """The sentence holds a negation ("I've never been to Japan", "My notes don't say")."""
    return any(_NEGATION.match(t) for t in _tokens(sentence))


def copies(own: set[str], words: set[str]) -> bool:
    """An answer sentence with content words ``own`` copies a note sentence with ``words``."""
    return len(own) >= MIN_WORDS and len(own & words) / len(own) >= MIN_SHARED


def content_tokens(text: str) -> set[str]:
    """The lower-cased content words of ``text`` that :func:`copies` compares."""
    return _content(_tokens(text))


def dropped_negations(answer: str, texts: list[str]) -> list[str]:
    """``"not <word>"`` for each negated word of a note sentence that an answer sentence copies
    without its negation; [] when the answer keeps every negation it copies."""
    notes = [_tokens(s) for text in texts for s in sentences(text)]
    negated = [(tokens, _content(tokens), _negated_words(tokens)) for tokens in notes]
    negated = [n for n in negated if n[2]]
    found: dict[str, None] = {}
    for sentence in sentences(answer):
        tokens = _tokens(sentence)
        own = _content(tokens)
        for _, words, governed in negated:
            if not copies(own, words):
                continue
            found.update({f"not {w}": None for w in governed if w in own and not _negated_in(tokens, w)})
    return list(found)


def copied_from_elsewhere(answer: str, notes: dict[str, str], names: list[str]) -> str:
    """The note (a key of ``notes``: its text, title included) an answer sentence was copied
    from when that note names none of ``names`` (the question's names, lower-case) and another
    shown note does; "" otherwise. Each answer sentence is matched to the note sentence it
    shares most words with."""
    naming = {key for key, text in notes.items() if set(names) & set(_tokens(text))}
    if not names or not naming or len(naming) == len(notes):
        return ""
    lines = [(key, _content(_tokens(s))) for key, text in notes.items() for s in sentences(text)]
    for sentence in sentences(answer):
        own = _content(_tokens(sentence))
        key, words = max(lines, key=lambda line: len(own & line[1]), default=("", set()))
        if key and key not in naming and copies(own, words):
            return key
    return ""


def word_for_word(answer: str, texts: list[str]) -> bool:
    """Whether every sentence of ``answer`` (each line's, those of at least ``MIN_WORDS`` words)
    is found word for word, in order, in one of ``texts`` (case and punctuation aside); False
    for an answer with no such sentence."""
    shown = [f" {' '.join(_tokens(text))} " for text in texts]
    copied = [f" {' '.join(words)} " for line in answer.splitlines() for sentence in sentences(line)
              if len(words := _tokens(sentence)) >= MIN_WORDS]
    return bool(copied) and all(any(sentence in text for text in shown) for sentence in copied)
