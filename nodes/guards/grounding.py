"""Grounding: an answer built on the notes may only name what the notes (or the question) name.

The content words of an answer are the ones that carry facts a small model likes to invent:
numbers, names (capitalised words that are not ordinary English at the start of a
sentence), and words that are not ordinary English at all ("Emacie", "NovaTech"). Each must
occur in the retrieved notes, their titles and dates, the question, or the person's name —
case-insensitively, allowing inflections ("Rotterdam's", "kayaks"). Ordinary words are never
held to the notes: the twin may phrase things in its own words.

A sentence that copies a note's sentence but drops its "not" ("…that will survive the ride home"
from "…will not survive…") fails too (nodes/guards/copies.py).

Only answers to questions that went to the notes are checked (``metadata["grounded"]``):
greetings and general questions the analyzer sends past retrieval are not held to the notes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from guardrails import Validator, register_validator
from guardrails.classes.validation.validation_result import FailResult, PassResult, ValidationResult

from backends.decoding import sentences
from nodes.guards.copies import dropped_negations, says_no
from privacy.lexicon import STOPWORDS, _stems, is_common_word, is_very_common
from privacy.views import COUNT_WORDS

_WORD = re.compile(r"\d+(?:[.,'’\u00a0\u202f]\d+)*(?:[^\W\d_]+)?|[^\W_]+(?:[-'’.][^\W_]+)*", re.UNICODE)
_NUMBER_SEPARATORS = re.compile(r"(?<=\d)[,.\u00a0\u202f'’](?=\d{3}\b)")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n\s*|[\"“(]\s*)$")
SHOWN_MAX = 6  # unsupported words named in the reason


def _norm(token: str) -> str:
    token = token.lower().replace("’", "'")
    token = _NUMBER_SEPARATORS.sub("", token)
    return token.removesuffix("'s").strip("'.-")


def _has_digit(token: str) -> bool:
    return any(c.isdigit() for c in token)


# Counts written as words are facts too ("Ten days in Kyoto" where the note says nine); "one" is
# left out (a pronoun as often as a count). Digits and words support each other ("9" <-> "nine").
_NUMBER_NAMES = {n: w for w, n in COUNT_WORDS.items()}


def _is_content(token: str, starts_sentence: bool) -> bool:
    """Numbers (in digits or words), names and rare words; ordinary English (in any case) is not content."""
    if _has_digit(token) or (token.lower() in COUNT_WORDS and token.lower() not in ("one", "zero")):
        return True
    parts = [p for p in re.split(r"[-'’.]", token) if p]
    if not parts or token.lower().replace("’", "'") in ("i", "i'm", "i've", "i'd", "i'll"):
        return False
    capitalised = token[0].isupper()
    if capitalised and not starts_sentence:
        return True
    return not all(is_common_word(p, compounds=False) for p in parts if p.isalpha())


def _opens_name(token: str, following: str) -> bool:
    """A capitalised word that starts a sentence and runs into another capitalised word is the
    first word of a name ("Skerly Wren is a kayak"), unless it is an ordinary word ("My Rockpool")."""
    return (token[:1].isupper() and following[:1].isupper() and not _FIRST_PERSON.fullmatch(following)
            and not is_very_common(token))


def content_words(text: str) -> list[str]:
    """The answer's content words, in order, without repeats."""
    found: dict[str, None] = {}
    matches = list(_WORD.finditer(text))
    for i, match in enumerate(matches):
        token = match.group(0).strip("'’.-")
        if not token:
            continue
        starts = bool(_SENTENCE_START.search(text[: match.start()]))
        following = matches[i + 1] if i + 1 < len(matches) else None
        if starts and following is not None and text[match.end():following.start()] == " ":
            starts = not _opens_name(token, following.group(0))
        if _is_content(token, starts):
            found[token] = None
    return list(found)


# Assistant-speak a small chat model appends to an answer: never a fact, never the person's voice
_PLEASANTRY = re.compile(
    r"\s*(?:I(?:'m|’m| am) (?:so |really |always )?(?:glad|sorry|happy to|here to|not sure)|I hope (?:this|that|you)|"
    r"(?:please )?(?:let me know|feel free)|if you have any|thank you for|thanks for (?:asking|your))", re.I)


def unsaid(source: str, text: str) -> list[str]:
    """The content words of ``source`` (names, numbers, rare words) that ``text`` does not say."""
    said = text.lower()
    return [word for word in content_words(source) if word.lower() not in said]


