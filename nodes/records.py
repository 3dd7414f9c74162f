"""Per-node records merged into the turn's state: wall time (:func:`recorded`) and decisions
(:func:`with_decision`). The node switches are :mod:`nodes.toggles`."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from twin import loadtime
from twin.state import TwinState


def recorded(name: str) -> Callable[[Callable[[TwinState], dict]], Callable[[TwinState], dict]]:
    """Wrap a node so its wall time lands in ``timings_ms[name]`` (summed when a turn runs it twice);
    time spent loading models on first use is reported apart, as ``timings_ms["load_<what>"]``
    (see :mod:`twin.loadtime`)."""

    def decorate(fn: Callable[[TwinState], dict]) -> Callable[[TwinState], dict]:
        @wraps(fn)
        def node(state: TwinState) -> dict:
            point = loadtime.mark()
            start = time.perf_counter()
            update = fn(state)
            elapsed = (time.perf_counter() - start) * 1000
            loads = loadtime.since(point)
            work = max(elapsed - sum(loads.values()), 0.0)
            before = state.get("timings_ms", {})
            timings = {**before, **update.get("timings_ms", {}), name: round(before.get(name, 0.0) + work, 1)}
            return {**update, "timings_ms": loadtime.merge(timings, loads)}

        return node

    return decorate


def with_decision(state: TwinState, name: str, decision: Any) -> dict[str, Any]:
    return {**state.get("decisions", {}), name: decision}
