"""Everything the nodes need, built once from the config and handed to the graph builder.

Heavy pieces (models, embeddings, the store, the guard) load lazily on first use and
then come from the process-wide caches, so building a context is cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.language_models.chat_models import BaseChatModel

from twin.config import Config


@dataclass
class TwinContext:
    config: Config
    extras: dict[str, Any] = field(default_factory=dict)  # test/TUI injections

    @property
    def home(self) -> Path:
        path = self.config.home_path
        path.mkdir(parents=True, exist_ok=True)
        return path

    @cached_property
    def embeddings(self) -> Embeddings:
        from backends.factory import embeddings_model

        return embeddings_model(self.config.embeddings)

    @cached_property
    def persona_model(self) -> BaseChatModel:
        """The generator: persona weights with adapters (when the adapter node is on)."""
        from backends.factory import chat_model

        return chat_model(self.config.persona, self.home, with_adapters=True)

    @cached_property
    def persona_bare(self) -> BaseChatModel:
        """The generator's weights without adapters (the `adapter` node switched off)."""
        from backends.factory import chat_model

        return chat_model(self.config.persona, self.home, with_adapters=False)

    @cached_property
    def base_model(self) -> BaseChatModel:
        """The analyzer's model: a base (not fine-tuned) model."""
        from backends.factory import chat_model

        return chat_model(self.config.base, self.home, with_adapters=False)

    @cached_property
    def retriever(self) -> Any:
        from kb.retrieve import Retriever

        return Retriever(self.config, self.embeddings)

    @cached_property
    def fingerprints(self) -> Any:
        from kb.fingerprints import Fingerprints, fingerprints_path

        return Fingerprints.load(fingerprints_path(self.home))
