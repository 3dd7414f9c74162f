"""The loss-curve PNG of a training run (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def loss_curve(history: list[dict[str, Any]], path: Path, title: str = "LoRA training") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train = [(r["step"], r["loss"]) for r in history if "loss" in r]
    evals = [(r["step"], r["eval_loss"]) for r in history if "eval_loss" in r and r["eval_loss"] == r["eval_loss"]]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    if train:
        ax.plot(*zip(*train), label="train loss", linewidth=1, alpha=0.8)
    if evals:
        ax.plot(*zip(*evals), label="eval loss (test split)", marker="o", linewidth=2)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("cross-entropy on assistant tokens")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
