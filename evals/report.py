"""report.md and the console table for a finished run (summary + per-case records)."""

from __future__ import annotations

import json
from typing import Any

from evals.metrics import fmt

MAX_FAILURES = 10
CLIP = 160


def _clip(text: Any, n: int = CLIP) -> str:
    s = " ".join(str(text or "").split()).replace("|", "\\|")
    return s if len(s) <= n else s[: n - 1] + "…"


def metrics_rows(found: dict[str, dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """(metric, value, 95% interval, n) rows."""
    rows = []
    for name, m in found.items():
        if m.get("kind") == "latency":
            p50, p90 = m.get("p50_ms"), m.get("p90_ms")
            value = "n/a" if p50 is None else f"p50 {p50:.0f} ms · p90 {p90:.0f} ms"
            rows.append((name, value, "", str(m.get("n", ""))))
            continue
        value = m.get("value")
        ci = m.get("ci95")
        shown = "n/a" if value is None else f"{value:.3f}"
        if m.get("kind") == "rate" and value is not None:
            shown += f" ({m['k']}/{m['n']})"
        rows.append((name, shown, f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "", str(m.get("n", ""))))
    return rows


def metrics_md(found: dict[str, dict[str, Any]]) -> str:
    lines = ["| metric | value | 95% interval | n |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in metrics_rows(found)]
    return "\n".join(lines)


def confusion_md(extras: dict[str, Any]) -> str:
    labels = extras.get("labels", [])
    parts = []
    for name, matrix in extras.get("confusion", {}).items():
        head = "| " + f"{name}: gold \\ predicted" + " | " + " | ".join(labels) + " |"
        rows = [f"| {g} | " + " | ".join(str(matrix[g][p]) for p in labels) + " |" for g in labels]
        parts.append("\n".join([head, "| --- " * (len(labels) + 1) + "|", *rows]))
    return "\n\n".join(parts)


STRATEGY_COLUMNS = ("accuracy", "precision_retrieve", "recall_retrieve", "precision_no_retrieve", "recall_no_retrieve")


def strategy_rows(summary: dict[str, Any]) -> list[list[str]]:
    """Routing: one row per strategy (value with 95% interval per column, AUC, p50)."""
    extras, found = summary.get("extras", {}), summary["metrics"]
    rows = []
    for name in extras.get("confusion", {}):
        cells = []
        for col in STRATEGY_COLUMNS:
            m = found.get(f"{name}.{col}", {})
            ci = m.get("ci95")
            cells.append("n/a" if m.get("value") is None else
                         f"{m['value']:.3f} [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else f"{m['value']:.3f}")
        auc = extras.get("auc", {}).get(name)
        p50 = extras.get("p50_ms", {}).get(name)
        rows.append([name, *cells, "—" if auc is None else f"{auc:.3f}", "n/a" if p50 is None else f"{p50:.0f} ms"])
    return rows


def strategies_md(summary: dict[str, Any]) -> str:
    head = ["strategy", *STRATEGY_COLUMNS, "AUC", "p50"]
    lines = ["| " + " | ".join(head) + " |", "| --- " * len(head) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in strategy_rows(summary)]
    return "\n".join(lines)


def ablation_md(summary: dict[str, Any]) -> str:
    shown = summary.get("ablate_metrics", [])
    lines = ["| configuration | nodes off | " + " | ".join(shown) + " | p50 latency |",
             "| --- " * (len(shown) + 3) + "|"]
    for name, cfg in summary.get("configs", {}).items():
        if cfg.get("skipped"):
            lines.append(f"| {name} | {', '.join(cfg['off']) or '-'} | " + " | ".join("—" for _ in shown)
                         + f" | skipped: {cfg['skipped']} |")
            continue
        found = cfg["metrics"]
        cells = [fmt(found[m]) if m in found else "n/a" for m in shown]
        lat = found.get("latency", {}).get("p50_ms")
        lines.append(f"| {name} | {', '.join(cfg['off']) or '-'} | " + " | ".join(cells)
                     + f" | {'n/a' if lat is None else f'{lat:.0f} ms'} |")
    return "\n".join(lines)


def expected_of(record: dict[str, Any]) -> str:
    if "fake" in record:
        return f"context: {record['fake']} / memory: {record['real']} → {record.get('outcome')}"
    if "expect_any" in record:
        return f"{' | '.join(record['expect_any'])} (stale: {' | '.join(record.get('stale', []))}) → {record.get('outcome')}"
    if "answer_keywords" in record:
        return f"{record['source']} (rank {record.get('rank') or '-'}); keywords {', '.join(record['answer_keywords'])}"
    if "label" in record:
        return f"{record['label']} (got {record.get('outcome')})"
    return str(record.get("outcome", ""))


def failures_md(records: list[dict[str, Any]]) -> str:
    failed = [r for r in records if not r.get("correct")]
    if not failed:
        return "No failed cases."
    shown = failed[:MAX_FAILURES]
    asked = any(r.get("question") or r.get("text") for r in shown)  # a published run keeps no questions
    lines = [f"{len(failed)} of {len(records)} cases not counted correct; the first {len(shown)}:", "",
             "| id | question | answer | expected |" if asked else "| id | answer | expected |",
             "| --- | --- | --- | --- |" if asked else "| --- | --- | --- |"]
    for r in shown:
        question = f" {_clip(r.get('question') or r.get('text', ''), 90)} |" if asked else ""
        config = f" [{r['config']}]" if r.get("config") else ""
        lines.append(f"| {_clip(r.get('id'), 40)}{config} |{question} {_clip(r.get('answer', r.get('pred', '')))} "
                     f"| {_clip(expected_of(r), 120)} |")
    return "\n".join(lines)


def header_md(summary: dict[str, Any]) -> str:
    p = summary.get("provenance", {})
    lines = [
        f"# Twin eval: {'ablate ' if summary.get('configs') else ''}{summary['suite']}", "",
        f"Command: `{summary.get('command', '')}`", "",
        f"- cases: **{summary.get('n')}**" + (f" (limit {summary['limit']})" if summary.get("limit") else ""),
        f"- data: `{p.get('data')}` (sha256 {p.get('data_sha256')})",
        f"- model: `{p.get('model')}`, adapters: {p.get('adapters') or 'none'}, analyzer: {p.get('analyzer_strategy')}",
        f"- decoding: {p.get('decoding')}, seed {p.get('seed')}, max_new_tokens {p.get('max_new_tokens')}",
        f"- nodes off: {', '.join(n for n, on in summary.get('toggles', {}).items() if not on) or 'none'}",
        f"- config hash `{p.get('config_hash')}`, code `{p.get('git_commit')}`, {summary.get('created')}",
    ]
    if summary.get("ingest"):
        ing = summary["ingest"]
        lines.append(f"- knowledge base: `{ing.get('notes_dir')}` → {ing.get('chunks')} chunks in a temporary home")
    return "\n".join(lines)


def build_report(summary: dict[str, Any], records: list[dict[str, Any]]) -> str:
    parts = [header_md(summary)]
    if summary.get("configs"):
        parts += ["## Ablation matrix", "Each cell: value [95% interval] (count/n).", ablation_md(summary)]
    else:
        parts += ["## Metrics", metrics_md(summary["metrics"])]
    extras = summary.get("extras", {})
    if extras.get("confusion"):
        parts += ["## By strategy", "Each cell: value [95% interval]; n per cell in the metrics table above.",
                  strategies_md(summary), "## Confusion matrices", confusion_md(extras)]
    other = {k: v for k, v in extras.items() if k not in ("confusion", "labels")}
    if other:
        parts += ["## Details", "```json\n" + json.dumps(other, indent=2, ensure_ascii=False) + "\n```"]
    for chart in summary.get("charts", []):
        parts.append(f"![{chart}]({chart})")
    if summary.get("notes"):
        parts += ["## Notes", "\n".join(f"- {n}" for n in summary["notes"])]
    parts += ["## Cases not counted correct", failures_md(records)]
    parts += ["## Versions", "```json\n" + json.dumps(summary.get("provenance", {}).get("versions", {}), indent=2) + "\n```"]
    return "\n\n".join(parts) + "\n"


def print_summary(summary: dict[str, Any], console: Any) -> None:
    """A rich table of the metrics (or the ablation matrix) and the run folder."""
    from rich.table import Table

    if summary.get("configs"):
        shown = summary.get("ablate_metrics", [])
        table = Table(title=f"ablation: {summary['suite']} (n={summary.get('n')})")
        for col in ["configuration", *shown, "p50 latency"]:
            table.add_column(col)
        for name, cfg in summary["configs"].items():
            if cfg.get("skipped"):
                table.add_row(name, *["—"] * len(shown), f"skipped: {cfg['skipped']}")
                continue
            lat = cfg["metrics"].get("latency", {}).get("p50_ms")
            table.add_row(name, *[fmt(cfg["metrics"][m]) if m in cfg["metrics"] else "n/a" for m in shown],
                          "n/a" if lat is None else f"{lat:.0f} ms")
    elif summary.get("extras", {}).get("confusion"):
        table = Table(title=f"routing by strategy (n={summary.get('n')}; value [95% interval])")
        for col in ("strategy", *STRATEGY_COLUMNS, "AUC", "p50"):
            table.add_column(col)
        for row in strategy_rows(summary):
            table.add_row(*row)
    else:
        table = Table(title=f"eval: {summary['suite']} (n={summary.get('n')})")
        for col in ("metric", "value", "95% interval", "n"):
            table.add_column(col)
        for row in metrics_rows(summary["metrics"]):
            table.add_row(*row)
    console.print(table)
    for note in summary.get("notes", []):
        console.print(f"note: {note}")
    console.print(f"run folder: {summary.get('run_dir')}")
