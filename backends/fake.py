"""A scripted chat model for fast tests: replies come from a queue, every call is recorded.

Like the fake models of the best-kept LLM command-line tools: a test says what the model
will answer, injects it through the context (``ctx.persona_model = ctx.persona_bare = model``) and then
checks what the graph did with it and what the model was asked. It streams word by word,
so streaming paths run for real. Never a stand-in for the real-model tests.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field

from backends.stopping import reply_chunks


class ScriptedChatModel(BaseChatModel):
    """Answers with ``replies`` in order (the last one repeats when the queue runs dry)."""

    replies: list[str] = Field(default_factory=lambda: ["OK."])
    calls: list[dict[str, Any]] = Field(default_factory=list)  # messages and options of each call
    supports_context_weight: bool = True  # accept context-aware decoding options (recorded only)
    name_for_trace: str = "scripted"

    @property
    def _llm_type(self) -> str:
        return "twin-scripted"

    def _next(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> str:
        self.calls.append({"messages": list(messages), **kwargs})
        return self.replies[min(len(self.calls), len(self.replies)) - 1]

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        text = self._next(messages, kwargs)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        """Word by word; the ``cancel`` option (a ``threading.Event``) stops it between words."""
        cancel = kwargs.get("cancel")
        text = self._next(messages, kwargs)

        def words() -> Generator[str, None, None]:
            for word in re.findall(r"\S+\s*|\s+", text):
                if cancel is not None and cancel.is_set():
                    return
                yield word

        return reply_chunks(words, cancel, run_manager)

    def label_logprobs(self, messages: list[BaseMessage], labels: list[str]) -> dict[str, float]:
        """The first label scores best (the ``llm`` router's interface)."""
        return {label: -float(i) for i, label in enumerate(labels)}
