"""Run a suite end to end: run folder, environment, cases, scores, summary, report, charts."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from evals import charts
from evals.env import EvalEnv, toggles_for
from evals.report import build_report
from evals.runs import RunDir, default_out, provenance
from evals.suite import Suite, run_cases
from twin.config import Config


def command_line() -> str:
    argv = sys.argv[:]
    if argv:
        argv[0] = Path(argv[0]).name
    return " ".join(argv)


@contextmanager
def progress(total: int, label: str, enabled: bool) -> Iterator[Callable[[], None]]:
    """A rich progress bar on stderr; yields the function that advances it by one."""
    if not enabled or total <= 0:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=Console(stderr=True), transient=True)
    with bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)


def new_summary(suite: str, config: Config, data_path: Path | str | None, n: int, limit: int | None,
                toggles: dict[str, bool], options: dict[str, Any], run: RunDir) -> dict[str, Any]:
    return {
        "suite": suite, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "command": command_line(),
        "run_dir": str(run.path), "n": n, "limit": limit, "options": options, "toggles": toggles,
        "metrics": {}, "extras": {}, "notes": [], "provenance": provenance(config, data_path),
    }


def make_charts(summary: dict[str, Any], folder: Path) -> list[str]:
    made: list[Path | None] = []
    if summary.get("configs"):
        ran = {k: v for k, v in summary["configs"].items() if not v.get("skipped")}
        groups = list(ran)
        series = {m: [ran[g]["metrics"].get(m, {}) for g in groups] for m in summary.get("ablate_metrics", [])}
        latency = [ran[g]["metrics"].get("latency", {}).get("p50_ms") for g in groups]
        made.append(charts.grouped_bars(groups, series, folder / "ablation.png",
                                        f"ablation: {summary['suite']}", latency))
    elif summary.get("extras", {}).get("confusion"):
        names = list(summary["extras"]["confusion"])
        found = summary["metrics"]
        series = {m: [found[f"{n}.{m}"] for n in names]
                  for m in ("accuracy", "recall_retrieve", "recall_no_retrieve")}
        made.append(charts.grouped_bars(names, series, folder / "routing.png", "routing by strategy"))
    else:
        made.append(charts.metric_bars(summary["metrics"], folder / "metrics.png", f"eval: {summary['suite']}"))
    return [p.name for p in made if p is not None]


def finish(run: RunDir, summary: dict[str, Any], records: list[dict[str, Any]]) -> dict[str, Any]:
    summary["charts"] = make_charts(summary, run.path)
    run.write_summary(summary)
    run.write_report(build_report(summary, records))
    return summary


def run_suite(suite: Suite, config: Config, cases: list[Any], *, data_path: Path | str | None,
              notes_dir: Path | None = None, dates: dict[str, tuple[str, str]] | None = None,
              out: Path | None = None, limit: int | None = None, options: dict[str, Any] | None = None,
              show_progress: bool = True) -> dict[str, Any]:
    """One suite, one configuration of the node toggles (from the config)."""
    toggles = toggles_for(config)
    run = RunDir.create(out or default_out(config), suite.name)
    run.write_config(config)
    summary = new_summary(suite.name, config, data_path, len(cases), limit, toggles, options or {}, run)
    with EvalEnv.open(config, notes_dir, dates) as env:
        suite.attach(env)
        env.warm_up(toggles)
        with progress(len(cases), suite.name, show_progress) as tick:
            records = run_cases(suite, env, cases, toggles, run.append_case, tick)
        summary["ingest"] = env.ingest_report
    scored = suite.score(records)
    summary.update(headline=suite.headline, metrics=scored.metrics, extras=scored.extras)
    summary["notes"] += suite_notes(suite, toggles)
    return finish(run, summary, records)


def suite_notes(suite: Suite, toggles: dict[str, bool]) -> list[str]:
    notes = []
    if getattr(suite, "mode", "") == "context" and toggles.get("retrieve", True):
        notes.append("context mode: the analyzer is forced to retrieve and the retriever returns the case's "
                     "fake passages; generate and judge are the real nodes")
    if not toggles.get("retrieve", True):
        notes.append("retrieve is off: the model answers without notes (closed book)")
    return notes
