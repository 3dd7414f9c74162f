"""Load time kept apart from work time, so the numbers match what a user waits for.

Loading a model, the embeddings, the judge or the store happens once per process, on
first use, inside whichever node needs it first. Wrapping each load in
``with loading("model"):`` records its wall time (exclusive of loads nested inside it,
and including any wait for another thread that is loading the same thing) for the
current thread; :func:`nodes.records.recorded` subtracts it from the node's time and
reports it as ``timings_ms["load_model"]`` etc. A warm process has no ``load_*`` entries.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_local = threading.local()


def _records() -> list[tuple[str, float]]:
    records = getattr(_local, "records", None)
    if records is None:
        records = _local.records = []
    return records


def _stack() -> list[float]:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


@contextmanager
def loading(name: str) -> Iterator[None]:
    """Record the wall time of the block as loading ``name`` (this thread only)."""
    stack = _stack()
    stack.append(0.0)  # seconds of loads nested in this one
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        nested = stack.pop()
        _records().append((name, elapsed - nested))
        if stack:
            stack[-1] += elapsed


def mark() -> int:
    """A point in this thread's load record (pass it to :func:`since`)."""
    return len(_records())


def since(point: int) -> dict[str, float]:
    """Milliseconds spent loading each thing in this thread since ``point``."""
    out: dict[str, float] = {}
    for name, seconds in _records()[point:]:
        out[name] = out.get(name, 0.0) + seconds * 1000
    return out


def merge(timings: dict[str, float], loads: dict[str, float]) -> dict[str, float]:
    """``timings`` plus ``load_<name>`` entries (added to any already there), rounded."""
    merged = dict(timings)
    for name, ms in loads.items():
        key = f"load_{name}"
        merged[key] = round(merged.get(key, 0.0) + ms, 1)
    return merged
