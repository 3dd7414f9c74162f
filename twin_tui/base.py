"""What every part of :class:`twin_tui.app.TwinApp` shares: its state, the status bars, the side
panel's visibility, and the safe hand-off from worker threads to the event loop.

The app is split by job into classes that all derive from :class:`TwinBase` (so Textual's
``@on`` handlers and ``@work`` workers work in each): :mod:`twin_tui.loading` (models, index,
notes watcher), :mod:`twin_tui.asking` (a chat turn and its worker), :mod:`twin_tui.inspector`
(sources and trace of the selected answer), :mod:`twin_tui.chats` (threads: list, reopen, new)
and :mod:`twin_tui.controls` (node switches, compare mode, panel, feedback, palette).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App

from twin.config import NODE_NAMES, Config
from twin_tui import background
from twin_tui.turns import Turn, new_thread_id
from twin_tui.widgets import AnswerCard, StatusBar, ToggleBar

NARROW = 100  # below this width the inspector replaces the chat instead of sitting beside it
WELCOME = (
    "Ask {person}'s twin anything: **enter** sends, **ctrl+j** adds a line, **esc** stops.\n\n"
    "The panel shows the last answer's **sources** and **trace**; flip graph **nodes** there "
    "(or click them in the bar below) and **ctrl+r** compares two configurations side by side. "
    "**ctrl+p** lists every command."
)


class TwinBase(App):
    """The app's shared state; the jobs are in the classes :class:`twin_tui.app.TwinApp` combines."""

    def __init__(self, config: Config, runner: Any = None, watch: bool = True,
                 thread_id: str | None = None) -> None:
        super().__init__()
        self.config = config
        self.runner = runner
        self.owns_runner = runner is None
        self.watch_notes = watch
        self.thread_id = thread_id or new_thread_id()
        self.toggles: dict[str, bool] = {n: getattr(config.nodes, n) for n in NODE_NAMES}
        self.compare_on = False
        self.compare_flip = "adapter" if config.persona.adapters else "retrieve"
        self.current: AnswerCard | None = None
        self.busy = False
        self.cards = 0
        self.show_side = True
        self.base_ready = threading.Event()
        self.persona_ready = threading.Event()
        self.turn: Turn | None = None  # the turn being answered
        self.ask_lock = threading.Lock()  # one turn at a time drives the runner
        self.stop_watch = threading.Event()
        self.closing = False
        self.model_status = "⏳ loading models…"
        self.load_error = ""  # why the models could not load ("" while loading or once loaded)
        self.index_text = "index …"
        self.watch_text = ""
        self.notes_dir: Path | None = None
        self.index_reports = 0  # watcher reports seen (the first is its initial sync)
        self.watcher: threading.Thread | None = None

    # -- safe hand-off from workers ---------------------------------------------------------
    def ui(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn`` on the event loop from a worker; a no-op once the app is closing."""
        if self.closing:
            return None
        try:
            return self.call_from_thread(fn, *args, **kwargs)
        except Exception:  # widgets gone during shutdown
            if self.closing:
                return None
            raise

    def off_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run an uninterruptible call in a daemon thread; raises Abandoned once the app closes."""
        return background.in_daemon(fn, *args, cancelled=lambda: self.closing)

    # -- bars and side panel ------------------------------------------------------------------
    def _refresh_bars(self) -> None:
        self.query_one(ToggleBar).show(self.toggles, f"±{self.compare_flip}" if self.compare_on else "")
        self.query_one(StatusBar).show(self.model_status, self.index_text, self.watch_text)
        self.sub_title = f"{self.config.person} · {self.thread_id}"

    def _apply_side(self) -> None:
        main = self.query_one("#main")
        main.set_class(self.show_side, "-side-on")
        main.set_class(not self.show_side, "-side-off")
