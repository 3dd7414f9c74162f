"""Who or what a name is: the sentence of the notes that introduces it.

"Who is Kiprono Langat?" is answered by the sentence that introduces him, "Kiprono Langat, the
tower supervisor.", or "My landlord, Eirik Bratsberg, is a retired ferry captain", "Goiburu is a
baserri above Urrestilla", "Txilar: a Basque shepherd dog". By meaning, the sentence closest to
the question is often another one that names him ("Kiprono signed my logbook without a word"),
and the small model copies what it reads first. A sentence that introduces the name asked about
is shown first (nodes/evidence.py ``stating``) and quoted (nodes/generate.py), like the sentence
that says where the person lives now.

Only questions that ask what a capitalised name is ("Who is Bahati?", "What's the Fishbowl?",
"Who was Princess Sparkle?") are read this way; "Who is your landlord?" asks for a name, not
about one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from backends.decoding import TITLES
from kb.evidence import is_uncommon_name

# a person's title: "Dr", "Mr" with or without the point; the others with it ("Sra. Amparo Lezama",
# "Mtra. Irigoyen", "Hr. Olsen", "Capt. Hook": a bare "Sig", "Ing", "Col" or "Hon" may be a name or a
# word); not "St" or "Mt", part of the name
_ENGLISH_TITLES = ("dr", "mr", "mrs", "ms", "mx", "prof", "sir")
_TITLE = (r"(?:(?:" + "|".join(_ENGLISH_TITLES) + r")\.?\s+|(?:"
          + "|".join(t.lower() for t in TITLES if t.lower() not in _ENGLISH_TITLES and t not in ("St", "Mt")) + r")\.\s+)")
# "Who is X?", "Who's X?", "What was X?", "What's the X?": X capitalised (a name), the whole rest of the
# question; its connectors lower-case only (a capitalised "Of" is a word of the name: no two ways to read it)
_ASKS = re.compile(r"^\W*(?:who|what)(?:'s|’s|\s+is|\s+was|\s+are|\s+were)\s+(?:the\s+)?"
                   r"(?P<name>(?-i:[A-Z0-9])[\w.'’&-]*(?:\s+(?:(?-i:[A-Z0-9])[\w.'’&-]*|(?-i:of|de|la|le|van|von|da|del|"
                   r"and)|&))*+)\s*\?*\s*$", re.I)
_DETERMINER = r"(?:a|an|the|my|our|his|her|their|one|one of|some)"
_WORDS = r"(?:[\w'’-]+\s+){0,3}?[\w'’-]+"  # a short noun phrase: "tower supervisor", "landlord"


def asked_name(question: str) -> str | None:
    """The name ``question`` asks about ("Kiprono Langat" in "Who is Kiprono Langat?", "Fishbowl" in
    "What's the Fishbowl?"), without a title ("Njoroge" in "Who is Dr Njoroge?"); None for any other
    question, one in capitals ("WHO IS THAT?") and a single common word ("What is Love?", "Who is He?")."""
    stripped = question.strip()
    if stripped.upper() == stripped:
        return None
    found = _ASKS.match(stripped)
    if found is None:
        return None
    name = re.sub(rf"^{_TITLE}", "", found.group("name").strip(), flags=re.I).rstrip(".")
    if len(name) < 2 or (" " not in name and name.isalpha() and not is_uncommon_name(name.lower())):
        return None
    return name


@lru_cache(maxsize=1024)
def _patterns(name: str) -> tuple[re.Pattern[str], ...]:
    n = rf"(?:{_TITLE})?(?-i:{re.escape(name)})\b"  # the name as the question spells it
    return (
        # "Kiprono Langat, the tower supervisor.", "J. M. Arregi, Jose Mari to everyone, who…"; not a list: "Bahati, the kids and I…"
        re.compile(rf"\b{n}(?:['’]s)?,\s+(?:(?:{_DETERMINER}\b(?![^.;!?]*\band (?:i|we|me|us)\b))|(?:[^,]{{1,40}},\s+)?who\b)", re.I),
        re.compile(rf"\b{n}(?:\s+(?:is|was|are|were)|['’]s)\s+(?:now\s+)?{_DETERMINER}\b", re.I),  # "Goiburu is a baserri"
        re.compile(rf"\b(?:my|our|his|her|their)\s+{_WORDS},\s+{n}", re.I),  # "My landlord, Eirik Bratsberg"
        re.compile(rf"^\W*(?:the|a|an)\s+{_WORDS},\s+{n}", re.I),  # "The vet, Dr Njoroge…" (not "In the end, Tom…")
        re.compile(rf"\b(?:my|our)\s+{_WORDS}\s+(?:is|was)\s+{n}\s*(?:[.,;!?]|$)", re.I),  # "My team lead is Aoife Brennock."
        re.compile(rf"^\W*{n}\s*(?::\s*{_DETERMINER}\b|\()", re.I),  # "Txilar: a Basque shepherd dog"
    )


def introduces(name: str, sentence: str) -> bool:
    """Whether ``sentence`` says who or what ``name`` is (an apposition, "X is a …", "my …, X", "X: a …")."""
    return any(p.search(sentence) for p in _patterns(name))


def introducing(question: str) -> Callable[[str], bool] | None:
    """For a question asking who or what a name is, the test of a sentence introducing it; else None."""
    name = asked_name(question)
    return None if name is None else (lambda sentence: introduces(name, sentence))
