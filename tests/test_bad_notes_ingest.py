"""Issue 14, findings 1-3 and 7 end to end: bad files in an ingest and in watch mode (real
model, real embedded Chroma), and an ingest that waits for another one says so."""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from pathlib import Path

import pytest

import kb.state
from kb.cli import run_ingest
from kb.ingest import Ingestor, IngestReport
from kb.retrieve import Retriever
from kb.state import ingest_lock
from kb.watch import SyncError, start_background, sync_batch
from tests.kb_support import indexed_paths, kb_embeddings, make_config  # noqa: F401

WAIT_S = 60.0


def make_notes(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "kites.md").write_text("---\ntitle: Kites\ndate: 2024-05-01\n---\nI fly a red kite on the dunes.\n")
    (root / "bread.md").write_text("# Bread\n\nI bake rye bread on Sundays.\n")
    return root


def add_bad_files(root: Path) -> None:
    (root / "impossible.md").write_text("---\nupdated: 2025-13-45\n---\nA note with an impossible date.\n")
    (root / "someday.md").write_text("---\ndate: someday\n---\nA note dated someday.\n")
    (root / "broken.md").write_text("---\ntitle: [unclosed\n---\ntext\n")
    (Path(os.fsdecode(root)) / os.fsdecode(b"caf\xe9.md")).write_text("Coffee, named in latin-1.\n")
    os.mkfifo(root / "pipe.md")


def wait_until(check, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {WAIT_S:.0f} s: {what}")


def test_bad_files_are_skipped_and_counted_and_the_rest_is_indexed(tmp_path: Path, capsys) -> None:
    notes = make_notes(tmp_path / "notes")
    add_bad_files(notes)
    config = make_config(tmp_path / "home")
    for _ in range(2):  # every later ingest of the folder works the same way
        assert run_ingest(config, notes, as_json=True) == 0
        data = json.loads(capsys.readouterr().out)
        skips = {s["path"]: s["reason"] for s in data["skips"]}
        assert skips == {
            "broken.md": "malformed front matter: invalid YAML (line 3)",
            "caf\\xe9.md": "file name is not valid UTF-8; rename the file (or its folder) to index it",
            "pipe.md": "not a regular file: a FIFO (named pipe)",
        }
        assert data["skipped"] == 3
        assert {w["path"] for w in data["warnings"]} == {"impossible.md", "someday.md"}
    assert indexed_paths(config) == {"kites.md", "bread.md", "impossible.md", "someday.md"}
    assert run_ingest(config, notes) == 0  # the human summary prints the undecodable name too
    out = capsys.readouterr().out
    assert "caf\\xe9.md" in out and "Warnings (indexed anyway)" in out and "someday" in out


@pytest.mark.slow  # subprocesses / a watcher with the real embeddings
def test_watch_names_bad_files_and_keeps_the_good_edits_of_the_batch(tmp_path: Path, kb_embeddings) -> None:
    notes = make_notes(tmp_path / "notes")
    config = make_config(tmp_path / "home")
    reports: queue.Queue[IngestReport] = queue.Queue()
    errors: list[Exception] = []
    thread, stop = start_background(config, notes, kb_embeddings, on_change=reports.put, on_error=errors.append)
    try:
        reports.get(timeout=180)
        retriever = Retriever(config, kb_embeddings)
        (notes / "kites.md").write_text("---\ntitle: Kites\ndate: 2024-05-01\n---\nI fly a green kite over Texel.\n")
        add_bad_files(notes)  # same batch as the good edit
        wait_until(lambda: "Texel" in (retriever.search("green kite over Texel", k=1, rerank=False) or [{}])[0]
                   .get("text", ""), "the good edit is searchable")
        wait_until(lambda: {"impossible.md", "someday.md"} <= indexed_paths(config), "notes with bad dates indexed")
        seen_skips: dict[str, str] = {}
        seen_warnings: set[str] = set()
        while not reports.empty():
            report = reports.get()
            seen_skips.update({s.path: s.reason for s in report.skips})
            seen_warnings |= {w.path for w in report.warnings}
        assert {"pipe.md", "caf\\xe9.md", "broken.md"} <= set(seen_skips)
        assert seen_warnings == {"impossible.md", "someday.md"}
        # watchfiles cannot decode the latin-1 name: the error names it, a full sync caught the batch up
        assert errors and all(isinstance(e, SyncError) and "caf\\xE9.md" in str(e) for e in errors)
        (notes / "bread.md").write_text("# Bread\n\nI bake spelt bread on Sundays now.\n")
        wait_until(lambda: "spelt" in (retriever.search("spelt bread", k=1, rerank=False) or [{}])[0]
                   .get("text", ""), "the watcher keeps going after the error")
    finally:
        stop.set()
        thread.join(timeout=15)
    assert not thread.is_alive()


class FailsOn(Ingestor):
    """Fault injection: the sync of one path raises (as a disk or store error would)."""

    bad = "bad.md"

    def update(self, changed):
        if any(Path(p).name == self.bad for p in changed):
            raise OSError(5, "Input/output error")
        return super().update(changed)


def test_a_failing_path_is_named_and_the_rest_of_the_batch_is_kept(tmp_path: Path, kb_embeddings) -> None:
    notes = make_notes(tmp_path / "notes")
    config = make_config(tmp_path / "home")
    ing = FailsOn(config, notes, kb_embeddings, progress=False)
    ing.run()
    (notes / "tea.md").write_text("# Tea\n\nI drink oolong tea.\n")
    (notes / "bad.md").write_text("# Bad\n\nThis one fails to sync.\n")
    errors: list[Exception] = []
    sync_batch(ing, [notes / "bad.md", notes / "tea.md"], None, errors.append)
    assert "tea.md" in indexed_paths(config), "the good file of the failed batch is indexed"
    assert len(errors) == 1 and isinstance(errors[0], SyncError)
    assert str(errors[0]) == "bad.md: [Errno 5] Input/output error"


def test_a_waiting_ingest_says_what_it_waits_for_and_how_long(tmp_path: Path, kb_embeddings, monkeypatch,
                                                              capsys) -> None:
    notes = make_notes(tmp_path / "notes")
    config = make_config(tmp_path / "home")
    monkeypatch.setattr(kb.state, "LOCK_REPORT_S", 0.3)
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with ingest_lock(config.home_path, on_wait=lambda m: None):
            held.set()
            release.wait(30)

    threading.Thread(target=holder, daemon=True).start()
    assert held.wait(10)
    messages: list[str] = []
    timer = threading.Timer(1.0, release.set)
    timer.start()
    Ingestor(config, notes, kb_embeddings, progress=False, on_wait=messages.append).run()
    lock = str(config.home_path / "kb.lock")
    assert messages[0].startswith(f"waiting for {lock}: held by pid {os.getpid()} (")
    assert any(m.startswith(f"still waiting for {lock}") and "s so far" in m for m in messages)
    assert messages[-1].startswith(f"got {lock} after ")

    release.clear()
    held.clear()  # else the first holder's event lets the check below race the second holder
    threading.Thread(target=holder, daemon=True).start()
    assert held.wait(10)
    threading.Timer(0.5, release.set).start()
    with ingest_lock(config.home_path):  # no callback: the CLI default is a line on stderr
        pass
    assert f"waiting for {lock}" in capsys.readouterr().err


@pytest.fixture(autouse=True)
def _no_fifo_platforms() -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("needs FIFOs")
