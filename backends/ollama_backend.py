"""Ollama chat model: the official ``ollama`` client against a configurable host."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import httpx
import ollama
import pydantic
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from backends.errors import BackendError, BackendUnavailable
from backends.messages import to_role_dicts
from backends.stopping import reply_chunks

CHECK_TIMEOUT_S = 5.0  # the start-up check: Ollama lists its models at once, even while busy


def unreachable_message(host: str) -> str:
    return f"Ollama is not reachable at {host}; start it with `ollama serve` or use --backend local"


def reason_of(exc: BaseException) -> str:
    """An exception's own words, or its type when it has none (httpx's timeouts often have none)."""
    return " ".join(str(exc).split()) or type(exc).__name__


class OllamaChatModel(BaseChatModel):
    """A model served by Ollama (``/api/chat``), streaming or not."""

    host: str = "http://127.0.0.1:11434"
    model: str = "llama3.2"
    max_new_tokens: int = 160
    temperature: float = 0.0
    seed: int = 0
    timeout_s: float = 120.0

    @property
    def _llm_type(self) -> str:
        return "twin-ollama"

    @property
    def name_for_trace(self) -> str:
        return f"ollama:{self.model}@{self.host}"

    def _client(self, timeout_s: float | None = None) -> ollama.Client:
        return ollama.Client(host=self.host, timeout=timeout_s or self.timeout_s)

    def _options(self, **overrides: Any) -> dict[str, Any]:
        return {
            "temperature": self.temperature,
            "seed": self.seed,
            "num_predict": overrides.get("max_new_tokens", self.max_new_tokens),
        }

    def _call(self, fn, *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)`` with every way the host can fail turned into one actionable
        BackendError: down, silent past the timeout, an HTTP error, a broken or non-Ollama reply."""
        try:
            return fn(*args, **kwargs)
        except (ConnectionError, httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise BackendUnavailable(unreachable_message(self.host)) from exc
        except httpx.TimeoutException as exc:
            raise BackendUnavailable(
                f"Ollama at {self.host} did not answer in time ({reason_of(exc)}); check that ollama_host "
                "points at a running Ollama server (`ollama ps` shows what it is doing)"
            ) from exc
        except ollama.ResponseError as exc:
            if exc.status_code == 404:
                raise BackendError(
                    f"Ollama at {self.host} has no model {self.model!r}; run `ollama pull {self.model}`"
                ) from exc
            if exc.status_code < 0:  # an error line inside a 200 stream: the model failed mid-answer
                raise BackendError(f"Ollama at {self.host} failed while answering: {exc.error}") from exc
            raise BackendError(f"Ollama at {self.host} answered {exc.status_code}: {exc.error}") from exc
        except (httpx.HTTPError, ValueError, pydantic.ValidationError) as exc:  # JSONDecodeError is a ValueError
            raise BackendError(
                f"Ollama at {self.host} sent a broken reply ({reason_of(exc)}); check that ollama_host "
                "points at an Ollama server and see its log"
            ) from exc

    def check(self) -> list[str]:
        """Fail early with a clear message if the host is down or lacks the model (within
        ``CHECK_TIMEOUT_S``: a host that accepts connections but never answers fails here, at
        start-up, not after the generation timeout)."""
        names = [m.model for m in self._call(self._listed).models]
        wanted = {self.model, f"{self.model}:latest"}
        if not wanted & set(names):
            raise BackendError(
                f"Ollama at {self.host} has no model {self.model!r} (it has: {', '.join(names) or 'none'}); "
                f"run `ollama pull {self.model}`"
            )
        return names

    def _listed(self) -> ollama.ListResponse:
        """``GET /api/tags``; a 404 there means the host is some other server, not Ollama."""
        try:
            return self._client(CHECK_TIMEOUT_S).list()
        except ollama.ResponseError as exc:
            if exc.status_code != 404:
                raise
            raise BackendError(
                f"{self.host} is not an Ollama server (GET /api/tags answered 404); check ollama_host / "
                "--ollama-host (Ollama listens on port 11434 by default)"
            ) from exc

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        response = self._call(
            self._client().chat, model=self.model, messages=to_role_dicts(messages),
            stream=False, options=self._options(**kwargs),
        )
        message = AIMessage(content=response.message.content or "")
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        cancel: threading.Event | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """Stream the reply; once ``cancel`` is set (or the consumer closes this stream) the HTTP
        response is closed, which ends the generation on the Ollama server."""
        return reply_chunks(lambda: self._pieces(messages, cancel, **kwargs), cancel, run_manager)

    def _pieces(self, messages: list[BaseMessage], cancel: threading.Event | None, **kwargs: Any) -> Iterator[str]:
        """The reply's text as the server streams it; the response is closed on the way out.
        Ollama ends every reply with a ``done`` line: a stream that stops without one was cut
        (the server died or a proxy hung up), and a cut answer is an error, not an answer."""
        stream = self._call(
            self._client().chat, model=self.model, messages=to_role_dicts(messages),
            stream=True, options=self._options(**kwargs),
        )
        with closing(stream):
            while cancel is None or not cancel.is_set():
                part = self._call(next, stream, None)
                if part is None:
                    raise BackendError(f"Ollama at {self.host} stopped before the answer was done (the "
                                       "connection closed mid-answer); see the Ollama server's log")
                if piece := part.message.content or "":
                    yield piece
                if part.done:
                    break

    def choose(self, messages: list[BaseMessage], labels: list[str]) -> str:
        """Structured output: ask Ollama for JSON constrained to one of ``labels``."""
        schema = {"type": "object", "properties": {"label": {"type": "string", "enum": labels}}, "required": ["label"]}
        response = self._call(
            self._client().chat, model=self.model, messages=to_role_dicts(messages),
            stream=False, format=schema, options=self._options(max_new_tokens=20),
        )
        try:
            label = json.loads(response.message.content or "{}").get("label", "")
        except json.JSONDecodeError:
            label = ""
        return label if label in labels else labels[0]
