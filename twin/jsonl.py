"""JSON Lines files: one JSON object per line. The one reader and the writers every layer uses
(eval cases and run records, persona training data and metrics, routing examples, TUI feedback).

A bad line is an error that names the file and the line (``path:7: not valid JSON (...)``); each
caller picks the exception class of its own layer (``error=DataError`` ...). Blank lines are skipped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any


class JsonlError(ValueError):
    """A line of a JSONL file that is not one JSON object (the message says where)."""


def iter_jsonl(path: Path | str, error: type[Exception] = JsonlError) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for each non-blank line, read lazily (stop early to read less)."""
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise error(f"{path}:{number}: not valid JSON ({exc.msg}); one JSON object per line") from exc
            if not isinstance(obj, dict):
                raise error(f"{path}:{number}: expected a JSON object, got {type(obj).__name__}")
            yield number, obj


def read_jsonl(path: Path | str, error: type[Exception] = JsonlError) -> list[dict[str, Any]]:
    """Every object of the file, in order."""
    return [obj for _, obj in iter_jsonl(path, error)]


def _line(record: Any, default: Callable[[Any], Any] | None = None) -> str:
    data = asdict(record) if is_dataclass(record) and not isinstance(record, type) else record
    return json.dumps(data, ensure_ascii=False, default=default) + "\n"


def append_jsonl(path: Path | str, record: Any, *, sync: bool = False,
                 default: Callable[[Any], Any] | None = None) -> None:
    """Append one record as one line in a single write (earlier lines are never touched);
    ``sync`` flushes it to disk before returning; ``default`` as for :func:`json.dumps`."""
    line = _line(record, default)
    with Path(path).open("a", encoding="utf-8") as handle:
        handle.write(line)
        if sync:
            handle.flush()
            os.fsync(handle.fileno())


def write_jsonl(path: Path | str, rows: Iterable[Any]) -> int:
    """Write records (dicts or dataclasses) atomically: a temporary file replaces ``path`` only once
    every row is written. Returns the row count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    count = 0
    with tmp.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(_line(row))
            count += 1
    os.replace(tmp, path)
    return count
