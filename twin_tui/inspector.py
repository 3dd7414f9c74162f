"""The inspector: the selected answer's sources (click one to read the note) and trace
(both cards' traces side by side in compare mode)."""

from __future__ import annotations

from textual import on
from textual.widgets import OptionList

from twin_tui import background
from twin_tui.base import TwinBase
from twin_tui.panels import SourcesPanel, TracePanel
from twin_tui.preview import PreviewRefused, load_preview
from twin_tui.screens import NoteScreen
from twin_tui.trace import one_line
from twin_tui.widgets import AnswerCard


class Inspector(TwinBase):
    """Select an answer; show its sources and trace; open a source note."""

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
        caption = (f"{n} source{'s' if n != 1 else ''} for: {one_line(card.question, 60)}" if n else
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

    @on(OptionList.OptionSelected, "#source-list")
    def _source_chosen(self, event: OptionList.OptionSelected) -> None:
        if self.current is None or self.current.result is None:
            return
        source = self.current.result["sources"][event.option_index]
        notes_dir = self.notes_dir or background.notes_dir_for(self.config)
        try:
            note = load_preview(notes_dir, source["path"], self.config.kb.max_file_bytes)
        except PreviewRefused as exc:
            self.notify(str(exc), title="Not shown", severity="warning", markup=False)
            return
        self.push_screen(NoteScreen(note))
