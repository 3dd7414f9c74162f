"""Sentence-transformers embeddings as a langchain-core ``Embeddings`` (loaded once per process).

Simple model folders run through :mod:`backends.encoder` (plain transformers, no
sentence-transformers import: seconds faster to a first vector); others through
``SentenceTransformer``. Same vectors either way.

Single texts (a question, as the router, the note evidence, the retriever and the
evidence-sentence scoring each ask for it) are remembered per model in one process-wide
cache keyed by the text (:data:`QUERY_CACHE` entries, least recently used dropped), so a
turn embeds its question once. A one-text ``embed_documents`` call is the same
computation as ``embed_query`` and shares the cache; batches are never cached."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from langchain_core.embeddings import Embeddings

from twin.loadtime import loading

_MODELS: dict[str, Any] = {}
_LOCK = threading.Lock()
QUERY_CACHE = 256  # single-text vectors remembered per process (all models together)


class TextVectors:
    """``(model location, text) -> vector``, least recently used dropped; thread-safe."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str], tuple[float, ...]] = OrderedDict()
        self._lock = threading.Lock()
        self.computed = 0  # vectors computed through the cache (misses)

    def get(self, location: str, text: str, compute: Any) -> list[float]:
        key = (location, text)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return list(found)
        vector = tuple(compute(text))  # outside the lock: another thread's text need not wait
        with self._lock:
            self.computed += 1
            self._items[key] = vector
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return list(vector)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


TEXT_VECTORS = TextVectors(QUERY_CACHE)


def _load(location: str) -> Any:
    model = _MODELS.get(location)
    if model is not None:
        return model

    with loading("embeddings"), _LOCK:  # a wait for another thread's load counts as load time
        if location not in _MODELS:
            from backends.encoder import load_encoder
            from twin.offline import quiet_transformers

            quiet_transformers()
            _MODELS[location] = load_encoder(location)
        return _MODELS[location]


class SentenceEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 by default; any sentence-transformers folder works the same."""

    def __init__(self, location: str, batch_size: int = 64) -> None:
        self.location = location
        self.batch_size = batch_size

    @property
    def cache_identity(self) -> str | None:
        """Which weights these are (for vectors cached on disk; see :mod:`backends.vector_cache`)."""
        from backends.vector_cache import model_identity

        return model_identity(self.location)

    @property
    def model(self) -> Any:
        return _load(self.location)

    def _encode(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self.model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True,
            show_progress_bar=False, convert_to_numpy=True,
        )
        return vectors.tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        texts = list(texts)
        if len(texts) == 1:  # the same computation as embed_query: share its cache
            return [self.embed_query(texts[0])]
        return self._encode(texts)

    def embed_query(self, text: str) -> list[float]:
        return TEXT_VECTORS.get(self.location, text, lambda t: self._encode([t])[0])
