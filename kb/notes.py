"""Read a notes folder into :class:`Note` objects, reporting every file it had to skip.

Walks ``.md``/``.mdx``/``.txt`` files recursively, skipping hidden folders (``.git``
included), hidden files and whatever ``.twinignore`` (gitignore syntax) matches. Bad
input never stops a run: each problem becomes a :class:`Skip` with the path and reason.
"""

from __future__ import annotations

import codecs
import errno
import os
import re
import stat
from collections.abc import Callable
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
    warnings: list[str] = field(default_factory=list)  # kept, but something was off (e.g. a bad date)


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


def walks_into(root: Path, folder: Path) -> bool:
    """Would a walk of ``root`` read the notes under ``folder`` (a folder inside it)? Not when
    a hidden folder or a ``.twinignore`` pattern on the way leaves it out."""
    parts = Path(folder).relative_to(root).parts
    if any(p.startswith(".") for p in parts):
        return False
    spec = load_ignore(Path(root))
    return not any(_ignored_dir(spec, "/".join(parts[: i + 1])) for i in range(len(parts)))


def walk_notes(notes_dir: Path, sub: Path | None = None) -> WalkResult:
    """Every candidate note file under ``notes_dir`` (or its folder ``sub``), following
    symlinks without looping."""
    root = Path(notes_dir)
    spec = load_ignore(root)
    out = WalkResult()
    seen_dirs: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(sub or root, followlinks=True, onerror=_folder_skip(root, out)):
        here = Path(dirpath)
        rel_dir = here.relative_to(root).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        try:
            st = here.stat()
        except OSError as exc:
            out.skips.append(Skip(display_path(rel_dir), f"cannot open folder: {exc.strerror or exc}"))
            dirnames[:] = []
            continue
        if (st.st_dev, st.st_ino) in seen_dirs:
            out.skips.append(Skip(display_path(rel_dir), "symlink loop (folder already visited)"))
            dirnames[:] = []
            continue
        seen_dirs.add((st.st_dev, st.st_ino))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not _ignored_dir(spec, prefix + d))
        for name in sorted(filenames):
            if is_candidate(prefix + name, spec):
                out.files.append(here / name)
    return out


def _folder_skip(root: Path, out: WalkResult) -> Callable[[OSError], None]:
    """``os.walk``'s error handler: a folder it cannot list (no permission, gone) becomes a
    Skip instead of its notes silently missing."""

    def skip(exc: OSError) -> None:
        try:
            rel = Path(exc.filename).relative_to(root).as_posix()
        except (TypeError, ValueError):
            rel = str(exc.filename)
        out.skips.append(Skip(display_path(rel), f"cannot open folder: {exc.strerror or exc}"))

    return skip


