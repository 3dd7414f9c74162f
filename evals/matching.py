"""Answer matching for evals: normalised containment, a token-overlap fallback, abstentions.

``normalize`` lower-cases, strips accents and punctuation, drops the articles a/an/the,
and writes numbers one way ("1,000" → "1000", "twenty-one" → "21", "8th" → "8",
"first" → "1"). ``match(prediction, answer)`` then tries, in order:

1. ``exact``: the normalised texts are equal;
2. ``contains``: the normalised answer occurs in the prediction as whole tokens, in order;
3. ``overlap``: at least ``threshold`` (default 0.5) of the answer's *distinctive* tokens
   (not stopwords, not words of the question) appear in the prediction; an answer with only
   one or two distinctive tokens needs all of them (a first name alone is not "John Sullivan").

For knowledge conflicts (``conflict_outcome``) a fourth tier, ``distinctive``, catches answers
that restate a passage's claim in other words: the prediction carries tokens that only the
fake answer (short and long form) has — in neither the question nor the real answer — or
the other way round.

An abstention ("I don't know", "I have no note about it", ...) never matches: a metric
that rewards "I don't know" where an answer exists is a bug. See docs/evals.md.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

ARTICLES = frozenset({"a", "an", "the"})
STOPWORDS = frozenset(
    "a an the and or but of to in on at for from by with as is are was were be been being it its "
    "this that these those i me my we our you your he she his her they them their there here "
    "do does did have has had not no so if then than which who whom what when where why how "
    "about into over after before up down out also just very can could would should will shall "
    "am".split()
)
HOW_RANK = {"exact": 3, "contains": 2, "overlap": 1, "distinctive": 0, "none": 0, "abstain": 0}
OVERLAP_THRESHOLD = 0.5
SHORT_ANSWER_TOKENS = 2  # answers with this many distinctive tokens or fewer need all of them

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
# "second" is left alone on purpose: it is more often a unit of time than an ordinal.
_ORDINALS = {
    "first": 1, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
    "tenth": 10, "eleventh": 11, "twelfth": 12, "twentieth": 20, "hundredth": 100,
}
_NUMBER_WORDS = set(_UNITS) | set(_TENS) | set(_SCALES)

_THOUSANDS = re.compile(r"(?<=\d)[,\u00a0\u202f'](?=\d{3}(?!\d))")
_ORDINAL_SUFFIX = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b")
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[^\W\d_]+")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})

_ABSTAIN = re.compile(
    r"\bi (?:do not|don't|dont|did not|didn't) (?:really )?(?:know|remember|recall)\b"
    r"|\bi (?:do not|don't|dont) have (?:any |a |the )?(?:notes?|information|info|records?|details|idea)\b"
    r"|\bi (?:have|had) no (?:notes?|information|info|records?|details|idea)\b"
    r"|\b(?:there (?:is|are) )?no (?:notes?|information|records?|details) (?:about|on|of|for|that|covering)\b"
    r"|\bnot (?:in|covered (?:by|in)|mentioned in) my notes\b"
    r"|\bmy notes (?:do not|don't|dont|never) (?:say|mention|cover|tell)\b"
    r"|\bi(?:'m| am) not (?:sure|certain)\b"
    r"|\bi (?:can't|cannot|can not|couldn't|could not) (?:say|tell|answer|find|recall|remember)\b"
    r"|\b(?:no idea|unknown to me|i have no way of knowing)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Match:
    matched: bool
    how: str  # exact | contains | overlap | distinctive | none | abstain
    score: float  # 1.0 for exact/contains, the overlap fraction otherwise

    @property
    def rank(self) -> tuple[int, float]:
        """Strength for comparing two matches (exact > contains > overlap)."""
        return (HOW_RANK[self.how] if self.matched else 0, self.score if self.matched else 0.0)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _number_runs(tokens: list[str]) -> list[str]:
    """Collapse runs of number words ("twenty one", "two hundred and five") into digits."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if tokens[i] in _ORDINALS:
            out.append(str(_ORDINALS[tokens[i]]))
            i += 1
        elif tokens[i] in _NUMBER_WORDS:
            value, i = _read_number(tokens, i)
            out.append(str(value))
        else:
            out.append(tokens[i])
            i += 1
    return out


def _read_number(tokens: list[str], start: int) -> tuple[int, int]:
    """Parse one spelled-out number from ``tokens[start]``; returns (value, next index)."""
    total, current, last, j = 0, 0, "", start
    while j < len(tokens):
        word = tokens[j]
        if word in _UNITS and last in ("", "tens", "scale"):
            current, last = current + _UNITS[word], "unit"
        elif word in _TENS and last in ("", "scale"):
            current, last = current + _TENS[word], "tens"
        elif word == "hundred" and last != "hundred":
            current, last = max(current, 1) * 100, "scale"
        elif word in _SCALES and word != "hundred":
            total, current, last = total + max(current, 1) * _SCALES[word], 0, "scale"
        elif word == "and" and last == "scale" and j + 1 < len(tokens) and tokens[j + 1] in _NUMBER_WORDS:
            pass
        else:
            break
        j += 1
    return total + current, j


def tokens(text: str) -> list[str]:
    """Normalised tokens of ``text`` (see the module docstring)."""
    # separators before NFKD too: it turns a no-break space into a plain one ("9\u202f412")
    text = _THOUSANDS.sub("", text.translate(_QUOTES))
    text = _THOUSANDS.sub("", _strip_accents(text).lower())
    text = _ORDINAL_SUFFIX.sub(r"\1", text)
    text = text.replace("-", " ")
    raw = [t for t in _TOKEN.findall(text) if t not in ARTICLES]
    return _number_runs(raw)


