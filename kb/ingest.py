"""Ingest a notes folder into the vector store and the lexical index: incremental,
crash-safe, private-safe, one source among many.

Each folder is a **source** with a short label (kb.state): its chunks carry the label
(in their id and metadata), and a run reads, changes and deletes only its own source's
chunks, so several folders share one index and a note path is unique per source.

The indexes are their own ledger: every run reads the ids and content hashes already in
Chroma and in the lexical index (kb/lexical.py), computes the chunks the folder should
produce, and applies the difference to each (delete stale ids, update changed metadata,
add missing ids). A chunk whose content already has a vector (unchanged, moved inside
the note, or renamed file) reuses it instead of being embedded again; a lexical row is
written only once its vector is stored, so the lexical index never names a chunk the
vector store lacks. Because ids are deterministic and writes are upserts (one SQLite
transaction per lexical batch), a run killed at any point leaves indexes the next run
repairs: no duplicates, no orphans. Deletes run first, so a note that just became private
leaves both indexes before anything else happens. Private notes are never embedded;
their fingerprints (of every registered source together) are saved.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from kb.chunking import Chunk, chunk_note, content_hash
from kb.fpsync import FingerprintSync
from kb.gitdates import git_dates
from kb.lexical import LexicalIndex, LexRow, vector_bytes
from kb.notes import (
    IGNORE_FILE,
    Note,
    Skip,
    has_bad_name,
    is_candidate,
    load_ignore,
    read_files,
    read_notes,
    walk_notes,
)
from kb.sources import folder_conflict
from kb.state import ingest_lock, label_for_path, registered_sources, save_state
from kb.store import NoteStore, StoredChunk, chunk_metadata, epoch_days
from twin.config import Config

EMBED_BATCH = 128  # chunks per embed + upsert step (one progress tick)
FINGERPRINT_DELAY_S = 2.0  # per-path updates: rebuild fingerprints once saves pause this long


class IngestError(ValueError):
    """The run cannot start (e.g. the notes folder is missing); worded for the user."""


@dataclass
class IngestReport:
    notes_dir: str
    source: str = ""  # the folder's label (stored with its chunks, shown in citations)
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
class LexPlan:
    delete: list[str]  # lexical rows no longer wanted
    write: list[Planned]  # missing or changed rows


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


PeerTexts = Callable[[], dict[str, NoteText]]


class Ingestor:
    """Keeps one notes folder (one source) in sync with the indexes (full runs and
    per-path updates). ``fingerprints`` and ``peers`` are shared when one process follows
    several sources (kb/watch.py): the fingerprints are built from every source's notes."""

    def __init__(
        self, config: Config, notes_dir: Path, embeddings: Embeddings, progress: bool = True,
        on_fingerprint_error: Callable[[Exception], None] | None = None,
        on_wait: Callable[[str], None] | None = None,
        fingerprints: FingerprintSync | None = None, peers: PeerTexts | None = None,
    ):
        self.config = config
        self.on_wait = on_wait  # told what the run waits for (kb.lock held by another ingest); None = stderr
        self.notes_dir = check_notes_dir(notes_dir)
        self.embeddings = embeddings
        self.progress = progress
        self.home = config.home_path
        self.model = config.embeddings.model or "embedded"
        self.store = NoteStore.from_config(config)
        self.lexical = LexicalIndex.from_config(config)
        self.source = label_for_path(self.notes_dir, registered_sources(self.home))
        self.texts: dict[str, NoteText] = {}
        self.indexed: set[str] = set()  # note paths in the index after the last run
        self.git: dict[str, str] = {}
        self.synced = False  # a full run happened (texts/indexed are complete)
        self.peers = peers
        self._peer_texts: dict[str, NoteText] = {}  # other sources' notes, read at the last full run
        semantic = embeddings if config.judge.semantic_leak else None  # sentence vectors for the judge
        self.fingerprints = fingerprints or FingerprintSync(self.home, semantic, on_error=on_fingerprint_error)

    # -- entry points ---------------------------------------------------------------
    def run(self) -> IngestReport:
        """Sync the whole folder."""
        start = time.perf_counter()
        with ingest_lock(self.home, self.on_wait):
            check_new_folders(self.home, [self.notes_dir])
            self.source = label_for_path(self.notes_dir, registered_sources(self.home))
            walked = walk_notes(self.notes_dir)
            self.git = git_dates(self.notes_dir)
            notes, skips = read_files(self.notes_dir, walked.files, self.config.kb, self.git)
            self.texts = {n.path: _note_text(n) for n in notes}
            self._peer_texts = self.peers() if self.peers is not None else other_sources_texts(self.config, self.source)
            self._submit_fingerprints()  # built in the background while chunks embed
            report = self._apply(notes, self._existing(), walked.skips + skips, None)
            self.synced = True
            self.fingerprints.wait()
            if self.fingerprints.error is not None:
                raise IngestError(f"could not save private fingerprints: {self.fingerprints.error}")
            return self._finish(report, start)  # registered under the lock: the next run's folder checks see it

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
            existing = self._existing(rels) if rels else []
            report = self._apply(notes, existing, skips + read_skips, rels)
            self._submit_fingerprints(FINGERPRINT_DELAY_S)  # after the index: searchable first
            return self._finish(report, start)

    # -- planning -------------------------------------------------------------------
    def _existing(self, rels: set[str] | None = None) -> list[StoredChunk]:
        """This source's stored chunks (of these note paths); a folder ingested before
        sources existed also owns the chunks stored without a label."""
        mine: dict = {"source": self.source}
        if rels is not None:
            mine = {"$and": [mine, {"path": {"$in": sorted(rels)}}]}
        found = self.store.manifest(where=mine)
        if registered_sources(self.home).get(self.source, {}).get("legacy"):
            legacy = {"path": {"$in": sorted(rels)}} if rels is not None else None
            found += [s for s in self.store.manifest(where=legacy) if not s.source]
        return found

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
            chunks = chunk_note(note, self.config.kb.chunk_chars, self.source)
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

    def _lex_plan(self, desired: dict[str, Planned], scope: set[str] | None) -> LexPlan:
        """The lexical index's own difference (it may lag the vectors after a crash)."""
        stored = self.lexical.manifest(self.source, scope)
        return LexPlan(
            [cid for cid in stored if cid not in desired],
            [p for cid, p in desired.items() if stored.get(cid) != p.meta],
        )

    # -- applying -------------------------------------------------------------------
    def _apply(
        self, notes: list[Note], existing: list[StoredChunk], skips: list[Skip], scope: set[str] | None
    ) -> IngestReport:
        desired = self._chunks(notes, skips)
        plan = self._plan(desired, existing)
        lex = self._lex_plan(desired, scope)
        reused = self.store.vectors(sorted(set(plan.reuse.values())))
        self.lexical.delete(lex.delete)  # deletes first (lexical before vectors: lexical ⊆ vectors)
        self.store.delete(plan.delete)
        if plan.meta:
            self.store.update_metadata([p.chunk.id for p in plan.meta], [p.metadata for p in plan.meta])
        copied = [p for p in plan.embed if plan.reuse.get(p.chunk.id) in reused]
        self._write(copied, [reused[plan.reuse[p.chunk.id]] for p in copied])
        fresh = [p for p in plan.embed if plan.reuse.get(p.chunk.id) not in reused]
        fresh_ids = {p.chunk.id for p in fresh}
        self._write_lexical([p for p in lex.write if p.chunk.id not in fresh_ids])  # their vectors are stored
        pending = {p.chunk.id for p in lex.write} & fresh_ids
        self._embed_all(fresh, pending)
        if lex.delete or lex.write:
            self.lexical.optimize()
        self.indexed = plan.new_paths if scope is None else (self.indexed - scope) | plan.new_paths
        both = plan.old_paths & plan.new_paths
        return IngestReport(
            notes_dir=str(self.notes_dir), source=self.source, added=len(plan.new_paths - plan.old_paths),
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

    def _write_lexical(self, planned: list[Planned]) -> None:
        """Lexical rows of chunks whose vectors are stored: the vectors read back from the
        store in one batched lookup (a row whose vector is missing waits for the next run)."""
        if not planned:
            return
        vectors = self.store.vectors([p.chunk.id for p in planned])
        self.lexical.upsert([_lex_row(p, vectors[p.chunk.id]) for p in planned if p.chunk.id in vectors])

    def _embed_all(self, planned: list[Planned], lexical: set[str]) -> None:
        """Embed in length-sorted batches (less padding), writing each batch as it is done:
        the vectors, then the batch's lexical rows (ids in ``lexical``)."""
        planned = sorted(planned, key=lambda p: len(p.chunk.embed_text))
        batches = [planned[i : i + EMBED_BATCH] for i in range(0, len(planned), EMBED_BATCH)]
        with _progress(self.progress and bool(planned), len(planned)) as tick:
            for batch in batches:
                vectors = self.embeddings.embed_documents([p.chunk.embed_text for p in batch])
                self._write(batch, vectors)
                self.lexical.upsert([_lex_row(p, v) for p, v in zip(batch, vectors) if p.chunk.id in lexical])
                tick(len(batch))

    def note_texts(self) -> dict[str, NoteText]:
        """This source's notes for the fingerprints, keyed ``label:path`` (unique across sources)."""
        return {f"{self.source}:{p}": t for p, t in self.texts.items()}

    def _submit_fingerprints(self, delay: float = 0.0) -> None:
        if self.peers is not None:
            self._peer_texts = self.peers()
        texts = {**self._peer_texts, **self.note_texts()}
        if not self._peer_texts:  # the only source: keys stay plain note paths
            texts = dict(self.texts)
        private = {p: t.text for p, t in texts.items() if t.private}
        public = {p: t.text for p, t in texts.items() if not t.private}
        self.fingerprints.submit(private, public, delay)

    def _finish(self, report: IngestReport, start: float) -> IngestReport:
        report.chunks_total = self.store.count()
        report.seconds = round(time.perf_counter() - start, 3)
        save_state(self.home, self.notes_dir, self.store.where, self.config.retrieval.collection, report.counts(),
                   self.source)
        return report


def _lex_row(p: Planned, vector: Sequence[float]) -> LexRow:
    c = p.chunk
    heading = " ".join([c.heading, *c.tags])  # tags are searched with the heading path
    return LexRow(c.id, c.source, c.note_path, c.title, heading, c.date, epoch_days(c.date), c.position, p.meta,
                  c.text, c.heading, vector_bytes(vector))


def other_sources_texts(config: Config, source: str) -> dict[str, NoteText]:
    """The notes of every other registered source, read from disk (``label:path`` keys), so
    the fingerprints cover all sources. A folder that is gone contributes nothing."""
    out: dict[str, NoteText] = {}
    for label, info in registered_sources(config.home_path).items():
        folder = Path(info["path"])
        if label == source or not folder.is_dir():
            continue
        notes, _ = read_notes(folder, config.kb)
        out.update({f"{label}:{n.path}": _note_text(n) for n in notes})
    return out


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


def check_new_folders(home: Path, folders: list[Path]) -> None:
    """Refuse, before anything is written, a folder that must not become a new source (see
    :func:`kb.sources.folder_conflict`); each folder is checked with the ones before it
    counted as sources."""
    registered = dict(registered_sources(home))
    for folder in folders:
        conflict = folder_conflict(registered, folder)
        if conflict:
            raise IngestError(conflict)
        registered.setdefault(label_for_path(folder, registered), {"path": str(folder)})


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
