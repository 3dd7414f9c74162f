"""Load transformers weights once per process (the model cache), with peft adapters.

A GGUF file is de-quantized by transformers on first load (slow: ~20 s for 135M) and
the result is saved as a normal HF folder under ``<home>/cache/models`` (or
``$TWIN_MODEL_CACHE``, which the test suite shares between homes) so every later
process loads it in well under a second. Processes that start together convert it once (a
file lock beside the cache folder; the others wait and load the result). Adapters are loaded
into the same weights as named peft adapters, so the base model (no adapter) and the persona
(adapters active) share memory.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock

from backends.errors import BackendError
from backends.sources import WeightsSource, check_adapter_dir
from twin.loadtime import loading
from twin.offline import quiet_transformers

_CACHE: dict[tuple[str, str], LoadedWeights] = {}
_CACHE_LOCK = threading.Lock()


@dataclass
class LoadedWeights:
    model: Any  # transformers PreTrainedModel, or a peft PeftModel once adapters are added
    tokenizer: Any
    source: WeightsSource
    lock: threading.RLock = field(default_factory=threading.RLock)
    adapters: dict[str, str] = field(default_factory=dict)  # adapter dir -> adapter name

    def ensure_adapters(self, paths: list[str]) -> list[str]:
        """Load adapter dirs not yet loaded; return their adapter names in order."""
        names = []
        with self.lock:
            for raw in paths:
                path = str(Path(raw).expanduser().resolve())
                if path not in self.adapters:
                    from twin.loadtime import loading

                    with loading("adapters"):
                        self._load_adapter(path)
                names.append(self.adapters[path])
        return names

    def _load_adapter(self, path: str) -> None:
        from peft import PeftModel

        check_adapter_dir(path)
        name = f"a{len(self.adapters)}_{Path(path).name}"[:60]
        try:
            if isinstance(self.model, PeftModel):
                self.model.load_adapter(path, adapter_name=name)
            else:
                self.model = PeftModel.from_pretrained(self.model, path, adapter_name=name)
        except (RuntimeError, ValueError, KeyError) as exc:  # shapes or module names of another base model
            raise BackendError(adapter_mismatch(path, self.source, exc)) from exc
        self.model.eval()
        self.adapters[path] = name


_SIZE_MISMATCH = re.compile(r"shape torch\.Size\((\[[^\]]*\])\) from checkpoint, the shape in current model is "
                            r"torch\.Size\((\[[^\]]*\])\)")


def adapter_mismatch(path: str, source: WeightsSource, exc: BaseException) -> str:
    """One line for an adapter that does not fit the loaded model (trained on another base)."""
    sizes = _SIZE_MISMATCH.search(str(exc))
    if sizes:
        reason = f"its weights have shape {sizes[1]} where the model's have {sizes[2]}"
    else:
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
    return (f"adapter {path} does not fit the model {source.label} ({reason}); it was trained for another "
            "base model: train one for this model with `twin train lora`, or set persona.model to the model "
            "it was trained for")


def _cache_key(source: WeightsSource, dtype: str) -> tuple[str, str]:
    return (source.label, dtype)


def _gguf_cache_dir(source: WeightsSource, home: Path, dtype: str) -> Path:
    gguf = Path(source.location) / str(source.gguf_file)
    stat = gguf.stat()
    digest = hashlib.sha1(f"{gguf.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{dtype}".encode()).hexdigest()[:12]
    root = Path(os.environ["TWIN_MODEL_CACHE"]) if os.environ.get("TWIN_MODEL_CACHE") else home / "cache" / "models"
    return root / f"{gguf.stem}-{digest}"


def _torch_dtype(name: str) -> Any:
    import torch

    try:
        return getattr(torch, name)
    except AttributeError as exc:
        raise BackendError(f"unknown dtype {name!r}; use float32, bfloat16 or float16") from exc


def _load_hf(location: str, dtype: str, gguf_file: str | None = None) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kwargs: dict[str, Any] = {"gguf_file": gguf_file} if gguf_file else {}
    torch_dtype = _torch_dtype(dtype)
    try:
        tokenizer = AutoTokenizer.from_pretrained(location, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(location, dtype=torch_dtype, **kwargs)
    except Exception as exc:  # noqa: BLE001 - OSError, ValueError, struct.error (a cut GGUF), KeyError...
        what = f"{location}/{gguf_file}" if gguf_file else location
        reason = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise BackendError(
            f"cannot load model {what!r} ({type(exc).__name__}: {reason}); give a complete HF model folder, "
            "a whole .gguf file (a download cut short fails here), or an id already in your HF cache"
        ) from exc
    model.eval()
    return model, tokenizer


def _convert_gguf(source: WeightsSource, target: Path, dtype: str) -> None:
    """De-quantize a GGUF once and save it as a plain HF folder (atomic rename)."""
    model, tokenizer = _load_hf(source.location, dtype, source.gguf_file)
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.is_quantized = False
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(tmp, target)
    except OSError:  # another process finished first
        shutil.rmtree(tmp, ignore_errors=True)


def _converted_once(source: WeightsSource, home: Path, dtype: str) -> Path:
    """The de-quantized copy of a GGUF, converted by one process at a time: another process
    starting meanwhile (a second `twin serve` replica, a test worker) waits for it and loads
    the result instead of converting too (~20 s of CPU each)."""
    converted = _gguf_cache_dir(source, home, dtype)
    if (converted / "config.json").is_file():
        return converted
    converted.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(converted.with_name(converted.name + ".lock"))):
        if not (converted / "config.json").is_file():
            _convert_gguf(source, converted, dtype)
    return converted


def cached_weights(source: WeightsSource, dtype: str = "float32") -> LoadedWeights | None:
    """The weights for ``source`` if this process has loaded them, else None: never loads (a
    caller that only wants the tokenizer, e.g. to count tokens, must not pay for the weights)."""
    return _CACHE.get(_cache_key(source, dtype))


def load_weights(source: WeightsSource, home: Path, dtype: str = "float32", threads: int = 0) -> LoadedWeights:
    """Return the process-wide loaded weights for ``source`` (loading on first use)."""
    key = _cache_key(source, dtype)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached

    with loading("model"), _CACHE_LOCK:  # a wait for another thread's load counts as load time
        if key in _CACHE:
            return _CACHE[key]
        quiet_transformers()
        if threads:
            import torch

            torch.set_num_threads(threads)
        if source.gguf_file:
            converted = _converted_once(source, home, dtype)
            model, tokenizer = _load_hf(str(converted), dtype)
        else:
            model, tokenizer = _load_hf(source.location, dtype)
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        loaded = LoadedWeights(model=model, tokenizer=tokenizer, source=source)
        _CACHE[key] = loaded
        return loaded
