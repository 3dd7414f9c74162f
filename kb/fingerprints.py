"""Fingerprints of private notes: what the judge needs to block leaks, without their text.

Private notes never enter the retrievable index. Instead ingest stores, per private note,
salted hashes of its word n-grams and of the tokens that occur only in private notes
(names, codes, numbers). The judge hashes an answer the same way and looks for overlap.
Hashes of PII-looking strings that *do* appear in public notes are kept too, so the
owner's public email can be shared while other PII is redacted.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

NGRAM = 4
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")


def fingerprints_path(home: Path) -> Path:
    return Path(home) / "private_fingerprints.json"


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def ngrams(tokens: list[str], n: int = NGRAM) -> list[str]:
    return [" ".join(tokens[i : i + n]) for i in range(max(0, len(tokens) - n + 1))]


def _hash(salt: str, text: str) -> str:
    return hashlib.blake2b(f"{salt}|{text}".encode(), digest_size=10).hexdigest()


def _is_secret_token(token: str) -> bool:
    """A token worth protecting on its own: has a digit, or is long and unusual."""
    return any(c.isdigit() for c in token) and len(token) >= 3 or len(token) >= 5


@dataclass
class Fingerprints:
    salt: str = field(default_factory=lambda: secrets.token_hex(8))
    note_ngrams: dict[str, list[str]] = field(default_factory=dict)  # private path -> hashed n-grams
    secret_tokens: dict[str, str] = field(default_factory=dict)  # hashed token -> private path
    public_strings: list[str] = field(default_factory=list)  # hashed normalised public PII strings

    # -- building -----------------------------------------------------------------
    @classmethod
    def build(cls, private: dict[str, str], public: dict[str, str], salt: str | None = None) -> "Fingerprints":
        fp = cls(salt=salt or secrets.token_hex(8))
        public_tokens = {t for text in public.values() for t in words(text)}
        for path, text in private.items():
            tokens = words(text)
            fp.note_ngrams[path] = sorted({_hash(fp.salt, g) for g in ngrams(tokens)})
            for token in set(tokens) - public_tokens:
                if _is_secret_token(token):
                    fp.secret_tokens[_hash(fp.salt, token)] = path
        return fp

    def add_public_strings(self, strings: list[str]) -> None:
        self.public_strings = sorted(set(self.public_strings) | {_hash(self.salt, s.lower()) for s in strings})

    # -- matching -----------------------------------------------------------------
    def ngram_overlap(self, text: str) -> dict[str, float]:
        """Per private note: share of the text's n-grams that come from that note."""
        grams = {_hash(self.salt, g) for g in ngrams(words(text))}
        if not grams:
            return {}
        out = {}
        for path, hashed in self.note_ngrams.items():
            hits = len(grams & set(hashed))
            if hits:
                out[path] = hits / len(grams)
        return out

    def ngram_hits(self, text: str) -> dict[str, int]:
        grams = {_hash(self.salt, g) for g in ngrams(words(text))}
        return {p: n for p, h in self.note_ngrams.items() if (n := len(grams & set(h)))}

    def secret_hits(self, text: str) -> list[str]:
        """Tokens of ``text`` that occur only in private notes."""
        return sorted({t for t in words(text) if _hash(self.salt, t) in self.secret_tokens})

    def is_public_string(self, value: str) -> bool:
        return _hash(self.salt, value.lower()) in set(self.public_strings)

    # -- persistence --------------------------------------------------------------
    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
        tmp.write_text(json.dumps(self.__dict__), encoding="utf-8")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> "Fingerprints":
        if not Path(path).is_file():
            return cls()
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))
