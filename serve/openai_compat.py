"""The OpenAI chat-completions wire format: requests in, completion objects and chunks out.

Only what a chat client needs: ``messages`` (the last one is the question; earlier user and
assistant turns are the history; system messages are ignored, the twin's persona is not the
caller's to replace), ``model`` (a profile), ``stream``, ``stream_options.include_usage``. Twin's extras (thread, route, sources,
judge verdict, timings) ride in a ``twin`` field that OpenAI clients keep as an extra attribute.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

HISTORY_ROLES = {"user", "assistant"}
IGNORED_ROLES = {"system", "developer", "tool", "function"}


class BadMessages(ValueError):
    pass


def text_of(content: Any) -> str:
    """A message's text: a string, or the text parts of a list of content parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        if len(parts) != len(content):
            raise BadMessages("only text content parts are supported (no images or audio)")
        if not all(isinstance(part, str) for part in parts):
            raise BadMessages("a text content part's text must be a string")
        return "\n".join(parts)
    raise BadMessages("message content must be a string or a list of text parts")


def split_messages(messages: list[dict[str, Any]]) -> tuple[str, list[tuple[str, str]]]:
    """(question, history): the last user message, and the user/assistant turns before it."""
    turns: list[tuple[str, str]] = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise BadMessages(f"messages[{i}] must be an object with role and content")
        role = message.get("role")
        if not isinstance(role, str):
            raise BadMessages(f"messages[{i}].role must be a string: user, assistant or system")
        if role in IGNORED_ROLES:
            continue
        if role not in HISTORY_ROLES:
            raise BadMessages(f"messages[{i}].role {role!r} is not one of user, assistant, system")
        turns.append((role, text_of(message.get("content"))))
    if not turns or turns[-1][0] != "user":
        raise BadMessages("the last message must be the user's question")
    question = turns[-1][1].strip()
    if not question:
        raise BadMessages("the question (the last user message) is empty")
    return question, [t for t in turns[:-1] if t[1].strip()]


def new_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


def completion(cid: str, model: str, answer: str, twin: dict[str, Any],
               usage: dict[str, int] | None = None) -> dict[str, Any]:
    """A ``chat.completion``; ``usage`` is left out where the tokens cannot be counted."""
    out: dict[str, Any] = {
        "id": cid, "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer},
                     "finish_reason": "stop", "logprobs": None}],
        "twin": twin,
    }
    if usage is not None:
        out["usage"] = usage
    return out


def chunk(cid: str, model: str, delta: dict[str, Any], finish: str | None = None,
          twin: dict[str, Any] | None = None, with_usage: bool = False) -> dict[str, Any]:
    """A ``chat.completion.chunk``; ``with_usage`` (the caller asked for ``stream_options.include_usage``)
    adds ``"usage": null``, as OpenAI sends on every chunk but the last."""
    out: dict[str, Any] = {
        "id": cid, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
    }
    if with_usage:
        out["usage"] = None
    if twin is not None:
        out["twin"] = twin
    return out


def usage_chunk(cid: str, model: str, usage: dict[str, int]) -> dict[str, Any]:
    """The chunk ``stream_options.include_usage`` asks for, before ``[DONE]``: no choices, the usage."""
    return {"id": cid, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
            "choices": [], "usage": usage}


def model(profile: Any) -> dict[str, Any]:
    """A profile as OpenAI's ``Model`` (plus its ``description``)."""
    return {"id": profile.name, "object": "model", "created": 0, "owned_by": "twin", "description": profile.description}


def model_list(profiles: list[Any]) -> dict[str, Any]:
    return {"object": "list", "data": [model(p) for p in profiles]}


def error_body(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "code": code, "param": None}}
