"""Slow work the UI runs in thread workers: warming models, reading the index size, watching notes.

Every function here is blocking and UI-free; :mod:`twin_tui.loading` calls them from
``@work(thread=True)`` workers and posts the results back to the event loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kb.state import last_notes_dir, load_state
from twin.config import Config


class Abandoned(Exception):
    """The caller stopped waiting (the app is closing); the daemon thread finishes alone."""


def in_daemon(fn: Callable[..., Any], *args: Any, cancelled: Callable[[], bool], poll_s: float = 0.2) -> Any:
    """Run ``fn`` in a daemon thread and wait for it, giving up when ``cancelled()``.

    Model loads and generation cannot be interrupted; running them in daemon threads means
    quitting the app never waits for them (their writes are atomic: cache renames, SQLite).
    """
    box: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # handed to the waiting thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name=f"twin-{getattr(fn, '__name__', 'task')}", daemon=True).start()
    while not done.wait(poll_s):
        if cancelled():
            raise Abandoned()
    if "error" in box:
        raise box["error"]
    return box.get("value")


@dataclass
class IndexStatus:
    chunks: int
    updated: str  # "" when never ingested; else local "YYYY-MM-DD HH:MM"
    notes_dir: Path | None


def notes_dir_for(config: Config) -> Path | None:
    """The folder the index was built from (kb_state), else ``kb.notes_dir``."""
    found = last_notes_dir(config.home_path)
    if found is None and config.kb.notes_dir:
        found = Path(config.kb.notes_dir).expanduser()
    return found


def now_local() -> str:
    return datetime.now().strftime("%H:%M")


def change_summary(report: Any) -> str:
    """"2 added, 1 updated" from a kb.ingest.IngestReport ("" when nothing changed)."""
    parts = [f"{getattr(report, k)} {k}" for k in ("added", "updated", "deleted") if getattr(report, k, 0)]
    return ", ".join(parts)


def _local_time(iso: str) -> str:
    """"14:05" for today, else "2025-08-20 14:05"."""
    try:
        when = datetime.fromisoformat(iso).astimezone()
    except ValueError:
        return iso
    same_day = when.date() == datetime.now().astimezone().date()
    return when.strftime("%H:%M" if same_day else "%Y-%m-%d %H:%M")


def index_status(runner: Any) -> IndexStatus:
    """Chunk count (one cheap Chroma count) and when the last ingest finished."""
    config: Config = runner.config
    state = load_state(config.home_path)
    count = runner.ctx.retriever.store.count()
    return IndexStatus(count, _local_time(state.get("ingested_at", "")), notes_dir_for(config))


def warm_base(runner: Any) -> None:
    """Embeddings and the bare weights (what the analyzer and a no-adapter answer need)."""
    runner.ctx.embeddings.embed_query("warmup")
    bare = runner.ctx.persona_bare
    if hasattr(bare, "weights"):
        bare.weights()


def warm_persona(runner: Any) -> None:
    """The persona: its weights plus any peft adapters."""
    model = runner.ctx.persona_model
    if hasattr(model, "weights"):
        loaded = model.weights()
        if getattr(model, "adapters", None) and hasattr(loaded, "ensure_adapters"):
            loaded.ensure_adapters(model.adapters)


def start_watcher(config: Config, notes_dir: Path, embeddings: Any, on_change: Callable[[Any], None],
                  on_error: Callable[[Exception], None], on_stop: Callable[[str], None],
                  stop: threading.Event) -> threading.Thread:
    """Run the KB watcher in a daemon thread; ``on_stop(why)`` when it ends ("" = asked to stop)."""

    def run() -> None:
        try:
            why = run_watcher(config, notes_dir, embeddings, on_change, on_error, stop)
        except Exception as exc:  # reported, never lost
            why = f"{type(exc).__name__}: {exc}"
        on_stop(why)

    thread = threading.Thread(target=run, name="twin-notes-watch", daemon=True)
    thread.start()
    return thread


def run_watcher(config: Config, notes_dir: Path, embeddings: Any, on_change: Callable[[Any], None],
                on_error: Callable[[Exception], None], stop: threading.Event) -> str:
    """Block in the KB watcher until ``stop`` is set; returns "" or why it could not run."""
    try:
        from kb.watch import watch
    except ImportError:
        return "the KB watcher is not available in this install"
    if not Path(notes_dir).is_dir():
        return f"notes folder {notes_dir} is gone; run `twin ingest NOTES_DIR`"
    watch(config, Path(notes_dir), embeddings, on_change, stop, on_error)
    return ""
