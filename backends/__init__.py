"""Model backends: local transformers (HF dir/id or GGUF, peft adapters), Ollama, embeddings.

Import-light: ``from backends.errors import ...`` or ``from backends.sources import ...`` does not
pull in langchain, torch or transformers; the factory functions load on first use.
"""

from __future__ import annotations

from typing import Any

from backends.errors import BackendError, BackendUnavailable

__all__ = ["BackendError", "BackendUnavailable", "chat_model", "embeddings_model"]


def __getattr__(name: str) -> Any:
    if name in ("chat_model", "embeddings_model"):
        from backends import factory

        return getattr(factory, name)
    raise AttributeError(f"module 'backends' has no attribute {name!r}")
