"""A sentence-transformers model folder run with plain transformers (fast to load).

``import sentence_transformers`` pulls in scikit-learn, scipy, peft and the trainer
stack: 3-10 s on a 2-core machine before a single vector is computed, which a cold
``twin ask`` paid in full. Most embedding folders (all-MiniLM-L6-v2 included) are just
``Transformer -> Pooling(mean or CLS) -> Normalize``; :func:`load_encoder` runs that
pipeline with ``transformers.AutoModel`` (already needed for the chat model) and gives
the same vectors (tested against sentence-transformers). Any other pipeline (a Dense
layer, a custom module, a prompt template) falls back to ``SentenceTransformer``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

TRANSFORMER = "sentence_transformers.models.Transformer"
POOLING = "sentence_transformers.models.Pooling"
NORMALIZE = "sentence_transformers.models.Normalize"
SIMPLE_POOLING = {"pooling_mode_mean_tokens", "pooling_mode_cls_token"}


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def simple_pipeline(folder: Path) -> dict[str, Any] | None:
    """``{"pooling": "mean"|"cls", "max_seq_length": n, "normalize": bool}`` when the folder is
    a plain Transformer + Pooling (+ Normalize) model; None when anything else is in it."""
    try:
        modules = _read_json(folder / "modules.json")
        types = [m["type"] for m in modules]
        if types[:2] != [TRANSFORMER, POOLING] or any(t != NORMALIZE for t in types[2:]):
            return None
        if modules[0].get("path", "") not in ("", "."):
            return None
        pooling = _read_json(folder / modules[1]["path"] / "config.json")
        on = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v}
        if len(on) != 1 or not on <= SIMPLE_POOLING or pooling.get("include_prompt", True) is False:
            return None
        st_config = folder / "config_sentence_transformers.json"
        if st_config.is_file() and (_read_json(st_config).get("prompts") or {}).get("query"):
            return None  # query prompts: let sentence-transformers apply them
        bert = folder / "sentence_bert_config.json"
        settings = _read_json(bert) if bert.is_file() else {}
        if settings.get("do_lower_case"):
            return None
        return {
            "pooling": "mean" if "pooling_mode_mean_tokens" in on else "cls",
            "max_seq_length": int(settings.get("max_seq_length") or 512),
            "normalize": NORMALIZE in types,
        }
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


class PooledEncoder:
    """Transformer + pooling + normalisation, with the ``encode`` signature we use of
    ``SentenceTransformer``."""

    def __init__(self, folder: Path, pooling: str, max_seq_length: int, normalize: bool) -> None:
        from transformers import AutoModel, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(folder))
        self.model = AutoModel.from_pretrained(str(folder)).eval()
        self.pooling = pooling
        self.max_seq_length = max_seq_length
        self.normalize = normalize

    def encode(self, texts: list[str], batch_size: int = 64, normalize_embeddings: bool = False,
               **_: Any) -> np.ndarray:
        import torch

        order = np.argsort([-len(t) for t in texts], kind="stable")  # similar lengths batch together
        out: list[np.ndarray] = [np.empty(0)] * len(texts)
        for start in range(0, len(texts), batch_size):
            idx = order[start : start + batch_size]
            batch = self.tokenizer([texts[i] for i in idx], padding=True, truncation="longest_first",
                                   max_length=self.max_seq_length, return_tensors="pt")
            with torch.inference_mode():
                hidden = self.model(**batch).last_hidden_state
                if self.pooling == "cls":
                    vectors = hidden[:, 0]
                else:
                    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                    vectors = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                if self.normalize or normalize_embeddings:
                    vectors = torch.nn.functional.normalize(vectors, p=2, dim=1)
            for i, vector in zip(idx, vectors.float().numpy()):
                out[int(i)] = vector
        return np.stack(out) if texts else np.zeros((0, 0), dtype=np.float32)


def load_encoder(location: str) -> Any:
    """The fast encoder for a simple local pipeline, else ``SentenceTransformer``."""
    folder = Path(location)
    pipeline = simple_pipeline(folder) if folder.is_dir() else None
    if pipeline is not None:
        return PooledEncoder(folder, **pipeline)
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(location, device="cpu")
