"""Ablation: run one suite once per configuration of the node toggles.

Configurations: the baseline (every node on, minus any ``--off``), then one node off at a
time: analyze (= always retrieve), retrieve, rerank, rewrite, adapter, cad (context-aware
decoding), judge. A
configuration that cannot change this suite's results is skipped and says why (no adapter
configured; a node the suite pins). One environment (one ingest, one model load) serves
every configuration.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evals.driver import finish, new_summary, progress, suite_notes
from evals.env import EvalEnv, toggles_for
from evals.runs import RunDir, default_out
from evals.suite import Suite, run_cases
from twin.config import Config

CONFIGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("baseline", ()),
    ("analyze off", ("analyze",)),
    ("retrieve off", ("retrieve",)),
    ("rerank off", ("rerank",)),
    ("rewrite off", ("rewrite",)),
    ("adapter off", ("adapter",)),
    ("cad off", ("cad",)),
    ("judge off", ("judge",)),
)


def parse_configs(text: str | None) -> list[str]:
    names = [p.strip() for p in (text or "").split(",") if p.strip()]
    known = {name.split()[0]: name for name, _ in CONFIGS}
    out = []
    for item in names:
        key = item.split()[0]
        if key not in known:
            raise ValueError(f"unknown ablation configuration {item!r}; choose from: {', '.join(known)}")
        out.append(known[key])
    return out


def plan(suite: Suite, config: Config, only: list[str] | None = None) -> list[tuple[str, list[str], str]]:
    """``(name, nodes off, reason skipped or "")`` per configuration."""
    base_off = config.nodes.off()
    wanted = {o.split()[0] for o in only or []}
    rows = []
    for name, off in CONFIGS:
        if wanted and name.split()[0] not in wanted and name != "baseline":
            continue
        reason = ""
        if any(n in base_off for n in off):
            reason = "already off in the baseline (--off)"
        elif "adapter" in off and not config.persona.adapters:
            reason = "no adapter configured: identical to the baseline"
        elif any(n in suite.no_effect for n in off):
            reason = f"{', '.join(off)} cannot change this suite's results"
        rows.append((name, sorted(set(base_off) | set(off)), reason))
    return rows


def run_ablation(suite: Suite, config: Config, cases: list[Any], *, data_path: Path | str | None,
                 notes_dir: Path | None = None, dates: dict[str, tuple[str, str]] | None = None,
                 out: Path | None = None, limit: int | None = None, options: dict[str, Any] | None = None,
                 only: list[str] | None = None, show_progress: bool = True) -> dict[str, Any]:
    rows = plan(suite, config, only)
    run = RunDir.create(out or default_out(config), f"ablate-{suite.name}")
    run.write_config(config)
    summary = new_summary(suite.name, config, data_path, len(cases), limit, toggles_for(config), options or {}, run)
    summary.update(configs={}, ablate_metrics=list(suite.ablate_metrics), headline=suite.headline)
    summary["notes"] += suite_notes(suite, toggles_for(config))
    records: list[dict[str, Any]] = []
    todo = sum(1 for _, _, reason in rows if not reason) * len(cases)
    with EvalEnv.open(config, notes_dir, dates) as env, progress(todo, f"ablate {suite.name}", show_progress) as tick:
        suite.attach(env)
        env.warm_up(toggles_for(config))
        for name, off, reason in rows:
            if reason:
                summary["configs"][name] = {"off": off, "skipped": reason}
                continue
            toggles = toggles_for(config, off)
            found = run_cases(suite, env, cases, toggles, run.append_case, tick, {"config": name})
            scored = suite.score(found)
            summary["configs"][name] = {"off": off, "metrics": scored.metrics, "extras": scored.extras}
            records += found
        summary["ingest"] = env.ingest_report
    summary["metrics"] = {f"{name}/{key}": m for name, cfg in summary["configs"].items()
                          for key, m in cfg.get("metrics", {}).items()}
    return finish(run, summary, records)
