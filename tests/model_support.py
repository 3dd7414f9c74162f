"""Counting what the local model really computes (not what reached the caller)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def counting_forwards(chat_model: Any, after: Callable[[], bool] = lambda: False) -> Iterator[list[bool]]:
    """The forward passes of a local chat model's weights while the block runs, one entry per pass:
    ``generate`` makes one per new token (the first one reads the prompt and picks the first token).
    Each entry says whether ``after()`` (e.g. a stop switch's ``is_set``) was true when the pass ended,
    so ``sum(passes)`` counts the passes that ended after that moment."""
    passes: list[bool] = []
    model = chat_model.weights().model
    # once adapters are loaded the shared weights are a peft wrapper whose generate() runs the
    # wrapped model's forward, not its own: hook the model that really runs
    core = model.get_base_model() if hasattr(model, "get_base_model") else model
    handle = core.register_forward_hook(lambda *_: passes.append(after()))
    try:
        yield passes
    finally:
        handle.remove()
