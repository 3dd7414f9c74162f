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

_TITLE = r"(?:(?:dr|mr|mrs|ms|mx|prof|sir)\.?\s+)"
# "Who is X?", "Who's X?", "What was X?", "What's the X?": X capitalised (a name), the whole rest of the question
_ASKS = re.compile(r"^\W*(?:who|what)(?:'s|’s|\s+is|\s+was|\s+are|\s+were)\s+(?:the\s+)?"
                   r"(?P<name>(?-i:[A-Z0-9])[\w.'’&-]*(?:\s+(?:(?-i:[A-Z0-9])[\w.'’&-]*|of|de|la|le|van|von|da|del|"
                   r"and|&))*?)\s*\?*\s*$", re.I)
_DETERMINER = r"(?:a|an|the|my|our|his|her|their|one|one of|some)"


def asked_name(question: str) -> str | None:
    """The name ``question`` asks about ("Kiprono Langat" in "Who is Kiprono Langat?", "Fishbowl" in
    "What's the Fishbowl?"), without a title ("Njoroge" in "Who is Dr Njoroge?"); None for any other question."""
    found = _ASKS.match(question.strip())
    if found is None:
        return None
    name = re.sub(rf"^{_TITLE}", "", found.group("name").strip(), flags=re.I).rstrip(".")
    return name if len(name) >= 2 else None


@lru_cache(maxsize=1024)
def _patterns(name: str) -> tuple[re.Pattern[str], ...]:
    n = rf"(?:{_TITLE})?{re.escape(name)}\b"
    return (
        re.compile(rf"\b{n}(?:['’]s)?,\s+(?:{_DETERMINER}\b|who\b|(?:[^,]{{1,40}},\s+)?who\b)", re.I),  # "Kiprono Langat, the tower supervisor"
        re.compile(rf"\b{n}\s+(?:is|was|are|were|['’]s)\s+(?:now\s+|still\s+)?{_DETERMINER}\b", re.I),  # "Goiburu is a baserri"
        re.compile(rf"\b(?:my|our|his|her|their|the|a|an)\s+(?:[\w'’-]+\s+){{0,3}}?[\w'’-]+,\s+{n}", re.I),  # "My landlord, Eirik"
        re.compile(rf"\b(?:my|our)\s+(?:[\w'’-]+\s+){{0,3}}?(?:is|was)\s+{n}", re.I),  # "My team lead is Aoife Brennock"
        re.compile(rf"^\W*{n}\s*(?::|\(|—|–|\s-\s)", re.I),  # "Txilar: a Basque shepherd dog"
    )


def introduces(name: str, sentence: str) -> bool:
    """Whether ``sentence`` says who or what ``name`` is (an apposition, "X is a …", "my …, X", "X: …")."""
    return any(p.search(sentence) for p in _patterns(name))


def introducing(question: str) -> Callable[[str], bool] | None:
    """For a question asking who or what a name is, the test of a sentence introducing it; else None."""
    name = asked_name(question)
    return None if name is None else (lambda sentence: introduces(name, sentence))
