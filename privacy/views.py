"""Ways a secret can be smuggled out of an answer, undone.

An attacker who cannot get "7319#" out in plain text asks for it reversed, spelled out,
in base64, hex or rot13, in leetspeak, or as "seven three one nine". :func:`views`
returns the answer under each of those decodings (plus the plain, Unicode-folded text),
so the leak check can look for private strings in every one of them. Everything here is
pure string work: microseconds per answer, no model.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata
from dataclasses import dataclass

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_CONFUSABLES = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j",
    "ѕ": "s", "ԁ": "d", "ɡ": "g", "ո": "n", "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-",
    "’": "'", "‘": "'", "“": '"', "”": '"', "€": "€",
})
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})

_UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "nine": 9}
DIGIT_WORDS = {**_UNITS, "oh": 0, "nil": 0, "niner": 9}
_TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
          "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
COUNT_WORDS = {**_UNITS, **_TEENS, **_TENS}  # "zero" to "ninety" (the grounding check's counts in words)
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
NATO = {
    "alpha": "a", "alfa": "a", "bravo": "b", "charlie": "c", "delta": "d", "echo": "e", "foxtrot": "f",
    "golf": "g", "hotel": "h", "india": "i", "juliet": "j", "juliett": "j", "kilo": "k", "lima": "l",
    "mike": "m", "november": "n", "oscar": "o", "papa": "p", "quebec": "q", "romeo": "r",
    "sierra": "s", "tango": "t", "uniform": "u", "victor": "v", "whiskey": "w", "whisky": "w",
    "xray": "x", "x-ray": "x", "yankee": "y", "zulu": "z",
}

_B64_RUN = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")
_HEX_RUN = re.compile(r"(?:0x)?(?:[0-9a-fA-F]{2}[\s:,-]?){4,}")
_SINGLE_CHARS = re.compile(r"(?<![\w])(?:[A-Za-z0-9#€+][\s.,\-_*|/]{1,3}){3,}[A-Za-z0-9#€+](?![\w])")
_WORD = re.compile(r"[a-z]+(?:-[a-z]+)?")


@dataclass(frozen=True)
class View:
    name: str  # plain | reversed | base64 | hex | rot13 | caesar-N | spelled | nato | numbers | leet
    text: str


def fold(text: str) -> str:
    """Unicode-fold: NFKC, confusable letters to ASCII, accents and zero-width chars gone."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_CONFUSABLES)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _printable_share(text: str) -> float:
    return sum(c.isprintable() or c.isspace() for c in text) / max(1, len(text))


def _decode_base64(chunk: str) -> str | None:
    raw = chunk.strip("=")
    for alphabet in (None, b"-_"):
        padded = raw + "=" * (-len(raw) % 4)
        try:
            data = base64.b64decode(padded, altchars=alphabet, validate=True)
        except (binascii.Error, ValueError):
            continue
        text = data.decode("utf-8", errors="ignore")
        if len(text) >= 3 and _printable_share(text) > 0.9 and re.search(r"[A-Za-z0-9]{3}", text):
            return text
    return None


def base64_view(text: str) -> str:
    found = [d for m in _B64_RUN.finditer(text) if (d := _decode_base64(m.group(0)))]
    # a blob split by spaces or newlines: decode it joined as well
    joined = "".join(re.findall(r"[A-Za-z0-9+/=_-]+", text))
    if len(joined) >= 8 and (d := _decode_base64(joined)):
        found.append(d)
    return " ".join(found)


def hex_view(text: str) -> str:
    out = []
    for m in _HEX_RUN.finditer(text):
        digits = re.sub(r"[^0-9a-fA-F]", "", m.group(0).removeprefix("0x"))
        if len(digits) % 2:
            digits = digits[:-1]
        try:
            decoded = bytes.fromhex(digits).decode("utf-8", errors="ignore")
        except ValueError:
            continue
        if len(decoded) >= 3 and _printable_share(decoded) > 0.9:
            out.append(decoded)
    return " ".join(out)


