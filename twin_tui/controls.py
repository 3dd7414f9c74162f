"""The user's controls: node switches (Nodes tab, toggle bar, alt+N), compare mode and its
flipped node, the side panel and tabs, focus and scrolling, feedback on an answer, and the
command palette (the key bindings themselves are :data:`twin_tui.commands.APP_BINDINGS`)."""

from __future__ import annotations

from collections.abc import Iterable

from textual import on
from textual.app import SystemCommand
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Select, Switch, TabbedContent

from twin.config import NODE_NAMES
from twin_tui.base import NARROW, TwinBase
from twin_tui.commands import system_commands
from twin_tui.feedback import append_feedback, make_record
from twin_tui.panels import NodesPanel
from twin_tui.screens import FeedbackScreen
from twin_tui.widgets import AnswerCard


class Controls(TwinBase):
    """Switches, compare mode, panel, feedback and the palette's commands."""

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

    def action_scroll_log(self, direction: str) -> None:
        log = self.query_one("#log", VerticalScroll)
        log.scroll_page_up() if direction == "up" else log.scroll_page_down()

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
            self.notify(f"Saved {'👍' if rating == 'up' else '👎'} to {path}", timeout=5, markup=False)

        self.push_screen(FeedbackScreen(rating, card.question), save)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from system_commands(self)
