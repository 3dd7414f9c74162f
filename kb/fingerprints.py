"""Fingerprints of private notes: what the judge needs to block leaks, without their text.

Private notes never enter the retrievable index. Instead ingest stores, per private note,
salted hashes of what would give it away:

- **secret terms**: names, codes, numbers and rare words that occur only in private notes
  ("Freja", "sertraline", "7319", "otterlantern42"); one of them in an answer (in any
  decoding, see :mod:`privacy.views`) is a leak;
- **digit strings** of private-only numbers (phone numbers, IBANs, amounts), matched
  whatever separators or spelling the answer uses;
- **word 4-grams** of each private note that public notes do not share (near-verbatim
  copying);
- **private-only words**: ordinary words found only in private notes; several of them in
  one sentence mean a paraphrase of private matter;
- optionally **sentence vectors** of private sentences that are unlike anything public
  (paraphrase by meaning), when ingest passes an embeddings model.

Hashes of PII-looking strings that *do* appear in public notes are kept too, so the
owner's public email can be shared while other PII is redacted.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from kb.cues import SENTENCE_BREAK
from privacy import lexicon
from privacy.pii_patterns import find_pii
from privacy.views import fold

VERSION = 5  # 3: public front matter counts as public; bare years are never secret; 4: nor round numbers;
# 5: notes are named by a salted hash of their path (4 kept private file names in plain text)
NGRAM = 4
MIN_DIGITS = 3  # private-only numbers with at least this many digits are secrets
MAX_WINDOW = 5  # tokens joined when looking for compact secrets ("otter lantern 42")
PUBLIC_SIMILAR = 0.72  # private sentences this close to a public paragraph are not distinctive

_TOKEN = re.compile(r"[a-z0-9]+")
_DIGIT_RUN = re.compile(r"\d+(?:[ .,/-]\d+)*")
_COMPOUND = re.compile(r"[a-z0-9]+(?:[-_./'][a-z0-9]+)+")
_ORDINAL_OR_UNIT = re.compile(r"\d+(?:st|nd|rd|th|s|mg|g|kg|km|m|cm|mm|h|min|k|x|am|pm|c|f|gb|mb|kb|ms)")


def fingerprints_path(home: Path) -> Path:
    return Path(home) / "private_fingerprints.json"


def words(text: str) -> list[str]:
    """Lower-cased alphanumeric tokens of the Unicode-folded text."""
    return _TOKEN.findall(fold(text).lower())


def ngrams(tokens: list[str], n: int = NGRAM) -> list[str]:
    return [" ".join(tokens[i : i + n]) for i in range(max(0, len(tokens) - n + 1))]


def stem(word: str) -> str:
    for suffix in ("ies", "es", "s", "ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def digit_strings(text: str) -> set[str]:
    """Each number's digits, its groups and adjacent groups joined ("+31 6 4812" → 316…)."""
    out: set[str] = set()
    for run in _DIGIT_RUN.finditer(text):
        groups = re.findall(r"\d+", run.group(0))
        for i in range(len(groups)):
            for j in range(i + 1, len(groups) + 1):
                joined = "".join(groups[i:j])
                if len(joined) >= (MIN_DIGITS if j - i == 1 else MIN_DIGITS + 2):
                    out.add(joined)
    for m in re.finditer(r"(\d+)\s?k\b", text.lower()):  # "94k"
        out.add(m.group(1) + "000")
    return out


def compacts(tokens: list[str], max_window: int = MAX_WINDOW) -> set[str]:
    """Adjacent tokens glued together: "otter lantern 42" → "otterlantern42" (and shorter)."""
    return {
        "".join(tokens[i : i + n]) for n in range(2, max_window + 1) for i in range(len(tokens) - n + 1)
    }


def sentences(text: str) -> list[str]:
    return [s.strip(" -*#>") for s in SENTENCE_BREAK.split(text) if len(s.split()) >= 4]


def _hash(salt: str, text: str) -> str:
    return hashlib.blake2b(f"{salt}|{text}".encode(), digest_size=10).hexdigest()


