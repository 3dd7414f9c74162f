"""A run folder fit to commit: the same run, without a third-party data set's text.

ConflictNQ lives in ``../shared/data`` and is read at run time, never committed. A conflict
run's ``cases.jsonl`` carries each case's question, answers and passages (so that ``twin eval
rescore`` can re-score it where it was run) and its report quotes some of them.
:func:`publish_run` copies a finished run folder with those fields left out of every record and
the report rebuilt from what is left; ``twin eval compare`` works on the copy (it matches cases
by id). Runs of the project's own data (people, privacy, routing, the til questions) have
nothing to leave out and are copied as they are.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from evals.report import build_report
from evals.runs import RunError, load_run
from twin.jsonl import write_jsonl

# per suite: the record fields that hold the third-party data set's text
THIRD_PARTY_FIELDS: dict[str, tuple[str, ...]] = {
    # "why" may name a name of the question ("the sentence introducing <name>")
    "conflict": ("question", "real", "fake", "real_long", "fake_long", "query", "sources", "why"),
}
REBUILT = ("cases.jsonl", "report.md")


def without_data(record: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key not in fields}


def publish_run(run_dir: Path | str, out: Path | str) -> Path:
    """Copy the run folder ``run_dir`` to ``out`` (which must not exist yet) without the
    third-party text of its suite's records; returns ``out``. The copy is written next to
    ``out`` and renamed when whole, so an interrupted publish leaves no half-copied run."""
    source, target = Path(run_dir).expanduser(), Path(out).expanduser()
    summary, records = load_run(source)
    if target.exists():
        raise RunError(f"{target} already exists; publish into a new folder")
    fields = THIRD_PARTY_FIELDS.get(str(summary.get("suite", "")), ())
    kept = [without_data(record, fields) for record in records]
    partial = target.with_name(f".{target.name}.partial")
    try:
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        write_copy(source, partial, summary, kept)
        partial.rename(target)
    except OSError as exc:
        raise RunError(f"cannot publish into {target}: {exc.strerror or exc}") from exc
    finally:
        shutil.rmtree(partial, ignore_errors=True)  # gone after the rename; what a failure left otherwise
    return target


def write_copy(source: Path, target: Path, summary: dict[str, Any], kept: list[dict[str, Any]]) -> None:
    """The run's files into the folder ``target``, with its cases and report rebuilt from ``kept``."""
    for item in source.iterdir():
        if item.is_file() and item.name not in REBUILT:
            shutil.copy2(item, target / item.name)
    write_jsonl(target / "cases.jsonl", kept)
    (target / "report.md").write_text(build_report(summary, kept), encoding="utf-8")
