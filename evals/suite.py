"""What every graph-based suite provides, and the loop that runs one over its cases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from evals import metrics


@dataclass
class Scored:
    metrics: dict[str, dict[str, Any]]  # name -> metric dict (see evals.metrics)
    extras: dict[str, Any] = field(default_factory=dict)  # confusion matrices, counts, ...


class Suite(Protocol):
    name: str
    headline: str  # the metric a one-line summary shows
    ablate_metrics: tuple[str, ...]  # the metrics the ablation matrix shows
    no_effect: tuple[str, ...]  # nodes whose toggle cannot change this suite's results

    def run_case(self, env: Any, case: Any, toggles: dict[str, bool]) -> dict[str, Any]: ...

    def score(self, records: list[dict[str, Any]]) -> Scored: ...


def latency_of(records: list[dict[str, Any]]) -> dict[str, Any]:
    return metrics.latency([r.get("latency_ms") for r in records])


def run_cases(suite: Suite, env: Any, cases: list[Any], toggles: dict[str, bool],
              on_record: Callable[[dict[str, Any]], None], progress: Any = None,
              extra: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run every case, handing each record to ``on_record`` as soon as it exists."""
    records = []
    for case in cases:
        record = {**suite.run_case(env, case, toggles), **(extra or {})}
        on_record(record)
        records.append(record)
        if progress is not None:
            progress()
    return records


def counts(records: list[dict[str, Any]], key: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in records:
        value = str(r.get(key, ""))
        out[value] = out.get(value, 0) + 1
    return dict(sorted(out.items()))


def quoted(record: dict[str, Any]) -> bool:
    """The answer is a cited quote of the notes (the judge's extractive path): the person's own
    words, which may say "I didn't know" without declining to answer. Not when every quote was
    refused and the judge's refusal stands in for it (judge "blocked")."""
    return record.get("answered_by") == "extractive" and record.get("judge") != "blocked"