_YEAR = re.compile(r"(?:19|20)\d\d")
_ROUND = re.compile(r"[1-9]0{1,2}|0+")  # 100, 500, the "000" of "3,000": any text has them (7000, 90000 stay secret)


def _strip_front_matter(text: str) -> str:
    return re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)


@dataclass
class TermAnalysis:
    """Plain-text analysis of private vs public notes (never stored; see ``Fingerprints``)."""

    secret_terms: dict[str, str]  # term -> private path (lower-case; names too)
    case_names: set[str]  # secret terms that only count when capitalised (common words)
    digits: dict[str, str]  # private-only digit string -> path
    compact: dict[str, str]  # glued compounds/names -> path
    private_words: set[str]  # stems of ordinary private-only words


def analyse_terms(private: dict[str, str], public: dict[str, str]) -> TermAnalysis:
    """Which strings occur only in private notes, and which of those are secrets."""
    public_text = "\n".join(_strip_front_matter(t) for t in public.values())
    public_tokens = set(words(public_text))
    public_stems = {stem(t) for t in public_tokens}
    # a public note's front matter (title, date) is shown with every answer that cites it
    public_digits = digit_strings(fold("\n".join(public.values())))
    public_compacts = compacts(words(public_text), 3)
    out = TermAnalysis({}, set(), {}, {}, set())
    for path, raw in sorted(private.items()):
        text = _strip_front_matter(raw)
        folded = fold(text)
        names = lexicon.mid_sentence_capitals(folded)
        tokens = words(text)
        for token in set(tokens) - public_tokens:
            kind = _secret_kind(token, names)
            if kind == "name-cased":
                out.case_names.add(token)
            if kind:
                out.secret_terms.setdefault(token, path)
            elif stem(token) not in public_stems and token not in lexicon.STOPWORDS and len(token) >= 4 \
                    and not token.isdigit() and token not in lexicon.CALENDAR_AND_TITLES \
                    and not lexicon.is_very_common(token):
                out.private_words.add(stem(token))
        for digits in digit_strings(folded) - public_digits:
            # "in August 2024" gives nothing away, nor "100 a month" ("100 degrees Celsius" was refused)
            if not _YEAR.fullmatch(digits) and not _ROUND.fullmatch(digits):
                out.digits.setdefault(digits, path)
        for compound in _COMPOUND.findall(folded.lower()):
            glued = re.sub(r"[^a-z0-9]", "", compound)
            if glued not in public_tokens and glued not in public_compacts and _has_secret_part(compound, out):
                out.compact.setdefault(glued, path)
        for glued in _name_sequences(folded, out) - public_compacts:
            out.compact.setdefault(glued, path)
    return out


def _secret_kind(token: str, names: set[str]) -> str:
    """'' (not a secret), 'code', 'rare', 'name' or 'name-cased' (needs a capital to count)."""
    if any(c.isdigit() for c in token):
        if token.isdigit() or _ORDINAL_OR_UNIT.fullmatch(token) or len(token) < MIN_DIGITS:
            return ""  # plain numbers are guarded as digit strings; "25th", "50mg" are not codes
        return "code"
    if len(token) < 4 or token in lexicon.STOPWORDS or token in lexicon.CALENDAR_AND_TITLES:
        return ""
    if not lexicon.is_common_word(token):
        return "rare"
    if token in names:
        return "name-cased" if lexicon.is_frequent(token) else "name"
    return ""


def _has_secret_part(compound: str, analysis: TermAnalysis) -> bool:
    parts = re.split(r"[^a-z0-9]", compound)
    return any(p in analysis.secret_terms or p in analysis.digits or any(c.isdigit() for c in p) for p in parts)


def _name_sequences(text: str, analysis: TermAnalysis) -> set[str]:
    """Glued runs of capitalised words containing a secret name ("Ilse Brandt", "Project Heron")."""
    out = set()
    for m in re.finditer(r"[A-Z][A-Za-z]+(?:[ ]+[A-Z][A-Za-z]+)+", text):
        parts = [p.lower() for p in m.group(0).split()]
        if any(p in analysis.secret_terms for p in parts):
            out.add("".join(parts))
    return out


