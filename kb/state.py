"""Small on-disk bookkeeping for the knowledge base: ``<home>/kb_state.json`` and the ingest lock.

The indexes (Chroma and the lexical index) are the source of truth for what is ingested;
this file remembers the registered **sources** (``{label: {"path", "ingested_at",
"last_run"}}``: every notes folder ingested into this home, under a short label that is
stored with each chunk and shown in citations), plus the folder used last and that run's
counts, so `twin ask`, `twin kb list` and the TUI can say what they are answering from.

A home written before sources existed has only ``notes_dir``: that folder is its one
source, and its chunks (stored without a source label) belong to it (``legacy``).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

STATE_FILE = "kb_state.json"
LOCK_FILE = "kb.lock"
LOCK_REPORT_S = 10.0  # a waiting ingest repeats what it waits for this often


def state_path(home: Path) -> Path:
    return Path(home) / STATE_FILE


def load_state(home: Path) -> dict[str, Any]:
    """The last ingest's record, or ``{}`` when there is none (or it is unreadable)."""
    try:
        data = json.loads(state_path(home).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def has_index(home: Path) -> bool:
    """Was anything ingested into ``home`` (the registry, the local vector store or a lexical
    index)? Read-only commands ask first, so a mistyped ``--home`` is reported instead of
    getting a new, empty data home made there."""
    home = Path(home)
    return state_path(home).is_file() or (home / "chroma").is_dir() or any(home.glob("lexical-*.sqlite"))


def last_notes_dir(home: Path) -> Path | None:
    value = load_state(home).get("notes_dir")
    return Path(value) if value else None


def registered_sources(home: Path) -> dict[str, dict[str, Any]]:
    """``{label: {"path": ..., "ingested_at": ..., "last_run": {...}, "legacy": bool}}``."""
    state = load_state(home)
    sources = state.get("sources")
    if isinstance(sources, dict):
        return {str(k): v for k, v in sources.items() if isinstance(v, dict) and v.get("path")}
    if state.get("notes_dir"):  # written before sources existed: its folder is the one source
        path = Path(state["notes_dir"])
        return {label_for_path(path, {}): {
            "path": str(path), "ingested_at": state.get("ingested_at", ""),
            "last_run": state.get("last_run", {}), "legacy": True,
        }}
    return {}


def label_for_path(path: Path, sources: dict[str, dict[str, Any]]) -> str:
    """The source label of a notes folder: its registered label, else the folder's name
    (made unique with -2, -3, ... when another folder already has that name)."""
    resolved = str(Path(path).resolve())
    for label, info in sources.items():
        if str(info.get("path")) == resolved:
            return label
    base = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(resolved).name).strip("-.") or "notes"
    label, n = base, 1
    while label in sources:
        n += 1
        label = f"{base}-{n}"
    return label


def save_state(
    home: Path, notes_dir: Path, store: str, collection: str, counts: dict[str, Any], label: str | None = None,
) -> None:
    """Record a finished ingest of ``notes_dir`` (registered under ``label``)."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    sources = registered_sources(home)  # others keep their "legacy" mark until they are ingested
    label = label or label_for_path(notes_dir, sources)
    sources[label] = {"path": str(Path(notes_dir).resolve()), "ingested_at": now, "last_run": counts}
    _write(home, {
        "notes_dir": str(Path(notes_dir).resolve()), "store": store, "collection": collection,
        "ingested_at": now, "last_run": counts, "sources": sources,
    })


def forget_source(home: Path, label: str) -> None:
    """Drop ``label`` from the registered sources (its chunks are deleted by the caller)."""
    state = load_state(home)
    sources = registered_sources(home)
    sources.pop(label, None)
    state["sources"] = sources
    if state.get("notes_dir") and not any(v["path"] == state["notes_dir"] for v in sources.values()):
        latest = max(sources.values(), key=lambda v: v.get("ingested_at", ""), default=None)
        state["notes_dir"] = latest["path"] if latest else ""
    _write(home, state)


def repoint_source(home: Path, label: str, path: Path) -> None:
    """Record that source ``label``'s folder is now ``path`` (it moved or was renamed). Its
    chunks keep their ids (label + note path), so the next ingest there re-embeds nothing."""
    state = load_state(home)
    sources = registered_sources(home)
    old = sources[label]["path"]
    sources[label] = {**sources[label], "path": str(Path(path).resolve())}
    state["sources"] = sources
    if state.get("notes_dir") == old:
        state["notes_dir"] = sources[label]["path"]
    _write(home, state)


def _write(home: Path, data: dict[str, Any]) -> None:
    path = state_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(tmp, path)


@contextmanager
def ingest_lock(home: Path, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """One ingest at a time per data home (a CLI run waits for the TUI's watcher, and back).

    A run that has to wait says so, naming the lock file, who holds it and for how long
    it has waited (``on_wait``; default: a line on stderr), every ``LOCK_REPORT_S``."""
    path = Path(home) / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        _acquire(handle, path, on_wait or _to_stderr)
        try:
            _write_holder(handle)
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _acquire(handle: IO[str], path: Path, on_wait: Callable[[str], None]) -> None:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    start = time.monotonic()
    on_wait(f"waiting for {path}: {_holder(path)} (another ingest of this data home; it runs one at a time)")
    next_report = start + LOCK_REPORT_S
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            on_wait(f"got {path} after {time.monotonic() - start:.1f} s")
            return
        except BlockingIOError:
            time.sleep(0.1)
        if time.monotonic() >= next_report:
            on_wait(f"still waiting for {path}: {_holder(path)}; {time.monotonic() - start:.0f} s so far")
            next_report += LOCK_REPORT_S


def _write_holder(handle: IO[str]) -> None:
    """Record who holds the lock (read by a waiting run; the lock itself is the flock)."""
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "since": time.time(), "command": " ".join(sys.argv)[:200]}))
        handle.flush()
    except OSError:
        pass  # the description is a courtesy; the lock holds without it


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
        since = datetime.fromtimestamp(float(info["since"])).strftime("%H:%M:%S")
        return f"held by pid {int(info['pid'])} ({info.get('command') or 'unknown command'}) since {since}"
    except (OSError, ValueError, KeyError, TypeError, OverflowError):
        return "held by another process"


def _to_stderr(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()
