"""Shared setup for the knowledge-base benchmarks (bench/bench_kb_*.py).

The til notes (``../shared/data/til``, read-only) are copied to a work folder outside the
repo, each file's mtime set from ``dates.tsv`` (its ``updated`` column) so note dates
come out as they would in the original repository. The work folder is reused between
scripts, so the query/watch/quality benchmarks only pay for the full ingest once.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import statistics
import sys
import tempfile
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # this checkout's code, not whichever one the venv's editable install names

from langchain_core.embeddings import Embeddings  # noqa: E402

from twin import offline  # noqa: E402

offline.apply()


def _shared_til() -> Path:
    """``../shared/data/til`` next to the repository (or next to the main checkout, when
    this is a git worktree elsewhere)."""
    candidates = [REPO.parent / "shared" / "data" / "til"]
    common = REPO / ".git"
    if common.is_file():  # a worktree: ".git" names the main repository's git dir
        gitdir = Path(common.read_text().split(":", 1)[1].strip())
        candidates.append(gitdir.parent.parent.parent.parent / "shared" / "data" / "til")
    return next((c for c in candidates if c.is_dir()), candidates[0])


DEFAULT_DATA = _shared_til()
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
    from backends.factory import embeddings_model
    from twin.config import EmbeddingConfig

    model = embeddings_model(EmbeddingConfig())
    model.embed_documents(["warm up the model"])  # load outside every timing
    return model


def ingested_home(args, emb) -> tuple[object, Path]:
    """``(config, notes_dir)`` of the shared bench home, ingesting when needed (incremental;
    vectors come from the on-disk cache, so only texts never seen before are embedded)."""
    from kb.ingest import ingest

    notes = args.work / "notes"
    if not notes.is_dir():
        copy_notes(args.data, notes)
    config = config_for(args.work / "home")
    report = ingest(config, notes, CachedEmbeddings(emb, args.work / "vectors.sqlite"), progress=True)
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


class CachedEmbeddings(Embeddings):
    """The real model behind an on-disk vector cache (``<work>/vectors.sqlite``), keyed by
    the text's SHA-1: benchmark re-runs and index variants embed each text once. Only for
    quality/latency benchmarks; ingest throughput is always measured on the bare model."""

    def __init__(self, inner, path: Path):
        import sqlite3

        self.inner = inner
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), check_same_thread=False)
        self.db.execute("create table if not exists vec (key text primary key, v blob)")
        self.computed = 0

    @staticmethod
    def _key(text: str) -> str:
        import hashlib

        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        import numpy as np

        keys = [self._key(t) for t in texts]
        found: dict[str, list[float]] = {}
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            marks = ",".join("?" * len(part))
            for key, blob in self.db.execute(f"select key, v from vec where key in ({marks})", part):
                found[key] = np.frombuffer(blob, dtype=np.float32).tolist()
        missing = [t for t, k in dict(zip(texts, keys)).items() if k not in found]
        if missing:
            vectors = self.inner.embed_documents(missing)
            self.computed += len(missing)
            with self.db:
                for text, vector in zip(missing, vectors):
                    blob = np.asarray(vector, dtype=np.float32).tobytes()
                    self.db.execute("insert or replace into vec values (?, ?)", (self._key(text), blob))
                    found[self._key(text)] = vector
        return [found[k] for k in keys]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


PLAIN_CHARS = 1000


def plain_chunks(notes_dir: Path, max_chars: int = PLAIN_CHARS) -> list[tuple[str, str]]:
    """The plain baseline: every note's raw text (its ``# Title`` line included, as the
    file has it) packed paragraph by paragraph into chunks of at most ``max_chars``, no
    heading structure, nothing prepended. ``[(path, chunk text)]``."""
    from kb.chunking import pack

    out: list[tuple[str, str]] = []
    for path in sorted(Path(notes_dir).rglob("*.md")):
        text = path.read_text(encoding="utf-8", errors="replace")
        paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
        rel = path.relative_to(notes_dir).as_posix()
        out += [(rel, chunk) for chunk in pack(paragraphs, max_chars)]
    return out
