"""Last-commit dates of files, when the notes folder lives in a git repository.

One ``git log`` call for the whole folder (not one per file), so a 2,000-note repo costs
a fraction of a second. No git, not a repository, or any git error → an empty mapping
(the note date then falls back to the file's mtime).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

_MARK = "\x1eDATE "


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-c", "core.quotepath=off", *args], cwd=cwd, capture_output=True,
            text=True, encoding="utf-8", errors="replace", timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def git_dates(notes_dir: Path) -> dict[str, str]:
    """``{path relative to notes_dir (posix): YYYY-MM-DD of its last commit}``."""
    notes_dir = Path(notes_dir).resolve()
    if shutil.which("git") is None or not notes_dir.is_dir():
        return {}
    top = _git(["rev-parse", "--show-toplevel"], notes_dir)
    if not top:
        return {}
    log = _git(["log", f"--format={_MARK}%cI", "--name-only", "--no-renames", "--relative", "--", "."], notes_dir)
    if log is None:
        return {}
    return _parse_log(log)


def _parse_log(log: str) -> dict[str, str]:
    """Newest commit first: the first date seen for a path is its last commit date."""
    dates: dict[str, str] = {}
    current = ""
    for line in log.split("\n"):  # not splitlines(): it splits at the \x1e marker too
        if line.startswith(_MARK):
            current = line[len(_MARK) : len(_MARK) + 10]
        elif line.strip() and current:
            dates.setdefault(line.strip(), current)
    return dates
