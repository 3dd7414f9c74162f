"""Run folders: one per eval run, shared by every suite (privacy included).

Layout of ``<out>/<YYYYmmdd-HHMMSS>-<suite>/``:

- ``config.json``  the effective Config of the run (after eval overrides);
- ``cases.jsonl``  one JSON object per case, appended as each case finishes (a crash keeps
  what was done);
- ``summary.json`` metrics with sample sizes and 95% intervals, plus provenance (model,
  adapters, decoding, seed, config hash, dataset hash, library versions, git commit);
- ``report.md``    the human-readable report; ``*.png`` charts next to it.

The default ``<out>`` is ``<home>/evals/runs``.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from twin.config import Config, to_dict
from twin.jsonl import append_jsonl, read_jsonl

PACKAGES = ("twin", "torch", "transformers", "peft", "sentence-transformers", "langgraph", "langchain-core", "chromadb")
REPO = Path(__file__).resolve().parent.parent


class RunError(ValueError):
    """A run folder that cannot be read (compare) or written; worded for the user."""


def default_out(config: Config) -> Path:
    return config.home_path / "evals" / "runs"


def config_hash(config: Config) -> str:
    """sha256 (12 hex) of the config without the data home (same settings, same hash)."""
    data = to_dict(config)
    data.pop("home", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]


def file_hash(path: Path | str | None) -> str | None:
    if not path or not Path(path).is_file():
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit() -> str | None:
    """The code's commit (read-only ``git rev-parse``), with ``+dirty`` for local edits."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True, timeout=10)
        return head.stdout.strip()[:12] + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def provenance(config: Config, data_path: Path | str | None = None) -> dict[str, Any]:
    """What a reader needs to reproduce or trust the numbers."""
    persona, base = config.persona, config.base
    return {
        "model": f"{persona.backend}:{persona.model}",
        "analyzer_model": f"{base.backend}:{base.model}",
        "adapters": list(persona.adapters),
        "embeddings": config.embeddings.model,
        "analyzer_strategy": config.analyzer.strategy,
        "decoding": "greedy" if persona.temperature == 0 else f"sampled (temperature {persona.temperature})",
        "seed": persona.seed,
        "max_new_tokens": persona.max_new_tokens,
        "config_hash": config_hash(config),
        "data": str(data_path) if data_path else None,
        "data_sha256": file_hash(data_path),
        "versions": versions(),
        "git_commit": git_commit(),
        "machine": f"{platform.system()} {platform.machine()}",
    }


@dataclass
class RunDir:
    path: Path

    @classmethod
    def create(cls, out: Path, suite: str) -> RunDir:
        out = Path(out).expanduser()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = out / f"{stamp}-{suite}"
        n = 1
        while path.exists():
            n += 1
            path = out / f"{stamp}-{suite}-{n}"
        try:
            path.mkdir(parents=True)
        except OSError as exc:
            raise RunError(f"cannot create the run folder {path}: {exc.strerror or exc}") from exc
        return cls(path)

    @property
    def cases_path(self) -> Path:
        return self.path / "cases.jsonl"

    def write_config(self, config: Config) -> None:
        self._write_json("config.json", to_dict(config))

    def append_case(self, record: dict[str, Any]) -> None:
        append_jsonl(self.cases_path, record, default=str)

    def write_summary(self, summary: dict[str, Any]) -> None:
        self._write_json("summary.json", summary)

    def write_report(self, markdown: str) -> None:
        (self.path / "report.md").write_text(markdown, encoding="utf-8")

    def _write_json(self, name: str, data: Any) -> None:
        tmp = self.path / f".{name}.tmp"
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
        tmp.replace(self.path / name)


def load_run(path: Path | str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``(summary, cases)`` of a finished run folder (or its summary.json)."""
    path = Path(path).expanduser()
    folder = path.parent if path.name == "summary.json" else path
    summary_path = folder / "summary.json"
    if not summary_path.is_file():
        raise RunError(f"{folder} is not a finished eval run (no summary.json); pass a run folder")
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise RunError(f"{summary_path}: not valid JSON ({exc})") from exc
    if not isinstance(summary, dict):
        raise RunError(f"{summary_path}: not a run summary (a JSON object)")
    cases_path = folder / "cases.jsonl"
    return summary, read_jsonl(cases_path, error=RunError) if cases_path.is_file() else []
