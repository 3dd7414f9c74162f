"""Proof numbers for persona adapters: fact recall and knowledge conflict, base vs adapters.

    python bench/bench_train_eval.py runs/persona-data --adapter runs/cf/identity/adapter \
        --adapter runs/cf/style/adapter --plain runs/plain/style/adapter \
        --conflict-nq ../shared/data/conflict_nq_val.jsonl --limit 40

Same as `twin train eval`; prints one JSON object (see persona/evaluate.py for the definitions).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from twin import offline  # noqa: E402

offline.apply()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--adapter", action="append", default=[], help="context-faithful adapter(s), stacked")
    parser.add_argument("--plain", action="append", default=[], help="plain adapter(s) trained without context")
    parser.add_argument("--conflict-nq", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("--home", default="")
    args = parser.parse_args()

    from persona.evaluate import run_all
    from twin.config import load_config

    config = load_config(None, args.home or None)
    print(json.dumps(run_all(config, args.data_dir, args.adapter, args.plain, args.conflict_nq, args.limit), indent=2))


if __name__ == "__main__":
    main()
