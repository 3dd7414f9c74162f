"""Per-node timing and decision records, merged into the turn's state."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from graph.state import TwinState
from twin import loadtime


def recorded(name: str) -> Callable[[Callable[[TwinState], dict]], Callable[[TwinState], dict]]:
    """Wrap a node so its wall time lands in ``timings_ms[name]``; time spent loading models
    on first use is reported apart, as ``timings_ms["load_<what>"]`` (see :mod:`twin.loadtime`)."""

    def decorate(fn: Callable[[TwinState], dict]) -> Callable[[TwinState], dict]:
        @wraps(fn)
        def node(state: TwinState) -> dict:
            point = loadtime.mark()
            start = time.perf_counter()
            update = fn(state)
            elapsed = (time.perf_counter() - start) * 1000
            loads = loadtime.since(point)
            work = round(max(elapsed - sum(loads.values()), 0.0), 1)
            timings = {**state.get("timings_ms", {}), **update.get("timings_ms", {}), name: work}
            return {**update, "timings_ms": loadtime.merge(timings, loads)}

        return node

    return decorate


def with_decision(state: TwinState, name: str, decision: Any) -> dict[str, Any]:
    return {**state.get("decisions", {}), name: decision}


def is_on(state: TwinState, node: str) -> bool:
    return bool(state.get("toggles", {}).get(node, True))
