"""Many folders, one twin: each folder is a source, kept and removed only with its own notes
(real model, real Chroma, small folders made here; one CLI run as a user types it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

from kb.cli import run_ingest, run_list, run_move, run_remove
from kb.fingerprints import Fingerprints, fingerprints_path
from kb.ingest import IngestError, ingest
from kb.lexical import LexicalIndex
from kb.retrieve import Retriever
from kb.sources import SourceError, list_sources, remove_source
from kb.state import registered_sources
from kb.store import NoteStore
from tests.kb_support import REPO, CountingEmbeddings, kb_embeddings, make_config  # noqa: F401
from tests.test_kb_lexical import write_notes

BLOG = {
    "README.md": "# Blog\n\nPosts about ferries and harbours.\n",
    "posts/ferry.md": "---\ntitle: The night ferry\ndate: 2024-03-01\n---\n# The night ferry\n\n"
                      "The night ferry to Kirkwall leaves at 23:00 and smells of diesel and chips.\n",
    "private/draft.md": "---\ntitle: Draft\nprivate: true\n---\n# Draft\n\nThe harbourmaster's pager is 77-QERN.\n",
}
JOURNAL = {
    "README.md": "# Journal\n\nWhere I keep notes about climbing.\n",
    "climbing.md": "---\ntitle: Climbing\ndate: 2025-05-01\n---\n# Climbing\n\nI boulder at the Granary gym twice a week.\n",
    "private/health.md": "---\ntitle: Health\nprivate: true\n---\n# Health\n\nMy physio is Ottilie Brandvold.\n",
}


def paths_by_source(config) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for chunk in NoteStore.from_config(config).manifest():
        out.setdefault(chunk.source, set()).add(chunk.path)
    return out


@pytest.fixture()
def two(tmp_path: Path, kb_embeddings):
    blog = write_notes(tmp_path / "blog", BLOG)
    journal = write_notes(tmp_path / "journal", JOURNAL)
    config = make_config(tmp_path / "home")
    first = ingest(config, blog, kb_embeddings, progress=False)
    second = ingest(config, journal, kb_embeddings, progress=False)
    return config, blog, journal, first, second


def test_a_second_folder_keeps_the_first_folders_notes(two) -> None:
    config, blog, journal, first, second = two
    assert (first.source, second.source) == ("blog", "journal")
    assert second.deleted == 0 and first.added == 2 and second.added == 2
    assert paths_by_source(config) == {"blog": {"README.md", "posts/ferry.md"}, "journal": {"README.md", "climbing.md"}}
    assert set(registered_sources(config.home_path)) == {"blog", "journal"}
    assert LexicalIndex.from_config(config).sources() == {"blog": (2, 2), "journal": (2, 2)}


def test_the_same_path_in_two_folders_is_two_notes_with_their_source(two, kb_embeddings) -> None:
    config = two[0]
    retriever = Retriever(config, kb_embeddings)
    blog = retriever.search("posts about ferries and harbours", k=1)[0]
    journal = retriever.search("notes about climbing", k=1)[0]
    assert (blog["path"], blog["source"]) == ("README.md", "blog")
    assert (journal["path"], journal["source"]) == ("README.md", "journal")


def test_each_folder_changes_and_deletes_only_its_own_notes(two, kb_embeddings) -> None:
    config, blog, journal, *_ = two
    (blog / "posts/ferry.md").unlink()
    counting = CountingEmbeddings(kb_embeddings)
    report = ingest(config, blog, counting, progress=False)
    assert (report.deleted, report.unchanged, counting.calls) == (1, 1, 0)
    again = ingest(config, journal, counting, progress=False)
    assert (again.deleted, again.unchanged, counting.calls) == (0, 2, 0), "re-ingesting one folder leaves the other"
    assert paths_by_source(config) == {"blog": {"README.md"}, "journal": {"README.md", "climbing.md"}}


def test_fingerprints_cover_every_sources_private_notes(two) -> None:
    config = two[0]
    fp = Fingerprints.load(fingerprints_path(config.home_path))
    assert set(fp.note_ngrams) == {fp.note_key("blog:private/draft.md"), fp.note_key("journal:private/health.md")}
    assert fp.secret_hits("the pager is 77-QERN") and fp.secret_hits("see Ottilie Brandvold")


def test_kb_list_and_remove_one_source(two, capsys) -> None:
    config = two[0]
    found = {s.label: s for s in list_sources(config)}
    assert (found["blog"].notes, found["blog"].chunks, found["blog"].lexical_chunks) == (2, 2, 2)
    assert found["journal"].path == str(two[2].resolve()) and found["journal"].exists
    assert run_list(config, as_json=True) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(s["label"], s["notes"]) for s in listed] == [("blog", 2), ("journal", 2)]

    assert run_remove(config, "blog") == 0
    assert "2 chunks deleted" in capsys.readouterr().out
    assert paths_by_source(config) == {"journal": {"README.md", "climbing.md"}}
    assert LexicalIndex.from_config(config).sources() == {"journal": (2, 2)}
    assert set(registered_sources(config.home_path)) == {"journal"}
    assert (two[1] / "posts/ferry.md").is_file(), "the folder itself is untouched"
    fp = Fingerprints.load(fingerprints_path(config.home_path))
    assert set(fp.note_ngrams) == {fp.note_key("private/health.md")} and not fp.secret_hits("the pager is 77-QERN")
    with pytest.raises(SourceError, match="no source named 'blog'"):
        remove_source(config, "blog")
    assert run_remove(config, "nope") == 2 and "twin kb list" in capsys.readouterr().err


class StoppedAfter(Embeddings):
    """The real embeddings until the ``calls``-th batch, which is stopped like Ctrl+C."""

    def __init__(self, inner: Embeddings, calls: int):
        self.inner, self.calls = inner, calls

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls -= 1
        if self.calls <= 0:
            raise KeyboardInterrupt
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def test_a_stopped_first_ingest_can_be_removed(tmp_path: Path, kb_embeddings, monkeypatch, capsys) -> None:
    """Ctrl+C during the first ingest of the wrong folder left chunks `twin kb list` showed
    (without a folder) and `twin kb remove` refused: "no source named ..."."""
    journal = write_notes(tmp_path / "journal", JOURNAL)
    blog = write_notes(tmp_path / "blog", BLOG)
    config = make_config(tmp_path / "home")
    ingest(config, journal, kb_embeddings, progress=False)
    monkeypatch.setattr("kb.ingest.EMBED_BATCH", 1)
    with pytest.raises(KeyboardInterrupt):
        ingest(config, blog, StoppedAfter(kb_embeddings, calls=2), progress=False)
    found = {s.label: s for s in list_sources(config)}
    assert (found["blog"].path, found["blog"].chunks) == ("", 1), "stored, but never registered"
    assert run_remove(config, "blog") == 0
    assert "1 chunks deleted" in capsys.readouterr().out
    assert paths_by_source(config) == {"journal": {"README.md", "climbing.md"}}
    assert LexicalIndex.from_config(config).sources() == {"journal": (2, 2)}
    fp = Fingerprints.load(fingerprints_path(config.home_path))
    assert set(fp.note_ngrams) == {fp.note_key("private/health.md")}, "one source left: plain note paths"
    assert run_remove(config, "blog") == 2 and "no source named 'blog'" in capsys.readouterr().err


def test_two_folders_with_one_name_get_distinct_labels(tmp_path: Path, kb_embeddings) -> None:
    a = write_notes(tmp_path / "a" / "notes", {"x.md": "# X\n\nAlpha.\n"})
    b = write_notes(tmp_path / "b" / "notes", {"x.md": "# X\n\nBeta.\n"})
    config = make_config(tmp_path / "home")
    labels = [ingest(config, folder, kb_embeddings, progress=False).source for folder in (a, b, a)]
    assert labels == ["notes", "notes-2", "notes"]
    assert paths_by_source(config) == {"notes": {"x.md"}, "notes-2": {"x.md"}}


@pytest.mark.slow  # subprocesses / a watcher with the real embeddings
def test_cli_ingests_several_folders_and_lists_them(tmp_path: Path, capsys, monkeypatch) -> None:
    """`twin ingest` in-process (typer, the `run` that `main` calls: no second load of the embeddings),
    then `twin kb list` as a user runs it (a subprocess)."""
    from twin_cli.main import run as run_in_process

    blog = write_notes(tmp_path / "blog", BLOG)
    journal = write_notes(tmp_path / "journal", JOURNAL)
    home = tmp_path / "home"
    cmd = [sys.executable, "-m", "twin_cli"]
    monkeypatch.setenv("TQDM_DISABLE", "1")  # `ingest --json` sets it; restored after the test
    code = run_in_process(["ingest", str(blog), str(journal), "--json", "--home", str(home)])
    out, err = capsys.readouterr()
    assert code == 0, err
    reports = [json.loads(line) for line in out.splitlines()]
    assert [(r["source"], r["added"], r["deleted"]) for r in reports] == [("blog", 2, 0), ("journal", 2, 0)]
    listed = subprocess.run([*cmd, "kb", "list", "--home", str(home)], capture_output=True, text=True,
                            timeout=300, cwd=REPO, env={**os.environ, "COLUMNS": "300"})
    assert listed.returncode == 0, listed.stderr
    rows = {line.split("│")[1].strip(): line for line in listed.stdout.splitlines() if line.count("│") >= 5}
    assert set(rows) == {"blog", "journal"}
    assert str(blog.resolve()) in rows["blog"] and rows["journal"].split("│")[3].strip() == "2"


def test_list_and_remove_on_a_mistyped_home_create_nothing(tmp_path: Path, capsys) -> None:
    """`twin kb list --home TYPO` made a data home there (chroma/, lexical-*.sqlite, kb.lock) and
    said "no sources yet"; `kb remove` did the same. They read: they must say there is no index."""
    typo = make_config(tmp_path / "typo")
    assert run_list(typo) == 2
    assert f"no index at {tmp_path / 'typo'} (no such folder)" in capsys.readouterr().err
    assert run_remove(typo, "notes") == 2 and "no index at" in capsys.readouterr().err
    assert not (tmp_path / "typo").exists()
    (tmp_path / "other").mkdir()  # a folder that is no data home: still nothing written into it
    assert run_list(make_config(tmp_path / "other"), as_json=True) == 2
    assert "nothing has been ingested there" in capsys.readouterr().err
    assert list((tmp_path / "other").iterdir()) == []


def test_a_moved_folder_is_refused_as_a_second_source_and_reattached(tmp_path: Path, kb_embeddings, capsys) -> None:
    """Ingesting a moved notes folder made it a second source ("notes-2"), re-embedded every note
    and left the old source in place: every note was retrieved twice, without a word."""
    old = write_notes(tmp_path / "x" / "notes", BLOG)
    config = make_config(tmp_path / "home")
    ingest(config, old, kb_embeddings, progress=False)
    new = tmp_path / "y" / "notes"
    new.parent.mkdir()
    old.rename(new)
    counting = CountingEmbeddings(kb_embeddings)
    with pytest.raises(IngestError, match=f"`twin kb move notes {new}`.*`twin kb remove notes`"):
        ingest(config, new, counting, progress=False)
    assert counting.calls == 0 and paths_by_source(config) == {"notes": {"README.md", "posts/ferry.md"}}
    assert set(registered_sources(config.home_path)) == {"notes"}, "nothing written, nothing deleted"

    journal = write_notes(tmp_path / "journal", JOURNAL)  # another folder: ingested, with a warning
    assert run_ingest(config, [journal], as_json=True) == 0
    err = capsys.readouterr().err
    assert f"source 'notes': its folder {old} is gone" in err and "`twin kb remove notes`" in err

    assert run_move(config, "notes", new) == 0 and "now follows" in capsys.readouterr().out
    report = ingest(config, new, counting, progress=False)
    assert (report.source, report.unchanged, report.added, counting.calls) == ("notes", 2, 0, 0)
    assert {s.label: (s.path, s.exists) for s in list_sources(config)}["notes"] == (str(new.resolve()), True)
    assert run_move(config, "notes", journal) == 2 and "already source 'journal'" in capsys.readouterr().err


def test_a_folder_inside_or_around_a_source_is_refused(tmp_path: Path, kb_embeddings, capsys) -> None:
    """`/notes` and `/notes/work` both ingested indexed the work notes twice (a watcher updated
    only one copy). Refused before anything is written, with the way out; a .twinignore (or a
    hidden folder) that keeps them apart lets both in."""
    notes = write_notes(tmp_path / "notes", {**JOURNAL, "work/plan.md": "# Plan\n\nShip the ferry timetable app.\n"})
    config = make_config(tmp_path / "home")
    ingest(config, notes, kb_embeddings, progress=False)
    before = paths_by_source(config)
    with pytest.raises(IngestError, match="inside source 'notes'.*add `work/` to .*.twinignore"):
        ingest(config, notes / "work", kb_embeddings, progress=False)
    assert paths_by_source(config) == before and set(registered_sources(config.home_path)) == {"notes"}

    (notes / ".twinignore").write_text("work/\n", encoding="utf-8")  # the way out, as the error says
    ingest(config, notes, kb_embeddings, progress=False)
    assert ingest(config, notes / "work", kb_embeddings, progress=False).source == "work"
    assert paths_by_source(config) == {"notes": {"README.md", "climbing.md"}, "work": {"plan.md"}}

    other = make_config(tmp_path / "home2")  # the other way round: the inner folder first
    ingest(other, notes / "work", kb_embeddings, progress=False)
    (notes / ".twinignore").unlink()
    assert run_ingest(other, [notes], as_json=True) == 2
    assert "holds source 'work'" in capsys.readouterr().err and paths_by_source(other) == {"work": {"plan.md"}}
    both = write_notes(tmp_path / "both", {"a/x.md": "# X\n\nAlpha.\n"})
    assert run_ingest(make_config(tmp_path / "home3"), [both, both / "a"], as_json=True) == 2, "one command, nested"
    assert not (tmp_path / "home3").exists(), "refused before anything was written"


def test_a_folder_is_registered_before_the_lock_is_released(tmp_path: Path, kb_embeddings, monkeypatch) -> None:
    """The nesting and moved-folder checks run under the ingest lock, but the folder was registered
    after the lock was let go: a second `twin ingest` waiting on it (of a folder inside this one) got
    the lock first, found no source to nest in and indexed the same notes twice."""
    import fcntl

    import kb.ingest
    from kb.state import LOCK_FILE, save_state

    held: list[bool] = []

    def checked(home, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        with open(Path(home) / LOCK_FILE, "a+") as other:  # what a second process would try
            try:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(other, fcntl.LOCK_UN)
                held.append(False)
            except BlockingIOError:
                held.append(True)
        save_state(home, *args, **kwargs)

    monkeypatch.setattr(kb.ingest, "save_state", checked)
    notes = write_notes(tmp_path / "notes", JOURNAL)
    config = make_config(tmp_path / "home")
    ingest(config, notes, kb_embeddings, progress=False)
    (notes / "climbing.md").write_text("# Climbing\n\nBouldering on Thursdays now.\n", encoding="utf-8")
    from kb.ingest import Ingestor

    ingestor = Ingestor(config, notes, kb_embeddings, progress=False)
    ingestor.run()
    ingestor.update([notes / "climbing.md"])
    assert held == [True, True, True], "registered while another ingest could already run"
