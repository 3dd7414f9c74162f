"""Model backends: local transformers (HF dir/id or GGUF, peft adapters), Ollama, embeddings."""

from llm.errors import BackendError, BackendUnavailable
from llm.factory import chat_model, embeddings_model

__all__ = ["BackendError", "BackendUnavailable", "chat_model", "embeddings_model"]
