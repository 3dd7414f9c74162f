"""Metrics with honest uncertainty: rates with Wilson 95% intervals, means with a
fixed-seed bootstrap interval, classification tables, latency percentiles.

Every metric is a plain dict (JSON-ready): ``{"value", "n", "ci95": [lo, hi], "kind"}``,
plus ``"k"`` (the count) for rates. ``value`` is ``None`` when ``n == 0``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

Z95 = 1.959963984540054
BOOTSTRAP_SAMPLES = 2000
BOOTSTRAP_SEED = 0


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for ``k`` successes in ``n`` trials (None when n == 0)."""
    if n <= 0:
        return None
    if not 0 <= k <= n:
        raise ValueError(f"wilson: need 0 <= k <= n, got k={k}, n={n}")
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def rate(k: int, n: int) -> dict[str, Any]:
    """A proportion with its Wilson 95% interval."""
    ci = wilson(k, n)
    return {
        "kind": "rate", "value": (k / n) if n else None, "k": int(k), "n": int(n),
        "ci95": [round(ci[0], 4), round(ci[1], 4)] if ci else None,
    }


def mean(values: Sequence[float], seed: int = BOOTSTRAP_SEED, samples: int = BOOTSTRAP_SAMPLES) -> dict[str, Any]:
    """A mean with a percentile-bootstrap 95% interval (fixed seed: same data, same interval)."""
    arr = np.asarray(list(values), dtype=float)
    if arr.size == 0:
        return {"kind": "mean", "value": None, "n": 0, "ci95": None}
    rng = np.random.default_rng(seed)
    means = arr[rng.integers(0, arr.size, size=(samples, arr.size))].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return {"kind": "mean", "value": float(arr.mean()), "n": int(arr.size), "ci95": [round(float(lo), 4), round(float(hi), 4)]}


def percentile(values: Sequence[float], q: float) -> float | None:
    arr = np.asarray([v for v in values if v is not None], dtype=float)
    return float(np.percentile(arr, q)) if arr.size else None


def latency(values_ms: Sequence[float]) -> dict[str, Any]:
    """p50/p90 of per-case wall times (ms)."""
    vals = [v for v in values_ms if v is not None]
    return {"kind": "latency", "p50_ms": percentile(vals, 50), "p90_ms": percentile(vals, 90), "n": len(vals)}


def confusion(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> dict[str, dict[str, int]]:
    """``matrix[gold_label][predicted_label] = count``."""
    if len(gold) != len(predicted):
        raise ValueError("confusion: gold and predicted differ in length")
    matrix = {g: {p: 0 for p in labels} for g in labels}
    for g, p in zip(gold, predicted):
        matrix[g][p] += 1
    return matrix


def classification(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Accuracy plus per-label precision and recall (each a rate with its interval)."""
    matrix = confusion(gold, predicted, labels)
    correct = sum(matrix[label][label] for label in labels)
    out: dict[str, Any] = {"accuracy": rate(correct, len(gold))}
    for label in labels:
        predicted_as = sum(matrix[g][label] for g in labels)
        actual = sum(matrix[label].values())
        out[f"precision_{label}"] = rate(matrix[label][label], predicted_as)
        out[f"recall_{label}"] = rate(matrix[label][label], actual)
    return {"metrics": out, "confusion": matrix}


def fmt(metric: dict[str, Any], digits: int = 3) -> str:
    """``0.620 [0.52, 0.71] (31/50)`` for tables."""
    if metric.get("kind") == "latency":
        p50 = metric.get("p50_ms")
        return "n/a" if p50 is None else f"{p50:.0f} ms"
    value = metric.get("value")
    if value is None:
        return "n/a (n=0)"
    ci = metric.get("ci95")
    text = f"{value:.{digits}f}"
    if ci:
        text += f" [{ci[0]:.2f}, {ci[1]:.2f}]"
    if metric.get("kind") == "rate":
        text += f" ({metric['k']}/{metric['n']})"
    else:
        text += f" (n={metric['n']})"
    return text


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value for paired outcomes: ``b`` cases only system A got
    right, ``c`` only system B. 1.0 when there are no discordant pairs."""
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(0, min(b, c) + 1)) / 2**n
    return min(1.0, 2 * tail)
