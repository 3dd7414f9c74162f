"""Benchmark: a cold `twin ask` (a new process) — time to the first answer token and in total.

Measured in the same run, interleaved so machine load hits both alike:

- baseline: a bare ``python -c "import torch"`` (the floor for anything that runs a model);
- cold ask: ``twin ask QUESTION --home H`` in a new process, stdout read as it streams;
  time to first token = first byte of the answer on stdout; total = process exit;
- one cold ``twin ask --json`` for the breakdown (``timings_ms``: load_* apart from nodes);
- warm: the same question asked again in one process (models loaded): first token, total.

"Cold" means a new process with the embedded model's one-time GGUF conversion already
done (``<home>/cache/models``, or ``$TWIN_MODEL_CACHE``) and files in the OS page cache,
i.e. every run after the first. Prints medians, the ratio to the baseline, and the load
average before and after (the machine may be shared: compare ratios, not seconds).

    .venv/bin/python bench/bench_cold_start.py [--repeat 5] [--question "What keyboard do you use?"]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TWIN = [PYTHON, "-m", "twin_cli"]


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def time_import_torch() -> float:
    start = time.perf_counter()
    subprocess.run([PYTHON, "-c", "import torch"], check=True)
    return time.perf_counter() - start


def cold_ask(question: str, home: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """(seconds to the first stdout byte, seconds to exit, the answer)."""
    start = time.perf_counter()
    proc = subprocess.Popen([*TWIN, "ask", question, "--home", str(home)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    first = proc.stdout.read(1)
    ttft = time.perf_counter() - start
    rest = proc.stdout.read()
    _, err = proc.communicate()
    total = time.perf_counter() - start
    if proc.returncode != 0 or not first:
        raise RuntimeError(f"twin ask failed ({proc.returncode}): {err.decode(errors='replace')[-2000:]}")
    return ttft, total, (first + rest).decode("utf-8", errors="replace")


def cold_json(question: str, home: Path, env: dict[str, str]) -> dict[str, float]:
    proc = subprocess.run([*TWIN, "ask", question, "--json", "--home", str(home)], capture_output=True,
                          text=True, env=env, check=True)
    return json.loads(proc.stdout)["timings_ms"]


WARM = r"""
import json, sys, time
from twin import offline; offline.apply()
from twin.config import load_config
from graph.runner import TwinRunner
runner = TwinRunner(load_config(None, sys.argv[1]))
out = []
for _ in range(int(sys.argv[3]) + 1):
    start = time.perf_counter(); first = None
    for event in runner.stream(sys.argv[2]):
        if event.kind == "token" and first is None:
            first = time.perf_counter() - start
    out.append([first, time.perf_counter() - start])
print(json.dumps(out[1:]))  # the first ask loads everything: not warm
"""


def warm_asks(question: str, home: Path, env: dict[str, str], repeat: int) -> list[list[float]]:
    proc = subprocess.run([PYTHON, "-c", WARM, str(home), question, str(repeat)], capture_output=True, text=True,
                          env=env, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def med(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--question", default="What keyboard do you use?")
    parser.add_argument("--refused", default="What is your salary?",
                        help="a question the judge refuses (skips retrieval and generation)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary home")
    args = parser.parse_args()

    from twin.config import resolve_home

    home = Path(tempfile.mkdtemp(prefix="twin-cold-"))
    env = {**os.environ}
    env.setdefault("TWIN_MODEL_CACHE", str(resolve_home(None) / "cache" / "models"))
    load_before = loadavg()
    print(f"load average before: {load_before}; {os.cpu_count()} CPUs; question: {args.question!r}")
    # Set-up (not timed): index the sample notes, convert the GGUF once, fill the example caches.
    subprocess.run([*TWIN, "ingest", str(REPO / "examples" / "notes"), "--home", str(home), "--json"],
                   check=True, capture_output=True, env=env)
    cold_ask(args.question, home, env)

    torch_s, ttft_s, total_s, refused_s = [], [], [], []
    answer = refusal = ""
    for i in range(args.repeat):
        torch_s.append(time_import_torch())
        ttft, total, answer = cold_ask(args.question, home, env)
        ttft_s.append(ttft)
        total_s.append(total)
        _, refused, refusal = cold_ask(args.refused, home, env)
        refused_s.append(refused)
        print(f"  run {i + 1}: import torch {torch_s[-1]:.2f} s | cold ask: first token {ttft:.2f} s, "
              f"total {total:.2f} s | cold refusal {refused:.2f} s | load {loadavg()}", flush=True)
    breakdown = cold_json(args.question, home, env)
    warm = warm_asks(args.question, home, env, args.repeat)
    warm_refused = warm_asks(args.refused, home, env, args.repeat)

    print(f"\nanswer: {answer.strip()[:160]!r}\nrefusal: {refusal.strip()[:160]!r}")
    print(f"\n{'median of ' + str(args.repeat):<34}{'seconds':>9}{'x import torch':>16}")
    base = med(torch_s)
    rows = [("python -c 'import torch' (baseline)", base), ("cold twin ask: first token", med(ttft_s)),
            ("cold twin ask: total", med(total_s)),
            ("warm ask (same process): first token", med([w[0] for w in warm if w[0] is not None] or [0.0])),
            ("warm ask (same process): total", med([w[1] for w in warm])),
            ("cold refused question: total", med(refused_s)),
            ("warm refused question: total", med([w[1] for w in warm_refused]))]
    for name, value in rows:
        print(f"{name:<40}{value:>7.2f}{value / base:>12.2f}")
    print("\ncold twin ask --json timings_ms (one run):")
    for key, ms in sorted(breakdown.items(), key=lambda kv: -kv[1]):
        print(f"  {key:<16}{ms:>9.0f} ms")
    print(f"  {'sum':<16}{sum(breakdown.values()):>9.0f} ms")
    print(f"\nload average before: {load_before}, after: {loadavg()}")
    if args.keep:
        print(f"home kept: {home}")
    else:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
