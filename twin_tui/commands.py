"""Every action, twice: as key bindings (footer, help) and as command palette entries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import SystemCommand
from textual.binding import Binding

from twin.config import NODE_NAMES

TABS = ("sources", "trace", "nodes", "threads")

APP_BINDINGS = [
    Binding("escape", "stop", "Stop", tooltip="Stop the answer being written"),
    Binding("ctrl+n", "new_chat", "New", tooltip="Start a new chat"),
    Binding("ctrl+r", "compare", "Compare", tooltip="Answer with two configurations side by side"),
    Binding("ctrl+b", "toggle_panel", "Panel", tooltip="Show or hide the inspector panel"),
    Binding("f8", "feedback('up')", "👍", tooltip="Rate the selected answer good"),
    Binding("f9", "feedback('down')", "👎", tooltip="Rate the selected answer bad"),
    Binding("f2", "show_tab('sources')", "Sources"),
    Binding("f3", "show_tab('trace')", "Trace"),
    Binding("f4", "show_tab('nodes')", "Nodes"),
    Binding("f5", "show_tab('threads')", "Threads"),
    Binding("ctrl+l", "focus_input", "Input", show=False),
    *[Binding(f"alt+{i}", f"toggle_node('{n}')", f"Toggle {n}", show=False, priority=True)
      for i, n in enumerate(NODE_NAMES, start=1)],
]


def system_commands(app: Any) -> Iterable[SystemCommand]:
    """Palette entries for a :class:`twin_tui.app.TwinApp` (ctrl+p)."""
    yield SystemCommand("Stop answer", "Stop the answer being written (esc)", app.action_stop)
    yield SystemCommand("New chat", "Start a new conversation (ctrl+n)", app.action_new_chat)
    yield SystemCommand("Compare mode", "Answer with two configurations side by side (ctrl+r)",
                        app.action_compare)
    yield SystemCommand("Toggle panel", "Show or hide the inspector (ctrl+b)", app.action_toggle_panel)
    for tab in TABS:
        yield SystemCommand(f"Show {tab}", f"Open the {tab} tab", lambda t=tab: app.action_show_tab(t))
    yield SystemCommand("Rate answer 👍", "Save positive feedback on the selected answer (f8)",
                        lambda: app.action_feedback("up"))
    yield SystemCommand("Rate answer 👎", "Save negative feedback on the selected answer (f9)",
                        lambda: app.action_feedback("down"))
    for i, name in enumerate(NODE_NAMES, start=1):
        state = "off" if app.toggles[name] else "on"
        yield SystemCommand(f"Toggle node: {name}", f"Switch {name} {state} for the next message (alt+{i})",
                            lambda n=name: app.action_toggle_node(n))
    yield SystemCommand("Reload index status", "Recount the indexed chunks", app.refresh_index)
