"""Issue 14, findings 1-3 and 5 (notes side): every bad file is a skip or a warning with its
path, never an abort or a hang. Reading only (no models); the ingest/watch side with real
Chroma is in test_bad_notes_ingest.py."""

from __future__ import annotations

import codecs
import errno
import os
import threading
from datetime import date
from pathlib import Path

import pytest

from kb.notes import display_path, read_notes, split_front_matter
from twin.config import KBConfig

CFG = KBConfig()
BAD_NAME = "caf\udce9.md"  # the file name bytes b"caf\xe9.md" (latin-1), as Python sees them


def write(root: Path, rel: str | bytes, text: str) -> Path:
    path = Path(os.fsdecode(root)) / (os.fsdecode(rel) if isinstance(rel, bytes) else rel)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def read_with_deadline(root: Path, cfg: KBConfig = CFG, seconds: float = 20.0) -> tuple[list, list]:
    """read_notes in a thread: a hang is a failure here, not a stuck test run."""
    result: list = []
    worker = threading.Thread(target=lambda: result.append(read_notes(root, cfg)), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"reading the notes hung for {seconds:.0f} s"
    return result[0]


def test_impossible_date_keeps_the_note_with_a_warning(tmp_path: Path) -> None:
    """Finding 1: `updated: 2025-13-45` made PyYAML raise ValueError (not YAMLError) and abort."""
    write(tmp_path, "a.md", "---\nupdated: 2025-13-45\ndate: 2024-02-30\n---\nbody\n")
    write(tmp_path, "b.md", "---\nupdated: 2025-13-45\ndate: 2024-02-03\n---\nfalls back to date\n")
    write(tmp_path, "good.md", "# Good\n\nA good note.")
    meta, _ = split_front_matter("---\nupdated: 2025-13-45\n---\nbody\n")
    assert meta == {"updated": "2025-13-45"}, "an impossible timestamp stays a string"
    notes, skips = read_notes(tmp_path, CFG)
    found = {n.path: n for n in notes}
    assert skips == [] and set(found) == {"a.md", "b.md", "good.md"}
    assert [w.split(";")[0] for w in found["a.md"].warnings] == [
        "front matter updated: '2025-13-45' is not a date (use YYYY-MM-DD)",
        "front matter date: '2024-02-30' is not a date (use YYYY-MM-DD)",
    ]
    assert "from the file's modification time" in found["a.md"].warnings[-1]
    assert found["b.md"].date == "2024-02-03" and len(found["b.md"].warnings) == 1
    assert found["good.md"].warnings == []


def test_not_a_date_warns_instead_of_silently_using_mtime(tmp_path: Path) -> None:
    """Finding 5: `date: someday` used the mtime without a word."""
    write(tmp_path, "s.md", "---\ndate: someday\n---\ntext")
    write(tmp_path, "n.md", "---\ndate: 2024\n---\ntext")
    notes, _ = read_notes(tmp_path, CFG)
    found = {n.path: n for n in notes}
    assert found["s.md"].warnings[0].startswith("front matter date: 'someday' is not a date")
    assert found["n.md"].warnings[0].startswith("front matter date: '2024' is not a date")


def test_non_utf8_file_name_is_a_skip_with_a_printable_path(tmp_path: Path) -> None:
    """Finding 2: a latin-1 file name aborted the run (UnicodeEncodeError in the digest)."""
    write(tmp_path, b"caf\xe9.md", "Coffee notes.")
    write(tmp_path, b"d\xe9p/inside.md", "A note in a folder whose name is not UTF-8.")
    write(tmp_path, "fine.md", "Fine.")
    notes, skips = read_with_deadline(tmp_path)
    assert [n.path for n in notes] == ["fine.md"]
    reasons = {s.path: s.reason for s in skips}
    assert set(reasons) == {"caf\\xe9.md", "d\\xe9p/inside.md"}
    assert all("not valid UTF-8" in r for r in reasons.values())
    assert display_path(BAD_NAME) == "caf\\xe9.md"
    assert all(s.path.encode("utf-8") for s in skips), "skip paths are always printable"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_and_device_named_md_are_skipped_not_read(tmp_path: Path) -> None:
    """Finding 3: a FIFO named x.md hung the ingest forever."""
    os.mkfifo(tmp_path / "x.md")
    (tmp_path / "zero.md").symlink_to("/dev/zero")
    write(tmp_path, "ok.md", "Still read.")
    notes, skips = read_with_deadline(tmp_path)
    reasons = {s.path: s.reason for s in skips}
    assert [n.path for n in notes] == ["ok.md"]
    assert reasons == {"x.md": "not a regular file: a FIFO (named pipe)",
                       "zero.md": "not a regular file: a character device"}


def test_unreadable_folder_is_a_skip_not_silently_missing(tmp_path: Path, monkeypatch) -> None:
    """A folder that cannot be listed dropped its notes without a word (os.walk ignored the error)."""
    write(tmp_path, "ok.md", "Read.")
    write(tmp_path, "locked/inside.md", "Never listed.")
    locked = tmp_path / "locked"
    locked.chmod(0)
    if os.geteuid() == 0:  # root lists any folder: refuse it as the system refuses anyone else
        real_scandir = os.scandir

        def scandir(path: object = ".") -> object:
            if Path(os.fsdecode(path)) == locked:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))
            return real_scandir(path)

        monkeypatch.setattr(os, "scandir", scandir)
    try:
        notes, skips = read_with_deadline(tmp_path)
    finally:
        locked.chmod(0o755)
    assert [n.path for n in notes] == ["ok.md"]
    assert [(s.path, s.reason) for s in skips] == [("locked", "cannot open folder: Permission denied")]


