"""Build chat and embedding models from config; nodes never care which backend runs."""

from __future__ import annotations

from pathlib import Path

from langchain_core.embeddings import Embeddings
from langchain_core.language_models.chat_models import BaseChatModel

from backends.embeddings import SentenceEmbeddings
from backends.sources import resolve_chat_source, resolve_embedding_source
from twin.config import EmbeddingConfig, ModelConfig


def chat_model(cfg: ModelConfig, home: Path, with_adapters: bool = True) -> BaseChatModel:
    """A chat model for ``cfg``; ``with_adapters=False`` gives the same weights bare."""
    if cfg.backend == "ollama":
        from backends.ollama_backend import OllamaChatModel

        model = "llama3.2" if cfg.model in ("", "embedded") else cfg.model
        return OllamaChatModel(
            host=cfg.ollama_host, model=model, max_new_tokens=cfg.max_new_tokens,
            temperature=cfg.temperature, seed=cfg.seed,
        )
    from backends.local import LocalChatModel

    return LocalChatModel(
        source=resolve_chat_source(cfg.model), home=home,
        adapters=list(cfg.adapters) if with_adapters else [],
        dtype=cfg.dtype, max_new_tokens=cfg.max_new_tokens, temperature=cfg.temperature,
        repetition_penalty=cfg.repetition_penalty, context_weight=cfg.context_weight,
        plausibility=cfg.plausibility, max_sentences=cfg.max_sentences, seed=cfg.seed, threads=cfg.threads,
    )


def embeddings_model(cfg: EmbeddingConfig) -> Embeddings:
    return SentenceEmbeddings(resolve_embedding_source(cfg.model), batch_size=cfg.batch_size)
