"""The node switches of a turn (``state["toggles"]``): every node can be switched off."""

from __future__ import annotations

from twin.state import TwinState


def is_on(state: TwinState, node: str) -> bool:
    """A node is on unless this turn's toggles switch it off."""
    return bool(state.get("toggles", {}).get(node, True))
