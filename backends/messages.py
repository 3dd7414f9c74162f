"""Convert langchain-core messages to the role/content dicts chat templates and Ollama use."""

from __future__ import annotations

from langchain_core.messages import BaseMessage

_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}


def to_role_dicts(messages: list[BaseMessage]) -> list[dict[str, str]]:
    out = []
    for message in messages:
        role = _ROLES.get(message.type, "user")
        content = message.content if isinstance(message.content, str) else str(message.content)
        out.append({"role": role, "content": content})
    return out
