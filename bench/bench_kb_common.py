"""Shared setup for the knowledge-base benchmarks (bench/bench_kb_*.py).

The til notes (``../shared/data/til``, read-only) are copied to a work folder outside the
repo, each file's mtime set from ``dates.tsv`` (its ``updated`` column) so note dates
come out as they would in the original repository. The work folder is reused between
scripts, so the query/watch/quality benchmarks only pay for the full ingest once.
"""

from __future__ import annotations

import csv
import os
import shutil
import statistics
import tempfile
from datetime import datetime
from pathlib import Path

from twin import offline

offline.apply()

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "til"
DEFAULT_WORK = Path(tempfile.gettempdir()) / "twin-bench-kb"


def add_common_args(parser) -> None:
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("TWIN_TIL", DEFAULT_DATA)),
                        help="til folder holding notes/ and dates.tsv (read only)")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK,
                        help="scratch folder for the notes copy and the data homes")


def copy_notes(data: Path, target: Path) -> Path:
    """Copy ``data/notes`` to ``target`` and set each file's mtime from ``dates.tsv``."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(data / "notes", target)
    with open(data / "dates.tsv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            path = target / row["path"]
            if path.is_file():
                stamp = datetime.fromisoformat(row["updated"] or row["created"]).timestamp()
                os.utime(path, (stamp, stamp))
    return target


def config_for(home: Path):
    from twin.config import Config

    config = Config(home=str(home))
    return config.validate()


def embeddings():
    from llm.factory import embeddings_model
    from twin.config import EmbeddingConfig

    model = embeddings_model(EmbeddingConfig())
    model.embed_documents(["warm up the model"])  # load outside every timing
    return model


def ingested_home(args, emb) -> tuple[object, Path]:
    """``(config, notes_dir)`` of the shared bench home, ingesting when needed (incremental)."""
    from kb.ingest import ingest

    notes = args.work / "notes"
    if not notes.is_dir():
        copy_notes(args.data, notes)
    config = config_for(args.work / "home")
    report = ingest(config, notes, emb, progress=True)
    print(f"index: {report.chunks_total} chunks from {notes} ({report.chunks_embedded} embedded now, "
          f"{report.seconds:.1f} s)")
    return config, notes


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summary(values: list[float], unit: str = "ms", scale: float = 1000.0) -> str:
    return (f"p50 {pct(values, 0.5) * scale:.1f} {unit}, p95 {pct(values, 0.95) * scale:.1f} {unit}, "
            f"mean {statistics.mean(values) * scale:.1f} {unit} (n={len(values)})")


def machine_load() -> str:
    """Context for the numbers: other processes share the CPU cores."""
    one, five, fifteen = os.getloadavg()
    return f"(machine: {os.cpu_count()} CPU cores, load average {one:.1f} / {five:.1f} / {fifteen:.1f})"
