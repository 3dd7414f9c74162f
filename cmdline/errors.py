"""One-line errors: what a command prints when it cannot start or fails (never a traceback)."""

from __future__ import annotations

import sys

import typer

from twin.config import ConfigError

DEBUG_ENV = "TWIN_DEBUG"

# The documented error types, by module, worded for the user and shown as one line.
EXPECTED_ERRORS = (("backends.errors", "BackendError"), ("kb.store", "StoreError"), ("kb.ingest", "IngestError"),
                   ("kb.notes", "NoteError"))


def one_line(message: object) -> str:
    return " ".join(str(message).split())


def fail(message: object, code: int = 2) -> None:
    """``error: <message>`` on one stderr line, then exit (2: the command cannot start)."""
    typer.echo(f"error: {one_line(message)}", err=True)
    raise typer.Exit(code)


def expected_errors() -> tuple[type[BaseException], ...]:
    """The documented error types. Only modules already imported can have raised theirs, so
    none is imported here (errors stay fast)."""
    found: list[type[BaseException]] = [ConfigError]
    for module, name in EXPECTED_ERRORS:
        if module in sys.modules:
            found.append(getattr(sys.modules[module], name))
    return tuple(found)
