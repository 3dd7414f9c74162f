"""Checks that run before anything heavy loads: every one fails fast, in one line.

``preflight(config)`` verifies what a command is about to use: the Chroma server (when
``retrieval.chroma_url`` is set; a question that never searches must still not pass with
a dead server), the local model paths (a GGUF file, an HF folder with ``config.json``, a
hub id in the local cache), the peft adapter folders, the embedding model and, for the
Ollama backend, that the host answers and has the model. Nothing here imports torch,
transformers or chromadb: a wrong path costs well under a second, not a model load.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from backends.errors import BackendError
from cmdline.errors import expected_errors, fail
from twin.config import Config, ConfigError, ModelConfig

CHROMA_TIMEOUT_S = 3.0


def chroma_hint(url: str) -> str:
    try:
        port = urlsplit(url).port or 8000
    except ValueError:
        port = 8000
    return f"start it with `chroma run --path DIR --port {port}` or unset retrieval.chroma_url / --chroma-url"


def check_chroma_server(url: str, timeout: float = CHROMA_TIMEOUT_S) -> None:
    """The Chroma server at ``url`` answers HTTP (its heartbeat), or StoreError."""
    import httpx

    try:
        httpx.get(url.rstrip("/") + "/api/v2/heartbeat", timeout=timeout)
    except (httpx.HTTPError, OSError, ValueError) as exc:
        from kb.store import StoreError

        reason = str(exc) or type(exc).__name__
        raise StoreError(f"cannot reach the Chroma server at {url} ({reason}); {chroma_hint(url)}") from exc


def check_local_model(key: str, cfg: ModelConfig, with_adapters: bool = True) -> None:
    from backends.sources import check_adapter_dir, check_chat_source

    try:
        check_chat_source(cfg.model)
    except BackendError as exc:
        raise BackendError(f"{key}.model: {exc}") from exc
    for adapter in cfg.adapters if with_adapters else []:
        try:
            check_adapter_dir(adapter)
        except BackendError as exc:
            raise BackendError(f"{key}.adapters: {exc}") from exc


def check_models(config: Config) -> None:
    """Paths of every local model, adapter and the embedding model (cheap file checks)."""
    from backends.sources import check_embedding_source

    for key, cfg in (("persona", config.persona), ("base", config.base)):
        if cfg.backend == "local":
            check_local_model(key, cfg, with_adapters=key == "persona")
    if config.persona.backend == "ollama" and config.persona.adapters:
        raise BackendError("persona.adapters: peft adapters need the local backend (for Ollama, export them "
                           "with `twin train export` and create an Ollama model from the Modelfile)")
    try:
        check_embedding_source(config.embeddings.model)
    except BackendError as exc:
        raise BackendError(f"embeddings.model: {exc}") from exc


def _ollama_models(config: Config) -> list[ModelConfig]:
    """The Ollama models the config uses, each (host, model) once."""
    seen: dict[tuple[str, str], ModelConfig] = {}
    for cfg in (config.persona, config.base):
        if cfg.backend == "ollama":
            seen.setdefault((cfg.ollama_host, cfg.model), cfg)
    return list(seen.values())


def check_ollama(config: Config) -> None:
    """An Ollama host that is down, or lacks the model, fails here in one line."""
    from backends.factory import chat_model

    for cfg in _ollama_models(config):
        chat_model(cfg, config.home_path).check()


def ollama_problems(config: Config) -> list[str]:
    """One actionable message per unreachable Ollama host or missing model (empty when all is
    well): what the chat UI shows instead of failing."""
    from backends.factory import chat_model

    problems: list[str] = []
    for cfg in _ollama_models(config):
        try:
            chat_model(cfg, config.home_path).check()
        except BackendError as exc:
            problems.append(str(exc))
    return problems


def check_home(config: Config) -> None:
    """The data home is a folder Twin can write (created when missing)."""
    home = config.home_path
    hint = "give a folder with --home or TWIN_HOME"
    if home.exists() and not home.is_dir():
        raise ConfigError(f"data home {home} is a file; {hint}")
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the data home {home}: {exc.strerror or exc}; {hint}") from exc
    if not os.access(home, os.W_OK | os.X_OK):
        raise ConfigError(f"data home {home} is not writable; {hint}")


def preflight(config: Config, models: bool = True, store: bool = True) -> None:
    """Everything a command will use, checked before it loads anything (see the module doc)."""
    check_home(config)
    if store and config.retrieval.chroma_url:
        check_chroma_server(config.retrieval.chroma_url)
    if models:
        check_models(config)
        check_ollama(config)


def check_backends(config: Config, models: bool = True, store: bool = True) -> None:
    """Fail early, in one line (exit 2), when something the command needs is missing or
    unreachable: the Chroma server, model/adapter paths, the Ollama host or its model."""
    try:
        preflight(config, models=models, store=store)
    except Exception as exc:
        if isinstance(exc, expected_errors()):
            fail(exc)
        raise
