"""Chat widgets: the multiline composer, question/answer cards, the toggle bar and status bar."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.message import Message
from textual.widgets import Markdown, Static, TextArea

from twin.config import NODE_NAMES
from twin_tui.trace import card_summary

if TYPE_CHECKING:
    from graph.result import TurnResult


class Composer(TextArea):
    """Multiline input: enter sends, ctrl+j / shift+enter / alt+enter insert a newline."""

    NEWLINE_KEYS = ("ctrl+j", "shift+enter", "alt+enter")
    BINDINGS = [
        Binding("pageup", "app.scroll_log('up')", "Scroll up", show=False),
        Binding("pagedown", "app.scroll_log('down')", "Scroll down", show=False),
    ]

    class Submitted(Message):
        def __init__(self, composer: Composer, text: str) -> None:
            super().__init__()
            self.composer = composer
            self.text = text

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.post_message(self.Submitted(self, self.text))
            return
        if event.key in self.NEWLINE_KEYS:
            event.stop()
            event.prevent_default()
            self.insert("\n")
            return
        await super()._on_key(event)


class QuestionCard(Static):
    """The user's message (shown verbatim: never parsed as markup)."""

    def __init__(self, question: str) -> None:
        text = Text("You  ", style="bold")
        text.append(question)
        super().__init__(text, classes="question")


class AnswerCard(Vertical):
    """One answer: a label, the streamed (judged) markdown, then a one-line trace and feedback links."""

    class Selected(Message):
        def __init__(self, card: AnswerCard) -> None:
            super().__init__()
            self.card = card

    def __init__(self, question: str, toggles: dict[str, bool], label: str, variant: str = "",
                 card_id: str = "") -> None:
        super().__init__(id=card_id, classes="answer")
        self.question = question
        self.toggles = dict(toggles)
        self.label = label
        self.variant = variant  # "" | "A" | "B"
        self.text = ""
        self.result: TurnResult | None = None
        self.rated = ""

    def compose(self) -> ComposeResult:
        yield Static(Text(self.label, style="bold"), classes="answer-label")
        yield Markdown("_thinking…_", classes="answer-body")
        yield Static("", classes="answer-meta")

    @property
    def body(self) -> Markdown:
        return self.query_one(".answer-body", Markdown)

    @property
    def meta(self) -> Static:
        return self.query_one(".answer-meta", Static)

    def waiting(self, why: str) -> None:
        self.body.update(f"_{why}_")

    def replace(self) -> None:
        """The judge rewrote the answer: drop what was shown."""
        self.text = ""
        self.body.update("_checking…_")

    def add_text(self, piece: str) -> None:
        self.text += piece
        self.body.update(self.text)

    def finish(self, result: TurnResult) -> None:
        self.result = result
        self.text = result.get("answer", "")
        self.body.update(self.text or "_(no answer)_")
        self.set_class(result.get("judge", {}).get("verdict") == "blocked", "-blocked")
        self.set_class(not result.get("toggles", {}).get("adapter", True), "-base")
        self._render_meta()

    def stopped(self) -> None:
        self.body.update((self.text + "\n\n" if self.text else "") + "_⏹ stopped_")
        self.meta.update("stopped before the judge finished: nothing more is shown")
        self.add_class("-stopped")

    def failed(self, message: str) -> None:
        self.body.update(f"**Error:** {escape(message)}")
        self.add_class("-error")

    def mark_rated(self, rating: str) -> None:
        self.rated = rating
        self._render_meta()

    def _render_meta(self) -> None:
        if self.result is None:
            return
        summary = escape(card_summary(self.result))
        cid = self.id or ""
        if self.rated:
            votes = "👍 saved" if self.rated == "up" else "👎 saved"
        else:
            votes = (f"[@click=app.feedback('up','{cid}')]👍[/] "
                     f"[@click=app.feedback('down','{cid}')]👎[/]")
        self.meta.update(f"{summary}  {votes}")

    def on_click(self, event: events.Click) -> None:
        self.post_message(self.Selected(self))


class NodeChip(Static):
    """One node's switch in the bar: green ● on, red ○ off; a click flips it."""

    def __init__(self, name: str) -> None:
        super().__init__(id=f"chip-{name}", classes="chip")
        self.node = name

    def show(self, on: bool) -> None:
        self.update(("● " if on else "○ ") + self.node)
        self.set_class(on, "-on")
        self.set_class(not on, "-off")

    async def on_click(self) -> None:
        await self.app.run_action(f"toggle_node('{self.node}')")


class ToggleBar(Horizontal):
    """Every node switch at a glance, and the compare mode."""

    def compose(self) -> ComposeResult:
        for name in NODE_NAMES:
            yield NodeChip(name)
        yield Static("", id="compare-chip")

    def show(self, toggles: dict[str, bool], compare: str) -> None:
        for chip in self.query(NodeChip):
            chip.show(toggles.get(chip.node, True))
        chip = self.query_one("#compare-chip", Static)
        chip.update(Text(f"│ compare: {compare}" if compare else "│ compare off"))
        chip.set_class(bool(compare), "-on")


class StatusBar(Static):
    """Model status · index size and last update · notes watcher."""

    def show(self, models: str, index: str, watcher: str) -> None:
        self.update(Text(" · ".join(p for p in (models, index, watcher) if p)))
