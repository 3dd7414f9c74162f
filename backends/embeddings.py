"""Sentence-transformers embeddings as a langchain-core ``Embeddings`` (loaded once per process).

Simple model folders run through :mod:`backends.encoder` (plain transformers, no
sentence-transformers import: seconds faster to a first vector); others through
``SentenceTransformer``. Same vectors either way."""

from __future__ import annotations

import threading
from typing import Any

from langchain_core.embeddings import Embeddings

from twin.loadtime import loading

_MODELS: dict[str, Any] = {}
_LOCK = threading.Lock()


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
        return self._encode(list(texts))

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text])[0]
