"""`twin ingest [NOTES_DIR ...] [--watch] [--json]` and `twin kb list|remove`: the
knowledge-base side of the CLI.

``run_ingest`` does the work and returns an exit code; ``twin_cli/main.py`` wires it into
typer. Output: a rich summary table per folder (plus one table of skipped files) on
stdout, the progress bar on stderr; with ``--json`` one JSON object per folder (or one
JSON line per change in watch mode) and nothing else.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from kb.ingest import IngestError, IngestReport, check_new_folders, check_notes_dir
from kb.lexical import LexicalError
from kb.sources import SourceError, list_sources, move_source, remove_source
from kb.state import registered_sources
from kb.store import StoreError
from twin.config import Config

SAMPLE_NOTES = Path(__file__).resolve().parent.parent / "examples" / "notes"


def resolve_notes_dirs(config: Config, notes_dirs: list[Path] | Path | None) -> list[Path]:
    """The arguments, else ``kb.sources``, else ``kb.notes_dir``, else the bundled sample notes."""
    if isinstance(notes_dirs, (str, Path)):
        notes_dirs = [Path(notes_dirs)]
    if notes_dirs:
        return [Path(p).expanduser() for p in notes_dirs]
    if config.kb.sources:
        return [Path(p).expanduser() for p in config.kb.sources]
    if config.kb.notes_dir:
        return [Path(config.kb.notes_dir).expanduser()]
    return [SAMPLE_NOTES]


def resolve_notes_dir(config: Config, notes_dir: Path | None) -> Path:
    """The first folder :func:`resolve_notes_dirs` gives."""
    return resolve_notes_dirs(config, notes_dir)[0]


def run_ingest(
    config: Config, notes_dirs: list[Path] | Path | None, watch: bool = False, as_json: bool = False,
) -> int:
    """Ingest (or watch) one or more notes folders, each its own source; print a summary
    per folder; return the exit code. Every folder is checked before any is touched."""
    err = Console(stderr=True)
    try:
        targets = list(dict.fromkeys(check_notes_dir(p) for p in resolve_notes_dirs(config, notes_dirs)))
        check_new_folders(config.home_path, targets)
        warn_missing_sources(config, targets, err)
        from backends.factory import embeddings_model

        embeddings = embeddings_model(config.embeddings)
        if watch:
            return _watch(config, targets, embeddings, as_json, err)
        from kb.ingest import ingest

        for target in targets:
            print_report(ingest(config, target, embeddings, progress=not as_json), as_json)
    except IngestError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return 2
    except (StoreError, LexicalError) as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return 1
    return 0


def warn_missing_sources(config: Config, targets: list[Path], err: Console) -> None:
    """A registered folder that is gone still answers with its old notes (twice over, once a
    moved copy is ingested as a new source): say so at every ingest, with both ways out."""
    for label, info in sorted(registered_sources(config.home_path).items()):
        if not Path(info["path"]).is_dir() and Path(info["path"]) not in targets:
            err.print(f"[yellow]warning:[/] source {escape(repr(label))}: its folder {escape(info['path'])} is gone, "
                      f"but its notes are still in the index; if it moved: `twin kb move {escape(label)} NEW_FOLDER`; "
                      f"to drop them: `twin kb remove {escape(label)}`", soft_wrap=True)


def _watch(config: Config, targets: list[Path], embeddings: object, as_json: bool, err: Console) -> int:
    from kb.watch import watch

    if not as_json:
        err.print(f"watching [bold]{', '.join(map(str, targets))}[/] (Ctrl+C to stop)")
    try:
        watch(
            config, targets, embeddings, on_change=lambda r: print_report(r, as_json, compact=True),
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
            f"{stamp} [{report.source}] added {report.added}, updated {report.updated}, deleted {report.deleted}, "
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
    table = Table(title=f"Ingested {escape(report.notes_dir)} (source {escape(repr(report.source))})", show_header=True)
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


def run_list(config: Config, as_json: bool = False) -> int:
    """`twin kb list`: every source with its folder, notes and chunks."""
    try:
        found = list_sources(config)
    except SourceError as exc:  # no index at that home
        Console(stderr=True).print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return 2
    except (StoreError, LexicalError) as exc:
        Console(stderr=True).print(f"[red]error:[/] {exc}")
        return 1
    if as_json:
        sys.stdout.write(json.dumps([s.to_dict() for s in found], ensure_ascii=False) + "\n")
        return 0
    out = Console()
    if not found:
        out.print(f"no sources in {config.home_path} yet; run `twin ingest NOTES_DIR`")
        return 0
    table = Table(title=f"Sources in {config.home_path}", show_header=True)
    for name, justify in (("source", "left"), ("folder", "left"), ("notes", "right"), ("chunks", "right"),
                          ("last ingest", "left")):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for s in found:
        folder = s.path + ("" if s.exists or not s.path else "  [red](missing)[/]")
        chunks = str(s.chunks) + ("" if s.lexical_chunks == s.chunks else f" [yellow]({s.lexical_chunks} searchable "
                                  "by keyword; run `twin ingest` to repair)[/]")
        table.add_row(s.label, folder, str(s.notes), chunks, _local(s.ingested_at))
    out.print(table)
    return 0


def _local(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def run_move(config: Config, label: str, folder: Path) -> int:
    """`twin kb move SOURCE FOLDER`: the source's notes now live in FOLDER (nothing re-embedded)."""
    err = Console(stderr=True)
    try:
        target = move_source(config, label, folder)
    except SourceError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return 2
    Console().print(f"source {escape(repr(label))} now follows {escape(str(target))}; run `twin ingest "
                    f"{escape(str(target))}` to sync it (unchanged notes keep their vectors)", soft_wrap=True)
    return 0


def run_remove(config: Config, label: str) -> int:
    """`twin kb remove SOURCE`: delete one source's chunks and forget the folder (files untouched)."""
    err = Console(stderr=True)
    try:
        removed = remove_source(config, label)
    except SourceError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return 2
    except (StoreError, LexicalError) as exc:
        err.print(f"[red]error:[/] {exc}")
        return 1
    Console().print(f"removed source {label!r}: {removed} chunks deleted (the folder itself is untouched)")
    return 0
