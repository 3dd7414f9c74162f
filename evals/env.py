"""The eval environment: an eval-safe Config, a private temporary home with the notes
ingested, and one graph runner shared by every case (and every ablation config).

Evals never write into the user's data home or Chroma server: a suite that needs a
knowledge base ingests its notes into a fresh temporary home (embedded Chroma), which is
deleted afterwards. The de-quantized model cache of the real home is reused, so a
temporary home costs no model conversion.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from twin.config import NODE_NAMES, Config

EVAL_MAX_NEW_TOKENS = 64  # short answers keep a suite at minutes on 2 CPU cores
REPO = Path(__file__).resolve().parent.parent
SAMPLE_NOTES = REPO / "examples" / "notes"


class EvalSetupError(ValueError):
    """The eval cannot start (missing notes folder, ...); worded for the user."""


def eval_config(config: Config, max_new_tokens: int | None = EVAL_MAX_NEW_TOKENS, seed: int | None = None) -> Config:
    """A copy of ``config`` for evaluation: greedy decoding, fixed seed, short answers."""
    cfg = copy.deepcopy(config)
    for model in (cfg.persona, cfg.base):
        model.temperature = 0.0
        if seed is not None:
            model.seed = seed
    if max_new_tokens:
        cfg.persona.max_new_tokens = max_new_tokens
    return cfg.validate()


def toggles_for(config: Config, off: list[str] | None = None) -> dict[str, bool]:
    nodes = config.nodes.with_off(off or [])
    return {n: getattr(nodes, n) for n in NODE_NAMES}


def check_notes_dir(notes_dir: Path | str | None) -> Path:
    if notes_dir is None:
        if SAMPLE_NOTES.is_dir():
            return SAMPLE_NOTES
        raise EvalSetupError("no notes folder given; pass --kb NOTES_DIR")
    path = Path(notes_dir).expanduser().resolve()
    if not path.is_dir():
        raise EvalSetupError(f"notes folder not found: {path}")
    return path


def stamp_dates(src: Path, dst: Path, dates: dict[str, tuple[str, str]]) -> int:
    """Copy ``src`` to ``dst`` and give every file listed in ``dates`` its ``updated`` time as
    mtime (the ingester's date of last resort for notes without front matter). Returns how
    many files were stamped."""
    shutil.copytree(src, dst, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    stamped = 0
    for rel, (created, updated) in dates.items():
        target = dst / rel
        if not target.is_file():
            continue
        when = _parse_when(updated or created)
        if when is not None:
            os.utime(target, (when, when))
            stamped += 1
    return stamped


def _parse_when(value: str) -> float | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


@dataclass
class EvalEnv:
    """Config + context + runner for one eval run. Use as a context manager."""

    config: Config
    ctx: Any = None
    notes_dir: Path | None = None
    ingest_report: dict[str, Any] = field(default_factory=dict)
    _tmp: tempfile.TemporaryDirectory | None = None
    _runner: Any = None

    @classmethod
    def open(cls, config: Config, notes_dir: Path | None = None, dates: dict[str, tuple[str, str]] | None = None,
             temp_home: bool | None = None, ctx_factory: Any = None) -> EvalEnv:
        """``notes_dir`` given → a temporary home with those notes ingested."""
        cfg = copy.deepcopy(config)
        env = cls(cfg)
        if temp_home or (temp_home is None and notes_dir is not None):
            env._use_temp_home()
        from nodes.context import TwinContext

        env.ctx = (ctx_factory or TwinContext)(env.config)
        if notes_dir is not None:
            env._ingest(Path(notes_dir), dates)
        return env

    def _use_temp_home(self) -> None:
        real_cache = self.config.home_path / "cache" / "models"
        os.environ.setdefault("TWIN_MODEL_CACHE", str(real_cache))
        self._tmp = tempfile.TemporaryDirectory(prefix="twin-eval-", ignore_cleanup_errors=True)
        self.config.home = str(Path(self._tmp.name) / "home")
        self.config.retrieval.chroma_url = ""  # never write eval notes into a shared server

    def _ingest(self, notes_dir: Path, dates: dict[str, tuple[str, str]] | None) -> None:
        from kb.ingest import ingest

        source = notes_dir
        stamped = 0
        if dates:
            source = Path(self._tmp.name if self._tmp else tempfile.mkdtemp()) / "notes"
            stamped = stamp_dates(notes_dir, source, dates)
        start = time.perf_counter()
        report = ingest(self.config, source, self.ctx.embeddings, progress=False)
        self.notes_dir = source
        self.ingest_report = {
            "notes_dir": str(notes_dir), "seconds": round(time.perf_counter() - start, 2),
            "chunks": report.chunks_total, "private_notes": report.private, "skipped": report.skipped,
            "dates_stamped": stamped,
        }

    @property
    def runner(self) -> Any:
        if self._runner is None:
            from graph.runner import TwinRunner

            self._runner = TwinRunner(self.config, self.ctx, persist=False)
        return self._runner

    def warm_up(self, toggles: dict[str, bool]) -> None:
        """Load weights, embeddings and the router before the first timed case, so one-off
        loading time does not land in a case's latency."""
        from evals.graph_cases import route_only

        for name in ("persona_model", "persona_bare"):
            model = getattr(self.ctx, name)
            if hasattr(model, "weights"):
                model.weights()
        route_only(self, "Hello!", toggles)

    def close(self) -> None:
        if self._runner is not None:
            self._runner.close()
            self._runner = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> EvalEnv:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
