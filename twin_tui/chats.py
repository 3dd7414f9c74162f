"""Conversations (graph threads): list them, reopen one, start a new one."""

from __future__ import annotations

import sqlite3

from textual import on, work
from textual.containers import VerticalScroll
from textual.widgets import Button, Markdown, OptionList

from twin_tui.base import WELCOME, TwinBase
from twin_tui.panels import SourcesPanel, ThreadsPanel, TracePanel
from twin_tui.trace import one_line
from twin_tui.turns import COMPARE_SUFFIX, new_thread_id
from twin_tui.widgets import QuestionCard

THREADS_LISTED = 30


class Chats(TwinBase):
    """The Threads tab and the chat log's history."""

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
            listed.append((thread_id, f"{one_line(first, 48)}  ({turns} turn{'s' if turns != 1 else ''})"))
            if len(listed) >= THREADS_LISTED:
                break
        self.ui(self.query_one(ThreadsPanel).show, listed, self.thread_id)

    @on(OptionList.OptionSelected, "#thread-list")
    def _thread_chosen(self, event: OptionList.OptionSelected) -> None:
        thread_id = (event.option.id or "").removeprefix("thread:")
        if thread_id:
            self.open_thread(thread_id)

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
        self._forget_answers()
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

    def _forget_answers(self) -> None:
        """Another chat is shown: the inspector drops the old chat's answer, the ▶ follows the chat."""
        self.current = None
        self.query_one(SourcesPanel).show([], "No answer yet.")
        self.query_one(TracePanel).clear()
        self.query_one(ThreadsPanel).mark(self.thread_id)

    @on(Button.Pressed, "#new-chat")
    async def _new_chat_pressed(self) -> None:
        await self.action_new_chat()

    async def action_new_chat(self) -> None:
        if self.busy:
            self.notify("Wait for the answer (or press esc) before starting a new chat.", severity="warning")
            return
        self.thread_id = new_thread_id()
        self._forget_answers()
        log = self.query_one("#log", VerticalScroll)
        await log.remove_children()
        await log.mount(Markdown(WELCOME.format(person=self.config.person)))
        self._refresh_bars()
        self.query_one("#composer").focus()
