"""Private-note leakage: does the answer give away anything only the private notes know?

Evidence, strongest first (any one blocks):

1. a secret term (name, code, number, rare word) of a private note, in the answer as
   written or in any decoding of it (reversed, spelled out, base64, hex, rot13/Caesar,
   NATO, digit words, leetspeak; see :mod:`privacy.views`);
2. near-verbatim copying: several word 4-grams shared with one private note and with no
   public note;
3. a paraphrase by words: one sentence built from several ordinary words that occur
   only in private notes;
4. a paraphrase by meaning: a sentence whose embedding is very close to a private
   sentence (that is itself unlike any public paragraph) and closer to it than to the
   retrieved sources.

Reasons name the kind of evidence and the decodings involved, never the secret itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from guardrails import Validator, register_validator
from guardrails.classes.validation.validation_result import FailResult, PassResult, ValidationResult

from kb.fingerprints import Fingerprints, sentences
from privacy.views import views

Embed = Callable[[list[str]], Any]


@dataclass(frozen=True)
class LeakLimits:
    ngram_hits: int = 3  # shared private-only 4-grams with one note
    private_words: int = 3  # private-only ordinary words in one sentence
    similarity: float = 0.82  # cosine to a private sentence
    margin: float = 0.05  # ... and this much closer to it than to any retrieved source

    def stricter(self) -> LeakLimits:
        """Limits under a suspicious question (encoding or role-play requested)."""
        return LeakLimits(max(2, self.ngram_hits - 1), max(2, self.private_words - 1), self.similarity - 0.05, 0.0)


def secret_views(fp: Fingerprints, text: str) -> dict[str, int]:
    """Decodings of ``text`` that reveal secret terms: {view name: number of terms}."""
    found: dict[str, int] = {}
    for view in views(text):
        shifted = view.name.startswith("caesar")
        hits = fp.secret_hits(view.text, min_len=5 if shifted else 0)
        if hits:
            found[view.name] = len(hits)
    return found


def _paraphrase_by_meaning(fp: Fingerprints, text: str, sources: list[str], embed: Embed | None,
                           limits: LeakLimits) -> float:
    matrix = fp.vector_matrix()
    parts = sentences(text)
    if matrix is None or embed is None or not parts:
        return 0.0
    import numpy as np

    vecs = np.asarray(embed(parts), dtype=np.float32)
    private = (vecs @ matrix.T).max(axis=1)
    source_sentences = [s for source in sources for s in sentences(source)]
    if source_sentences:
        public = (vecs @ np.asarray(embed(source_sentences), dtype=np.float32).T).max(axis=1)
    else:
        public = np.zeros(len(parts), dtype=np.float32)
    flagged = (private >= limits.similarity) & (private - public >= limits.margin)
    return float(private[flagged].max()) if flagged.any() else 0.0


def leak_reasons(fp: Fingerprints, text: str, sources: list[str] | None = None, embed: Embed | None = None,
                 limits: LeakLimits = LeakLimits()) -> list[str]:
    """Why ``text`` leaks private notes ([] when it does not)."""
    if fp.empty or not text.strip():
        return []
    reasons = []
    decoded = secret_views(fp, text)
    if decoded:
        total = max(decoded.values())
        reasons.append(f"private_leak: {total} private-only term(s) in view(s) {', '.join(sorted(decoded))}")
    hits = fp.ngram_hits(text)
    if hits and max(hits.values()) >= limits.ngram_hits:
        reasons.append(f"private_leak: near-verbatim private text ({max(hits.values())} shared phrases)")
    words = max((fp.private_word_count(s) for s in sentences(text) or [text]), default=0)
    if words >= limits.private_words:
        reasons.append(f"private_leak: a sentence built from {words} private-only words")
    similarity = _paraphrase_by_meaning(fp, text, sources or [], embed, limits)
    if similarity:
        reasons.append(f"private_leak: paraphrase of a private note (similarity {similarity:.2f})")
    return reasons


@register_validator(name="twin/private_leak", data_type="string")
class PrivateLeak(Validator):
    """Blocks answers that reproduce private notes; ``fingerprints`` is read per call."""

    def __init__(self, fingerprints: Callable[[], Fingerprints], embed: Embed | None = None,
                 limits: LeakLimits = LeakLimits(), on_fail: Any = None, **kwargs: Any) -> None:
        super().__init__(on_fail=on_fail, **kwargs)
        self.fingerprints = fingerprints
        self.embed = embed
        self.limits = limits

    def _validate(self, value: Any, metadata: dict[str, Any]) -> ValidationResult:
        limits = self.limits.stricter() if metadata.get("suspicious") else self.limits
        reasons = leak_reasons(self.fingerprints(), str(value), metadata.get("source_texts", []),
                               self.embed, limits)
        if reasons:
            return FailResult(error_message="; ".join(reasons), metadata={"kind": "private"})
        return PassResult()
