"""Sentence-transformers embeddings as a langchain-core ``Embeddings`` (loaded once per process)."""

from __future__ import annotations

import threading
from typing import Any

from langchain_core.embeddings import Embeddings

_MODELS: dict[str, Any] = {}
_LOCK = threading.Lock()


def _load(location: str) -> Any:
    with _LOCK:
        if location not in _MODELS:
            from sentence_transformers import SentenceTransformer

            from twin.offline import quiet_transformers

            quiet_transformers()
            _MODELS[location] = SentenceTransformer(location, device="cpu")
        return _MODELS[location]


class SentenceEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 by default; any sentence-transformers folder works the same."""

    def __init__(self, location: str, batch_size: int = 64) -> None:
        self.location = location
        self.batch_size = batch_size

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