def without_pleasantries(text: str) -> str:
    """``text`` without the sentences after its first that are only assistant-speak ("I'm glad
    you're happy with your bike.", "I'm sorry for any confusion.", "I'm not sure."). The first
    sentence stays, whatever it is (a greeting's answer may be nothing else), and so does one
    that names something (:func:`content_words`: "I'm glad I moved to Aarhus in 2023.")."""
    pieces = sentences(text)
    kept = [p for p in pieces[1:] if not _PLEASANTRY.match(p) or content_words(p)]
    return "".join(pieces[:1] + kept).strip()


def _date_words(value: str) -> set[str]:
    """A note date's words: "2025-06-02" → 2025, 06, 2, june, jun."""
    try:
        when = date.fromisoformat(value[:10])
    except ValueError:
        return set()
    month = when.strftime("%B").lower()
    return {str(when.year), str(when.day), f"{when.month:02d}", month, month[:3]}


@lru_cache(maxsize=512)
def _vocabulary(text: str) -> frozenset[str]:
    words = {_norm(w) for w in _WORD.findall(text)}
    words |= {part for w in list(words) for part in re.split(r"[-'.]", w) if part}
    words |= {str(COUNT_WORDS[w]) for w in words if w in COUNT_WORDS}
    words |= {_NUMBER_NAMES[int(w)] for w in words if w.isdigit() and int(w) in _NUMBER_NAMES}
    return frozenset(words)


def support(texts: list[str], dates: list[str] = ()) -> frozenset[str]:
    """Everything the answer may name: the notes' words and their dates' words."""
    vocab: set[str] = set()
    for text in texts:
        vocab |= _vocabulary(text)
    for value in dates:
        vocab |= _date_words(value)
    return frozenset(vocab)


def supported(token: str, vocab: frozenset[str]) -> bool:
    """Whether ``vocab`` (:func:`support`) holds ``token``: itself, a stem of it, or every part of a compound."""
    norm = _norm(token)
    if norm in vocab:
        return True
    parts = [p for p in re.split(r"[-'.]", norm) if p]
    if len(parts) > 1 and not _has_digit(norm) and all(p in vocab or is_common_word(p) for p in parts):
        return True  # a compound of known words; a code with a number ("Murmur-2") must match whole
    return any(stem in vocab for stem in _stems(norm)[1:])


def unsupported_words(answer: str, vocab: frozenset[str]) -> list[str]:
    """Content words of ``answer`` that nothing in ``vocab`` supports."""
    return [w for w in content_words(answer) if not supported(w, vocab)]


def says_nothing_from(answer: str, texts: list[str], question: str) -> bool:
    """True when the answer says nothing the notes say: none of its own words (not a stopword,
    not a word of the question) occurs in ``texts``. "I'm a musician, and I'm a musician" or
    "Here's how we found out why" to a question the notes answer is no answer at all."""
    if not any(t.strip() for t in texts):
        return False
    vocab = support(texts)
    return not any(supported(w, vocab) for w in own_words(answer, question))


def own_words(text: str, question: str) -> list[str]:
    """The words ``text`` says of its own: three letters or more, not stopwords, not the question's."""
    asked = _vocabulary(question)
    return [w for w in _WORD.findall(text) if len(n := _norm(w)) >= 3 and n not in STOPWORDS and n not in asked]


def agrees_with(answer: str, passage: str, others: Sequence[str] = (), question: str = "") -> bool:
    """True when ``answer`` names something ``passage`` names (one of its content words), or when
    the passage names nothing. The judge holds a model answer to the sentence of the best note
    that is closest to the question: an answer built from another line of the notes (an older
    note, the wrong paragraph) names none of it. Names the ``others`` (the other notes shown)
    also name do not count while the passage has names of its own: "Aarhus" in an answer
    copied from the note on the new job does not make it agree with "I climb twice a week at
    Blocs & Walls in Aarhus", nor "two seconds" with "2 million rows". Nor do the ``question``'s
    own names, while the passage has others: "Hardest thing I've done in Scotland." echoes "…in
    Scotland?" and says nothing of "…the Cuillin ridge in a day…"."""
    names = content_words(passage)
    if not names:
        return True
    if others:
        elsewhere = support(list(others))
        names = [w for w in names if not supported(w, elsewhere)] or names
    if question:
        asked = support([question])
        names = [w for w in names if not supported(w, asked)] or names
    vocab = support([answer])
    return any(supported(word, vocab) for word in names)


_FIRST_PERSON = re.compile(r"(?<![\w'’])I(?:['’](?:m|ve|d|ll))?(?![\w'’])|\b[Mm](?:y|ine|yself)\b")  # not "i.e."
# "I" in a way that states no fact about me: opinions, politeness, offers, what I can or cannot say
_NO_FACT = re.compile(
    r"(?<![\w'’])I(?:'m|’m| am)? ?(?:think|believe|guess|suppose|reckon|know|mean|hope|wonder|see|would|could|can|"
    r"can't|cannot|will|won't|'d|’d|'ll|’ll|do not|don't|don’t|have no|'ve no|’ve no|not sure|sorry|afraid|glad|"
    r"happy|here|ready)\b", re.I)


