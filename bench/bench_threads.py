"""Benchmark: what a saved thread costs on disk per turn, as threads were saved before and as now.

One run, two fresh homes, the fast tier's scripted chat model (tests/test_fast_graph.py): N turns
in one thread saved the old way (every node's checkpoint a full copy of the chat: quadratic), then
the same N turns as `twin ask --thread`, the TUI and `twin serve` save them now (one checkpoint a
turn, the messages stored once each). Prints threads.sqlite's size and its growth per turn.

    .venv/bin/python bench/bench_threads.py [--turns 80]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from twin import offline  # noqa: E402

offline.apply()

ANSWER = "These days I live in Rotterdam; we moved there in March 2024, after five years in Utrecht."


def stored(path: Path) -> tuple[int, int]:
    """Bytes the checkpointer stored (checkpoints, their metadata, pending writes) and its checkpoints:
    exact where the file's size moves by whole pages."""
    with closing(sqlite3.connect(path)) as conn:
        ckpt, count = conn.execute("SELECT total(length(checkpoint) + length(metadata)), count(*) "
                                   "FROM checkpoints").fetchone()
        writes = conn.execute("SELECT total(length(value)) FROM writes").fetchone()[0]
    return int(ckpt + writes), count


def measure(make_runner: Callable, turns: int) -> dict[str, float]:
    """Ask ``turns`` questions in one thread: the file's size, the bytes stored per turn on average and
    over the last tenth of the turns (where a quadratic store shows), the checkpoints kept per turn."""
    home = Path(tempfile.mkdtemp(prefix="twin-bench-threads-"))
    runner, _ = make_runner(home, *[ANSWER] * turns)
    path = home / "threads.sqlite"
    tail_from = turns - max(1, turns // 10)
    tail_start, seconds = 0, 0.0
    for i in range(turns):
        if i == tail_from:
            tail_start = stored(path)[0]
        start = time.perf_counter()
        runner.ask(f"Where do you live these days, and since when? ({i})", thread_id="t")
        seconds += time.perf_counter() - start
    runner.close()
    total, checkpoints = stored(path)
    return {"file": path.stat().st_size, "per_turn": total / turns, "tail_per_turn": (total - tail_start) / (turns - tail_from),
            "checkpoints_per_turn": checkpoints / turns, "ms_per_turn": 1000 * seconds / turns}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=80)
    args = parser.parse_args()

    from tests.test_fast_graph import full_copy_runner, saved_runner

    print(f"{args.turns} turns in one thread (scripted model); bytes stored in threads.sqlite:")
    print(f"{'':8} {'file size':>12} {'bytes/turn':>11} {'last 10%: bytes/turn':>21} {'ckpt/turn':>10} {'ms/turn':>8}")
    for name, make in (("before", full_copy_runner), ("after", saved_runner)):
        r = measure(make, args.turns)
        print(f"{name:8} {r['file']:>12,} {r['per_turn']:>11,.0f} {r['tail_per_turn']:>21,.0f} "
              f"{r['checkpoints_per_turn']:>10.1f} {r['ms_per_turn']:>8.0f}")


if __name__ == "__main__":
    main()
