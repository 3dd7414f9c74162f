"""A turn's stop switch, carried in the run's LangGraph config (``configurable["cancel"]``).

The runner puts the caller's ``threading.Event`` there (the TUI's esc sets it); nodes hand it to
their model calls as the ``cancel`` option, and the backend ends generation once it is set.
"""

from __future__ import annotations

from typing import Any

from langgraph.config import get_config

CANCEL_KEY = "cancel"


def cancel_option() -> dict[str, Any]:
    """``{"cancel": event}`` for a model call made inside a graph run that has a stop switch,
    else ``{}`` (no switch, or called outside a graph run)."""
    try:
        configurable = get_config().get("configurable") or {}
    except RuntimeError:  # not inside a graph run
        return {}
    event = configurable.get(CANCEL_KEY)
    return {"cancel": event} if event is not None else {}
