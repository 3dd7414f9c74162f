"""Estimate training memory before loading anything big, and refuse clearly when it will not fit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GIB = 1024**3


class MemoryError_(RuntimeError):
    """Training would not fit in memory (worded for the user, with what to change)."""


@dataclass
class MemoryEstimate:
    weights: int
    adapters: int
    activations: int
    logits: int

    @property
    def total(self) -> int:
        return self.weights + self.adapters + self.activations + self.logits


def estimate(config: Any, n_params: int, trainable: int, batch: int, tokens: int, bytes_per: int,
             checkpointing: bool) -> MemoryEstimate:
    """Weights + LoRA (weights, grads, Adam) + activations + logits for the target tokens."""
    hidden = getattr(config, "hidden_size", 1024)
    layers = getattr(config, "num_hidden_layers", 24)
    heads = getattr(config, "num_attention_heads", 16)
    inter = getattr(config, "intermediate_size", 4 * hidden)
    vocab = getattr(config, "vocab_size", 50_000)
    per_layer = batch * tokens * (10 * hidden + 4 * inter + 2 * heads * tokens) * bytes_per
    activations = per_layer * (2 if checkpointing else layers) + batch * tokens * hidden * 4 * layers * checkpointing
    logits = batch * tokens * vocab * 4 * 3 // 2  # targets are at most about half the tokens
    return MemoryEstimate(weights=n_params * bytes_per, adapters=trainable * 16, activations=activations, logits=logits)


def available(device: str) -> int:
    if device.startswith("cuda"):
        import torch

        free, _ = torch.cuda.mem_get_info()
        return int(free)
    import psutil

    return int(psutil.virtual_memory().available)


def check(est: MemoryEstimate, device: str, limit_gb: float = 0.0) -> None:
    room = int(limit_gb * GIB) if limit_gb else available(device)
    if est.total > 0.9 * room:
        raise MemoryError_(
            f"training needs about {est.total / GIB:.1f} GiB ({device}) but only {room / GIB:.1f} GiB is available "
            f"(weights {est.weights / GIB:.1f}, activations {est.activations / GIB:.1f}, logits {est.logits / GIB:.1f}). "
            "Lower --batch-size (raise --grad-accum to keep the effective batch), lower --max-tokens, "
            "or add --grad-checkpointing."
        )
