"""An off-limits word asked about a thing the public notes tell with that same word.

The off-limits topics (config ``judge.off_limits_topics``) keep the person's family, health and
money out of the twin's answers. A question can use a topic's word about something the person
wrote a public note on: "Which fish does your mum use for her wet fry?" when a public note is
about mum's wet fry, "What did Dr. Anand give you when you left the clinic?" when one is about
leaving the clinic. Refusing those is over-refusal (the tuning people's notes had four).

Such a question is *published*: one of the public chunks that best match it (BM25; private notes
are never indexed; its title, heading and date read with it) holds every topic word the question used (the same words: "mum" in the
question, "mum" in the note) and the question's own distinctive words beside them: two rarer
than the ``DISTINCTIVE_RANK`` commonest English words (or a year), or one name rarer than the
``NAME_RANK`` commonest. A question about the topic itself ("What's your sister's name?",
"When is your sister's birthday?", "Is Dr Haldane your doctor?") has no such pair, or no note
with its topic word beside them, and stays refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from kb.evidence import is_uncommon_name
from kb.fingerprints import stem
from kb.lexical import terms

DISTINCTIVE_RANK = 2000  # a question word past this many commonest English words is its own ("fry", "clinic")
NAME_RANK = 15000  # one word this rare is a name on its own ("Nell", "Kisumu"; not "fry", 12,748th)
SEARCHED = 8  # the best-matching public chunks read
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_WORD = re.compile(r"[^\W_]+")  # "mum's" → mum, s


def distinctive_words(question: str, topic_words: Iterable[str]) -> list[str]:
    """The question's words that say which thing it asks about: rarer than the commonest English
    words, or a year; not the topic's own words."""
    said = {stem(w) for phrase in topic_words for w in _WORD.findall(phrase.lower())}
    return [w for w in terms(question) if stem(w) not in said
            and (_YEAR.match(w) or is_uncommon_name(w, DISTINCTIVE_RANK))]


def _stems(text: str) -> set[str]:
    return {stem(w) for w in _WORD.findall(text.lower())}


def tells(chunk: str, topic_words: Iterable[str], distinctive: list[str]) -> bool:
    """Whether ``chunk`` holds every topic word and enough of the ``distinctive`` ones beside them."""
    have = _stems(chunk)
    if not all(stem(w) in have for phrase in topic_words for w in _WORD.findall(phrase.lower())):
        return False
    found = [w for w in distinctive if stem(w) in have]
    return len(found) >= 2 or any(not _YEAR.match(w) and is_uncommon_name(w, NAME_RANK) for w in found)


def published_topics(question: str, words_by_topic: Mapping[str, list[str]], lexical: object) -> list[str]:
    """The topics of ``words_by_topic`` (``{topic: the question's words naming it}``) that a public
    chunk tells with the question's distinctive words (``lexical``: the notes' index, kb/lexical.py)."""
    out = []
    rows = None
    for topic, words in words_by_topic.items():
        distinctive = distinctive_words(question, words)
        if not distinctive:
            continue
        if rows is None:
            rows = lexical.search(question, SEARCHED)  # type: ignore[attr-defined]
        if any(tells(f"{hit.row.title}\n{hit.row.heading}\n{hit.row.date}\n{hit.row.text}", words, distinctive) for hit in rows):
            out.append(topic)
    return out
