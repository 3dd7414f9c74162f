"""Run the quick benchmarks one after another and print their numbers (``make bench``).

Each benchmark prints its own table with ratios against a baseline measured in the same
run; this script only runs them in order, each in its own process (a cold start is part of
what some of them measure), and ends with one line per benchmark: exit code and wall time.
The long ones (``bench_train*.py``, ~25 min; the ``../shared/data`` ones) are listed with
``--list`` and run only when named:

    .venv/bin/python bench/run_all.py                 # the quick set
    .venv/bin/python bench/run_all.py bench_answer    # just these
    .venv/bin/python bench/run_all.py --list
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
QUICK = ["bench_ask.py", "bench_answer.py", "bench_kb_query.py", "bench_kb_ingest.py"]


def available() -> list[str]:
    return sorted(p.name for p in BENCH.glob("bench_*.py") if p.name != "bench_kb_common.py")


def run(script: str) -> tuple[int, float]:
    print(f"\n=== {script} ===", flush=True)
    start = time.perf_counter()
    code = subprocess.call([sys.executable, str(BENCH / script)])
    return code, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: the quick set)")
    parser.add_argument("--list", action="store_true", help="list every benchmark and exit")
    args = parser.parse_args()
    if args.list:
        print("\n".join(f"{n}{'  (quick set)' if n in QUICK else ''}" for n in available()))
        return 0
    names = [n if n.endswith(".py") else f"{n}.py" for n in args.names] or [q for q in QUICK if (BENCH / q).exists()]
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"error: no benchmark {unknown[0]!r}; see --list", file=sys.stderr)
        return 2
    results = [(n, *run(n)) for n in names]
    print("\n=== summary ===")
    for name, code, seconds in results:
        print(f"{name:28s} exit {code}  {seconds:7.1f} s")
    return max(code for _, code, _ in results)


if __name__ == "__main__":
    sys.exit(main())
