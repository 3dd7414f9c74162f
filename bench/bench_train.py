"""Benchmark persona LoRA training on the embedded model: a real full run, against the plain set-up.

    python bench/bench_train.py [--notes examples/notes] [--pairs 700] [--epochs 3] [--out runs/bench-train]

Builds the SFT set from the sample notes (context-faithful mix, ``--paraphrases`` phrasings per fact),
then trains ``--pairs`` examples for ``--epochs`` epochs with the default options (what
`twin train lora --phase style` does) and reports the measured total, not an extrapolation.
Baseline, measured in the same run on the same examples: ``--baseline-steps`` steps of the plain
set-up (float32, LoRA on every layer, dropout 0.05); the ratio of target-token throughput is what
carries across machines. Prints the load average: on a shared machine every number is slower.
The trained run stays in ``--out`` (data/ and run/adapter) for `twin train eval`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from twin import offline  # noqa: E402

offline.apply()


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", default="examples/notes")
    parser.add_argument("--transcripts", default="examples/transcripts")
    parser.add_argument("--paraphrases", type=int, default=6, help="phrasings per fact (6 gives >700 pairs)")
    parser.add_argument("--pairs", type=int, default=700)
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--baseline-steps", type=int, default=4)
    parser.add_argument("--layer-share", type=float, default=0.0, help="LoRA on the top share of layers (0 = default)")
    parser.add_argument("--out", default="", help="keep data and adapter here (default: a temp folder)")
    parser.add_argument("--home", default=os.environ.get("TWIN_HOME", ""))
    return parser.parse_args()


def throughput(summary: dict) -> float:
    return round(summary["tokens"] / max(1e-9, summary["train_seconds"]), 1)


def main() -> None:
    args = parse()
    import torch

    from persona.dataset import DataOptions, build, save
    from persona.options import TrainOptions
    from persona.trainer import train
    from twin.config import load_config

    config = load_config(None, args.home or tempfile.mkdtemp(prefix="twin-bench-"))
    work = Path(args.out or tempfile.mkdtemp(prefix="persona-bench-"))
    for part in ("data", "run", "baseline"):
        shutil.rmtree(work / part, ignore_errors=True)
    started = time.perf_counter()
    transcripts = [args.transcripts] if args.transcripts else []
    built = build(config, Path(args.notes), DataOptions(paraphrases=args.paraphrases, transcripts=transcripts))
    save(built, work / "data")
    data_sec = time.perf_counter() - started
    started = time.perf_counter()
    opts = TrainOptions(phase="style", epochs=args.epochs, limit=args.pairs)
    opts.layer_share = args.layer_share or opts.layer_share
    full = train(config, work / "data", work / "run", opts, progress=True)
    wall = time.perf_counter() - started
    plain = TrainOptions(phase="style", max_steps=args.baseline_steps, limit=args.pairs, precision="fp32",
                         layer_share=1.0, dropout=0.05, batch_size=4, grad_accum=2, eval_every=10**6, save_every=10**6)
    base = train(config, work / "data", work / "baseline", plain, progress=False)
    run = json.loads((work / "run" / "run.json").read_text())
    result = {
        "train_examples_built": len(built.train), "pairs_used": run["train_examples"], "epochs": args.epochs,
        "data_build_sec": round(data_sec, 1), "precision": run["precision"], "layer_share": opts.layer_share, "steps": full["steps"],
        "full_run_min_wall": round(wall / 60, 1), "train_steps_min": round(full["train_seconds"] / 60, 1),
        "sec_per_step": full["sec_per_step"],
        "target_and_prompt_tokens": full["tokens"], "tokens_per_sec": throughput(full),
        "baseline_tokens_per_sec": throughput(base), "speedup_vs_baseline": round(throughput(full) / throughput(base), 2),
        "first_loss": full["first_loss"], "last_loss": full["last_loss"], "best_eval_loss": full["best_eval_loss"],
        "peak_memory_mb": full["peak_memory_mb"], "adapter_mb": round(full["adapter_bytes"] / 1e6, 2),
        "adapter": full["adapter"], "loadavg_1min": round(os.getloadavg()[0], 2), "cpu_threads": torch.get_num_threads(),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
