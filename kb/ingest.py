"""Ingest a notes folder into the vector store: incremental, crash-safe, private-safe.

The index is its own ledger: every run reads the ids and content hashes already in
Chroma, computes the chunks the folder should produce, and applies the difference
(delete stale ids, update changed metadata, add missing ids). A chunk whose content
already has a vector (unchanged, moved inside the note, or renamed file) reuses it
instead of being embedded again. Because ids are deterministic and writes are upserts,
a run killed at any point leaves an index the next run repairs: no duplicates, no
orphans. Deletes run first, so a note that just became private leaves the index before
anything else happens. Private notes are never embedded; their fingerprints are saved.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from langchain_core.embeddings import Embeddings

from kb.chunking import Chunk, chunk_note, content_hash
from kb.fpsync import FingerprintSync
from kb.gitdates import git_dates
from kb.notes import IGNORE_FILE, Note, Skip, has_bad_name, is_candidate, load_ignore, read_files, walk_notes
from kb.state import ingest_lock, save_state
from kb.store import NoteStore, StoredChunk, chunk_metadata
from twin.config import Config

EMBED_BATCH = 128  # chunks per embed + upsert step (one progress tick)
FINGERPRINT_DELAY_S = 2.0  # per-path updates: rebuild fingerprints once saves pause this long


class IngestError(ValueError):
    """The run cannot start (e.g. the notes folder is missing); worded for the user."""


@dataclass
class IngestReport:
    notes_dir: str
    added: int = 0  # notes newly in the index
    updated: int = 0  # notes whose chunks or metadata changed
    deleted: int = 0  # notes removed (deleted, renamed away, now private or unreadable)
    unchanged: int = 0
    skipped: int = 0
    private: int = 0  # private notes seen (fingerprinted, never indexed)
    chunks_embedded: int = 0
    chunks_reused: int = 0  # new ids whose vector was copied from identical content
    chunks_deleted: int = 0
    chunks_total: int = 0  # chunks in the index after the run
    seconds: float = 0.0
    skips: list[Skip] = field(default_factory=list)
    warnings: list[Skip] = field(default_factory=list)  # indexed, but something was off (path, what)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deleted)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def counts(self) -> dict[str, Any]:
        return {k: v for k, v in self.to_dict().items() if k not in ("skips", "warnings")}


@dataclass
class NoteText:
    """What fingerprinting needs of a note, kept between watch updates."""

    private: bool
    text: str


@dataclass
class Planned:
    chunk: Chunk
    digest: str
    meta: str
    metadata: dict[str, Any]


@dataclass
class Plan:
    delete: list[str]
    embed: list[Planned]  # missing, changed, or from another embedding model
    reuse: dict[str, str]  # new id -> stored id holding a vector for the same content
    meta: list[Planned]  # same vector, new metadata (the note's date)
    old_paths: set[str]
    new_paths: set[str]
    changed_paths: set[str]


def _meta_hash(note: Note) -> str:
    return hashlib.sha1(note.date.encode()).hexdigest()[:12]


class Ingestor:
    """Keeps one notes folder in sync with the store (full runs and per-path updates)."""

    def __init__(
        self, config: Config, notes_dir: Path, embeddings: Embeddings, progress: bool = True,
        on_fingerprint_error: Callable[[Exception], None] | None = None,
        on_wait: Callable[[str], None] | None = None,
    ):
        self.config = config
        self.on_wait = on_wait  # told what the run waits for (kb.lock held by another ingest); None = stderr
        self.notes_dir = check_notes_dir(notes_dir)
        self.embeddings = embeddings
        self.progress = progress
        self.home = config.home_path
        self.model = config.embeddings.model or "embedded"
        self.store = NoteStore.from_config(config)
        self.texts: dict[str, NoteText] = {}
        self.indexed: set[str] = set()  # note paths in the index after the last run
        self.git: dict[str, str] = {}
        self.synced = False  # a full run happened (texts/indexed are complete)
        semantic = embeddings if config.judge.semantic_leak else None  # sentence vectors for the judge
        self.fingerprints = FingerprintSync(self.home, semantic, on_error=on_fingerprint_error)

    # -- entry points ---------------------------------------------------------------
    def run(self) -> IngestReport:
        """Sync the whole folder."""
        start = time.perf_counter()
        with ingest_lock(self.home, self.on_wait):
            walked = walk_notes(self.notes_dir)
            self.git = git_dates(self.notes_dir)
            notes, skips = read_files(self.notes_dir, walked.files, self.config.kb, self.git)
            self.texts = {n.path: _note_text(n) for n in notes}
            self._submit_fingerprints()  # built in the background while chunks embed
            report = self._apply(notes, self.store.manifest(), walked.skips + skips, None)
            self.synced = True
            self.fingerprints.wait()
            if self.fingerprints.error is not None:
                raise IngestError(f"could not save private fingerprints: {self.fingerprints.error}")
        return self._finish(report, start)

    def update(self, changed: Iterable[Path]) -> IngestReport:
        """Sync only these paths (files or folders; created, modified, deleted or renamed)."""
        changed = [Path(p) for p in changed]
        if not self.synced or any(p.name == IGNORE_FILE for p in changed):
            return self.run()
        start = time.perf_counter()
        with ingest_lock(self.home, self.on_wait):
            rels, files, skips = self._affected(changed)
            notes, read_skips = read_files(self.notes_dir, files, self.config.kb, self.git)
            for rel in rels:
                self.texts.pop(rel, None)
            self.texts.update({n.path: _note_text(n) for n in notes})
            rels = {r for r in rels if not has_bad_name(r)}  # never indexed: not valid UTF-8
            existing = self.store.manifest(where={"path": {"$in": sorted(rels)}}) if rels else []
            report = self._apply(notes, existing, skips + read_skips, rels)
            self._submit_fingerprints(FINGERPRINT_DELAY_S)  # after the index: searchable first
        return self._finish(report, start)

    # -- planning -------------------------------------------------------------------
    def _affected(self, changed: list[Path]) -> tuple[set[str], list[Path], list[Skip]]:
        spec = load_ignore(self.notes_dir)
        rels: set[str] = set()
        files: list[Path] = []
        skips: list[Skip] = []
        known = self.indexed | set(self.texts)
        for path in changed:
            rel = _lexical_rel(path, self.notes_dir) if path.is_absolute() else path.as_posix()
            if rel is None or rel in ("", "."):
                continue
            rels |= {k for k in known if k.startswith(rel + "/")}
            full = self.notes_dir / rel
            if full.is_dir():
                walked = walk_notes(self.notes_dir, full)
                files += walked.files
                skips += walked.skips
                rels |= {f.relative_to(self.notes_dir).as_posix() for f in walked.files}
            else:
                rels.add(rel)
                if is_candidate(rel, spec) and (full.exists() or full.is_symlink()):
                    files.append(full)
        return rels, sorted(set(files)), skips

    def _chunks(self, notes: list[Note], skips: list[Skip]) -> dict[str, Planned]:
        desired: dict[str, Planned] = {}
        for note in notes:
            if note.private:
                continue
            chunks = chunk_note(note, self.config.kb.chunk_chars)
            if not chunks:
                skips.append(Skip(note.path, "nothing to index (only headings)"))
                continue
            meta = _meta_hash(note)
            for chunk in chunks:
                digest = content_hash(chunk.embed_text)
                metadata = chunk_metadata(chunk, digest, meta, self.model)
                desired[chunk.id] = Planned(chunk, digest, meta, metadata)
        return desired

    def _plan(self, desired: dict[str, Planned], existing: list[StoredChunk]) -> Plan:
        old = {s.id: s for s in existing}
        delete = [cid for cid in old if cid not in desired]
        embed: list[Planned] = []
        meta: list[Planned] = []
        for cid, planned in desired.items():
            stored = old.get(cid)
            if stored is None or stored.hash != planned.digest or stored.model != self.model:
                embed.append(planned)
            elif stored.meta != planned.meta:
                meta.append(planned)
        by_hash = {s.hash: s.id for s in existing if s.model == self.model}
        reuse = {p.chunk.id: by_hash[p.digest] for p in embed if p.digest in by_hash}
        changed = {old[c].path for c in delete} | {p.chunk.note_path for p in embed + meta}
        return Plan(
            delete, embed, reuse, meta, {s.path for s in existing},
            {p.chunk.note_path for p in desired.values()}, changed,
        )

    # -- applying -------------------------------------------------------------------
    def _apply(
        self, notes: list[Note], existing: list[StoredChunk], skips: list[Skip], scope: set[str] | None
    ) -> IngestReport:
        desired = self._chunks(notes, skips)
        plan = self._plan(desired, existing)
        reused = self.store.vectors(sorted(set(plan.reuse.values())))
        self.store.delete(plan.delete)
        if plan.meta:
            self.store.update_metadata([p.chunk.id for p in plan.meta], [p.metadata for p in plan.meta])
        copied = [p for p in plan.embed if plan.reuse.get(p.chunk.id) in reused]
        self._write(copied, [reused[plan.reuse[p.chunk.id]] for p in copied])
        fresh = [p for p in plan.embed if plan.reuse.get(p.chunk.id) not in reused]
        self._embed_all(fresh)
        self.indexed = plan.new_paths if scope is None else (self.indexed - scope) | plan.new_paths
        both = plan.old_paths & plan.new_paths
        return IngestReport(
            notes_dir=str(self.notes_dir), added=len(plan.new_paths - plan.old_paths),
            updated=len(both & plan.changed_paths), deleted=len(plan.old_paths - plan.new_paths),
            unchanged=len(both - plan.changed_paths), skipped=len(skips),
            private=sum(1 for n in notes if n.private), chunks_embedded=len(fresh),
            chunks_reused=len(copied), chunks_deleted=len(plan.delete), skips=skips,
            warnings=[Skip(n.path, w) for n in notes for w in n.warnings],
        )

    def _write(self, planned: list[Planned], vectors: list[list[float]]) -> None:
        if planned:
            self.store.upsert(
                [p.chunk.id for p in planned], vectors, [p.chunk.text for p in planned],
                [p.metadata for p in planned],
            )

    def _embed_all(self, planned: list[Planned]) -> None:
        """Embed in length-sorted batches (less padding), writing each batch as it is done."""
        planned = sorted(planned, key=lambda p: len(p.chunk.embed_text))
        batches = [planned[i : i + EMBED_BATCH] for i in range(0, len(planned), EMBED_BATCH)]
        with _progress(self.progress and bool(planned), len(planned)) as tick:
            for batch in batches:
                vectors = self.embeddings.embed_documents([p.chunk.embed_text for p in batch])
                self._write(batch, vectors)
                tick(len(batch))

    def _submit_fingerprints(self, delay: float = 0.0) -> None:
        private = {p: t.text for p, t in self.texts.items() if t.private}
        public = {p: t.text for p, t in self.texts.items() if not t.private}
        self.fingerprints.submit(private, public, delay)

    def _finish(self, report: IngestReport, start: float) -> IngestReport:
        report.chunks_total = self.store.count()
        report.seconds = round(time.perf_counter() - start, 3)
        save_state(self.home, self.notes_dir, self.store.where, self.config.retrieval.collection, report.counts())
        return report


def _note_text(note: Note) -> NoteText:
    """The body, plus the title when the body does not already carry it (front matter title)."""
    text = note.body if note.title in note.body else f"# {note.title}\n\n{note.body}"
    return NoteText(note.private, text)


def _lexical_rel(path: Path, root: Path) -> str | None:
    """``path`` relative to ``root`` without resolving symlinks (it may no longer exist)."""
    try:
        return Path(os.path.normpath(path)).relative_to(root).as_posix()
    except ValueError:
        return None


def check_notes_dir(notes_dir: Path | str) -> Path:
    path = Path(notes_dir).expanduser()
    if not path.exists():
        raise IngestError(f"notes folder not found: {path.absolute()}")
    if not path.is_dir():
        raise IngestError(f"not a folder: {path.absolute()} (give the folder that holds your notes)")
    return path.resolve()


@contextmanager
def _progress(enabled: bool, total: int) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr (yields ``advance(n)``), or nothing."""
    if not enabled:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("embedding"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("embed", total=total)
        yield lambda n: bar.advance(task, n)


def ingest(config: Config, notes_dir: Path, embeddings: Embeddings, progress: bool = True) -> IngestReport:
    """Sync ``notes_dir`` into the index once; see the module docstring."""
    return Ingestor(config, notes_dir, embeddings, progress).run()