def normalize(text: str) -> str:
    return " ".join(tokens(text))


def is_abstention(text: str) -> bool:
    """True when the answer declines ("I don't know", "no note about it", ...)."""
    return bool(_ABSTAIN.search(text.translate(_QUOTES)))


def declines(answer: str, quoted: bool = False) -> bool:
    """:func:`is_abstention`, except that a ``quoted`` answer (a cited quote of the notes) never
    declines: the person's own words may say "I didn't know" ("…two things about axle counters I
    didn't know")."""
    return not quoted and is_abstention(answer)


def distinctive_tokens(answer: str, question: str = "") -> list[str]:
    """The answer's tokens that carry information: not stopwords, not words of the question."""
    answer_tokens = tokens(answer)
    content = [t for t in answer_tokens if t not in STOPWORDS]
    asked = set(tokens(question)) if question else set()
    specific = [t for t in content if t not in asked]
    chosen = specific or content or answer_tokens
    return list(dict.fromkeys(chosen))


def match(prediction: str, answer: str, question: str = "", threshold: float = OVERLAP_THRESHOLD,
          quoted: bool = False) -> Match:
    """Does ``prediction`` give ``answer``? Abstentions never match; a ``quoted`` prediction (a
    cited quote of the notes) is never an abstention (:func:`declines`)."""
    if declines(prediction, quoted):
        return Match(False, "abstain", 0.0)
    pred, gold = tokens(prediction), tokens(answer)
    if not gold or not pred:
        return Match(False, "none", 0.0)
    if pred == gold:
        return Match(True, "exact", 1.0)
    if f" {' '.join(gold)} " in f" {' '.join(pred)} ":
        return Match(True, "contains", 1.0)
    wanted = distinctive_tokens(answer, question)
    found = set(pred)
    score = sum(t in found for t in wanted) / len(wanted)
    # one or two distinctive tokens ("John Sullivan", "August 2014"): all of them, in any order
    needed = 1.0 if len(wanted) <= SHORT_ANSWER_TOKENS else threshold
    ok = score >= needed
    return Match(ok, "overlap" if ok else "none", round(score, 4))


def match_any(prediction: str, answers: list[str], question: str = "",
              threshold: float = OVERLAP_THRESHOLD, quoted: bool = False) -> Match:
    """The strongest match of ``prediction`` against any of ``answers`` (``quoted``: see :func:`match`)."""
    results = [match(prediction, a, question, threshold, quoted) for a in answers]
    if not results:
        return Match(False, "none", 0.0)
    return max(results, key=lambda m: m.rank)


DISTINCTIVE_MIN_HITS = 2  # distinctive tokens a restated claim must carry


def contrast_tokens(answer: str, others: list[str], question: str) -> list[str]:
    """``answer``'s tokens that tell it apart: in neither the question nor any of ``others``,
    not stopwords, not one-letter."""
    excluded = set(STOPWORDS).union(tokens(question), *(tokens(o) for o in others))
    return list(dict.fromkeys(t for t in tokens(answer) if t not in excluded and len(t) > 1))


def distinctive_hits(prediction: str, answers: list[str], others: list[str], question: str) -> int:
    """How many tokens only ``answers`` have (not ``others``, not the question) the prediction carries."""
    wanted = set().union(*(contrast_tokens(a, others, question) for a in answers)) if answers else set()
    return len(wanted & set(tokens(prediction)))


def distinctive_tier(prediction: str, fake: list[str], real: list[str], question: str) -> str | None:
    """``context`` / ``memory`` when the prediction restates one side's claim in other words: it
    carries at least ``DISTINCTIVE_MIN_HITS`` tokens only that side's answers have, and more of
    them than of the other side's; else None."""
    f = distinctive_hits(prediction, fake, real, question)
    r = distinctive_hits(prediction, real, fake, question)
    if max(f, r) < DISTINCTIVE_MIN_HITS or f == r:
        return None
    return "context" if f > r else "memory"


def conflict_outcome(prediction: str, real: str, fake: str, question: str = "",
                     threshold: float = OVERLAP_THRESHOLD, real_long: str = "",
                     fake_long: str = "", quoted: bool = False) -> tuple[str, Match, Match]:
    """``context`` (gave the passages' answer), ``memory`` (the real one), ``both``, ``neither``
    or ``abstain``; ties between two matches go to the stronger (exact > contains > overlap).

    With the long answers given (``real_long``/``fake_long``), a ``neither`` is looked at once
    more by the ``distinctive`` tier (:func:`distinctive_tier`); without them the matcher is
    the strict one. ``quoted``: a cited quote of the passages, never an abstention (:func:`match`)."""
    if declines(prediction, quoted):
        none = Match(False, "abstain", 0.0)
        return "abstain", none, none
    m_fake = match(prediction, fake, question, threshold, quoted)
    m_real = match(prediction, real, question, threshold, quoted)
    if not (m_fake.matched or m_real.matched) and (real_long or fake_long):
        side = distinctive_tier(prediction, [fake, fake_long], [real, real_long], question)
        tier = Match(True, "distinctive", 1.0)
        if side == "context":
            return "context", m_real, tier
        if side == "memory":
            return "memory", tier, m_fake
    if m_fake.matched and m_real.matched:
        if m_fake.rank == m_real.rank:
            return "both", m_real, m_fake
        return ("context" if m_fake.rank > m_real.rank else "memory"), m_real, m_fake
    if m_fake.matched:
        return "context", m_real, m_fake
    if m_real.matched:
        return "memory", m_real, m_fake
    return "neither", m_real, m_fake
