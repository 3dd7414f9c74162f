"""Fuzz run: every target of tests/fuzz_targets.py with many random inputs; reports inputs tried,
findings (the shrunk failing input and the error, per target) and the slowest input.

The test suite runs the same targets bounded and derandomized (tests/test_fuzz.py); this
is the long run, with a fresh random seed each time (printed, so a finding reproduces).
The analyzer and judge targets use a temporary home with the sample notes ingested (real
embeddings, real Chroma, the real judge).

    .venv/bin/python bench/bench_fuzz.py [--scale 10] [--seed N] [--only notes_folder,judge]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from twin import offline  # noqa: E402

offline.apply()
from twin.config import resolve_home  # noqa: E402

os.environ.setdefault("TWIN_MODEL_CACHE", str(resolve_home(None) / "cache" / "models"))

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402

from tests import fuzz_targets as ft  # noqa: E402


# name: (strategy, check, examples at --scale 1)
def targets(home: str) -> dict[str, tuple[Any, Callable[[Any], None], int]]:
    return {
        "notes_folder": (ft.NOTES_FOLDER, ft.check_notes_folder, 120),
        "note_file": (ft.note_bytes(), ft.check_note_file, 250),
        "chunker": (ft.CHUNKER, ft.check_chunker, 200),
        "config_toml": (ft.CONFIG_TOML, ft.check_config_toml, 200),
        "config_overrides": (ft.OVERRIDES, ft.check_overrides, 150),
        "cli": (ft.cli_args(), ft.check_cli, 60),
        "injection": (ft.questions(2000), ft.check_injection, 300),
        "analyzer": (ft.ANALYZER, lambda case: ft.check_analyzer(home, *case), 40),
        "judge": (ft.JUDGE, lambda case: ft.check_judge(home, *case), 40),
    }


def run_target(name: str, strategy: Any, check: Callable[[Any], None], examples: int, run_seed: int) -> dict:
    calls = {"n": 0}

    def counted(value: Any) -> None:
        calls["n"] += 1
        check(value)

    test = seed(run_seed)(settings(max_examples=examples, deadline=None, database=None, derandomize=False,
                                   suppress_health_check=list(HealthCheck), report_multiple_bugs=True,
                                   print_blob=True)(given(strategy)(counted)))
    start = time.perf_counter()
    finding = ""
    try:
        test()
    except BaseException as exc:  # noqa: BLE001 - a finding: report it and go on to the next target
        if isinstance(exc, KeyboardInterrupt):
            raise
        finding = describe(exc)
    return {"name": name, "inputs": calls["n"], "seconds": time.perf_counter() - start, "finding": finding,
            "slowest": ft.SLOWEST.get(name, (0.0, None))[0]}


def describe(exc: BaseException) -> str:
    """The error and hypothesis's notes (the shrunk input), for each of several distinct failures."""
    parts = exc.exceptions if isinstance(exc, BaseExceptionGroup) else [exc]
    out = []
    for part in parts:  # format_exception_only includes hypothesis's notes (the failing input)
        text = "".join(traceback.format_exception_only(type(part), part)).strip()
        out.append("\n".join(line for line in text.splitlines() if "reproduce_failure" not in line))
    return "\n".join(out)


def ingested_home() -> str:
    from kb.ingest import ingest
    from nodes.context import TwinContext
    from twin.config import load_config

    home = Path(tempfile.mkdtemp(prefix="twin-fuzz-home-"))
    config = load_config(None, str(home))
    ingest(config, REPO / "examples" / "notes", TwinContext(config).embeddings, progress=False)
    return str(home)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=10.0, help="examples per target = suite count x scale")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--only", default="", help="comma-separated target names")
    args = parser.parse_args()
    run_seed = args.seed if args.seed is not None else random.randrange(2**32)
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "n/a"
    print(f"seed {run_seed}; scale {args.scale}; load average {load}", flush=True)
    home = ingested_home()
    try:
        chosen = targets(home)
        if args.only:
            chosen = {k: v for k, v in chosen.items() if k in args.only.split(",")}
        results = []
        for name, (strategy, check, base) in chosen.items():
            result = run_target(name, strategy, check, max(1, int(base * args.scale)), run_seed)
            results.append(result)
            status = "FINDING" if result["finding"] else "ok"
            print(f"  {name:<17}{result['inputs']:>7} inputs {result['seconds']:>8.1f} s   slowest "
                  f"{result['slowest']:6.3f} s   {status}", flush=True)
        total = sum(r["inputs"] for r in results)
        findings = [r for r in results if r["finding"]]
        print(f"\n{total} inputs tried in {sum(r['seconds'] for r in results):.0f} s; {len(findings)} finding(s)")
        for r in findings:
            print(f"\n[{r['name']}] {r['finding']}")
        print(f"\nload average after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
