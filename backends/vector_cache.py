"""Vectors of fixed example sets (routing examples, off-limits topic examples), on disk.

The analyzer's router and the judge's topic classifier embed a few hundred labelled
examples before they can answer; a cold process did that every time (seconds on 2
cores). :func:`embed_bank` keeps those vectors in ``<home>/cache/vectors`` keyed by the
embedding model (its folder and weights file) and the exact texts, so a cold start only
embeds the question. Any change to the texts or the model is a new key; a damaged file
is recomputed; a cache that cannot be written is skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def model_identity(location: str) -> str | None:
    """``folder|size|mtime`` of a local model's weights; None when it is not a local folder."""
    folder = Path(location)
    for name in WEIGHT_FILES:
        path = folder / name
        if path.is_file():
            st = path.stat()
            return f"{folder.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    return None


def embed_bank(embeddings: Any, texts: list[str], cache_dir: Path | None) -> np.ndarray:
    """``embeddings.embed_documents(texts)`` as a float32 array, from the disk cache when possible."""
    identity = getattr(embeddings, "cache_identity", None)
    key = None
    if cache_dir is not None and identity:
        key = hashlib.sha1(json.dumps([identity, texts], ensure_ascii=False).encode("utf-8")).hexdigest()[:24]
        path = Path(cache_dir) / f"bank-{key}.npy"
        try:
            cached = np.load(path, allow_pickle=False)
            if cached.ndim == 2 and cached.shape[0] == len(texts):
                return cached
        except (OSError, ValueError):
            pass
    vectors = np.asarray(embeddings.embed_documents(texts), dtype=np.float32)
    if key is not None:
        _save(Path(cache_dir) / f"bank-{key}.npy", vectors)
    return vectors


def _save(path: Path, vectors: np.ndarray) -> None:
    tmp = path.with_name(f"{path.stem}.tmp-{os.getpid()}.npy")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(tmp, vectors, allow_pickle=False)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