def test_utf16_note_is_named_as_such_not_binary(tmp_path: Path) -> None:
    """A note saved as "Unicode" (UTF-16, as Windows PowerShell 5's `>` writes) was
    skipped as a "binary file (contains NUL bytes)"."""
    text = "# Groceries\n\nOat milk and lentils.\n"
    (tmp_path / "le.md").write_bytes(text.encode("utf-16"))  # with a byte order mark
    (tmp_path / "be.md").write_bytes(codecs.BOM_UTF16_BE + text.encode("utf-16-be"))
    (tmp_path / "wide.md").write_bytes(text.encode("utf-32"))
    (tmp_path / "scan.md").write_bytes(b"\x00\x01\x02 binary")
    notes, skips = read_with_deadline(tmp_path)
    assert notes == []
    assert {s.path: s.reason for s in skips} == {
        "le.md": "UTF-16 text, not UTF-8; re-save it as UTF-8", "be.md": "UTF-16 text, not UTF-8; re-save it as UTF-8",
        "wide.md": "UTF-32 text, not UTF-8; re-save it as UTF-8", "scan.md": "binary file (contains NUL bytes)",
    }


def test_file_growing_past_the_cap_is_skipped(tmp_path: Path) -> None:
    """The size cap holds for what is read, not only for what stat said."""
    path = write(tmp_path, "grow.md", "x" * 50)
    notes, skips = read_notes(tmp_path, KBConfig(max_file_bytes=100))
    assert [n.path for n in notes] == ["grow.md"]
    path.write_text("x" * 500)
    notes, skips = read_notes(tmp_path, KBConfig(max_file_bytes=100))
    assert notes == [] and "too large" in skips[0].reason


def test_front_matter_that_breaks_constructors_is_a_skip(tmp_path: Path) -> None:
    """Explicit tags and odd scalars make PyYAML raise more than YAMLError; each is a skip."""
    write(tmp_path, "tag.md", "---\ndate: !!timestamp not-a-time\ntitle: x\n---\nbody")
    write(tmp_path, "bin.md", "---\nx: !!float abc\n---\nbody")
    write(tmp_path, "py.md", "---\nx: !!python/object:os.system ls\n---\nbody")
    write(tmp_path, "deep.md", "---\nx: " + "[" * 5000 + "\n---\nbody")
    notes, skips = read_with_deadline(tmp_path)
    reasons = {s.path: s.reason for s in skips}
    assert [n.path for n in notes] == ["tag.md"] and notes[0].warnings, "a bad explicit timestamp is a warning"
    assert set(reasons) == {"bin.md", "py.md", "deep.md"}
    assert all(r.startswith("malformed front matter") for r in reasons.values())


def test_a_date_in_the_future_keeps_the_note_with_a_warning(tmp_path: Path) -> None:
    """A typo'd year ("2052") makes a note the newest on its subject for decades: said at ingest."""
    write(tmp_path, "typo.md", "---\ndate: 2052-03-01\n---\nI live in Tallinn now.\n")
    write(tmp_path, "today.md", f"---\ndate: {date.today().isoformat()}\n---\nI live in Rotterdam.\n")
    found = {n.path: n for n in read_notes(tmp_path, CFG)[0]}
    assert found["typo.md"].date == "2052-03-01"
    assert found["typo.md"].warnings == [
        "front matter date: 2052-03-01 is in the future (a typo?); until then the note counts as the newest"]
    assert found["today.md"].warnings == []
