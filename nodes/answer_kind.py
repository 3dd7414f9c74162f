"""What kind of answer a question wants, and whether a note's sentence holds one.

"How much did you pay for your old touring bike?" wants an amount: of the note's sentences,
"A 1998 Dawes Galaxy, a steel touring bike in a deep green…" is closest to the question by
meaning, "I bought her on Gumtree … for £240" holds the answer. The evidence (nodes/evidence.py)
lowers the sentences that cannot answer: no number for "how much / how many / how long", no
date for "when", no name the question does not already hold for "which / who / where".
Questions of other shapes ("What does Tattie look like?") want nothing in particular.
"""

from __future__ import annotations

import re
from functools import lru_cache

from kb.fingerprints import stem
from kb.lexical import terms
from nodes.guards.grounding import content_words
from privacy.views import COUNT_WORDS

MONEY, NUMBER, WHEN, NAME = "money", "number", "when", "name"

_COUNT = "|".join(sorted(COUNT_WORDS, key=len, reverse=True))
# a number: "twice a week", "just once", but not a multiplier or a manner of speaking ("It's twice as
# loud" is no answer to "How many strings has your nyatiti got?"; "once upon a time", "once again")
_NUMBER = re.compile(rf"\d|\b(?:{_COUNT}|hundred|thousand|half|dozen|couple)\b"
                     r"|\b(?:once|twice)\b(?!\s+(?:as|the|more|over|again|upon|in a while)\b)", re.I)
# an amount: a currency sign or code before the number ("KSh 52,000", "NOK 450"), or a currency
# word or ISO code after it ("52,000 shillings", "fifty quid")
_CODES = ("USD|EUR|GBP|NOK|SEK|DKK|ISK|CHF|INR|ZAR|NZD|AUD|CAD|JPY|CNY|PLN|CZK|HUF|KES|TZS|UGX|NGN|GHS|BRL|MXN|TRY")
_SAID_AMOUNTS = r"pence|quid|cents?|euros?|pounds?|dollars?|shillings?|rupees?|francs?"  # after a number in words
_CURRENCY_WORDS = (r"pence|quid|bucks|grand|cents?|euros?|pounds?|dollars?|shillings?|kron[aeo]r?|krone|z[łl]oty|forint|"
                   r"francs?|rupees?|yen|yuan|rand|pesos?|reais|real")
_MONEY = re.compile(
    rf"[£$€¥₹₺₩₽¢]\s?\d|\b(?:kshs?|rs\.?|kr\.?|(?-i:{_CODES}))\s?\d|\d\s?(?:k|p|kr|zł|zl|kč|ft|lei|lv|{_CURRENCY_WORDS})\b"
    rf"|\d\s?(?-i:[A-Z]{{3}})\b|\b(?:{_COUNT}|hundred|thousand)\s(?:{_SAID_AMOUNTS})\b"
    r"|\b(?:nothing|free)\b",
    re.I)
_DATE = re.compile(
    r"\d|\b(?:january|february|march|april|may|june|july|august|september|october|november|december|spring|summer|"
    r"autumn|winter|monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekend|yesterday|today|tonight|"
    r"morning|evening|night|christmas|easter|ago|since|last|next)\b", re.I)

