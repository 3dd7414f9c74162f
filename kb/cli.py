"""`twin ingest [NOTES_DIR] [--watch] [--json]`: the knowledge-base side of the CLI.

``run_ingest`` does the work and returns an exit code; ``twin/cli.py`` wires it into
typer. Output: a rich summary table (plus one table of skipped files) on stdout, the
progress bar on stderr; with ``--json`` one JSON object (or one JSON line per change in
watch mode) and nothing else.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from kb.ingest import IngestError, IngestReport, check_notes_dir
from kb.store import StoreError
from twin.config import Config

SAMPLE_NOTES = Path(__file__).resolve().parent.parent / "examples" / "notes"


def resolve_notes_dir(config: Config, notes_dir: Path | None) -> Path:
    """The argument, else ``kb.notes_dir``, else the bundled sample notes."""
    if notes_dir:
        return Path(notes_dir).expanduser()
    if config.kb.notes_dir:
        return Path(config.kb.notes_dir).expanduser()
    return SAMPLE_NOTES


def run_ingest(config: Config, notes_dir: Path | None, watch: bool = False, as_json: bool = False) -> int:
    """Ingest (or watch) a notes folder; print the summary; return the exit code."""
    err = Console(stderr=True)
    try:
        target = check_notes_dir(resolve_notes_dir(config, notes_dir))
        from llm.factory import embeddings_model

        embeddings = embeddings_model(config.embeddings)
        if watch:
            return _watch(config, target, embeddings, as_json, err)
        from kb.ingest import ingest

        report = ingest(config, target, embeddings, progress=not as_json)
    except IngestError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return 2
    except StoreError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return 1
    print_report(report, as_json)
    return 0


def _watch(config: Config, target: Path, embeddings: object, as_json: bool, err: Console) -> int:
    from kb.watch import watch

    if not as_json:
        err.print(f"watching [bold]{target}[/] (Ctrl+C to stop)")
    try:
        watch(
            config, target, embeddings, on_change=lambda r: print_report(r, as_json, compact=True),
            on_error=lambda exc: err.print(f"[red]sync failed:[/] {escape(str(exc))}", soft_wrap=True),
        )
    except KeyboardInterrupt:
        pass
    return 0


def print_report(report: IngestReport, as_json: bool, compact: bool = False) -> None:
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False) + "\n")
        sys.stdout.flush()
        return
    out = Console()
    if compact:
        stamp = datetime.now().strftime("%H:%M:%S")
        out.print(
            f"{stamp} added {report.added}, updated {report.updated}, deleted {report.deleted}, "
            f"skipped {report.skipped}, private {report.private} "
            f"({report.chunks_embedded} chunks embedded, {report.seconds:.2f} s)",
            soft_wrap=True,
        )
    else:
        out.print(summary_table(report))
    if report.skips:
        out.print(skips_table(report))
    if report.warnings:
        out.print(skips_table(report, warnings=True))


def summary_table(report: IngestReport) -> Table:
    table = Table(title=f"Ingested {escape(report.notes_dir)}", show_header=True)
    for name in ("added", "updated", "deleted", "unchanged", "skipped", "private"):
        table.add_column(name, justify="right")
    table.add_row(*(str(getattr(report, n)) for n in ("added", "updated", "deleted", "unchanged", "skipped", "private")))
    table.caption = (
        f"{report.chunks_total} chunks in the index; {report.chunks_embedded} embedded, "
        f"{report.chunks_reused} reused, {report.chunks_deleted} deleted in {report.seconds:.2f} s"
    )
    return table


def skips_table(report: IngestReport, warnings: bool = False) -> Table:
    """Skipped files (not indexed), or with ``warnings`` the notes indexed despite a problem."""
    table = Table(title="Warnings (indexed anyway)" if warnings else "Skipped", show_header=True, title_style="yellow")
    table.add_column("path")
    table.add_column("warning" if warnings else "reason")
    for skip in report.warnings if warnings else report.skips:
        table.add_row(escape(skip.path), escape(skip.reason))
    return table
