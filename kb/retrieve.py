"""Semantic search over the notes with a recency-aware rerank.

1. Fetch ``retrieval.fetch_k`` nearest chunks (cosine) with their vectors and dates.
2. Score each: ``(1 - w) * similarity + w * 0.5 ** (age_days / half_life_days)`` with
   ``w = retrieval.recency_weight``.
3. Take the top ``k``; inside that set, when two chunks from different notes conflict
   (same topic: their vectors' cosine >= ``retrieval.conflict_similarity``, and about as
   relevant: query similarity within ``retrieval.conflict_margin``), the newer note ranks
   first (it takes the older one's place and score).
4. Drop sources scoring below ``retrieval.min_score``.

With ``rerank=False`` step 2-3 are skipped: plain top-k by similarity. Everything runs on
the ~20 fetched candidates, so the rerank costs well under a millisecond.
"""

from __future__ import annotations

import re

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from graph.state import Source
from kb.store import EPOCH, NoteStore
from twin.config import Config

QUERY_CACHE = 128  # query vectors remembered per retriever (analyzer + retrieve share them)


class Retriever:
    def __init__(self, config: Config, embeddings: Embeddings, today: date | None = None):
        self.config = config
        self.embeddings = embeddings
        self.today = today  # None = the real today (tests and benchmarks pin it)
        self._store: NoteStore | None = None
        self._vectors: dict[str, list[float]] = {}

    @property
    def store(self) -> NoteStore:
        if self._store is None:
            from twin.loadtime import loading

            with loading("store"):
                self._store = NoteStore.from_config(self.config)
        return self._store

    # -- public API -----------------------------------------------------------------
    def search(self, query: str, k: int | None = None, rerank: bool = True) -> list[Source]:
        """The best chunks for ``query``, best first, as citable sources."""
        return self.search_vector(self.embed(query), k, rerank)

    def best_similarity(self, query: str) -> float:
        """Top raw cosine similarity between ``query`` and any chunk (0.0 on an empty index)."""
        found = self.store.collection.query(
            query_embeddings=[self.embed(query)], n_results=1, include=["distances"]
        )
        distances = found["distances"][0] if found["distances"] else []
        return float(1.0 - distances[0]) if distances else 0.0

    def embed(self, query: str) -> list[float]:
        if query not in self._vectors:
            if len(self._vectors) >= QUERY_CACHE:
                self._vectors.pop(next(iter(self._vectors)))
            self._vectors[query] = self.embeddings.embed_query(query)
        return self._vectors[query]

    def search_vector(self, vector: list[float], k: int | None = None, rerank: bool = True) -> list[Source]:
        r = self.config.retrieval
        k = k or r.k
        fetch = max(k, r.fetch_k) if rerank else k
        include = ["documents", "metadatas", "distances"] + (["embeddings"] if rerank else [])
        found = self.store.collection.query(query_embeddings=[vector], n_results=fetch, include=include)
        if not found["ids"] or not found["ids"][0]:
            return []
        sims = 1.0 - np.asarray(found["distances"][0], dtype=float)
        metas = found["metadatas"][0]
        if rerank:
            days = np.asarray([float(m.get("date_days", 0)) for m in metas])
            scores = self.recency_scores(sims, days)
            vectors = np.asarray(found["embeddings"][0])
            order = newer_first(_top(scores, k), vectors, days, r.conflict_similarity, sims, r.conflict_margin)
            order = superseded_by_newer(order, found["documents"][0], metas, days, sims, r.min_score)
            scores = _lift(scores, order)
        else:
            scores, order = sims, list(range(min(k, len(sims))))
        out = [_source(found["documents"][0][i], metas[i], scores[i], sims[i]) for i in order]
        return [s for s in out if s["score"] >= r.min_score]

    # -- scoring --------------------------------------------------------------------
    def recency_scores(self, sims: np.ndarray, days: np.ndarray) -> np.ndarray:
        r = self.config.retrieval
        age = np.clip(self._today_days() - days, 0.0, None)
        return (1.0 - r.recency_weight) * sims + r.recency_weight * np.power(0.5, age / r.half_life_days)

    def _today_days(self) -> float:
        return float(((self.today or date.today()) - EPOCH).days)


