"""Read a notes folder into :class:`Note` objects, reporting every file it had to skip.

Walks ``.md``/``.mdx``/``.txt`` files recursively, skipping hidden folders (``.git``
included), hidden files and whatever ``.twinignore`` (gitignore syntax) matches. Bad
input never stops a run: each problem becomes a :class:`Skip` with the path and reason.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pathspec
import yaml

from kb.gitdates import git_dates
from twin.config import KBConfig

NOTE_SUFFIXES = (".md", ".mdx", ".txt")
IGNORE_FILE = ".twinignore"
PRIVATE_DIR = "private"
_FALSE_WORDS = {"false", "no", "off", "0", ""}
_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)
_FENCE_CLOSE = re.compile(r"^(---|\.\.\.)\s*$", re.MULTILINE)


@dataclass
class Note:
    path: str  # posix path relative to notes dir
    abs_path: Path
    title: str
    date: str  # ISO YYYY-MM-DD (updated > date > git last-commit > mtime)
    tags: list[str]
    private: bool
    body: str  # without front matter


@dataclass
class Skip:
    path: str  # relative to the notes dir (posix)
    reason: str


class NoteError(ValueError):
    """Why one file cannot be read as a note (becomes a Skip)."""


@dataclass
class WalkResult:
    files: list[Path] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)


# -- walking ------------------------------------------------------------------------
def load_ignore(notes_dir: Path) -> pathspec.PathSpec | None:
    ignore = notes_dir / IGNORE_FILE
    if not ignore.is_file():
        return None
    return pathspec.GitIgnoreSpec.from_lines(ignore.read_text(encoding="utf-8", errors="replace").splitlines())


def is_candidate(rel: str, spec: pathspec.PathSpec | None) -> bool:
    """Would a file at this relative posix path be read as a note (ignoring its content)?"""
    parts = rel.split("/")
    if any(p.startswith(".") for p in parts) or not rel.lower().endswith(NOTE_SUFFIXES):
        return False
    if spec is None:
        return True
    dirs = ["/".join(parts[: i + 1]) + "/" for i in range(len(parts) - 1)]
    return not any(spec.match_file(d) for d in dirs) and not spec.match_file(rel)


def walk_notes(notes_dir: Path, sub: Path | None = None) -> WalkResult:
    """Every candidate note file under ``notes_dir`` (or its folder ``sub``), following
    symlinks without looping."""
    root = Path(notes_dir)
    spec = load_ignore(root)
    out = WalkResult()
    seen_dirs: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(sub or root, followlinks=True, onerror=None):
        here = Path(dirpath)
        rel_dir = here.relative_to(root).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        try:
            st = here.stat()
        except OSError as exc:
            out.skips.append(Skip(rel_dir, f"cannot open folder: {exc.strerror or exc}"))
            dirnames[:] = []
            continue
        if (st.st_dev, st.st_ino) in seen_dirs:
            out.skips.append(Skip(rel_dir, "symlink loop (folder already visited)"))
            dirnames[:] = []
            continue
        seen_dirs.add((st.st_dev, st.st_ino))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not _ignored_dir(spec, prefix + d))
        for name in sorted(filenames):
            if is_candidate(prefix + name, spec):
                out.files.append(here / name)
    return out


def _ignored_dir(spec: pathspec.PathSpec | None, rel: str) -> bool:
    return spec is not None and spec.match_file(rel + "/")


# -- parsing ------------------------------------------------------------------------
def split_front_matter(text: str) -> tuple[dict, str]:
    """``(front_matter, body)``; raises NoteError when front matter is present but broken."""
    if not text.startswith("---"):
        return {}, text
    first_nl = text.find("\n")
    if first_nl < 0 or text[:first_nl].strip() != "---":
        return {}, text
    close = _FENCE_CLOSE.search(text, first_nl + 1)
    if close is None:
        raise NoteError("malformed front matter: opened with '---' but never closed")
    try:
        data = yaml.safe_load(text[first_nl + 1 : close.start()])
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        raise NoteError(f"malformed front matter: invalid YAML{where}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise NoteError("malformed front matter: expected 'key: value' lines")
    return data, text[close.end() :].lstrip("\n")


def as_iso_date(value: object) -> str | None:
    """A YAML date/datetime/string as ``YYYY-MM-DD``; None when it is not a date."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value.strip():
        try:
            return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).date().isoformat()
        except ValueError:
            return None
    return None


