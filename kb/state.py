"""Small on-disk bookkeeping for the knowledge base: ``<home>/kb_state.json`` and the ingest lock.

The index itself (Chroma) is the source of truth for what is ingested; this file only
remembers which notes folder was used last and the last run's counts, so `twin ask` and
the TUI can say what they are answering from.
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

STATE_FILE = "kb_state.json"
LOCK_FILE = "kb.lock"


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
def ingest_lock(home: Path) -> Iterator[None]:
    """One ingest at a time per data home (a CLI run waits for the TUI's watcher, and back)."""
    path = Path(home) / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
