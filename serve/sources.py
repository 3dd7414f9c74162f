"""``GET /v1/sources/{id}``: a public note, read back from the index.

The index holds public notes only (private ones are fingerprinted, never indexed), so reading
from it can only ever return public text, and works the same on every replica of a shared
Chroma server. A path that looks private is refused too, as a second line of defence; either
way the caller sees the same 404 as for a note that does not exist.
"""

from __future__ import annotations

from typing import Any

from kb.notes import path_is_private
from twin.config import Config

MAX_ID_CHARS = 512


class NoteNotFound(LookupError):
    pass


class PublicNotes:
    def __init__(self, config: Config) -> None:
        self.config = config
        self._store: Any = None

    @property
    def store(self) -> Any:
        if self._store is None:
            from kb.store import NoteStore

            self._store = NoteStore.from_config(self.config)
        return self._store

    def get(self, note_id: str) -> dict[str, Any]:
        if not note_id or len(note_id) > MAX_ID_CHARS or path_is_private(note_id) or ".." in note_id.split("/"):
            raise NoteNotFound(note_id)
        got = self.store.collection.get(where={"path": note_id}, include=["documents", "metadatas"])
        chunks = sorted(zip(got["documents"] or [], got["metadatas"] or []), key=lambda c: c[1].get("position", 0))
        if not chunks:
            raise NoteNotFound(note_id)
        meta = chunks[0][1]
        sections = [{"heading": m.get("heading", ""), "text": doc} for doc, m in chunks]
        tags = [t for t in str(meta.get("tags", "")).split(",") if t]
        return {"id": note_id, "path": note_id, "title": meta.get("title", ""), "date": meta.get("date", ""),
                "tags": tags, "sections": sections}
