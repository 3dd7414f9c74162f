"""TwinApp: the chat, the inspector (sources, trace, nodes, threads) and the background workers.

Threading model: nothing slow runs on the event loop. Thread workers wait on the slow,
uninterruptible work (model loading, the graph run in :func:`twin_tui.turns.pump`, the
notes watcher), which itself runs in daemon threads so that quitting never waits for a
model; workers hand results to the UI with ``call_from_thread`` (:meth:`TwinApp.ui`).
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Markdown, OptionList, Select, Switch, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from cmdline.preflight import ollama_problems
from twin.config import NODE_NAMES, Config
from twin_tui import background
from twin_tui.commands import APP_BINDINGS, system_commands
from twin_tui.feedback import append_feedback, make_record
from twin_tui.panels import NodesPanel, SourcesPanel, ThreadsPanel, TracePanel
from twin_tui.preview import PreviewRefused, load_preview
from twin_tui.screens import FeedbackScreen, NoteScreen
from twin_tui.turns import COMPARE_SUFFIX, Job, Turn, new_thread_id, progress_text, pump
from twin_tui.widgets import AnswerCard, Composer, QuestionCard, StatusBar, ToggleBar

if TYPE_CHECKING:
    from graph.result import TurnResult

NARROW = 100  # below this width the inspector replaces the chat instead of sitting beside it
THREADS_LISTED = 30
WELCOME = (
    "Ask {person}'s twin anything: **enter** sends, **ctrl+j** adds a line, **esc** stops.\n\n"
    "The panel shows the last answer's **sources** and **trace**; flip graph **nodes** there "
    "(or click them in the bar below) and **ctrl+r** compares two configurations side by side. "
    "**ctrl+p** lists every command."
)


class TwinApp(App):
    """Chat with the twin, see why it answered, flip nodes, compare, rate."""

    TITLE = "Twin"
    CSS_PATH = Path(__file__).with_name("app.tcss")
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW, "-wide")]
    BINDINGS = APP_BINDINGS

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
        self.index_text = "index …"
        self.watch_text = ""
        self.notes_dir: Path | None = None
        self.index_reports = 0  # watcher reports seen (the first is its initial sync)
        self.watcher: threading.Thread | None = None

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

    def _apply_side(self) -> None:
        main = self.query_one("#main")
        main.set_class(self.show_side, "-side-on")
        main.set_class(not self.show_side, "-side-off")

    def _refresh_bars(self) -> None:
        self.query_one(ToggleBar).show(self.toggles, f"±{self.compare_flip}" if self.compare_on else "")
        self.query_one(StatusBar).show(self.model_status, self.index_text, self.watch_text)
        self.sub_title = f"{self.config.person} · {self.thread_id}"

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

    # -- background: models, index, watcher -------------------------------------------------
    def off_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run an uninterruptible call in a daemon thread; raises Abandoned once the app closes."""
        return background.in_daemon(fn, *args, cancelled=lambda: self.closing)

    @work(thread=True, group="load", exit_on_error=False)
    def load_models(self) -> None:
        try:
            if self.runner is None:
                from graph.runner import TwinRunner

                self.runner = self.off_thread(TwinRunner, self.config)
            for problem in self.off_thread(ollama_problems, self.config):
                self.ui(self.notify, problem, title="Model server unreachable", severity="error", timeout=60)
            self.off_thread(background.warm_base, self.runner)
            self.base_ready.set()
            self.ui(self._set_models, "⏳ loading persona… (base model ready)")
            self.off_thread(background.warm_persona, self.runner)
            self.persona_ready.set()
            self.ui(self._set_models, f"● {self._model_label()} ready")
        except background.Abandoned:
            return
        except Exception as exc:  # shown, never a crash: the user can fix and restart
            self.base_ready.set()
            self.ui(self._set_models, "⚠ models failed to load")
            self.ui(self.notify, f"{exc}", title="Could not load the models", severity="error", timeout=30)
            return
        self._refresh_index_now(first=True)
        self._list_threads_now()
        if self.watch_notes and self.notes_dir is not None:
            self.ui(self.start_watcher)

    def _model_label(self) -> str:
        p = self.config.persona
        name = "embedded SmolLM2" if p.model == "embedded" else Path(p.model).name or p.model
        extra = f" + {len(p.adapters)} adapter(s)" if p.adapters else ""
        return f"{name}{extra} ({p.backend})"

    def _set_models(self, text: str) -> None:
        self.model_status = text
        self._refresh_bars()

    def _refresh_index_now(self, first: bool = False) -> None:
        try:
            status = self.off_thread(background.index_status, self.runner)
        except background.Abandoned:
            return
        except Exception as exc:
            self.ui(self.notify, f"{exc}", title="Cannot read the index", severity="error", timeout=20)
            return
        self.notes_dir = status.notes_dir
        text = f"index {status.chunks} chunks" + (f" · updated {status.updated}" if status.updated else "")
        self.ui(self._set_index, text)
        if first and status.chunks == 0:
            self.ui(self.notify,
                    "The knowledge base is empty, so answers cannot cite notes. Index a notes folder with "
                    "`twin ingest PATH/TO/NOTES` (or `make ingest` for the sample notes), then restart the chat.",
                    title="Empty knowledge base", severity="warning", timeout=30)

    def _set_index(self, text: str) -> None:
        self.index_text = text
        self._refresh_bars()

    @work(thread=True, group="index", exclusive=True, exit_on_error=False)
    def refresh_index(self) -> None:
        self._refresh_index_now()

    def start_watcher(self) -> None:
        """Keep the index in sync with the notes folder (kb.watch) in a daemon thread."""
        assert self.notes_dir is not None and self.runner is not None
        self.watch_text = f"watching {self.notes_dir.name}/"
        self._refresh_bars()

        def changed(report: Any) -> None:
            self.ui(self._index_changed, report)

        def failed(exc: Exception) -> None:
            self.ui(self.notify, f"{exc}", title="Notes sync failed", severity="error", timeout=15)

        def stopped(why: str) -> None:
            if why:
                self.ui(self._watch_stopped, why)

        self.watcher = background.start_watcher(self.config, self.notes_dir, self.runner.ctx.embeddings,
                                                changed, failed, stopped, self.stop_watch)

    def _index_changed(self, report: Any) -> None:
        self.index_reports += 1
        self._set_index(f"index {report.chunks_total} chunks · updated {background.now_local()}")
        what = background.change_summary(report)
        if what:
            self.notify(f"Notes re-indexed: {what}.", title="Knowledge base", timeout=5)

    def _watch_stopped(self, why: str) -> None:
        self.watch_text = "not watching"
        self._refresh_bars()
        self.notify(why, title="Notes watcher stopped", severity="warning", timeout=15)

    # -- asking -----------------------------------------------------------------------------
    @on(Composer.Submitted)
    async def _submitted(self, event: Composer.Submitted) -> None:
        question = event.text.strip()
        if not question:
            return
        if self.busy:
            self.notify("Still answering; press esc to stop it first.", severity="warning")
            return
        event.composer.clear()
        await self.ask(question)

    async def ask(self, question: str) -> None:
        """Post a question (and its answer cards) and start the answering worker."""
        log = self.query_one("#log", VerticalScroll)
        await log.mount(QuestionCard(question))
        turn = Turn(question, self._jobs(question))
        if len(turn.jobs) == 1:
            await log.mount(turn.cards[0])
        else:
            await log.mount(Horizontal(*turn.cards, classes="compare-row"))
        log.scroll_end(animate=False)
        self.turn = turn
        self.busy = True
        self.answer_worker(turn)

    def _jobs(self, question: str) -> list[Job]:
        a = dict(self.toggles)
        if not self.compare_on:
            return [Job(self._card(question, a, f"{self.config.person}'s twin"), a, self.thread_id)]
        b = {**a, self.compare_flip: not a[self.compare_flip]}
        flip = f"{self.compare_flip} {'on' if b[self.compare_flip] else 'off'}"
        return [
            Job(self._card(question, a, "A · as configured", "A"), a, self.thread_id),
            Job(self._card(question, b, f"B · {flip}", "B"), b, self.thread_id + COMPARE_SUFFIX),
        ]

    def _card(self, question: str, toggles: dict[str, bool], label: str, variant: str = "") -> AnswerCard:
        self.cards += 1
        return AnswerCard(question, toggles, label, variant, card_id=f"card-{self.cards}")

    @work(thread=True, group="ask", exit_on_error=False)
    def answer_worker(self, turn: Turn) -> None:
        """Show one turn's events as they come; the graph itself runs in :meth:`_pump`."""
        try:
            if self.ask_lock.locked():
                for card in turn.cards:
                    self.ui(card.waiting, "waiting for the stopped answer to wind down…")
            if not self.base_ready.is_set():
                for card in turn.cards:
                    self.ui(card.waiting, "waiting for the models to load…")
                while not self.base_ready.wait(0.2) and not turn.stop.is_set() and not self.closing:
                    pass
            for job in turn.jobs:
                if turn.stop.is_set() or self.closing or self.runner is None:
                    break
                self._show_job(turn, job)
            if not turn.stop.is_set() and not self.closing:
                self._list_threads_now()
        finally:
            self.ui(self._done, turn)

    def _show_job(self, turn: Turn, job: Job) -> None:
        from backends.errors import BackendError
        from graph.release import REPLACE

        toggles = job.toggles
        if toggles["adapter"] and self.config.persona.adapters and not self.persona_ready.is_set():
            toggles = {**toggles, "adapter": False}  # the base model answers until the persona is loaded
            self.ui(self.notify, "The persona is still loading: the base model answers (marked).", timeout=6)
        events: queue.Queue[Any] = queue.Queue()
        threading.Thread(target=pump, args=(self.runner, turn, job, toggles, events, self.ask_lock,
                                            lambda: self.closing), name="twin-answer", daemon=True).start()
        card = job.card
        while True:
            try:
                event = events.get(timeout=0.2)
            except queue.Empty:
                if turn.stop.is_set() or self.closing:
                    return  # the card already says "stopped"; the pump winds down alone
                continue
            if turn.stop.is_set() or self.closing or event is None:
                return
            if isinstance(event, Exception):
                title = "Model backend error" if isinstance(event, BackendError) else "Could not answer"
                text = str(event) if isinstance(event, BackendError) else f"{type(event).__name__}: {event}"
                self._failed(turn, card, text, title)
                return
            if event.kind == "token" and event.text == REPLACE:
                self.ui(card.replace)
            elif event.kind == "token":
                self.ui(card.add_text, event.text)
            elif event.kind == "node" and not card.text:
                self.ui(card.waiting, progress_text(event.node, event.data, toggles))
            elif event.kind == "result":
                self.ui(self._answered, card, event.data)

    def _failed(self, turn: Turn, card: AnswerCard, message: str, title: str) -> None:
        if not turn.stop.is_set():
            self.ui(card.failed, message)
            self.ui(self.notify, message, title=title, severity="error", timeout=20)

    def _answered(self, card: AnswerCard, result: TurnResult) -> None:
        card.finish(result)
        if card.variant != "B" or self.current is None or self.current.variant != "A":
            self.select(card)
        else:
            self._show_inspector()
        self.query_one("#log", VerticalScroll).scroll_end(animate=False)

    def _done(self, turn: Turn) -> None:
        if self.turn is turn:
            self.turn = None
            self.busy = False

    def select(self, card: AnswerCard) -> None:
        if self.current is not None and self.current.is_attached:
            self.current.remove_class("-selected")
        self.current = card
        card.add_class("-selected")
        self._show_inspector()

    def _pair(self, card: AnswerCard) -> list[AnswerCard]:
        """The card, plus its compare partner when it has one."""
        parent = card.parent
        if card.variant and parent is not None:
            return [c for c in parent.query(AnswerCard) if c.result is not None]
        return [card] if card.result is not None else []

    def _show_inspector(self) -> None:
        card = self.current
        if card is None or card.result is None:
            return
        result = card.result
        n = len(result["sources"])
        route = result.get("route")
        caption = (f"{n} source{'s' if n != 1 else ''} for: {card.question[:60]}" if n else
                   f"No sources (route: {route}). "
                   + ("Retrieval is switched off." if route == "off" else "The twin answered without notes."))
        if card.variant:
            caption = f"[{card.label}] " + caption
        self.query_one(SourcesPanel).show(result["sources"], caption)
        pair = self._pair(card)
        self.query_one(TracePanel).show([(c.label if len(pair) > 1 else "", c.result) for c in pair])

    @on(AnswerCard.Selected)
    def _card_clicked(self, event: AnswerCard.Selected) -> None:
        if event.card.result is not None:
            self.select(event.card)

    # -- inspector events ----------------------------------------------------------------------
    @on(OptionList.OptionSelected, "#source-list")
    def _source_chosen(self, event: OptionList.OptionSelected) -> None:
        if self.current is None or self.current.result is None:
            return
        source = self.current.result["sources"][event.option_index]
        notes_dir = self.notes_dir or background.notes_dir_for(self.config)
        try:
            note = load_preview(notes_dir, source["path"], self.config.kb.max_file_bytes)
        except PreviewRefused as exc:
            self.notify(str(exc), title="Not shown", severity="warning")
            return
        self.push_screen(NoteScreen(note))

    @on(Switch.Changed)
    def _switched(self, event: Switch.Changed) -> None:
        name = (event.switch.id or "").removeprefix("sw-")
        if name == "compare":
            self._set_compare(event.value)
        elif name in NODE_NAMES:
            self.toggles[name] = event.value
            self._refresh_bars()

    @on(Select.Changed, "#compare-flip")
    def _flip_chosen(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.compare_flip = event.value
            self._refresh_bars()

    @on(OptionList.OptionSelected, "#thread-list")
    def _thread_chosen(self, event: OptionList.OptionSelected) -> None:
        thread_id = (event.option.id or "").removeprefix("thread:")
        if thread_id:
            self.open_thread(thread_id)

    @on(Button.Pressed, "#new-chat")
    async def _new_chat_pressed(self) -> None:
        await self.action_new_chat()

    # -- threads ---------------------------------------------------------------------------------
    def _list_threads_now(self) -> None:
        if self.runner is None:
            return
        try:
            thread_ids = self.runner.threads()
        except sqlite3.OperationalError:  # a new home: the checkpointer creates its tables on first use
            thread_ids = []
        listed: list[tuple[str, str]] = []
        for thread_id in thread_ids:
            if thread_id.endswith(COMPARE_SUFFIX):
                continue
            history = self.runner.history(thread_id)
            first = next((h["content"] for h in history if h["role"] == "human"), "(empty)")
            turns = sum(1 for h in history if h["role"] == "human")
            listed.append((thread_id, f"{first[:48]}  ({turns} turn{'s' if turns != 1 else ''})"))
            if len(listed) >= THREADS_LISTED:
                break
        self.ui(self.query_one(ThreadsPanel).show, listed, self.thread_id)

    @work(thread=True, group="ask", exit_on_error=False)
    def open_thread(self, thread_id: str) -> None:
        if self.busy:
            self.ui(self.notify, "Wait for the answer (or press esc) before switching chats.", severity="warning")
            return
        history = self.runner.history(thread_id) if self.runner is not None else []
        self.ui(self._show_history, thread_id, history)
        self._list_threads_now()

    async def _show_history(self, thread_id: str, history: list[dict[str, str]]) -> None:
        self.thread_id = thread_id
        self.current = None
        log = self.query_one("#log", VerticalScroll)
        await log.remove_children()
        for turn in history:
            if turn["role"] == "human":
                await log.mount(QuestionCard(turn["content"]))
            elif turn["role"] == "ai":
                card = self._card("", self.toggles, f"{self.config.person}'s twin")
                await log.mount(card)
                card.body.update(turn["content"])
        log.scroll_end(animate=False)
        self._refresh_bars()
        self.notify(f"Reopened {thread_id} ({sum(t['role'] == 'human' for t in history)} turns).", timeout=4)

    # -- actions (footer + command palette) -----------------------------------------------------
    def action_stop(self) -> None:
        """Stop now: the cards say so at once; the model winds down in the background."""
        turn = self.turn
        if turn is not None and not turn.stop.is_set():
            turn.stop.set()
            for card in turn.cards:
                if card.result is None:
                    card.stopped()
            self.busy = False
        elif self.size.width < NARROW and self.show_side:
            self.action_toggle_panel()  # narrow: esc goes back from the inspector to the chat

    def action_scroll_log(self, direction: str) -> None:
        log = self.query_one("#log", VerticalScroll)
        log.scroll_page_up() if direction == "up" else log.scroll_page_down()

    async def action_new_chat(self) -> None:
        if self.busy:
            self.notify("Wait for the answer (or press esc) before starting a new chat.", severity="warning")
            return
        self.thread_id = new_thread_id()
        self.current = None
        log = self.query_one("#log", VerticalScroll)
        await log.remove_children()
        await log.mount(Markdown(WELCOME.format(person=self.config.person)))
        self.query_one(SourcesPanel).show([], "No answer yet.")
        self._refresh_bars()
        self.query_one("#composer").focus()

    def action_compare(self) -> None:
        self._set_compare(not self.compare_on)
        switch = self.query_one("#sw-compare", Switch)
        with switch.prevent(Switch.Changed):
            switch.value = self.compare_on

    def _set_compare(self, on: bool) -> None:
        self.compare_on = on
        self._refresh_bars()
        if on:
            self.notify(f"Compare mode: B = A with {self.compare_flip} flipped (change it in Nodes, F4).",
                        timeout=5)

    def action_toggle_node(self, name: str) -> None:
        self.toggles[name] = not self.toggles[name]
        self.query_one(NodesPanel).set_switch(name, self.toggles[name])
        self._refresh_bars()

    def action_toggle_panel(self) -> None:
        self.show_side = not self.show_side
        self._apply_side()
        if not self.show_side:
            self.query_one("#composer").focus()

    def action_show_tab(self, tab: str) -> None:
        self.show_side = True
        self._apply_side()
        self.query_one(TabbedContent).active = tab

    def action_focus_input(self) -> None:
        if self.size.width < NARROW and self.show_side:
            self.action_toggle_panel()
        self.query_one("#composer").focus()

    def action_feedback(self, rating: str, card_id: str = "") -> None:
        card = self.query_one(f"#{card_id}", AnswerCard) if card_id else self.current
        if card is None or card.result is None:
            self.notify("No finished answer to rate yet.", severity="warning")
            return

        def save(comment: str | None) -> None:
            if comment is None:
                return
            record = make_record(card.result or {}, card.question, rating, comment, self.config, card.variant)
            path = append_feedback(self.config.home_path, record)
            card.mark_rated(rating)
            self.notify(f"Saved {'👍' if rating == 'up' else '👎'} to {path}", timeout=5)

        self.push_screen(FeedbackScreen(rating, card.question), save)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from system_commands(self)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that died unexpectedly is reported, never silently lost."""
        if event.state == WorkerState.ERROR and not self.closing:
            self.notify(f"{event.worker.error}", title=f"Background task {event.worker.name} failed",
                        severity="error", timeout=30)

    # -- shutdown ------------------------------------------------------------------------------------
    def finish_background(self, timeout_s: float = 30.0) -> bool:
        """After the app has closed: let a notes sync in progress finish (it writes the index).

        Returns True when an answer is still being generated (nothing of it needs saving, so
        the caller may exit without waiting for the model).
        """
        self.stop_watch.set()
        if self.watcher is not None:
            self.watcher.join(timeout_s)
        return self.ask_lock.locked()

    def on_unmount(self) -> None:
        self.closing = True
        if self.turn is not None:
            self.turn.stop.set()
        self.stop_watch.set()
        if self.owns_runner and self.runner is not None and not self.ask_lock.locked():
            self.runner.close()
