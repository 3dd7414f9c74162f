"""Small on-disk bookkeeping for the knowledge base: ``<home>/kb_state.json`` and the ingest lock.

The index itself (Chroma) is the source of truth for what is ingested; this file only
remembers which notes folder was used last and the last run's counts, so `twin ask` and
the TUI can say what they are answering from.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Callable, Iterator

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


def last_notes_dir(home: Path) -> Path | None:
    value = load_state(home).get("notes_dir")
    return Path(value) if value else None


def save_state(home: Path, notes_dir: Path, store: str, collection: str, counts: dict[str, Any]) -> None:
    data = {
        "notes_dir": str(Path(notes_dir).resolve()), "store": store, "collection": collection,
        "ingested_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "last_run": counts,
    }
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
