"""A chat turn: post the question and its answer card(s), run the graph off the event loop
(:func:`twin_tui.turns.pump` in a daemon thread, watched by a thread worker), stream the judged
text into the cards, and stop it on esc."""

from __future__ import annotations

import queue
import threading
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.containers import Horizontal, VerticalScroll

from backends.errors import BackendError
from twin_tui.base import NARROW, TwinBase
from twin_tui.turns import COMPARE_SUFFIX, Job, Turn, progress_text, pump
from twin_tui.widgets import AnswerCard, Composer, QuestionCard

if TYPE_CHECKING:
    from graph.result import TurnResult


class Asking(TwinBase):
    """Questions in, answers out (one or two cards: compare mode)."""

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
        """Show one turn's events as they come; the graph itself runs in :func:`twin_tui.turns.pump`."""
        try:
            if self.ask_lock.locked():
                for card in turn.cards:
                    self.ui(card.waiting, "waiting for the stopped answer to wind down…")
            if not self.base_ready.is_set():
                for card in turn.cards:
                    self.ui(card.waiting, "waiting for the models to load…")
                while not self.base_ready.wait(0.2) and not turn.stop.is_set() and not self.closing:
                    pass
            if self.runner is None:
                self._cannot_answer(turn)
                return
            for job in turn.jobs:
                if turn.stop.is_set() or self.closing or self.runner is None:
                    break
                self._show_job(turn, job)
            if not turn.stop.is_set() and not self.closing:
                self._list_threads_now()
        finally:
            self.ui(self._done, turn)

    def _show_job(self, turn: Turn, job: Job) -> None:
        from graph.release import REPLACE  # lazy: graph.release pulls in langchain-core (seconds at start-up)

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

    def _cannot_answer(self, turn: Turn) -> None:
        """The models never loaded: say so on the cards instead of leaving them "thinking…"."""
        why = f": {self.load_error}" if self.load_error else ""
        message = f"The models did not load{why}. Fix that and restart the chat."
        if turn.stop.is_set():
            return
        for card in turn.cards:
            self.ui(card.failed, message)
        self.ui(self.notify, message, title="Cannot answer", severity="error", timeout=20, markup=False)

    def _failed(self, turn: Turn, card: AnswerCard, message: str, title: str) -> None:
        if not turn.stop.is_set():
            self.ui(card.failed, message)
            self.ui(self.notify, message, title=title, severity="error", timeout=20, markup=False)

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

    def action_stop(self) -> None:
        """Stop now: the cards say so at once; ``turn.stop`` is the run's cancel switch, so the model
        stops generating within a token instead of running on to its token limit."""
        turn = self.turn
        if turn is not None and not turn.stop.is_set():
            turn.stop.set()
            for card in turn.cards:
                if card.result is None:
                    card.stopped()
            self.busy = False
        elif self.size.width < NARROW and self.show_side:
            self.action_toggle_panel()  # narrow: esc goes back from the inspector to the chat