def speaks_of_me(sentence: str) -> bool:
    """The sentence states something about the speaker ("I'm 1.80 m tall", "My dog is Luna"),
    not just an opinion or a courtesy ("I think it is Canberra", "I'm glad I could help")."""
    return bool(_FIRST_PERSON.search(_NO_FACT.sub(" ", sentence)))


# the model speaking as what it is, not as the person: "as a text-based AI, I don't have the ability
# to access personal data", "I'm an AI language model", "As a large language model trained by…"
# (not a person's work: "as an AI researcher", "I'm an AI/ML engineer", "ChatGPT as an AI assistant for…")
_AS_AN_AI = re.compile(
    r"\b(?:as an?|I(?:'m|’m| am)(?: (?:just|only|merely))? an?) (?:[\w-]+ ){0,2}?"
    r"(?:AI|artificial intelligence|(?:large )?language model|chatbot|AI assistant)"
    r"(?: (?:language )?model| assistant| chatbot| program)?"
    r"(?![\w/&(-]| (?!I\b|my\b|we\b|and\b|so\b|that\b|with\b|trained\b|developed\b|created\b|made\b|built\b)[a-z])",
    re.I)


# a question about what the twin is: saying it is an AI is then the honest answer, not a slip
_ASKS_WHAT_I_AM = re.compile(
    r"\bare you (?:(?:a|an|really|actually|just|even) )*(?:real )?(?:human|person|bot|robot|ai|machine|chatbot|computer|"
    r"program|real)(?:,? or (?:a |an )?(?:real )?(?:human|person|bot|robot|ai|machine|chatbot|computer|program|not))?\W*$"
    r"|\b(?:what|which) (?:ai |language )?(?:model|llm)\b[^?]*\byou\b|^\W*what are you\W*$"
    r"|\bwho (?:made|built|trained|programmed) you\b"
    r"|\b(?:am i|are we) (?:talking|speaking|chatting) (?:to|with) (?:a |an )?(?:real |actual )?(?:human|person|bot|ai|machine)\b",
    re.I)


# a question about something of the person's: every sentence of its answer is about them
_ASKS_ABOUT_ME = re.compile(r"\byours?\b", re.I)

# a question about the person's own life ("How much do you charge…?", "What's your…", "Do you like
# jazz?"), not a request to the assistant ("Can you tell me…?", "Do you know who wrote…?"): general
# questions the analyzer sent past the notes keep their answer, however it is worded
_ASKS_OF_ME = re.compile(
    r"\byours?\b|\b(?:are|were|have|had|will)\s+you\b|\b(?:do|did|does)\s+you\b(?!\s+know\b)"
    r"|\b(?:can|could|would)\s+you\b(?!\s+(?:please\s+)?(?:know|tell|explain|help|give|show|say|describe|recommend|"
    r"suggest|list|name|define|think|like|mind|translate|write|summari[sz]e|check|find)\b)", re.I)


# "you" as anyone, not the person: "How do you say thank you in Spanish?", "What do you call a baby kangaroo?"
_ANYONE_YOU = re.compile(
    r"\b(?:how|what) (?:do|would|can|could|should) you (?:say|spell|pronounce|write|translate|call|convert|"
    r"calculate|abbreviate)\b", re.I)


def asks_of_me(question: str) -> bool:
    """The question asks about the person's own life ("What do you use to measure the sugar?",
    "Have you been to Japan?", "What's your cat called?"), not a request to the assistant ("Can you
    tell me…?") nor a question in which "you" is anyone ("How do you say thank you in Spanish?")."""
    anyone = _ANYONE_YOU.search(question) and not _ASKS_ABOUT_ME.search(question)
    return bool(_ASKS_OF_ME.search(question)) and not anyone


def speaks_as_an_ai(answer: str, question: str = "") -> str:
    """The words in which ``answer`` says it is an AI or a language model ("as a text-based AI"),
    or ""; a twin speaks as the person, and such an answer says nothing of them. Asked what it is
    ("Are you a real person?", "Which model powers you?"), saying so is no slip: ""."""
    found = _AS_AN_AI.search(answer)
    return found.group(0) if found and not _ASKS_WHAT_I_AM.search(question) else ""


