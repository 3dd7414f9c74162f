"""Watch mode: keep the index in sync with one or more notes folders as files change.

One full (incremental) sync first, then ``watchfiles`` reports batches of changed paths
(about 50 ms after the last write) and only those notes are re-read, re-chunked and
re-embedded. Deletes and renames (a delete plus an add) are followed; a moved-in or
deleted folder is expanded to the notes under it; editing ``.twinignore`` triggers a full
sync. Several folders (sources) are watched at once, each by its own Ingestor; they share
one fingerprint writer, fed with every folder's notes. Runs in the calling thread until
``stop_event`` is set (the TUI runs it in a background thread) or Ctrl+C (the CLI).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable

import watchfiles
from langchain_core.embeddings import Embeddings

from kb.ingest import IngestReport, Ingestor
from kb.notes import IGNORE_FILE, NOTE_SUFFIXES
from twin.config import Config

log = logging.getLogger(__name__)
STEP_MS = 50  # quiet time after a change before the batch is handed over
MAX_BATCH_MS = 1000  # longest a burst of changes is grouped before processing
TIMEOUT_MS = 500  # how often the watcher checks stop_event while idle


class NoteFilter(watchfiles.DefaultFilter):
    """Note files, ``.twinignore``, and suffix-less paths (folders, even deleted ones)."""

    def __init__(self, root: Path):
        super().__init__()
        self.root = Path(root)

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        p = Path(path)
        try:
            rel = p.relative_to(self.root)
        except ValueError:
            return False
        if rel.name == IGNORE_FILE and len(rel.parts) == 1:
            return True
        if any(part.startswith(".") for part in rel.parts) or not super().__call__(change, path):
            return False
        return p.suffix.lower() in NOTE_SUFFIXES or not p.suffix or p.is_dir()


class RootsFilter:
    """:class:`NoteFilter` of whichever watched folder holds the path."""

    def __init__(self, roots: list[Path]):
        self.filters = [NoteFilter(r) for r in roots]

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        return any(f(change, path) for f in self.filters)


def make_ingestors(
    config: Config, notes_dirs: list[Path], embeddings: Embeddings,
    on_error: Callable[[Exception], None] | None = None,
) -> list[Ingestor]:
    """One Ingestor per folder, sharing one fingerprint writer fed with all folders' notes."""
    ingestors: list[Ingestor] = []

    def peers_of(me: int) -> Callable[[], dict]:
        def peers() -> dict:
            out: dict = {}
            for i, other in enumerate(ingestors):
                if i != me and other.synced:
                    out.update(other.note_texts())
            return out
        return peers

    for n, folder in enumerate(notes_dirs):
        shared = ingestors[0].fingerprints if ingestors else None
        peers = peers_of(n) if len(notes_dirs) > 1 else None
        ingestors.append(Ingestor(config, folder, embeddings, progress=False, on_fingerprint_error=on_error,
                                  fingerprints=shared, peers=peers))
    return ingestors


def _owner(ingestors: list[Ingestor], path: Path) -> Ingestor | None:
    """The ingestor whose folder holds ``path`` (the deepest, when folders nest)."""
    best: Ingestor | None = None
    for ing in ingestors:
        try:
            Path(path).relative_to(ing.notes_dir)
        except ValueError:
            continue
        if best is None or len(ing.notes_dir.parts) > len(best.notes_dir.parts):
            best = ing
    return best


def watch(
    config: Config,
    notes_dir: Path | list[Path],
    embeddings: Embeddings,
    on_change: Callable[[IngestReport], None] | None = None,
    stop_event: threading.Event | None = None,
    on_error: Callable[[Exception], None] | None = None,
    ingestor: Ingestor | None = None,
) -> None:
    """Sync each folder once, then re-ingest changed paths until ``stop_event`` is set.

    ``on_change`` gets each folder's first full report and then every report that changed
    the index or skipped a file. ``on_error`` gets exceptions from a sync or from the
    background fingerprint writer (default: logged); the watcher keeps going.
    """
    folders = [notes_dir] if isinstance(notes_dir, (str, Path)) else list(notes_dir)
    ingestors = [ingestor] if ingestor else make_ingestors(config, [Path(f) for f in folders], embeddings, on_error)
    for ing in ingestors:
        _guard(lambda ing=ing: _notify(on_change, ing.run(), force=True), on_error)
    try:
        for changes in watchfiles.watch(
            *[ing.notes_dir for ing in ingestors], watch_filter=RootsFilter([i.notes_dir for i in ingestors]),
            debounce=MAX_BATCH_MS, step=STEP_MS,
            stop_event=stop_event, rust_timeout=TIMEOUT_MS, raise_interrupt=stop_event is None,
        ):
            grouped: dict[int, tuple[Ingestor, set[Path]]] = {}
            for _, p in changes:
                owner = _owner(ingestors, Path(p))
                if owner is not None:
                    grouped.setdefault(id(owner), (owner, set()))[1].add(Path(p))
            for ing, paths in grouped.values():
                _guard(lambda ing=ing, paths=paths: _notify(on_change, ing.update(sorted(paths))), on_error)
    finally:
        ingestors[0].fingerprints.wait(timeout=120)  # leave with the fingerprints of the last change saved


def _notify(on_change: Callable[[IngestReport], None] | None, report: IngestReport, force: bool = False) -> None:
    if on_change is not None and (force or report.changed or report.skips):
        on_change(report)


def _guard(step: Callable[[], None], on_error: Callable[[Exception], None] | None) -> None:
    try:
        step()
    except Exception as exc:  # a failed sync must not kill the watcher thread
        if on_error is not None:
            on_error(exc)
        else:
            log.warning("notes sync failed: %s", exc)


def start_background(
    config: Config,
    notes_dir: Path | list[Path],
    embeddings: Embeddings,
    on_change: Callable[[IngestReport], None] | None = None,
    on_error: Callable[[Exception], None] | None = None,
) -> tuple[threading.Thread, threading.Event]:
    """Run :func:`watch` in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=watch, args=(config, notes_dir, embeddings, on_change, stop, on_error),
        name="twin-notes-watch", daemon=True,
    )
    thread.start()
    return thread, stop
