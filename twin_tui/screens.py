"""Modal screens: a source note's preview and the feedback comment box."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Markdown, Static

from twin_tui.preview import NotePreview


class NoteScreen(ModalScreen[None]):
    """A source note (public notes only: :func:`twin_tui.preview.load_preview` guards it)."""

    BINDINGS = [Binding("escape,q", "dismiss", "Close")]

    def __init__(self, note: NotePreview) -> None:
        super().__init__()
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="note-dialog"):
            title = Text(self.note.title, style="bold")
            title.append(f"   {self.note.path}", style="dim")
            yield Static(title, id="note-title")
            with VerticalScroll(id="note-scroll"):
                yield Markdown(self.note.text, id="note-body")
            yield Static("[dim]esc / q: close[/]")

    def on_mount(self) -> None:
        self.query_one("#note-scroll").focus()


class FeedbackScreen(ModalScreen[str | None]):
    """Optional comment for a 👍/👎; enter saves, escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, rating: str, question: str) -> None:
        super().__init__()
        self.rating = rating
        self.question = question

    def compose(self) -> ComposeResult:
        mark = "👍 good answer" if self.rating == "up" else "👎 bad answer"
        with Vertical(id="feedback-dialog"):
            yield Static(f"[b]{mark}[/]")
            yield Static(Text(f"Q: {self.question[:200]}", style="dim"))
            yield Input(placeholder="Optional comment (what was good or wrong?)", id="feedback-comment")
            with Horizontal(id="feedback-buttons"):
                yield Button("Save", id="feedback-save", variant="primary")
                yield Button("Cancel", id="feedback-cancel")

    def on_mount(self) -> None:
        self.query_one("#feedback-comment", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "feedback-save":
            self.dismiss(self.query_one("#feedback-comment", Input).value)
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