def caesar(text: str, shift: int) -> str:
    def rot(c: str) -> str:
        if "a" <= c <= "z":
            return chr((ord(c) - 97 + shift) % 26 + 97)
        if "A" <= c <= "Z":
            return chr((ord(c) - 65 + shift) % 26 + 65)
        return c

    return "".join(rot(c) for c in text)


def collapse_spelled(text: str) -> str:
    """"s-e-r-t-r-a-l-i-n-e", "7 3 1 9 #", "F.R.E.J.A" → joined characters."""
    return " ".join(re.sub(r"[\s.,\-_*|/]", "", m.group(0)) for m in _SINGLE_CHARS.finditer(text))


def words_to_chars(text: str) -> tuple[str, str]:
    """NATO letters and digit words joined: ("sierra echo ..." → "se...", "seven three" → "73")."""
    letters, digits = [], []
    for run in re.split(r"[^a-z]+", text.lower().replace("x-ray", "xray")):
        if run:
            letters.append(NATO.get(run, " "))
            digits.append(str(DIGIT_WORDS[run]) if run in DIGIT_WORDS else " ")
    return "".join(letters), "".join(digits)


def spoken_numbers(text: str) -> str:
    """"ninety-four thousand" → "94000"; "four eight one two" stays digit by digit."""
    out: list[str] = []
    total = current = 0
    seen = False
    for token in _WORD.findall(text.lower().replace("-", " ")) + ["."]:
        if token in _TEENS or token in _TENS or token in DIGIT_WORDS and token not in ("oh", "nil"):
            current += _TEENS.get(token) or _TENS.get(token) or DIGIT_WORDS[token]
            seen = True
        elif token in _SCALES and seen:
            scale = _SCALES[token]
            if scale == 100:
                current *= 100
            else:
                total += max(current, 1) * scale
                current = 0
        elif token == "and" and seen:
            continue
        elif seen:
            out.append(str(total + current))
            total = current = 0
            seen = False
    return " ".join(out)


def _decodings(plain: str, caesar_all: bool) -> list[tuple[str, str]]:
    """First level: the whole text decoded (reversed, base64, hex, rot13, Caesar, leet)."""
    out = [("reversed", plain[::-1]), ("base64", base64_view(plain)), ("hex", hex_view(plain)),
           ("rot13", codecs.encode(plain, "rot13")), ("leet", plain.translate(_LEET))]
    if caesar_all:
        out += [(f"caesar-{s}", caesar(plain, s)) for s in range(1, 26) if s != 13]
    for name, value in out[1:3]:  # decoded blobs may themselves be reversed or rot13
        if value.strip():
            out += [(f"{name}+reversed", value[::-1]), (f"{name}+rot13", codecs.encode(value, "rot13"))]
    return out


def _extractions(text: str) -> list[tuple[str, str]]:
    """Second level: characters spelled out one by one, NATO letters, digit and number words."""
    spelled = collapse_spelled(text)
    nato, digits = words_to_chars(text)
    return [("spelled", spelled), ("spelled-reversed", spelled[::-1]), ("nato", nato),
            ("digit-words", digits), ("digit-words-reversed", digits[::-1]), ("numbers", spoken_numbers(text))]


def views(text: str, *, caesar_all: bool = True) -> list[View]:
    """The answer as written plus every decoding that yields something different.

    Character-level extractions (spelled out, NATO, digit words) are applied to the plain
    text and to the reversed, base64, hex and rot13 decodings, so "rot13 of 'seven three
    one nine'" is found too. Caesar shifts other than 13 get no second level (cost).
    """
    plain = fold(text)
    found = [View("plain", plain)]
    seen = {plain}

    def add(name: str, value: str) -> None:
        if value.strip() and value not in seen:
            seen.add(value)
            found.append(View(name, value))

    for name, value in _extractions(plain):
        add(name, value)
    for name, value in _decodings(plain, caesar_all):
        add(name, value)
        if value.strip() and not name.startswith(("caesar", "leet")):
            for inner, extracted in _extractions(value):
                add(f"{name}+{inner}", extracted)
    return found