def claims_about_me(answer: str, vocab: frozenset[str], question: str = "") -> list[str]:
    """Content words (numbers, names, rare words) of the answer's sentences about the speaker
    that nothing in ``vocab`` supports: facts about the person that did not come from the notes.
    When the question asks about something of theirs ("What does your dog look like?"), every
    sentence of the answer is about them ("She's a golden retriever named Luna"). Not every question
    with "you" in it: "How do you make pancakes?" is answered about pancakes."""
    whole = bool(_ASKS_ABOUT_ME.search(question))
    found: dict[str, None] = {}
    for sentence in (s.strip() for s in sentences(answer)):
        if whole or speaks_of_me(sentence):
            found.update(dict.fromkeys(unsupported_words(sentence, vocab)))
    return list(found)


def asked_not_noted(answer: str, notes: frozenset[str], question: str) -> list[str]:
    """Names the question asks about that none of ``notes`` (:func:`support` of the retrieved notes)
    names, which the answer states of the person: "Have you ever been to Japan?" answered "I've been to
    Japan a few times" when no note says Japan. A word of the question is no support for a claim
    about the person; the notes are. A sentence that denies or abstains ("I've never been to Japan",
    "My notes don't mention Japan") claims nothing."""
    asked = {_norm(w) for w in content_words(question)}
    said = " ".join(s for s in sentences(answer) if not says_no(s))
    return [w for w in claims_about_me(said, notes, question) if _norm(w) in asked]


@register_validator(name="twin/grounding", data_type="string")
class Grounding(Validator):
    """Fails when an answer to a notes question names what no retrieved note names.

    An answer to a question the analyzer sent past the notes (``skipped_notes``) is not held
    to notes, except where it speaks about the person: a fact about them ("I'm 5'10\"", "my
    dog Luna") must come from the notes, so it fails with ``about_me`` and the judge sends the
    question to the notes after all. An answer in which the model speaks as an AI ("as a
    text-based AI, I don't have the ability to access personal data") fails on either path.

    A question sent past the notes while a note was close to it (``note_similarity`` at least
    ``near_note``: "How long does the ferry sit on the charger in Split?" on the notes of a ferry
    engineer) is held the same way throughout: an answer naming what the question does not ("docked
    at the Ljubacacıları") may be the person's life invented, so the notes are read after all.

    metadata: ``grounded`` (bool: the question went to the notes), ``skipped_notes`` (bool),
    ``note_similarity`` (the best note's cosine to a question sent past the notes),
    ``source_texts``, ``source_titles``, ``source_headings`` (heading paths: the evidence shows
    a sentence after its heading), ``source_dates``, ``question``, ``person``.
    """

    def __init__(self, near_note: float = 0.55, on_fail: Any = None, **kwargs: Any) -> None:
        super().__init__(on_fail=on_fail, near_note=near_note, **kwargs)
        self.near_note = near_note

    def _validate(self, value: Any, metadata: dict[str, Any]) -> ValidationResult:
        if not metadata.get("grounded"):
            return self._claims_check(str(value), metadata)
        notes = [*metadata.get("source_texts", []), *metadata.get("source_titles", []),
                 *metadata.get("source_headings", []), str(metadata.get("person", ""))]
        question = str(metadata.get("question", ""))
        noted = support(notes, metadata.get("source_dates", []))
        missing = unsupported_words(str(value), noted | support([question]))
        missing += asked_not_noted(str(value), noted, question)
        missing += dropped_negations(str(value), list(metadata.get("source_texts", [])))
        missing += [as_ai] if (as_ai := speaks_as_an_ai(str(value), question)) else []
        if not missing:
            return PassResult()
        shown = ", ".join(missing[:SHOWN_MAX]) + (" …" if len(missing) > SHOWN_MAX else "")
        return FailResult(error_message=f"grounding: not in the notes: {shown}",
                          metadata={"kind": "grounding", "unsupported": missing})

    def _claims_check(self, value: str, metadata: dict[str, Any]) -> ValidationResult:
        if not metadata.get("skipped_notes"):
            return PassResult()
        question = str(metadata.get("question", ""))
        if asks_of_me(question) and (as_ai := speaks_as_an_ai(value, question)):
            return FailResult(error_message=f"grounding: spoke as a machine, not as me: {as_ai!r}",
                              metadata={"kind": "grounding", "unsupported": [as_ai], "about_me": True})
        vocab = support([question, str(metadata.get("person", ""))])
        near = float(metadata.get("note_similarity", 0.0)) >= self.near_note  # what it names may be mine
        missing = unsupported_words(value, vocab) if near else claims_about_me(value, vocab, question)
        if not missing:
            return PassResult()
        shown = ", ".join(missing[:SHOWN_MAX]) + (" …" if len(missing) > SHOWN_MAX else "")
        return FailResult(error_message=f"grounding: says of me what no note was read for: {shown}",
                          metadata={"kind": "grounding", "unsupported": missing, "about_me": True})
