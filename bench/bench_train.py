"""Benchmark persona LoRA training on the embedded model: time per step, extrapolated full run, memory.

    python bench/bench_train.py [--notes examples/notes] [--pairs 700] [--epochs 3] [--steps 6]

Builds the SFT set from the sample notes, trains ``--steps`` optimizer steps on the first ``--pairs``
examples (batch 4 x 2 accumulation), and extrapolates the time of ``--pairs`` x ``--epochs``. Baseline measured in the
same run: a forward pass (no gradients) over the same batches, so the train/forward ratio is
comparable across machines. Prints the load average: on a shared machine every number is slower.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from twin import offline  # noqa: E402

offline.apply()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", default="examples/notes")
    parser.add_argument("--pairs", type=int, default=700)
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--grad-accum", type=int, default=2)
    parser.add_argument("--home", default=os.environ.get("TWIN_HOME", ""))
    args = parser.parse_args()

    import torch

    from persona.dataset import DataOptions, build, save
    from persona.encoding import collate
    from persona.model import base_copy, target_loss
    from persona.options import TrainOptions
    from persona.trainer import prepare, train
    from twin.config import load_config

    config = load_config(None, args.home or tempfile.mkdtemp(prefix="twin-bench-"))
    work = Path(tempfile.mkdtemp(prefix="persona-bench-"))
    started = time.perf_counter()
    built = build(config, Path(args.notes), DataOptions(paraphrases=10))
    save(built, work / "data")
    data_sec = time.perf_counter() - started
    opts = TrainOptions(phase="style", max_steps=args.steps, batch_size=args.batch_size, grad_accum=args.grad_accum, limit=args.pairs,
                        eval_every=10**6, save_every=10**6, max_eval=16, precision="fp32")
    summary = train(config, work / "data", work / "run", opts, progress=False)
    steps_per_epoch = math.ceil(min(args.pairs, len(built.train)) / (args.batch_size * args.grad_accum))
    full_steps = math.ceil(args.epochs * steps_per_epoch)
    model, tokenizer = base_copy(config)
    rows = prepare(config, work / "data", tokenizer, opts.resolved()).train[: args.steps * args.batch_size * args.grad_accum]
    fwd = time.perf_counter()
    with torch.no_grad():
        for i in range(0, len(rows), args.batch_size):
            target_loss(model, collate(rows[i : i + args.batch_size], tokenizer.pad_token_id))
    fwd_per_step = (time.perf_counter() - fwd) / max(1, args.steps)
    result = {
        "train_examples": len(built.train), "pairs_used": min(args.pairs, len(built.train)),
        "data_build_sec": round(data_sec, 1), "steps_measured": summary["steps"],
        "sec_per_step": summary["sec_per_step"], "tokens_per_sec": round(summary["tokens"] / summary["train_seconds"], 1),
        "forward_only_sec_per_step": round(fwd_per_step, 3),
        "train_over_forward": round(summary["sec_per_step"] / fwd_per_step, 2),
        "full_run_steps": full_steps, "full_run_min_extrapolated": round(full_steps * summary["sec_per_step"] / 60, 1),
        "peak_memory_mb": summary["peak_memory_mb"], "adapter_mb": round(summary["adapter_bytes"] / 1e6, 2),
        "loadavg_1min": round(os.getloadavg()[0], 2), "cpu_threads": torch.get_num_threads(),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
