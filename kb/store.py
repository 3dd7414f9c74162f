"""The vector store: a langchain-chroma ``Chroma`` over an embedded or remote Chroma.

Embedded (default): ``chromadb.PersistentClient`` under ``<home>/chroma``. Scale-out:
``retrieval.chroma_url = "http://HOST:PORT"`` uses ``chromadb.HttpClient``. The collection
uses cosine space; telemetry is off. Ingest writes vectors it computed itself (so the
embedded text can carry the title/heading while the stored document is the chunk text);
retrieval queries the underlying collection directly for distances *and* vectors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from langchain_core.embeddings import Embeddings

from kb.chunking import Chunk

EPOCH = date(1970, 1, 1)
PAGE = 2000  # ids per get/delete call (well under Chroma's max batch size)


class StoreError(RuntimeError):
    """The store cannot be opened or used; the message says what to do."""


@dataclass
class StoredChunk:
    """What ingest needs to know about a chunk already in the index."""

    id: str
    path: str
    hash: str  # content hash of the embedded text
    meta: str  # hash of the metadata that can change without the embedded text (the date)
    model: str  # embedding model label the vector came from
    source: str = ""  # label of the notes folder ("" = stored before sources existed)


def epoch_days(iso: str) -> int:
    try:
        return (date.fromisoformat(iso) - EPOCH).days
    except ValueError:
        return 0


def chunk_metadata(chunk: Chunk, digest: str, meta: str, model: str) -> dict[str, Any]:
    return {
        "path": chunk.note_path, "title": chunk.title, "date": chunk.date,
        "date_days": epoch_days(chunk.date), "heading": chunk.heading, "position": chunk.position,
        "hash": digest, "meta": meta, "model": model, "tags": ",".join(chunk.tags), "source": chunk.source,
    }


def make_client(chroma_url: str, home: Path) -> Any:
    import chromadb
    from chromadb import Settings

    settings = Settings(anonymized_telemetry=False)
    if chroma_url:
        url = urlparse(chroma_url)
        if not url.hostname:
            raise StoreError(f"retrieval.chroma_url {chroma_url!r} must look like http://HOST:PORT")
        port = url.port or (443 if url.scheme == "https" else 8000)
        try:
            return chromadb.HttpClient(
                host=url.hostname, port=port, ssl=url.scheme == "https", settings=settings,
            )
        except Exception as exc:  # chromadb raises plain ValueError/ConnectionError here
            raise StoreError(
                f"cannot reach the Chroma server at {chroma_url} ({exc}); start it with "
                f"`chroma run --path DIR --port {port}` or unset retrieval.chroma_url"
            ) from exc
    path = Path(home) / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


class NoteStore:
    """One Chroma collection of note chunks."""

    def __init__(self, chroma_url: str, home: Path, collection: str, embeddings: Embeddings | None = None):
        from langchain_chroma import Chroma

        self.where = chroma_url or str(Path(home) / "chroma")
        client = make_client(chroma_url, home)
        try:
            self.vectorstore = Chroma(
                collection_name=collection, embedding_function=embeddings, client=client,
                collection_configuration={"hnsw": {"space": "cosine"}},
            )
        except Exception as exc:
            raise StoreError(f"cannot open collection {collection!r} at {self.where}: {exc}") from exc
        self.collection = self.vectorstore._collection
        self._check_space()

    @classmethod
    def from_config(cls, config: Any, embeddings: Embeddings | None = None) -> NoteStore:
        r = config.retrieval
        return cls(r.chroma_url, config.home_path, r.collection, embeddings)

    def _check_space(self) -> None:
        space = ((self.collection.configuration or {}).get("hnsw") or {}).get("space", "cosine")
        if space != "cosine":
            raise StoreError(
                f"collection {self.collection.name!r} at {self.where} uses {space!r} distance, not cosine; "
                "pick another retrieval.collection or delete that collection"
            )

    # -- reading ------------------------------------------------------------------
    def count(self) -> int:
        return self.collection.count()

    def manifest(self, where: dict | None = None) -> list[StoredChunk]:
        """Id, path and hashes of every stored chunk (optionally filtered)."""
        out: list[StoredChunk] = []
        offset = 0
        while True:
            page = self.collection.get(where=where, include=["metadatas"], limit=PAGE * 5, offset=offset)
            for cid, meta in zip(page["ids"], page["metadatas"] or []):
                meta = meta or {}
                out.append(StoredChunk(
                    cid, str(meta.get("path", "")), str(meta.get("hash", "")),
                    str(meta.get("meta", "")), str(meta.get("model", "")), str(meta.get("source", "")),
                ))
            if len(page["ids"]) < PAGE * 5:
                return out
            offset += len(page["ids"])

    def vectors(self, ids: list[str]) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        for batch in _pages(ids):
            got = self.collection.get(ids=batch, include=["embeddings"])
            for cid, vec in zip(got["ids"], got["embeddings"]):
                out[cid] = [float(x) for x in vec]
        return out

    def documents(self) -> list[str]:
        return list(self.collection.get(include=["documents"])["documents"] or [])

    # -- writing ------------------------------------------------------------------
    def delete_where(self, where: dict) -> None:
        self.delete([s.id for s in self.manifest(where=where)])

    def delete(self, ids: Iterable[str]) -> None:
        for batch in _pages(list(ids)):
            self.collection.delete(ids=batch)

    def upsert(self, ids: list[str], vectors: list[list[float]], texts: list[str], metadatas: list[dict]) -> None:
        for start in range(0, len(ids), PAGE):
            end = start + PAGE
            try:
                self.collection.upsert(
                    ids=ids[start:end], embeddings=vectors[start:end],
                    documents=texts[start:end], metadatas=metadatas[start:end],
                )
            except Exception as exc:
                if "dimension" not in str(exc).lower():
                    raise
                raise StoreError(
                    f"collection {self.collection.name!r} at {self.where} holds vectors of another size "
                    "(made with a different embedding model); set a new retrieval.collection or delete it"
                ) from exc

    def update_metadata(self, ids: list[str], metadatas: list[dict]) -> None:
        for start in range(0, len(ids), PAGE):
            self.collection.update(ids=ids[start : start + PAGE], metadatas=metadatas[start : start + PAGE])


def _pages(ids: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), PAGE):
        yield ids[start : start + PAGE]
