"""Benchmark: `twin ask` latency per node on the sample notes (embedded default).

Prints p50/p95 per node over a set of questions, beside a baseline measured in the same
run: the persona model alone generating an answer to the same prompt (no graph), so the
ratio shows what the graph, retrieval and judge add on top of generation.

    .venv/bin/python bench/bench_ask.py [--repeat 2] [--max-new-tokens 160]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from twin import offline
from twin.config import resolve_home

offline.apply()
# Reuse the user's converted model cache so the temp home does not de-quantize again.
os.environ.setdefault("TWIN_MODEL_CACHE", str(resolve_home(None) / "cache" / "models"))

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "Where do you live?",
    "Which company do you work for?",
    "What is your side project called?",
    "What keyboard do you use?",
    "How did your 10k go?",
    "Thanks!",
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--max-new-tokens", type=int, default=160)
    args = parser.parse_args()

    from graph.runner import TwinRunner
    from kb.ingest import ingest
    from nodes.context import TwinContext
    from nodes.generate import build_messages
    from twin.config import load_config

    home = Path(tempfile.mkdtemp(prefix="twin-bench-"))
    notes = home / "notes"
    shutil.copytree(REPO / "examples" / "notes", notes)
    config = load_config(None, str(home))
    config.persona.max_new_tokens = args.max_new_tokens
    ctx = TwinContext(config)
    start = time.perf_counter()
    ingest(config, notes, ctx.embeddings, progress=False)
    print(f"ingest sample notes: {time.perf_counter() - start:.2f} s")
    runner = TwinRunner(config, ctx=ctx)
    runner.ask("warm up")  # loads models once (not counted)

    per_node: dict[str, list[float]] = {}
    totals, baseline = [], []
    for _ in range(args.repeat):
        for question in QUESTIONS:
            t0 = time.perf_counter()
            result = runner.ask(question)
            totals.append((time.perf_counter() - t0) * 1000)
            for node, ms in result["timings_ms"].items():
                per_node.setdefault(node, []).append(ms)
            messages = build_messages(config.person, question, [], [])
            t0 = time.perf_counter()
            ctx.persona_model.invoke(messages)
            baseline.append((time.perf_counter() - t0) * 1000)
    runner.close()

    print(f"\n{'node':<10} {'n':>3} {'p50 ms':>9} {'p95 ms':>9}")
    for node in ("analyze", "retrieve", "generate", "judge"):
        if node in per_node:
            v = per_node[node]
            print(f"{node:<10} {len(v):>3} {statistics.median(v):>9.1f} {pct(v, 0.95):>9.1f}")
    print(f"{'total':<10} {len(totals):>3} {statistics.median(totals):>9.1f} {pct(totals, 0.95):>9.1f}")
    print(f"{'baseline':<10} {len(baseline):>3} {statistics.median(baseline):>9.1f} {pct(baseline, 0.95):>9.1f}"
          "   (persona model alone, same questions, no notes)")
    print(f"ratio total/baseline p50: {statistics.median(totals) / statistics.median(baseline):.2f}")
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