# a month or a day is a date, not the name "which / who / where" asks for ("…the kayak season starts in April")
_CALENDAR = re.compile(r"(?:january|february|march|april|may|june|july|august|september|october|november|december|"
                       r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|christmas|easter)(?:'s)?", re.I)

# "how far / long / heavy / tall / fast …" wants a number of that measure: "How far out of town is your
# house?" is answered by "twenty minutes out of Fairlie", not by "Three bedrooms, a log burner…". Each measure:
# the units said after a number, and words that give one without a unit ("since 2019"); "how often" wants a
# frequency, which need not be a number ("most mornings", "on Mondays"); "how old" any number ("She's 7.")
_TIME = r"sec(?:ond)?s?|min(?:ute)?s?|hrs?|hours?|days?|nights?|weeks?|fortnights?|months?|years?|decades?"
_LENGTH = r"mm|cm|m|km|k|metres?|meters?|kilomet(?:re|er)s?|miles?|feet|foot|ft|inch(?:es)?|yards?"
_MEASURES = (
    (re.compile(r"\bhow far\b", re.I), rf"{_TIME}|{_LENGTH}", None),
    (re.compile(r"\bhow long\b", re.I), rf"{_TIME}|{_LENGTH}", r"\b(?:since|ago)\b"),
    (re.compile(r"\bhow heavy\b|\bweigh", re.I),
     r"kg|kilos?|kilograms?|g|grams?|lbs?|pounds?|stones?|st|tonnes?|tons?|ounces?|oz", None),
    (re.compile(r"\bhow (?:tall|high|deep)\b", re.I), rf"{_LENGTH}|storeys?|stories|floors?", None),
    (re.compile(r"\bhow fast\b", re.I), rf"{_TIME}|{_LENGTH}|km/h|kph|mph|knots?", r"\bpace\b"),
    # a clock time ("Shift starts 3 a.m.", "7:40", "7.30"), not any number: "What time did your shifts start?"
    # was passed "Pay: £11.20 an hour." (a never-seen person, thirty-first session)
    (re.compile(r"\bwhat time\b", re.I), r"a\.?m|p\.?m|o['’]clock", r"(?<![£$€¥\d.,])\b\d{1,2}[:.]\d{2}\b(?![.,]?\d)"),
)
_NUMBERED = r"(?:\d[\d.,]*[\s-]?|\b(?:{count}|half|an?|a couple of|a few)[\s-])(?:{unit})\b"
_OFTEN = re.compile(r"\bhow often\b", re.I)
_FREQUENCY = re.compile(r"\b(?:every|each|once|twice|daily|weekly|fortnightly|monthly|yearly|annually|nightly|"
                        r"times? a|a (?:day|night|week|fortnight|month|year)|per (?:day|week|month|year)|usually|"
                        r"often|rarely|never|sometimes|occasionally|always|mornings|evenings|weekends|"
                        r"most (?:days|mornings|evenings|nights|weeks|weekends)|(?:mon|tues|wednes|thurs|fri|satur|sun|week)days)\b",
                        re.I)

# the first that matches decides (an amount of money is a number too)
_WANTS = (
    (MONEY, re.compile(r"\b(?:cost|costs|pay|paid|price|charge|charged|rent)\b"
                       r"|\bhow much\b.*\b(?:sell|sells|sold|spend|spent|buy|bought|worth)\b", re.I)),
    (NUMBER, re.compile(r"\bhow (?:many|much|long|often|old|far|big|tall|heavy|fast|high|deep)\b|\bweigh\b|"
                        r"\bwhat (?:year|age|time|size|number)\b", re.I)),
    (WHEN, re.compile(r"^\W*when\b", re.I)),
    (NAME, re.compile(r"^\W*(?:who|which|where)\b|\bwhat(?:'s| is| was) (?:the |your |their |his |her )?name\b|"
                      r"\bcalled\b", re.I)),
)


# "Who do you pay rent to?" wants a name, not an amount; not "When you were paid, how much was it?"
_WH_FIRST = re.compile(r"^\W*(?:(when)|who(?:m|se)?|where)(?:'s|'d|\s+(?:do|does|did|is|was|are|were|will|would|can|"
                       r"could|have|has|had)\b)", re.I)


def wanted(question: str) -> str | None:
    """The kind of answer ``question`` wants (``MONEY``, ``NUMBER``, ``WHEN``, ``NAME``), or None."""
    if found := _WH_FIRST.match(question):
        return WHEN if found.group(1) else NAME
    return next((kind for kind, pattern in _WANTS if pattern.search(question)), None)


def holds(kind: str | None, sentence: str, question: str = "") -> bool:
    """Whether ``sentence`` can be an answer of ``kind``: an amount of money, a number, a date
    or time word, or a capitalised name that ``question`` does not already hold."""
    if kind == MONEY:
        return bool(_MONEY.search(sentence))
    if kind == NUMBER:
        return _measured(sentence, question)
    if kind == WHEN:
        return bool(_DATE.search(sentence))
    if kind == NAME:
        asked = question.lower()
        return any(w[:1].isupper() and w.lower() not in asked and not _CALENDAR.fullmatch(w) for w in content_words(sentence))
    return True


def _measured(sentence: str, question: str) -> bool:
    """Whether ``sentence`` holds a number of the measure ``question`` asks for ("how far":
    minutes, kilometres; "how heavy": kilos; "how often": every, twice a week), or any number
    when it asks for none in particular ("how many", "how much"; "twice a week" is one, "twice as
    loud" is not: "How many strings…?" is not answered by it)."""
    if _OFTEN.search(question):
        return bool(_FREQUENCY.search(sentence))
    measure = next(((units, words) for asks, units, words in _MEASURES if asks.search(question)), None)
    if measure is None:
        return bool(_NUMBER.search(sentence))
    units, words = measure
    return bool(_numbered(units).search(sentence) or (words and _NUMBER.search(sentence) and re.search(words, sentence, re.I)))


@lru_cache(maxsize=16)
def _numbered(units: str) -> re.Pattern[str]:
    return re.compile(_NUMBERED.format(count=_COUNT, unit=units), re.I)


CHECKED = (MONEY, NUMBER, WHEN)  # not NAME: a capitalised word is too loose a test of a name said


def left_unsaid(question: str, answer: str, passage: str) -> str | None:
    """The kind of answer ``question`` wants (an amount, a number, a date) when ``passage`` (the
    best note's closest sentences) holds one and ``answer`` none: "When do you do your pre-lamb
    shearing?" answered "I do shearing every day, Hakataramea Shearing again…" beside "Pre-lamb
    shearing done, always the second week of August here." None when nothing is missing."""
    kind = wanted(question)
    if kind in CHECKED and holds(kind, passage, question) and not holds(kind, answer, question):
        return kind
    return None


def holding(question: str, answer: str, sentences: list[str]) -> list[str]:
    """The ``sentences`` that hold the amount, number or date ``question`` asks for, when ``answer``
    says one too ([] otherwise): the note's line the answer may have taken it from."""
    kind = wanted(question)
    if kind not in CHECKED or not holds(kind, answer, question):
        return []
    return [s for s in sentences if holds(kind, s, question)]


def reason_unsaid(question: str, answer: str, reason: str) -> bool:
    """Asked why, with the note's reason at hand (the sentences opening its "Why…" section), the
    answer says none of its words beyond the question's: "I started learning Scottish Gaelic
    because I've been doing it for a while now." beside "Because of the station signs." (a
    reason of the model's own, naming nothing the check for unsupported names could catch)."""
    return not says_beyond(question, answer, reason)


def says_beyond(question: str, answer: str, passage: str) -> bool:
    """Whether ``answer`` says a word of ``passage`` beyond the question's (a word stem, not a stop
    word nor one of ``_EMPTY_WORDS``); True when the passage has no such word."""
    given = _stems(passage) - _stems(question) - _EMPTY_WORDS
    return not given or bool(given & _stems(answer))


# words that say there is a reason, not which; and determiners and adverbs the stop words lack
_EMPTY_WORDS = frozenset("because reason since why mostly partly main every whole lot really also still even "
                         "only thing way".split())


def _stems(text: str) -> set[str]:
    return {stem(w) for w in terms(text) if len(w) > 2}