def has_bad_name(rel: str) -> bool:
    """True when a path came from bytes that are not UTF-8 (Python keeps them as surrogates)."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def display_path(rel: str) -> str:
    """A path that can always be printed and stored: undecodable bytes shown as ``\\xNN``."""
    try:
        return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that did not come from file-name bytes
        return rel.encode("utf-8", "backslashreplace").decode("utf-8")


def _ignored_dir(spec: pathspec.PathSpec | None, rel: str) -> bool:
    return spec is not None and spec.match_file(rel + "/")


# -- parsing ------------------------------------------------------------------------
class _FrontMatterLoader(yaml.SafeLoader):
    """SafeLoader whose impossible timestamps (``2025-13-45``) stay strings.

    PyYAML's timestamp constructor raises ValueError (not YAMLError) for a date that
    matches the pattern but does not exist; here it becomes the plain string, which
    :func:`read_note` reports as a warning and replaces with the next date source."""


def _lenient_timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError, AttributeError, TypeError):  # PyYAML raises these, not YAMLError
        return loader.construct_scalar(node)


_FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", _lenient_timestamp)

def split_front_matter(text: str) -> tuple[dict, str]:
    """``(front_matter, body)``; raises NoteError when front matter is present but broken."""
    if not text.startswith("---"):
        return _late_front_matter(text)
    first_nl = text.find("\n")
    if first_nl < 0 or text[:first_nl].strip() != "---":
        return {}, text
    close = _FENCE_CLOSE.search(text, first_nl + 1)
    if close is None:
        raise NoteError("malformed front matter: opened with '---' but never closed")
    try:
        data = yaml.load(text[first_nl + 1 : close.start()], Loader=_FrontMatterLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        raise NoteError(f"malformed front matter: invalid YAML{where}") from exc
    except Exception as exc:  # noqa: BLE001 - PyYAML's constructors raise ValueError, TypeError, RecursionError...
        raise NoteError(f"malformed front matter: {type(exc).__name__}: {str(exc)[:200]}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise NoteError("malformed front matter: expected 'key: value' lines")
    return data, text[close.end() :].lstrip("\n")


# keys that say a block is front matter, not a line of text between two rules ("Update: moved to Berlin")
FRONT_MATTER_KEYS = frozenset({"title", "date", "tags", "private", "aliases", "created", "updated", "modified",
                               "draft", "categories", "author", "description", "summary", "slug", "lang", "layout"})


def _late_front_matter(text: str) -> tuple[dict, str]:
    """Front matter below blank lines (an editor's stray first newline), used when it is a
    ``key: value`` mapping with a front-matter key (title, date, tags, private…): its ``private:
    true`` was indexed as body text, the note public. Anything else (a rule, broken YAML, "Update:
    moved to Berlin" between two rules) stays body, as before."""
    stripped = text.lstrip(" \t\n")
    if stripped == text or not stripped.startswith("---"):
        return {}, text
    try:
        meta, body = split_front_matter(stripped)
    except NoteError:
        return {}, text
    known = any(str(key).strip().casefold() in FRONT_MATTER_KEYS for key in meta)
    return (meta, body) if known else ({}, text)


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


def front_matter_private(meta: dict) -> bool:
    """Does the front matter mark the note private? The key in any case (``Private: true``,
    ``PRIVATE: yes``): a capital must not make a private note public."""
    return any(is_private_flag(v) for k, v in meta.items() if str(k).strip().casefold() == "private")


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
    """A folder on the path is named ``private`` in any case (``Private/``, ``PRIVATE/``: a
    capitalised folder must not make its notes public)."""
    return any(part.casefold() == PRIVATE_DIR for part in rel.split("/")[:-1])


def mtime_date(st: os.stat_result) -> str:
    try:
        return datetime.fromtimestamp(st.st_mtime).date().isoformat()
    except (OverflowError, OSError, ValueError):  # a timestamp outside what the platform can convert
        return "1970-01-01"


_FILE_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a folder"),
)


# byte order marks of the wide encodings (Windows "Unicode", PowerShell 5's `>`), UTF-32 first:
# its little-endian mark starts with UTF-16's
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _FILE_KINDS if test(mode)), f"file type {stat.S_IFMT(mode):o}")


def _too_large(size: int, max_bytes: int) -> NoteError:
    return NoteError(
        f"file too large ({size:,} bytes > kb.max_file_bytes = {max_bytes:,}); raise kb.max_file_bytes to include it"
    )


def _read_regular(path: Path, max_bytes: int) -> tuple[bytes, os.stat_result]:
    """Open without blocking (a FIFO named x.md must not hang the run), check the file
    type on the open descriptor, then read at most ``max_bytes`` (+1 to notice growth)."""
    st = path.stat()  # follows symlinks: what would be read
    if not stat.S_ISREG(st.st_mode):
        raise NoteError(f"not a regular file: {_kind(st.st_mode)}")
    if st.st_size > max_bytes:
        raise _too_large(st.st_size, max_bytes)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(handle.fileno())  # the file actually opened (it may have been swapped)
        if not stat.S_ISREG(st.st_mode):
            raise NoteError(f"not a regular file: {_kind(st.st_mode)}")
        raw = handle.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise _too_large(max(len(raw), st.st_size), max_bytes)
    return raw, st


