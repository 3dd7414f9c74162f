"""Reading a notes folder (front matter, dates, privacy, bad input) and chunking. No models."""

from __future__ import annotations

import os
import subprocess
from datetime import datetime
from pathlib import Path

from kb.chunking import chunk_note
from kb.notes import Note, read_files, read_notes
from tests.kb_support import SAMPLE_NOTES
from twin.config import KBConfig

CFG = KBConfig()


def write(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def by_path(notes: list[Note]) -> dict[str, Note]:
    return {n.path: n for n in notes}


def test_sample_notes_are_read_with_privacy_and_dates() -> None:
    notes, skips = read_notes(SAMPLE_NOTES, CFG)
    found = by_path(notes)
    assert skips == []
    private = {p for p, n in found.items() if n.private}
    assert private == {"journal-2025-02.md", "private/health.md", "private/finances.md", "private/family.md"}
    assert found["life/climbing.md"].date == "2025-08-20"  # updated wins over date
    assert found["life/moving-to-lisbon.md"].date == "2022-04-10"
    assert found["life/moving-to-lisbon.md"].tags == ["life", "lisbon", "moving"]
    assert found["life/moving-to-lisbon.md"].title == "Moving to Lisbon"
    assert not found["life/moving-to-lisbon.md"].body.startswith("---")


def test_front_matter_title_tags_and_fallbacks(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\ntitle: Given\ntags: x, y\nprivate: no\n---\n# Heading\nbody")
    write(tmp_path, "b.md", "intro line\n\n# First Heading\n\ntext")
    write(tmp_path, "my-plain_note.txt", "just text")
    write(tmp_path, "c.mdx", "---\nprivate: yes\n---\nsecret-ish")
    write(tmp_path, "d.md", '---\nprivate: "maybe"\n---\nunclear flag errs private')
    notes, skips = read_notes(tmp_path, CFG)
    found = by_path(notes)
    assert skips == []
    assert (found["a.md"].title, found["a.md"].tags, found["a.md"].private) == ("Given", ["x", "y"], False)
    assert found["b.md"].title == "First Heading"
    assert found["my-plain_note.txt"].title == "My plain note"
    assert found["c.mdx"].private and found["d.md"].private


def test_dates_precedence_updated_date_git_mtime(tmp_path: Path) -> None:
    write(tmp_path, "committed.md", "in git")
    write(tmp_path, "dated.md", "---\ndate: 2020-01-02\n---\ntext")
    write(tmp_path, "stamp.md", "---\ndate: 2020-01-02T10:00:00Z\nupdated: 2021-03-04\n---\ntext")
    env = {**os.environ, "GIT_AUTHOR_DATE": "2019-05-06T12:00:00", "GIT_COMMITTER_DATE": "2019-05-06T12:00:00",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com"}
    for args in (["init", "-q"], ["add", "committed.md", "dated.md"], ["commit", "-q", "-m", "x"]):
        subprocess.run(["git", *args], cwd=tmp_path, env=env, check=True, capture_output=True)
    untracked = write(tmp_path, "untracked.md", "not in git")
    stamp = datetime(2018, 7, 8, 12).timestamp()
    os.utime(untracked, (stamp, stamp))
    found = by_path(read_notes(tmp_path, CFG)[0])
    assert found["committed.md"].date == "2019-05-06"
    assert found["dated.md"].date == "2020-01-02"
    assert found["stamp.md"].date == "2021-03-04"
    assert found["untracked.md"].date == "2018-07-08"


def test_walk_skips_hidden_git_and_twinignore(tmp_path: Path) -> None:
    write(tmp_path, "keep.md", "kept")
    write(tmp_path, ".hidden/x.md", "hidden folder")
    write(tmp_path, ".git/y.md", "git internals")
    write(tmp_path, ".dotfile.md", "hidden file")
    write(tmp_path, "drafts/z.md", "ignored folder")
    write(tmp_path, "notes/tmp-1.md", "ignored pattern")
    write(tmp_path, "notes/keep-2.md", "kept")
    write(tmp_path, "image.png", b"\x89PNG")
    write(tmp_path, ".twinignore", "drafts/\ntmp-*.md\n")
    notes, skips = read_notes(tmp_path, CFG)
    assert sorted(n.path for n in notes) == ["keep.md", "notes/keep-2.md"]
    assert skips == []


def test_private_folder_and_symlink_into_it(tmp_path: Path) -> None:
    write(tmp_path, "private/deep/x.md", "private by folder")
    write(tmp_path, "a/private/y.md", "nested private folder")
    write(tmp_path, "privateish/z.md", "not private: the name only starts with private")
    (tmp_path / "link.md").symlink_to(tmp_path / "private" / "deep" / "x.md")
    found = by_path(read_notes(tmp_path, CFG)[0])
    assert found["private/deep/x.md"].private and found["a/private/y.md"].private
    assert not found["privateish/z.md"].private
    assert found["link.md"].private, "a public-looking link to a private note stays private"


def test_a_folder_symlink_into_private_keeps_its_notes_private(tmp_path: Path) -> None:
    """`archive -> private` was walked first (it sorts first): its notes were read as public
    notes and the real private/ folder was skipped as already visited, so they were indexed."""
    write(tmp_path, "private/pin.md", "My bank PIN is 4417.")
    write(tmp_path, "public.md", "Hello.")
    (tmp_path / "archive").symlink_to("private")
    notes, _ = read_notes(tmp_path, CFG)
    assert {n.path: n.private for n in notes} == {"archive/pin.md": True, "public.md": False}


def test_bad_input_is_skipped_with_reasons(tmp_path: Path) -> None:
    write(tmp_path, "good.md", "fine")
    write(tmp_path, "binary.md", b"PK\x03\x04\x00\x00binary")
    write(tmp_path, "latin1.md", "caf\xe9".encode("latin-1"))
    write(tmp_path, "unclosed.md", "---\ntitle: x\nno closing fence")
    write(tmp_path, "badyaml.md", "---\ntitle: [oops\n---\nbody")
    write(tmp_path, "listfm.md", "---\n- a\n- b\n---\nbody")
    write(tmp_path, "empty.md", "")
    write(tmp_path, "fm-only.md", "---\ntitle: only front matter\n---\n\n")
    write(tmp_path, "huge.md", "x" * 2000)
    (tmp_path / "loop-a.md").symlink_to(tmp_path / "loop-b.md")
    (tmp_path / "loop-b.md").symlink_to(tmp_path / "loop-a.md")
    (tmp_path / "broken.md").symlink_to(tmp_path / "nowhere.md")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to(tmp_path)
    notes, skips = read_notes(tmp_path, KBConfig(max_file_bytes=1000))
    reasons = {s.path: s.reason for s in skips}
    assert [n.path for n in notes] == ["good.md"]
    assert "binary" in reasons["binary.md"]
    assert "not UTF-8" in reasons["latin1.md"]
    assert "never closed" in reasons["unclosed.md"]
    assert "invalid YAML" in reasons["badyaml.md"]
    assert "malformed front matter" in reasons["listfm.md"]
    assert "empty" in reasons["empty.md"] and "empty" in reasons["fm-only.md"]
    assert "too large" in reasons["huge.md"] and "kb.max_file_bytes" in reasons["huge.md"]
    assert "symlink loop" in reasons["loop-a.md"] and "symlink loop" in reasons["loop-b.md"]
    assert "broken symlink" in reasons["broken.md"]
    assert "symlink loop" in reasons["sub/up"]


def test_file_vanishing_mid_run_is_a_skip(tmp_path: Path) -> None:
    kept = write(tmp_path, "kept.md", "here")
    gone = write(tmp_path, "gone.md", "soon gone")
    gone.unlink()  # listed by the walk, deleted before it is read
    notes, skips = read_files(tmp_path, [kept, gone], CFG)
    assert [n.path for n in notes] == ["kept.md"]
    assert skips[0].path == "gone.md" and "vanished" in skips[0].reason


def note(body: str, path: str = "n.md", title: str = "T") -> Note:
    return Note(path=path, abs_path=Path(path), title=title, date="2024-01-01", tags=["t"], private=False, body=body)


def test_chunks_follow_headings_and_keep_code_fences() -> None:
    body = (
        "# T\n\nIntro paragraph.\n\n## Setup\n\nInstall it.\n\n```bash\n# not a heading\nmake\n```\n\n"
        "### Deep\n\nDeeper text.\n\n## Other\n\nLast words."
    )
    chunks = chunk_note(note(body), 1200)
    assert [c.heading for c in chunks] == ["T", "T > Setup", "T > Setup > Deep", "T > Other"]
    assert "# not a heading" in chunks[1].text and "make" in chunks[1].text
    assert [c.position for c in chunks] == [0, 1, 2, 3]
    assert chunks[0].embed_text.startswith("T\nTags: t\n\nIntro")
    assert chunks[1].embed_text.startswith("T > Setup\n")


def test_chunks_respect_the_size_limit_and_ids_are_stable() -> None:
    paragraphs = "\n\n".join(f"Paragraph {i} " + "word " * 40 for i in range(12))
    long_line = "x" * 950
    body = f"# Big\n\n{paragraphs}\n\n{long_line}"
    chunks = chunk_note(note(body), 300)
    assert len(chunks) > 8 and all(len(c.text) <= 300 for c in chunks)
    assert "".join(c.text for c in chunks).count("x") == 950, "hard-split text is not lost"
    again = chunk_note(note(body), 300)
    assert [c.id for c in chunks] == [c.id for c in again]
    edited = chunk_note(note(body.replace("Paragraph 3 ", "Paragraph three ")), 300)
    assert [c.id for c in edited] != [c.id for c in chunks]
    assert sum(a.id != b.id for a, b in zip(chunks, edited)) == 1, "only the edited chunk changes id"
    moved = chunk_note(note(body, path="elsewhere.md"), 300)
    assert not {c.id for c in moved} & {c.id for c in chunks}, "ids include the path"


def test_a_line_between_two_rules_is_text_not_late_front_matter() -> None:
    """Below a blank first line, a block between rules is front matter only when it names a
    front-matter key: "Update: moved to Berlin" between two rules stays in the note."""
    from kb.notes import split_front_matter

    meta, body = split_front_matter("\n---\nUpdate: moved to Berlin\n---\nMore text.\n")
    assert meta == {} and "Update: moved to Berlin" in body
    meta, body = split_front_matter("\n---\nTitle: Debts\nprivate: true\n---\nI owe a lot.\n")
    assert meta["private"] is True and body.startswith("I owe")
