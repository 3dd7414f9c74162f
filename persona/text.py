"""Small text helpers for the extractive teacher: markdown → sentences, person swaps, salient spans."""

from __future__ import annotations

import re

_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_EMPH = re.compile(r"(\*\*|__|\*|`)")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“'(])")
_SALIENT = re.compile(
    r"(?:\d[\d,:%]*(?:\.\d+)*[A-Za-z]?|[A-Z][\w'’-]*(?:\.\w+)*(?:\s+(?:of\s+|de\s+)?[A-Z][\w'’-]*)*)"
)
_SWAPS = {
    "i": "you", "me": "you", "my": "your", "mine": "yours", "myself": "yourself", "am": "are",
    "i'm": "you're", "i've": "you've", "i'd": "you'd", "i'll": "you'll", "we": "you", "our": "your",
}
_STOP_CAPS = {"I", "I'm", "I've", "I'd", "I'll", "Honestly", "The", "A", "An", "It", "My", "This", "That", "Yes", "No"}


def clean_lines(text: str) -> list[str]:
    """Markdown chunk text → plain lines (no code fences, bullets, emphasis, links, quotes)."""
    out, fenced = [], False
    for raw in text.splitlines():
        if raw.strip().startswith("```"):
            fenced = not fenced
            continue
        if fenced or raw.lstrip().startswith("#"):
            continue
        line = _BULLET.sub("", raw.strip().lstrip(">").strip())
        line = _EMPH.sub("", _LINK.sub(r"\1", line)).strip()
        if line:
            out.append(line)
    return out


def sentences(text: str) -> list[str]:
    """Sentences of a markdown chunk; bullet items count as sentences of their own."""
    out: list[str] = []
    for line in clean_lines(text):
        out.extend(s.strip() for s in _SENT.split(line) if s.strip())
    return out


def second_person(text: str) -> str:
    """"my starter" → "your starter" (word by word, keeps the rest)."""
    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        repl = _SWAPS.get(word.lower().replace("’", "'"))
        if repl is None:
            return word
        i_form = word.lower().replace("’", "'") in ("i", "i'm", "i've", "i'd", "i'll")
        return repl.capitalize() if word[0].isupper() and not i_form else repl
    return re.sub(r"\b[A-Za-z]+(?:['’][a-z]+)?\b", swap, text)


def salient_span(answer: str, avoid: str = "") -> str:
    """The most checkable bit of an answer: a number/date or a proper name not in ``avoid``."""
    avoid_l = avoid.lower()
    for match in _SALIENT.finditer(answer):
        span = match.group(0).strip(" .,;:'’")
        if len(span) < 2 or span in _STOP_CAPS or span.lower() in avoid_l:
            continue
        before = answer[: match.start()].rstrip()
        sentence_start = not before or before[-1] in ".!?:"
        if sentence_start and not span[0].isdigit() and " " not in span:
            continue  # a capitalised first word is just the sentence start
        if span.split()[0] in _STOP_CAPS:
            continue
        return span
    return ""


def truncate_sentences(parts: list[str], max_chars: int) -> str:
    out = ""
    for part in parts:
        if out and len(out) + 1 + len(part) > max_chars:
            break
        out = f"{out} {part}".strip()
    return out


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.lower())).strip()
