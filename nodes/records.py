"""Per-node wall time (:func:`recorded`), merged into the turn's ``timings_ms`` by the state's reducer
(:func:`twin.state.add_timings`); decisions are merged the same way (a node returns
``{"decisions": {name: ...}}``). The node switches are :mod:`nodes.toggles`."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps

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
            return {**update, "timings_ms": loadtime.merge({name: work}, loads)}

        return node

    return decorate