def read_text(path: Path, max_bytes: int) -> tuple[str, os.stat_result]:
    """The file's text, or NoteError saying why not (type, size, binary, encoding, gone)."""
    try:
        raw, st = _read_regular(path, max_bytes)
    except FileNotFoundError as exc:
        if path.is_symlink():
            raise NoteError("broken symlink") from exc
        raise NoteError("file vanished while reading") from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NoteError("symlink loop") from exc
        raise NoteError(f"cannot read file: {exc.strerror or exc}") from exc
    wide = next((name for bom, name in _WIDE_BOMS if raw.startswith(bom)), None)
    if wide is not None:  # its NUL bytes are text, not a binary file
        raise NoteError(f"{wide} text, not UTF-8; re-save it as UTF-8")
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
    if has_bad_name(rel):
        raise NoteError("file name is not valid UTF-8; rename the file (or its folder) to index it")
    text, st = read_text(path, cfg.max_file_bytes)
    meta, body = split_front_matter(text)
    private = front_matter_private(meta) or path_is_private(rel) or _links_into_private(notes_dir, path)
    if not body.strip():
        raise NoteError("empty note (no text after the front matter)")
    when, warnings = note_date(meta, (git or {}).get(rel), st)
    return Note(
        path=rel, abs_path=path, title=title_of(meta, body, path), date=when,
        tags=parse_tags(meta.get("tags")), private=private, body=body, warnings=warnings,
    )


DATE_KEYS = ("updated", "date")


def note_date(meta: dict, git_date: str | None, st: os.stat_result) -> tuple[str, list[str]]:
    """The note's date (updated > date > git last commit > mtime) and a warning for every
    front-matter date that is present but not a date (it is ignored, never fatal)."""
    warnings: list[str] = []
    for key in DATE_KEYS:
        value = meta.get(key)
        if value is None or value == "":
            continue
        iso = as_iso_date(value)
        if iso is not None:
            return iso, warnings + future_warning(key, iso)
        warnings.append(f"front matter {key}: {str(value)[:40]!r} is not a date (use YYYY-MM-DD)")
    if git_date:
        fallback, source = git_date, "its last git commit"
    else:
        fallback, source = mtime_date(st), "the file's modification time"
    return fallback, [f"{w}; dated {fallback} from {source}" for w in warnings]


def future_warning(key: str, iso: str, today: date | None = None) -> list[str]:
    """A warning for a front-matter date after today: a typo'd year ("2052") would make the note
    the newest on its subject for decades, above every later one (the rerank trusts dates)."""
    if date.fromisoformat(iso) <= (today or date.today()):
        return []
    return [f"front matter {key}: {iso} is in the future (a typo?); until then the note counts as the newest"]


def _links_into_private(notes_dir: Path, path: Path) -> bool:
    """A note reached through a symlink (the file itself, or a folder on its path such as
    ``archive -> private``) whose target lies under a ``private/`` folder is private too: one
    of the notes dir, or, for a target outside it (``journal -> ~/Dropbox/private``, a note of
    another source's ``private/``), any folder of its real path."""
    try:
        target = path.resolve()
    except (OSError, RuntimeError):
        return False
    try:
        return path_is_private(target.relative_to(Path(notes_dir).resolve()).as_posix())
    except ValueError:
        return _outside_private(target)


def _outside_private(target: Path) -> bool:
    """A real path outside the notes dir has a folder named ``private``, macOS's root
    ``/private`` aside (``/tmp`` and ``/var`` resolve into it)."""
    folders = target.parts[1:-1]
    if folders[:1] == ("private",):
        folders = folders[1:]
    return path_is_private("/".join((*folders, target.name)))


def read_files(
    notes_dir: Path, files: list[Path], cfg: KBConfig, git: dict[str, str] | None = None
) -> tuple[list[Note], list[Skip]]:
    notes: list[Note] = []
    skips: list[Skip] = []
    for path in files:
        rel = display_path(path.relative_to(notes_dir).as_posix())
        try:
            notes.append(read_note(notes_dir, path, cfg, git))
        except NoteError as exc:
            skips.append(Skip(rel, str(exc)))
        except Exception as exc:  # noqa: BLE001 - one bad file never stops a run; say what happened
            skips.append(Skip(rel, f"could not read: {type(exc).__name__}: {exc}"))
    return notes, skips


def read_notes(notes_dir: Path, cfg: KBConfig) -> tuple[list[Note], list[Skip]]:
    """All notes under ``notes_dir`` plus the files skipped (with reasons)."""
    notes_dir = Path(notes_dir)
    walked = walk_notes(notes_dir)
    notes, skips = read_files(notes_dir, walked.files, cfg, git_dates(notes_dir))
    return notes, walked.skips + skips
