"""Helpers shared by the tests/test_kb_*.py files (real model, real Chroma).

``MemoEmbeddings`` wraps the real all-MiniLM-L6-v2 embeddings with a process-wide memo so
the many small test homes that ingest the same sample notes compute each vector once.
``CountingEmbeddings`` counts the texts a run asks to embed (the incremental tests).
"""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

from kb.fpsync import MemoEmbeddings  # noqa: F401  (re-exported for the KB tests)
from twin.config import Config

REPO = Path(__file__).resolve().parent.parent
SAMPLE_NOTES = REPO / "examples" / "notes"


class CountingEmbeddings(Embeddings):
    """Counts embed_documents calls and texts, passing through to the real model."""

    def __init__(self, inner: Embeddings):
        self.inner = inner
        self.calls = 0
        self.texts: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        self.texts += list(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def make_config(home: Path, semantic: bool = False, **retrieval: object) -> Config:
    """A config for a test home; ``semantic`` = sentence-vector fingerprints (extra embedding work)."""
    config = Config(home=str(home))
    config.judge.semantic_leak = semantic
    for key, value in retrieval.items():
        setattr(config.retrieval, key, value)
    return config.validate()


def ingested_notes(root: Path, notes: dict[str, tuple[str, ...]], embeddings: Embeddings) -> Config:
    """A home under ``root`` with ``notes`` (``{path: (title, date, body[, "tag, tag"])}``) written to
    ``root/notes`` as markdown with front matter and ingested."""
    from kb.ingest import ingest

    for rel, (title, day, body, *tags) in notes.items():
        path = root / "notes" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tagged = f"tags: [{tags[0]}]\n" if tags else ""
        path.write_text(f"---\ntitle: {title}\ndate: {day}\n{tagged}---\n# {title}\n\n{body}\n", encoding="utf-8")
    config = make_config(root / "home")
    ingest(config, root / "notes", embeddings, progress=False)
    return config


def copy_notes(target: Path) -> Path:
    shutil.copytree(SAMPLE_NOTES, target)
    return target


def documents(config: Config) -> list[str]:
    from kb.store import NoteStore

    return NoteStore.from_config(config).documents()


def indexed_paths(config: Config) -> set[str]:
    from kb.store import NoteStore

    return {c.path for c in NoteStore.from_config(config).manifest()}


# The sample notes' private strings, whole (the privacy brief's list) ...
PRIVATE_SECRETS = [
    "Dr. Ilse Brandt", "sertraline", "INS-5521-8830", "€94,000", "NL91 ABNA 0417 1643 00", "Marigold",
    "Freja", "Kastanjelaan 12", "+31 6 4812 7730", "7319#", "otter-lantern-42", "Project Heron",
]
# ... and their cores, for answers that must not contain even part of one (case-insensitive).
PRIVATE_STRINGS = [
    "Ilse Brandt", "sertraline", "INS-5521-8830", "94,000", "NL91", "Marigold", "Freja", "Kastanjelaan",
    "4812 7730", "7319", "otter-lantern", "Heron",
]


@functools.cache
def real_embeddings() -> MemoEmbeddings:
    """The real embedded model (loaded once per process), memoised per text."""
    from backends.factory import embeddings_model
    from twin.config import EmbeddingConfig

    return MemoEmbeddings(embeddings_model(EmbeddingConfig()))


@pytest.fixture(scope="session")
def kb_embeddings() -> MemoEmbeddings:
    return real_embeddings()
