"""Compare two finished runs: per-metric deltas and the cases whose verdict flipped."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from evals import metrics
from evals.runs import load_run


def _value(m: dict[str, Any]) -> float | None:
    return m.get("p50_ms") if m.get("kind") == "latency" else m.get("value")


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool | None:
    ca, cb = a.get("ci95"), b.get("ci95")
    if not ca or not cb:
        return None
    return ca[0] <= cb[1] and cb[0] <= ca[1]


def metric_deltas(ma: dict[str, Any], mb: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for name in [*ma, *[k for k in mb if k not in ma]]:
        a, b = ma.get(name), mb.get(name)
        va, vb = (_value(a) if a else None), (_value(b) if b else None)
        out[name] = {
            "a": va, "b": vb, "delta": (vb - va) if va is not None and vb is not None else None,
            "a_ci95": (a or {}).get("ci95"), "b_ci95": (b or {}).get("ci95"),
            "intervals_overlap": _overlap(a, b) if a and b else None,
        }
    return out


def _key(record: dict[str, Any]) -> tuple[str, str]:
    return (str(record.get("config", "")), str(record.get("id", "")))


def flipped(cases_a: list[dict[str, Any]], cases_b: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Cases (matched on config + id) whose verdict (``fixed``/``broke``) or outcome (``changed``)
    differs, and an exact McNemar test on the verdict flips."""
    by_a = {_key(r): r for r in cases_a}
    flips, fixed, broke, shared = [], 0, 0, 0
    for r in cases_b:
        a = by_a.get(_key(r))
        if a is None:
            continue
        shared += 1
        if bool(a.get("correct")) == bool(r.get("correct")):
            if a.get("outcome") == r.get("outcome"):
                continue
            direction = "changed"  # same verdict, different outcome (e.g. memory → neither)
        else:
            direction = "fixed" if r.get("correct") else "broke"
        fixed, broke = fixed + (direction == "fixed"), broke + (direction == "broke")
        flips.append({
            "id": r.get("id"), "config": r.get("config", ""), "direction": direction,
            "question": r.get("question") or r.get("text", ""),
            "a_outcome": a.get("outcome"), "b_outcome": r.get("outcome"),
            "a_answer": a.get("answer", a.get("pred")), "b_answer": r.get("answer", r.get("pred")),
        })
    paired = {"shared_cases": shared, "fixed": fixed, "broke": broke,
              "mcnemar_p": round(metrics.mcnemar_exact(fixed, broke), 4)}
    return flips, paired


def _examples(keys: list[tuple[str, str]], n: int = 3) -> str:
    shown = ", ".join(f"{i} [{c}]" if c else i for c, i in keys[:n])
    return shown + (", …" if len(keys) > n else "")


def pairing_warnings(cases_a: list[dict[str, Any]], cases_b: list[dict[str, Any]]) -> list[str]:
    """What the pairing by config + id leaves out or cannot trust: a case id twice in one run,
    cases in only one run (they count in neither the flips nor the McNemar test), and paired
    cases that ask different questions (the same ids naming other cases)."""
    warnings = []
    for label, cases in (("A", cases_a), ("B", cases_b)):
        seen = Counter(_key(r) for r in cases)
        twice = [k for k, n in seen.items() if n > 1]
        if twice:
            warnings.append(f"run {label} has {len(twice)} case id(s) more than once ({_examples(twice)}): "
                            "paired against one of them only")
    keys_a, keys_b = {_key(r): r for r in cases_a}, {_key(r): r for r in cases_b}
    for label, mine, other in (("A", keys_a, keys_b), ("B", keys_b, keys_a)):
        alone = [k for k in mine if k not in other]
        if alone:
            warnings.append(f"{len(alone)} case(s) only in run {label} ({_examples(alone)}): "
                            "left out of the flips and the McNemar test")
    asked = [k for k, b in keys_b.items() if k in keys_a
             and (qa := keys_a[k].get("question") or keys_a[k].get("text"))
             and (qb := b.get("question") or b.get("text")) and qa != qb]
    if asked:
        warnings.append(f"{len(asked)} paired case(s) ask different questions ({_examples(asked)}): "
                        "the same ids name different cases")
    return warnings


def compare_runs(path_a: Path | str, path_b: Path | str) -> dict[str, Any]:
    sa, ca = load_run(path_a)
    sb, cb = load_run(path_b)
    warnings = []
    if sa.get("suite") != sb.get("suite"):
        warnings.append(f"different suites: {sa.get('suite')} vs {sb.get('suite')}")
    pa, pb = sa.get("provenance", {}), sb.get("provenance", {})
    if pa.get("data_sha256") != pb.get("data_sha256"):
        warnings.append("different data files (sha256 differs): deltas mix data and system changes")
    if sa.get("n") != sb.get("n"):
        warnings.append(f"different sample sizes: {sa.get('n')} vs {sb.get('n')}")
    warnings += pairing_warnings(ca, cb)
    flips, paired = flipped(ca, cb)
    changed = {k: (pa.get(k), pb.get(k)) for k in ("model", "adapters", "config_hash", "analyzer_strategy",
                                                   "max_new_tokens", "git_commit") if pa.get(k) != pb.get(k)}
    off_a = sorted(n for n, on in sa.get("toggles", {}).items() if not on)
    off_b = sorted(n for n, on in sb.get("toggles", {}).items() if not on)
    if off_a != off_b:
        changed["nodes_off"] = (off_a, off_b)
    return {
        "a": str(path_a), "b": str(path_b), "suite": sb.get("suite"), "warnings": warnings,
        "changed": changed, "metrics": metric_deltas(sa.get("metrics", {}), sb.get("metrics", {})),
        "paired": paired, "flipped": flips,
    }


def print_comparison(result: dict[str, Any], console: Any, max_flips: int = 20) -> None:
    from rich.table import Table

    table = Table(title=f"compare ({result['suite']}): B − A")
    for col in ("metric", "A", "B", "delta", "95% intervals overlap"):
        table.add_column(col)
    for name, d in result["metrics"].items():
        cells = ["n/a" if d[k] is None else f"{d[k]:.3f}" for k in ("a", "b")]
        delta = "n/a" if d["delta"] is None else f"{d['delta']:+.3f}"
        overlap = {True: "yes", False: "NO", None: ""}[d["intervals_overlap"]]
        table.add_row(name, *cells, delta, overlap)
    console.print(table)
    for key, (a, b) in result["changed"].items():
        console.print(f"changed {key}: {a} → {b}")
    for w in result["warnings"]:
        console.print(f"warning: {w}")
    p = result["paired"]
    console.print(f"{p['shared_cases']} shared cases: {p['fixed']} fixed, {p['broke']} broke "
                  f"(exact McNemar p = {p['mcnemar_p']})")
    for f in result["flipped"][:max_flips]:
        where = f" [{f['config']}]" if f["config"] else ""
        console.print(f"  {f['direction']:7} {f['id']}{where}: {f['a_outcome']} → {f['b_outcome']}  {f['question']}")
    if len(result["flipped"]) > max_flips:
        console.print(f"  … {len(result['flipped']) - max_flips} more (use --json)")
