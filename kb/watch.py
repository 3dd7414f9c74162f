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
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import watchfiles
from langchain_core.embeddings import Embeddings

from kb.ingest import Ingestor, IngestReport
from kb.notes import IGNORE_FILE, NOTE_SUFFIXES, display_path
from twin.config import Config

log = logging.getLogger(__name__)
STEP_MS = 50  # quiet time after a change before the batch is handed over
MAX_BATCH_MS = 1000  # longest a burst of changes is grouped before processing
TIMEOUT_MS = 500  # how often the watcher checks stop_event while idle


class NoteFilter(watchfiles.DefaultFilter):
    """Note files, ``.twinignore``, folders, and every deleted path: a deleted (or
    renamed-away) folder can no longer be told from a file, and its name may have a dot
    ("trip.2024"), so a deletion is never dropped for its suffix."""

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
        return (p.suffix.lower() in NOTE_SUFFIXES or not p.suffix or p.is_dir()
                or change == watchfiles.Change.deleted)


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
    full_sync_all(ingestors, on_change, on_error, force=True)
    failures = 0
    try:
        while stop_event is None or not stop_event.is_set():
            try:
                for changes in watchfiles.watch(
                    *[ing.notes_dir for ing in ingestors], watch_filter=RootsFilter([i.notes_dir for i in ingestors]),
                    debounce=MAX_BATCH_MS, step=STEP_MS,
                    stop_event=stop_event, rust_timeout=TIMEOUT_MS, raise_interrupt=stop_event is None,
                ):
                    for ing, paths in _by_owner(ingestors, changes):
                        sync_batch(ing, paths, on_change, on_error)
                    failures = 0
                return  # stop_event was set
            except Exception as exc:  # the watcher itself failed (e.g. a file name that is not UTF-8)
                failures += 1
                _report(on_error, SyncError(f"watcher: {exc}; re-syncing every folder and watching again"), exc)
                if _stopped(stop_event, min(2.0 ** (failures - 1) - 1, 30.0)):
                    return
                full_sync_all(ingestors, on_change, on_error)  # picks up the lost batch
    finally:
        ingestors[0].fingerprints.wait(timeout=120)  # leave with the fingerprints of the last change saved


def full_sync_all(
    ingestors: list[Ingestor], on_change: Callable[[IngestReport], None] | None,
    on_error: Callable[[Exception], None] | None, force: bool = False,
) -> None:
    """Sync every folder in full; a failing folder is reported and the others still sync."""
    for ing in ingestors:
        _guard(lambda ing=ing: _notify(on_change, ing.run(), force=force), on_error, f"full sync of {ing.notes_dir}")


def _by_owner(ingestors: list[Ingestor], changes: Iterable[tuple[Any, str]]) -> list[tuple[Ingestor, list[Path]]]:
    """The changed paths grouped by the folder (ingestor) that holds them."""
    grouped: dict[int, tuple[Ingestor, set[Path]]] = {}
    for _, p in changes:
        owner = _owner(ingestors, Path(p))
        if owner is not None:
            grouped.setdefault(id(owner), (owner, set()))[1].add(Path(p))
    return [(ing, sorted(paths)) for ing, paths in grouped.values()]


def _stopped(stop_event: threading.Event | None, delay: float) -> bool:
    """Wait ``delay`` seconds (back-off after repeated watcher failures); True if told to stop."""
    if stop_event is None:
        threading.Event().wait(delay)
        return False
    return stop_event.wait(delay)


class SyncError(RuntimeError):
    """A watch-mode sync failed; the message names what was being synced."""


def sync_batch(
    ing: Ingestor, paths: list[Path],
    on_change: Callable[[IngestReport], None] | None, on_error: Callable[[Exception], None] | None,
) -> None:
    """Sync one batch of changed paths. Bad files are skips (reported with their path);
    if the batch fails anyway, each path is synced on its own so one failure cannot cost
    the good edits saved in the same batch, and the failing path is named."""
    try:
        _notify(on_change, ing.update(paths))
        return
    except Exception as exc:  # noqa: BLE001 - retried path by path below
        if len(paths) == 1:
            _report(on_error, SyncError(f"{_rel(ing, paths[0])}: {exc}"), exc)
            return
    for path in paths:
        _guard(lambda: _notify(on_change, ing.update([path])), on_error, _rel(ing, path))  # noqa: B023 - _guard calls it at once


def _rel(ing: Ingestor, path: Path) -> str:
    try:
        return display_path(Path(path).relative_to(ing.notes_dir).as_posix())
    except ValueError:
        return display_path(str(path))


def _notify(on_change: Callable[[IngestReport], None] | None, report: IngestReport, force: bool = False) -> None:
    if on_change is not None and (force or report.changed or report.skips):
        on_change(report)


def _guard(step: Callable[[], None], on_error: Callable[[Exception], None] | None, what: str) -> None:
    try:
        step()
    except Exception as exc:  # a failed sync must not kill the watcher thread
        _report(on_error, SyncError(f"{what}: {exc}"), exc)


def _report(on_error: Callable[[Exception], None] | None, error: SyncError, cause: Exception) -> None:
    error.__cause__ = cause
    if on_error is not None:
        on_error(error)
    else:
        log.warning("notes sync failed: %s", error)


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