def is_private_flag(value: object) -> bool:
    """``private:`` is true unless clearly false (a typo errs on the private side)."""
    if value is None or value is False:
        return False
    if value is True:
        return True
    return str(value).strip().lower() not in _FALSE_WORDS


def parse_tags(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    if isinstance(value, (list, tuple)):
        return [str(t).strip() for t in value if str(t).strip()]
    return [str(value)]


def title_of(meta: dict, body: str, path: Path) -> str:
    if isinstance(meta.get("title"), (str, int, float)) and str(meta["title"]).strip():
        return str(meta["title"]).strip()
    heading = _H1.search(body)
    if heading:
        return heading.group(1).strip()
    return path.stem.replace("-", " ").replace("_", " ").strip().capitalize() or path.name


def path_is_private(rel: str) -> bool:
    return PRIVATE_DIR in rel.split("/")[:-1]


def mtime_date(st: os.stat_result) -> str:
    return datetime.fromtimestamp(st.st_mtime).date().isoformat()


def read_text(path: Path, max_bytes: int) -> tuple[str, os.stat_result]:
    """The file's text, or NoteError saying why not (size, binary, encoding, gone)."""
    try:
        st = path.stat()
        if st.st_size > max_bytes:
            raise NoteError(
                f"file too large ({st.st_size:,} bytes > kb.max_file_bytes = {max_bytes:,}); "
                "raise kb.max_file_bytes to include it"
            )
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        if path.is_symlink():
            raise NoteError("broken symlink") from exc
        raise NoteError("file vanished while reading") from exc
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            raise NoteError("symlink loop") from exc
        raise NoteError(f"cannot read file: {exc.strerror or exc}") from exc
    if b"\x00" in raw[:8192]:
        raise NoteError("binary file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NoteError(f"not UTF-8 text (bad byte at offset {exc.start}); re-save it as UTF-8") from exc
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n"), st


def read_note(
    notes_dir: Path, path: Path, cfg: KBConfig, git: dict[str, str] | None = None
) -> Note:
    """One file as a Note; raises NoteError (a reason for a Skip) when it cannot be used."""
    rel = path.relative_to(notes_dir).as_posix()
    text, st = read_text(path, cfg.max_file_bytes)
    meta, body = split_front_matter(text)
    private = is_private_flag(meta.get("private")) or path_is_private(rel) or _links_into_private(notes_dir, path)
    if not body.strip():
        raise NoteError("empty note (no text after the front matter)")
    when = (
        as_iso_date(meta.get("updated"))
        or as_iso_date(meta.get("date"))
        or (git or {}).get(rel)
        or mtime_date(st)
    )
    return Note(
        path=rel, abs_path=path, title=title_of(meta, body, path), date=when,
        tags=parse_tags(meta.get("tags")), private=private, body=body,
    )


def _links_into_private(notes_dir: Path, path: Path) -> bool:
    """A symlink whose target lies under a ``private/`` folder of the notes dir is private too."""
    if not path.is_symlink():
        return False
    try:
        target = path.resolve().relative_to(Path(notes_dir).resolve()).as_posix()
    except (ValueError, OSError):
        return False
    return path_is_private(target)


def read_files(
    notes_dir: Path, files: list[Path], cfg: KBConfig, git: dict[str, str] | None = None
) -> tuple[list[Note], list[Skip]]:
    notes: list[Note] = []
    skips: list[Skip] = []
    for path in files:
        try:
            notes.append(read_note(notes_dir, path, cfg, git))
        except NoteError as exc:
            skips.append(Skip(path.relative_to(notes_dir).as_posix(), str(exc)))
    return notes, skips


def read_notes(notes_dir: Path, cfg: KBConfig) -> tuple[list[Note], list[Skip]]:
    """All notes under ``notes_dir`` plus the files skipped (with reasons)."""
    notes_dir = Path(notes_dir)
    walked = walk_notes(notes_dir)
    notes, skips = read_files(notes_dir, walked.files, cfg, git_dates(notes_dir))
    return notes, walked.skips + skips
