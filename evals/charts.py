"""PNG charts for eval reports (matplotlib, Agg backend). Error bars are the 95% intervals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _errors(metrics: list[dict[str, Any]]) -> np.ndarray:
    """Asymmetric error bars (2 × n) from each metric's ci95 (0 where unknown)."""
    lows, highs = [], []
    for m in metrics:
        value, ci = m.get("value") or 0.0, m.get("ci95")
        lows.append(max(0.0, value - ci[0]) if ci else 0.0)
        highs.append(max(0.0, ci[1] - value) if ci else 0.0)
    return np.array([lows, highs])


def scored_metrics(found: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The rate/mean metrics that have a value (what a 0..1 bar chart can show)."""
    return {k: m for k, m in found.items() if m.get("kind") in ("rate", "mean") and m.get("value") is not None}


def metric_bars(found: dict[str, dict[str, Any]], path: Path, title: str) -> Path | None:
    shown = scored_metrics(found)
    if not shown:
        return None
    plt = _pyplot()
    names = list(shown)
    values = [shown[n]["value"] for n in names]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(names) + 1.4))
    y = np.arange(len(names))
    ax.barh(y, values, xerr=_errors([shown[n] for n in names]), color="#4C72B0", capsize=3)
    ax.set_yticks(y, [f"{n} (n={shown[n]['n']})" for n in names])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("value (bars: 95% interval)")
    ax.set_title(title)
    for yi, name in zip(y, names):
        m = shown[name]
        right = m["ci95"][1] if m.get("ci95") else m["value"]
        ax.text(min(right + 0.02, 0.93), yi, f"{m['value']:.2f}", va="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def grouped_bars(groups: list[str], series: dict[str, list[dict[str, Any]]], path: Path, title: str,
                 latency: list[float | None] | None = None) -> Path:
    """``series[metric][i]`` is the metric for ``groups[i]``; optional p50 latency panel."""
    plt = _pyplot()
    panels = 2 if latency is not None else 1
    fig, axes = plt.subplots(1, panels, figsize=(6 * panels + 1, 0.5 * len(groups) * max(1, len(series)) / 1.5 + 2))
    ax = axes[0] if panels == 2 else axes
    y = np.arange(len(groups))
    height = 0.8 / max(1, len(series))
    for i, (name, metrics) in enumerate(series.items()):
        values = [m.get("value") or 0.0 for m in metrics]
        ax.barh(y + i * height, values, height, xerr=_errors(metrics), capsize=2, label=name)
    ax.set_yticks(y + height * (len(series) - 1) / 2, groups)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("value (bars: 95% interval)")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=min(3, len(series)), frameon=False)
    if latency is not None:
        lat = axes[1]
        lat.barh(y, [v or 0.0 for v in latency], color="#DD8452")
        lat.set_yticks(y, groups)
        lat.invert_yaxis()
        lat.set_xlabel("p50 latency per case (ms)")
        lat.set_title("latency")
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path