def _top(scores: np.ndarray, k: int) -> list[int]:
    return [int(i) for i in np.argsort(-scores, kind="stable")[:k]]


def newer_first(
    order: list[int], vectors: np.ndarray, days: np.ndarray, threshold: float,
    sims: np.ndarray | None = None, margin: float = 1.0,
) -> list[int]:
    """Move each chunk above the highest-ranked older chunk it conflicts with: same topic
    (vectors' cosine >= ``threshold``) and about as relevant (query similarity at most
    ``margin`` lower)."""
    result: list[int] = []
    for idx in order:
        place = len(result)
        for pos, other in enumerate(result):
            close = sims is None or sims[idx] >= sims[other] - margin
            if days[idx] > days[other] and close and float(vectors[idx] @ vectors[other]) >= threshold:
                place = pos
                break
        result.insert(place, idx)
    return result


_UPDATE_CUE = re.compile(
    r"\b(now called|now named|renamed|no longer|not anymore|left|moved (?:away )?from|formerly|"
    r"used to (?:be|live|work)|replaced by|switched from|quit)\b"
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_GENERIC = frozenset(
    "about after before being first local moving notes things working where which while years".split()
)


def subject_terms(meta: dict[str, Any]) -> set[str]:
    """Distinctive words of a note's title and file name ("Working at Fernwood Analytics" →
    fernwood, analytics), the words a later note uses when it updates this one."""
    words = re.findall(r"[a-z][a-z0-9]+", f"{meta.get('title', '')} {Path(str(meta.get('path', ''))).stem}".lower())
    return {w for w in words if len(w) >= 5 and w not in _GENERIC}


def mentions_update(text: str, terms: set[str]) -> bool:
    """A sentence that names one of ``terms`` next to an update cue ("now", "no longer", "left", ...)."""
    for sentence in _SENTENCE.split(text.lower()):
        if _UPDATE_CUE.search(sentence) and any(re.search(rf"\b{t}\b", sentence) for t in terms):
            return True
    return False


def superseded_by_newer(order: list[int], docs: list[str], metas: list[dict[str, Any]], days: np.ndarray,
                        sims: np.ndarray, min_sim: float) -> list[int]:
    """Put a newer note that says it updates an older top note ("Pebble is now called Cairn",
    "I left Fernwood", "I no longer live in Lisbon") right above it, keeping ``len(order)``.

    Similarity alone misses these updates: the old note matches the question's words best,
    while the note that replaces it talks about the new name, employer or city.
    """
    result = list(order)
    for old in list(order):
        terms = subject_terms(metas[old])
        if old not in result or not terms:
            continue
        candidates = [
            j for j in range(len(docs))
            if metas[j].get("path") != metas[old].get("path") and days[j] > days[old] and sims[j] >= min_sim
            and mentions_update(docs[j] or "", terms)
        ]
        if not candidates:
            continue
        best = max(candidates, key=lambda j: sims[j])
        if best in result and result.index(best) < result.index(old):
            continue
        if best in result:
            result.remove(best)
        else:  # keep the length: drop the lowest-ranked other chunk (or replace a lone old one)
            drop = next((x for x in reversed(result) if x != old), None)
            if drop is None:
                result[result.index(old)] = best
                continue
            result.remove(drop)
        result.insert(result.index(old), best)
    return result


def _lift(scores: np.ndarray, order: list[int]) -> np.ndarray:
    """Keep reported scores monotone: a promoted chunk takes the best score ranked below it."""
    lifted = scores.copy()
    best = -np.inf
    for idx in reversed(order):
        best = max(best, float(scores[idx]))
        lifted[idx] = best
    return lifted


def _source(text: str, meta: dict[str, Any], score: float, sim: float) -> Source:
    return Source(
        path=str(meta.get("path", "")), title=str(meta.get("title", "")), date=str(meta.get("date", "")),
        heading=str(meta.get("heading", "")), score=round(float(score), 4),
        similarity=round(float(sim), 4), text=text or "",
    )
