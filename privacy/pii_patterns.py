"""Regex PII finder: emails, phones, IBANs, cards, ID numbers, postal addresses, credentials.

Presidio-based validators need spaCy models that cannot be downloaded here, so PII is
found with patterns. Each match says its kind and span; the PII validator redacts the
ones that do not also appear in public notes. Used at ingest too, to remember which
PII-looking strings are public (the owner's contact email).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class PiiMatch:
    kind: str  # email | phone | iban | card | id_number | address | credential | ip
    start: int
    end: int
    value: str


_STREET_SUFFIX = (
    r"(?:straat|laan|weg|gracht|plein|kade|dijk|singel|steeg|hof|pad|gatan|vägen|vagen|gränd|"
    r"strasse|straße|gasse|allee|platz|rua|avenida|calle)"
)
_STREET_WORD = r"(?:Street|St\.?|Road|Rd\.?|Avenue|Ave\.?|Lane|Ln\.?|Drive|Boulevard|Blvd\.?|Way|Court|Place|Terrace)"

PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("email", re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+\b")),
    ("email", re.compile(
        r"(?i)\b[A-Za-z0-9._%+-]+\s?[(\[]at[)\]]\s?[A-Za-z0-9-]+(?:\s?(?:\.|[(\[]dot[)\]])\s?[A-Za-z0-9-]+)+\b")),
    ("iban", re.compile(r"\b[A-Z]{2}\d{2}[ ]?[A-Z0-9]{4}(?:[ ]?[A-Z0-9]{2,4}){2,7}\b")),
    ("card", re.compile(r"\b(?:\d[ -]?){12,18}\d\b")),
    ("phone", re.compile(r"(?<![\w+])(?:\+|00)\d{1,3}[\s.-]?(?:\(?\d{1,4}\)?[\s.-]?){2,5}\d{2,4}\b")),
    ("phone", re.compile(r"(?<![\w+])0\d{1,3}[\s.-]?\d{3,4}[\s.-]?\d{3,4}\b")),
    ("phone", re.compile(r"(?<![\w+])\(\d{3}\)\s?\d{3}-\d{4}\b")),
    ("id_number", re.compile(r"\b[A-Z]{2,5}-\d{3,}(?:-\d{2,})+\b")),
    ("id_number", re.compile(r"\b\d{3}-\d{2}-\d{4}\b")),
    ("id_number", re.compile(
        r"(?i)\b(?:insurance|passport|licen[cs]e|social security|bsn|ssn|policy|account|membership|"
        r"customer|tax|personnummer|citizen service)\s+(?:number|no\.?|#|id)\s*(?:is|:|=)?\s*"
        r"(?P<value>[A-Z0-9][A-Z0-9 -]{4,}[A-Z0-9])")),
    ("address", re.compile(rf"\b[A-Z][a-zà-ÿ]+{_STREET_SUFFIX}\s+\d+[a-zA-Z]?\b")),
    ("address", re.compile(rf"\b\d+[a-zA-Z]?\s+(?:[A-Z][a-z]+\s){{1,3}}{_STREET_WORD}(?=\W|$)")),
    ("address", re.compile(r"\b\d{4}\s?[A-Z]{2}\s+[A-Z][a-z]+\b")),  # Dutch postcode + city
    ("credential", re.compile(
        r"(?i)\b(?:password|passcode|passphrase|pin(?: code)?|door ?code|entry code|gate code|"
        r"wi-?fi (?:password|key|code)|access code|alarm code|safe code|lock code)\s*(?:is|was|:|=)\s*[\"'“]?"
        r"(?P<value>[^\s\"'”,;]+?[#]?)(?=[\"'”]?(?:[\s,;]|\.(?:\s|$)|$))")),
    ("ip", re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")),
]


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _accept(kind: str, value: str) -> bool:
    digits = re.sub(r"\D", "", value)
    if kind == "card":
        return 13 <= len(digits) <= 19 and luhn_ok(digits)
    if kind == "phone":
        return 8 <= len(digits) <= 15
    if kind == "iban":
        return len(re.sub(r"\s", "", value)) >= 15
    if kind == "ip":
        return all(int(p) <= 255 for p in value.split("."))
    return True


def find_pii(text: str) -> list[PiiMatch]:
    """Non-overlapping PII spans of ``text``, earliest and longest first.

    Spans index ``text`` as given; callers that fear look-alike or zero-width tricks also
    run it on :func:`privacy.views.fold` of the text.
    """
    found: list[PiiMatch] = []
    for kind, pattern in PATTERNS:
        for m in pattern.finditer(text):
            group = "value" if "value" in pattern.groupindex and m.group("value") else 0
            start, end = m.span(group)
            value = text[start:end].strip()
            if value and _accept(kind, value):
                found.append(PiiMatch(kind, start, start + len(value), value))
    found.sort(key=lambda p: (p.start, -(p.end - p.start)))
    out: list[PiiMatch] = []
    for match in found:
        if not out or match.start >= out[-1].end:
            out.append(match)
    return out
