"""Watch mode in a background thread, as the TUI runs it (real files, model and Chroma)."""

from __future__ import annotations

import queue
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kb.fingerprints import Fingerprints, fingerprints_path
from kb.retrieve import Retriever
from kb.watch import start_background
from tests.kb_support import copy_notes, indexed_paths, kb_embeddings, make_config  # noqa: F401

WAIT_S = 30.0  # generous: the target is well under a second, but CI machines are shared


def wait_until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"watcher did not catch up within {WAIT_S:.0f} s: {what}")


@pytest.mark.slow  # subprocesses / a watcher with the real embeddings
def test_watch_follows_create_edit_rename_delete_and_folders(tmp_path: Path, kb_embeddings) -> None:
    notes = copy_notes(tmp_path / "notes")
    config = make_config(tmp_path / "home")
    reports: queue.Queue = queue.Queue()
    errors: list[Exception] = []
    thread, stop = start_background(config, notes, kb_embeddings, on_change=reports.put, on_error=errors.append)
    try:
        first = reports.get(timeout=180)
        assert (first.added, first.private) == (22, 4)
        retriever = Retriever(config, kb_embeddings)

        def top(query: str) -> tuple[str, str]:
            found = retriever.search(query, k=1, rerank=False)
            return (found[0]["path"], found[0]["text"]) if found else ("", "")

        kites = notes / "life" / "kites.md"
        kites.write_text("---\ntitle: Kite surfing\ndate: 2025-09-01\n---\n# Kite surfing\n\n"
                         "I learned kite surfing on the beach at Scheveningen in September.\n")
        wait_until(lambda: top("kite surfing lessons at Scheveningen")[0] == "life/kites.md", "new note")

        kites.write_text(kites.read_text().replace("kite surfing on the beach at Scheveningen", "paragliding over Lake Bled"))
        wait_until(lambda: "Lake Bled" in top("paragliding over Lake Bled")[1], "edited note")

        kites.rename(notes / "life" / "kiting.md")
        wait_until(lambda: top("paragliding over Lake Bled")[0] == "life/kiting.md"
                   and "life/kites.md" not in indexed_paths(config), "renamed note")

        (notes / "life" / "kiting.md").unlink()
        wait_until(lambda: "life/kiting.md" not in indexed_paths(config), "deleted note")

        contact = notes / "contact.md"
        contact.write_text(contact.read_text().replace("tags: [about, contact]", "private: true\ntags: [about, contact]"))
        wait_until(lambda: "contact.md" not in indexed_paths(config), "note made private")

        shutil.move(notes / "projects", tmp_path / "projects-away")
        wait_until(lambda: not any(p.startswith("projects/") for p in indexed_paths(config)), "folder moved out")
        shutil.move(tmp_path / "projects-away", notes / "projects")
        wait_until(lambda: sum(p.startswith("projects/") for p in indexed_paths(config)) == 4, "folder moved back")
    finally:
        stop.set()
        thread.join(timeout=15)
    assert not thread.is_alive(), "stop_event stops the watcher"
    assert errors == []
    fingerprints = Fingerprints.load(fingerprints_path(config.home_path))
    assert fingerprints.note_key("contact.md") in fingerprints.note_ngrams, "a note made private while watching is fingerprinted"


@pytest.mark.slow  # a watcher with the real embeddings
def test_watch_follows_a_folder_with_a_dot_in_its_name(tmp_path: Path, kb_embeddings) -> None:
    """Renaming or moving away "trip.2024/" used to leave its notes in the index: the
    deleted path has a suffix that is not a note's, and the filter dropped it."""
    notes = tmp_path / "notes"
    (notes / "trip.2024").mkdir(parents=True)
    (notes / "trip.2024" / "lisbon.md").write_text("# Lisbon\n\nWe ate pasteis de nata in Belem every morning.\n")
    (notes / "home.md").write_text("# Home\n\nThe flat has a balcony facing the canal.\n")
    config = make_config(tmp_path / "home")
    reports: queue.Queue = queue.Queue()
    errors: list[Exception] = []
    thread, stop = start_background(config, notes, kb_embeddings, on_change=reports.put, on_error=errors.append)
    try:
        assert reports.get(timeout=180).added == 2
        shutil.move(notes / "trip.2024", notes / "trip.2025")
        wait_until(lambda: indexed_paths(config) == {"home.md", "trip.2025/lisbon.md"}, "dotted folder renamed")
        shutil.move(notes / "trip.2025", tmp_path / "archive.old")
        wait_until(lambda: indexed_paths(config) == {"home.md"}, "dotted folder moved out")
    finally:
        stop.set()
        thread.join(timeout=15)
    assert errors == []
