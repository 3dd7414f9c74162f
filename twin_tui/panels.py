"""The inspector's tabs: sources of the selected answer, its trace, node switches, saved threads."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label, OptionList, Select, Static, Switch
from textual.widgets.option_list import Option

from twin.config import NODE_NAMES
from twin_tui.trace import source_prompt, traces_renderable

NODE_HELP = {
    "analyze": "decide whether to look in the notes",
    "retrieve": "search the notes",
    "rerank": "newer notes win conflicts",
    "rewrite": "make follow-ups standalone",
    "adapter": "persona LoRA adapter",
    "cad": "context-aware decoding: lean on the notes",
    "judge": "privacy / PII / injection / grounding judge",
}


class SourcesPanel(Vertical):
    def compose(self) -> ComposeResult:
        yield Static("No answer yet.", id="sources-caption")
        yield OptionList(id="source-list")

    def show(self, sources: list[dict[str, Any]], caption: str) -> None:
        self.query_one("#sources-caption", Static).update(Text(caption))
        options = self.query_one("#source-list", OptionList)
        options.clear_options()
        options.add_options([Option(source_prompt(i + 1, s), id=f"src-{i}") for i, s in enumerate(sources)])
        options.highlighted = 0 if sources else None


class TracePanel(VerticalScroll):
    EMPTY = "Ask something to see how the twin answered."

    def compose(self) -> ComposeResult:
        yield Static(self.EMPTY, id="trace-body")

    def show(self, results: list[tuple[str, dict[str, Any]]]) -> None:
        self.query_one("#trace-body", Static).update(traces_renderable(results))

    def clear(self) -> None:
        """No answer selected (a new or reopened chat): no trace of another chat's answer."""
        self.query_one("#trace-body", Static).update(self.EMPTY)


class NodesPanel(VerticalScroll):
    """One switch per graph node (next message), plus compare mode and what B flips."""

    def __init__(self, toggles: dict[str, bool], compare_flip: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.initial = toggles
        self.compare_flip = compare_flip

    def compose(self) -> ComposeResult:
        for name in NODE_NAMES:
            with Horizontal(classes="node-row"):
                yield Switch(value=self.initial.get(name, True), id=f"sw-{name}")
                yield Label(f"[b]{name}[/] [dim]{NODE_HELP[name]}[/]")
        yield Static("[b]Compare[/] (same question, two configs)", classes="nodes-caption")
        with Horizontal(classes="node-row"):
            yield Switch(value=False, id="sw-compare")
            yield Label("[b]compare mode[/] [dim]A = the switches above; B = A with:[/]")
        yield Select([(f"{n} flipped", n) for n in NODE_NAMES], value=self.compare_flip,
                     allow_blank=False, id="compare-flip")

    def set_switch(self, name: str, value: bool) -> None:
        switch = self.query_one(f"#sw-{name}", Switch)
        if switch.value != value:
            with switch.prevent(Switch.Changed):
                switch.value = value


class ThreadsPanel(Vertical):
    def compose(self) -> ComposeResult:
        yield Button("New chat", id="new-chat", variant="primary")
        yield OptionList(id="thread-list")

    listed: tuple[tuple[str, str], ...] = ()  # (thread id, label) as last shown

    def show(self, threads: list[tuple[str, str]], current: str) -> None:
        self.listed = tuple(threads)
        options = self.query_one("#thread-list", OptionList)
        options.clear_options()
        for thread_id, label in threads:
            prompt = Text(("▶ " if thread_id == current else "  ") + label)
            prompt.append(f"\n  {thread_id}", style="dim")
            options.add_option(Option(prompt, id=f"thread:{thread_id}"))

    def mark(self, current: str) -> None:
        """Move the ▶ to ``current`` (the chat just started or reopened) without re-reading the threads."""
        self.show(list(self.listed), current)
