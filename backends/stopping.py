"""Stopping a reply on request: the ``cancel`` option of every chat backend's stream.

A caller (the TUI's esc, through the runner's config) hands a ``threading.Event`` to
``model.stream(..., cancel=event)``. The local backend passes :class:`EventStop` to
``model.generate`` as a stopping criterion, checked after every new token, so generation ends
within a token of the switch and the weights' lock is free again at once (not after
``max_new_tokens``); Ollama's stream closes its HTTP response, which ends the server's generation.
:func:`reply_chunks` turns a backend's text pieces into LangChain chunks the same way for both.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk


class EventStop:
    """A transformers stopping criterion: stop every row once one of ``events`` is set
    (``None`` entries are ignored)."""

    def __init__(self, *events: threading.Event | None) -> None:
        self.events = [event for event in events if event is not None]

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        done = any(event.is_set() for event in self.events)
        return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)


def reply_chunks(pieces: Callable[[], Generator[str, None, None]], cancel: threading.Event | None,
                 run_manager: CallbackManagerForLLMRun | None) -> Iterator[ChatGenerationChunk]:
    """The chunks of a reply whose text ``pieces()`` streams; not started when ``cancel`` is already
    set. Closing these chunks closes ``pieces()`` at once (which stops its generation). A reply
    with no word (stopped before its first, or the model's first token ended it: an end-of-text
    token, an Ollama reply with empty content) is one empty chunk: LangChain's ``stream`` wants at
    least one, and raised "No generation chunks were returned" out of the turn."""
    said = False
    if cancel is None or not cancel.is_set():
        with closing(pieces()) as texts:
            for text in texts:
                if run_manager:
                    run_manager.on_llm_new_token(text)
                said = True
                yield ChatGenerationChunk(message=AIMessageChunk(content=text))
    if not said:
        yield ChatGenerationChunk(message=AIMessageChunk(content=""))
