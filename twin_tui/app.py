"""TwinApp: the chat, the inspector (sources, trace, nodes, threads) and the background workers.

The app is assembled from one class per job (see :mod:`twin_tui.base`): :class:`Asking` (a chat
turn and its worker), :class:`Inspector` (sources and trace), :class:`Chats` (threads),
:class:`Controls` (switches, compare, panel, feedback, palette) and :class:`ModelsAndIndex`
(models, index status, notes watcher). This module lays the widgets out and handles the app's
own lifecycle: mount, resize, failed workers, shutdown.

Threading model: nothing slow runs on the event loop. Thread workers wait on the slow,
uninterruptible work (model loading, the graph run in :func:`twin_tui.turns.pump`, the
notes watcher), which itself runs in daemon threads so that quitting never waits for a
model; workers hand results to the UI with ``call_from_thread`` (:meth:`TwinBase.ui`).
"""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Header, Markdown, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from twin_tui.asking import Asking
from twin_tui.base import NARROW, WELCOME
from twin_tui.chats import Chats
from twin_tui.commands import APP_BINDINGS
from twin_tui.controls import Controls
from twin_tui.inspector import Inspector
from twin_tui.loading import ModelsAndIndex
from twin_tui.panels import NodesPanel, SourcesPanel, ThreadsPanel, TracePanel
from twin_tui.widgets import Composer, StatusBar, ToggleBar


class TwinApp(Asking, Inspector, Chats, Controls, ModelsAndIndex):
    """Chat with the twin, see why it answered, flip nodes, compare, rate."""

    TITLE = "Twin"
    CSS_PATH = Path(__file__).with_name("app.tcss")
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW, "-wide")]
    BINDINGS = APP_BINDINGS

    # -- layout --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            with Vertical(id="chat"):
                yield VerticalScroll(Markdown(WELCOME.format(person=self.config.person), id="welcome"), id="log")
                yield Composer(id="composer", placeholder="Ask the twin…  (enter: send · ctrl+j: new line)")
            with TabbedContent(id="side", initial="sources"):
                with TabPane("Sources", id="sources"):
                    yield SourcesPanel(id="sources-panel")
                with TabPane("Trace", id="trace"):
                    yield TracePanel(id="trace-panel")
                with TabPane("Nodes", id="nodes"):
                    yield NodesPanel(self.toggles, self.compare_flip, id="nodes-panel")
                with TabPane("Threads", id="threads"):
                    yield ThreadsPanel(id="threads-panel")
        yield ToggleBar(id="togglebar")
        yield StatusBar(id="statusbar")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#composer", Composer).border_title = "Ask"
        self.show_side = self.size.width >= NARROW
        self._apply_side()
        self._refresh_bars()
        self.query_one("#composer").focus()
        self.load_models()

    def on_resize(self, event: events.Resize) -> None:
        wide = event.size.width >= NARROW
        if wide != getattr(self, "_was_wide", wide):
            self.show_side = wide
            self._apply_side()
        self._was_wide = wide

    # -- lifecycle -------------------------------------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that died unexpectedly is reported, never silently lost."""
        if event.state == WorkerState.ERROR and not self.closing:
            self.notify(f"{event.worker.error}", title=f"Background task {event.worker.name} failed",
                        severity="error", timeout=30, markup=False)

    def on_unmount(self) -> None:
        self.closing = True
        if self.turn is not None:
            self.turn.stop.set()
        self.stop_watch.set()
        if self.owns_runner and self.runner is not None and not self.ask_lock.locked():
            self.runner.close()
