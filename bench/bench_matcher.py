"""Benchmark: how well the ConflictNQ matcher agrees with hand labels, before and after the
distinctive-token tier.

``evals/data/conflict_labels.jsonl`` holds answers Twin gave in its own runs, each labelled
by hand: ``context`` (it gives the passages' claim), ``memory`` (the real answer), ``both``,
``neither`` or ``abstain``. It stores only the case id, the answer and the label; the
question and the real/fake answers are read from the ConflictNQ file at run time.

    .venv/bin/python bench/bench_matcher.py [--data ../shared/data/conflict_nq_val.jsonl]

Prints, for the strict matcher and for the matcher with the distinctive tier: agreement with
the labels (with a 95% interval), the context-rate each gives, and the confusion matrix.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

LABELS = REPO / "evals" / "data" / "conflict_labels.jsonl"
OUTCOMES = ("context", "memory", "both", "neither", "abstain")


def load(labels: Path, data: Path) -> list[dict]:
    from evals.datasets import load_conflict

    cases = {c["id"]: c for c in load_conflict(data)}
    rows = []
    for line in labels.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            rows.append({**row, **cases[row["id"]]})
    return rows


def score(rows: list[dict], distinctive: bool) -> tuple[list[str], list[str]]:
    from evals.matching import conflict_outcome

    got = []
    for r in rows:
        extra = {"real_long": r["real_long"], "fake_long": r["fake_long"]} if distinctive else {}
        got.append(conflict_outcome(r["answer"], r["real"], r["fake"], r["question"], **extra)[0])
    return got, [r["label"] for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "conflict_nq_val.jsonl")
    parser.add_argument("--labels", type=Path, default=LABELS)
    args = parser.parse_args()

    from evals.metrics import rate

    rows = load(args.labels, args.data)
    n = len(rows)
    print(f"{n} hand-labelled answers; labels: {dict(Counter(r['label'] for r in rows))}")
    for name, distinctive in (("strict", False), ("strict + distinctive tier", True)):
        got, want = score(rows, distinctive)
        agree = rate(sum(g == w for g, w in zip(got, want)), n)
        ctx = sum(g == "context" for g in got)
        print(f"\n{name}: agreement {agree['value']:.3f} [{agree['ci95'][0]:.3f}, {agree['ci95'][1]:.3f}] "
              f"({agree['k']}/{n}); context {ctx}/{n} (labels: {sum(w == 'context' for w in want)}/{n})")
        confusion = Counter(zip(want, got))
        print("  label \\ matcher " + " ".join(f"{o:>8}" for o in OUTCOMES))
        for w in OUTCOMES:
            print(f"  {w:<16} " + " ".join(f"{confusion[(w, g)]:>8}" for g in OUTCOMES))


if __name__ == "__main__":
    main()