@dataclass
class Fingerprints:
    salt: str = field(default_factory=lambda: secrets.token_hex(8))
    version: int = VERSION
    note_ngrams: dict[str, list[str]] = field(default_factory=dict)  # note key -> hashed n-grams
    secret_tokens: dict[str, str] = field(default_factory=dict)  # hashed term -> note key
    case_tokens: list[str] = field(default_factory=list)  # hashed terms that need a capital
    secret_digits: dict[str, str] = field(default_factory=dict)  # hashed digit string -> note key
    secret_compacts: dict[str, str] = field(default_factory=dict)  # hashed glued string -> note key
    private_words: list[str] = field(default_factory=list)  # hashed stems
    public_strings: list[str] = field(default_factory=list)  # hashed normalised public PII strings
    vectors: list[str] = field(default_factory=list)  # base64 float16 sentence vectors (optional)
    vector_paths: list[str] = field(default_factory=list)  # note key of each vector

    # -- building -----------------------------------------------------------------
    @classmethod
    def build(cls, private: dict[str, str], public: dict[str, str], salt: str | None = None,
              embeddings: Any = None) -> Fingerprints:
        """Fingerprint ``private`` notes ({path: text}) against ``public`` ones.

        ``embeddings`` (a langchain-core ``Embeddings``) adds sentence vectors so the judge
        can also catch paraphrases by meaning; without it only string evidence is kept.
        """
        fp = cls(salt=salt or secrets.token_hex(8))
        h, key = fp._h, fp.note_key
        analysis = analyse_terms(private, public)
        public_grams = {g for t in public.values() for g in ngrams(words(_strip_front_matter(t)))}
        for path, text in sorted(private.items()):
            grams = set(ngrams(words(_strip_front_matter(text)))) - public_grams
            fp.note_ngrams[key(path)] = sorted(h(g) for g in grams if _content_words(g.split()) >= 2)
        fp.secret_tokens = {h(t): key(p) for t, p in analysis.secret_terms.items()}
        fp.case_tokens = sorted(h(t) for t in analysis.case_names)
        fp.secret_digits = {h(d): key(p) for d, p in analysis.digits.items()}
        fp.secret_compacts = {h(c): key(p) for c, p in analysis.compact.items()}
        fp.private_words = sorted(h(w) for w in analysis.private_words)

        fp.add_public_strings([m.value for t in public.values() for m in find_pii(t)])
        if embeddings is not None:
            fp._add_vectors(private, public, embeddings)
        return fp

    def _add_vectors(self, private: dict[str, str], public: dict[str, str], embeddings: Any) -> None:
        import numpy as np

        pairs = [(p, s) for p, t in sorted(private.items()) for s in sentences(_strip_front_matter(t))]
        paragraphs = [para for t in public.values() for para in _strip_front_matter(t).split("\n\n")
                      if len(para.split()) >= 4]
        if not pairs:
            return
        priv = np.asarray(embeddings.embed_documents([s for _, s in pairs]), dtype=np.float32)
        if paragraphs:
            pub = np.asarray(embeddings.embed_documents(paragraphs), dtype=np.float32)
            keep = (priv @ pub.T).max(axis=1) < PUBLIC_SIMILAR
        else:
            keep = np.ones(len(pairs), dtype=bool)
        self.vectors = [base64.b64encode(v.astype(np.float16).tobytes()).decode() for v in priv[keep]]
        self.vector_paths = [self.note_key(p) for (p, _), k in zip(pairs, keep) if k]

    def add_public_strings(self, strings: Iterable[str]) -> None:
        self.public_strings = sorted(set(self.public_strings) | {self._h(normalise_pii(s)) for s in strings})
        self.__dict__.pop("_pub_cache", None)

    def _h(self, text: str) -> str:
        return _hash(self.salt, text)

    def note_key(self, path: str) -> str:
        """How the file names a private note: a salted hash of its path, never the path (a
        file name such as ``private/divorce-lawyer.md`` tells as much as the note)."""
        return self._h(f"note:{path}")

    # -- matching -----------------------------------------------------------------
    @property
    def empty(self) -> bool:
        return not (self.secret_tokens or self.note_ngrams or self.secret_digits)

    def secret_hits(self, text: str, min_len: int = 0) -> list[str]:
        """Hashes of secret terms, numbers and glued strings found in ``text``."""
        h = self._h
        hits = []
        cased = self._case_set
        for m in re.finditer(r"[A-Za-z0-9]+", text):
            token = m.group(0)
            low = token.lower()
            if len(low) < min_len:
                continue
            key = h(low)
            if key in self.secret_tokens and (key not in cased or token[0].isupper()):
                hits.append(key)
        tokens = _TOKEN.findall(text.lower())
        for glued in set(tokens) | compacts(tokens):
            if len(glued) >= max(min_len, 4) and (key := h(glued)) in self.secret_compacts:
                hits.append(key)
        for digits in digit_strings(text):
            if (key := h(digits)) in self.secret_digits:
                hits.append(key)
        return sorted(set(hits))

    @property
    def _case_set(self) -> set[str]:
        cached = self.__dict__.get("_case_cache")
        if cached is None:
            cached = self.__dict__["_case_cache"] = set(self.case_tokens)
        return cached

    def ngram_hits(self, text: str) -> dict[str, int]:
        grams = {self._h(g) for g in ngrams(words(text))}
        return {p: n for p, hashed in self._ngram_sets.items() if (n := len(grams & hashed))}

    @property
    def _ngram_sets(self) -> dict[str, set[str]]:
        cached = self.__dict__.get("_ngram_cache")
        if cached is None:
            cached = self.__dict__["_ngram_cache"] = {p: set(h) for p, h in self.note_ngrams.items()}
        return cached

    def private_word_count(self, sentence: str) -> int:
        """Distinct ordinary private-only words in one sentence."""
        hashed = self.__dict__.get("_pw_cache")
        if hashed is None:
            hashed = self.__dict__["_pw_cache"] = set(self.private_words)
        return len({w for w in words(sentence) if self._h(stem(w)) in hashed})

    def vector_matrix(self) -> Any:
        """Private sentence vectors as a float32 matrix (rows), or None."""
        if not self.vectors:
            return None
        cached = self.__dict__.get("_vec_cache")
        if cached is None:
            import numpy as np

            rows = [np.frombuffer(base64.b64decode(v), dtype=np.float16) for v in self.vectors]
            cached = self.__dict__["_vec_cache"] = np.stack(rows).astype(np.float32)
        return cached

    def is_public_string(self, value: str) -> bool:
        cached = self.__dict__.get("_pub_cache")
        if cached is None:
            cached = self.__dict__["_pub_cache"] = set(self.public_strings)
        return self._h(normalise_pii(value)) in cached

    # -- persistence --------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def save(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
        tmp.write_text(json.dumps(self.to_dict()), encoding="utf-8")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> Fingerprints:
        """Read fingerprints; a missing file gives empty ones (no private notes yet)."""
        path = Path(path)
        if not path.is_file():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} is corrupt ({exc}); run `twin ingest` again to rebuild it") from exc
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def normalise_pii(value: str) -> str:
    """Emails lower-cased; phone/IBAN/card-like strings reduced to letters and digits."""
    value = fold(value).strip().lower()
    value = re.sub(r"\s*[(\[]at[)\]]\s*", "@", value)
    value = re.sub(r"\s*[(\[]dot[)\]]\s*", ".", value)
    if "@" in value:
        return re.sub(r"\s+", "", value)
    return re.sub(r"[^a-z0-9]", "", value)


def _content_words(tokens: list[str]) -> int:
    return sum(t not in lexicon.STOPWORDS for t in tokens)
