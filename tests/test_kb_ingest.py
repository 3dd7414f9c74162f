"""Ingest: incremental, crash-safe, private-safe (real model, real embedded Chroma)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kb.chunking import chunk_note
from kb.cli import run_ingest
from kb.fingerprints import Fingerprints, fingerprints_path
from kb.ingest import IngestError, ingest
from kb.notes import read_notes
from kb.state import label_for_path, load_state, registered_sources
from kb.store import NoteStore
from tests.kb_support import (
    PRIVATE_SECRETS,  # noqa: F401
    REPO,
    CountingEmbeddings,
    copy_notes,
    documents,
    indexed_paths,
    kb_embeddings,  # noqa: F401 - a fixture
    make_config,
)

PUBLIC_NOTES = 22


@pytest.fixture()
def setup(tmp_path: Path, kb_embeddings):
    """A fresh home with the sample notes ingested once."""
    notes = copy_notes(tmp_path / "notes")
    config = make_config(tmp_path / "home", semantic=True)
    first = ingest(config, notes, kb_embeddings, progress=False)
    return config, notes, first


def again(config, notes, inner) -> tuple:
    counting = CountingEmbeddings(inner)
    return ingest(config, notes, counting, progress=False), counting


def expected_ids(config, notes: Path) -> set[str]:
    found, _ = read_notes(notes, config.kb)
    label = label_for_path(notes, registered_sources(config.home_path))
    return {c.id for n in found if not n.private for c in chunk_note(n, config.kb.chunk_chars, label)}


def test_first_ingest_indexes_public_notes_and_fingerprints_private(setup) -> None:
    config, notes, first = setup
    assert (first.added, first.private, first.skipped, first.deleted) == (PUBLIC_NOTES, 4, 0, 0)
    assert first.chunks_total == first.chunks_embedded > PUBLIC_NOTES
    docs = "\n".join(documents(config))
    assert "Bubbles" in docs and "Rotterdam" in docs
    for secret in PRIVATE_SECRETS:
        assert secret not in docs, f"private text {secret!r} reached the index"
    paths = indexed_paths(config)
    assert len(paths) == PUBLIC_NOTES and not {p for p in paths if p.startswith("private/")}
    assert "journal-2025-02.md" not in paths
    fp = Fingerprints.load(fingerprints_path(config.home_path))
    private = ("journal-2025-02.md", "private/health.md", "private/finances.md", "private/family.md")
    assert set(fp.note_ngrams) == {fp.note_key(p) for p in private}
    assert fp.secret_hits("the wifi is otter-lantern-42") and not fp.secret_hits("I bake sourdough bread")
    assert fp.is_public_string("noa@lindqvist.dev")
    assert fp.vectors, "semantic fingerprints (judge.semantic_leak) need sentence vectors"
    assert load_state(config.home_path)["notes_dir"] == str(notes.resolve())


def test_unchanged_folder_embeds_nothing(setup, kb_embeddings) -> None:
    config, notes, first = setup
    report, counting = again(config, notes, kb_embeddings)
    assert counting.calls == 0
    assert (report.unchanged, report.added, report.updated, report.deleted) == (PUBLIC_NOTES, 0, 0, 0)
    assert report.chunks_total == first.chunks_total


def test_edit_delete_rename_and_date_change(setup, kb_embeddings) -> None:
    config, notes, first = setup
    sailing = notes / "life" / "sailing.md"
    sailing.write_text(sailing.read_text() + "\nI capsized on purpose once, to practise.\n")
    report, counting = again(config, notes, kb_embeddings)
    assert (report.updated, report.added, report.deleted, report.unchanged) == (1, 0, 0, PUBLIC_NOTES - 1)
    assert report.chunks_embedded == 1
    chunk_texts = [t for t in counting.texts if "\nTags: " in t]  # (the rest: fingerprint sentences)
    assert len(chunk_texts) == 1 and "capsized on purpose" in chunk_texts[0], "one chunk re-embedded"
    assert any("capsized on purpose" in d for d in documents(config))

    (notes / "posts" / "running-a-10k.md").unlink()
    (notes / "projects" / "keyboard.md").rename(notes / "projects" / "kbd.md")
    report, counting = again(config, notes, kb_embeddings)
    assert report.chunks_embedded == 0, "a rename reuses the stored vectors"
    assert (report.added, report.deleted) == (1, 2) and report.chunks_reused > 0
    paths = indexed_paths(config)
    assert "projects/kbd.md" in paths and "projects/keyboard.md" not in paths
    assert "posts/running-a-10k.md" not in paths

    tools = notes / "tools.md"
    tools.write_text(tools.read_text().replace("date: 2024-08-09", "date: 2025-10-01", 1))
    report, counting = again(config, notes, kb_embeddings)
    assert report.chunks_embedded == 0 and report.updated == 1, "a date change updates metadata only"
    metas = NoteStore.from_config(config).collection.get(where={"path": "tools.md"}, include=["metadatas"])["metadatas"]
    assert metas and {m["date"] for m in metas} == {"2025-10-01"}
    assert set(NoteStore.from_config(config).collection.get()["ids"]) == expected_ids(config, notes)


def test_note_that_becomes_private_leaves_the_index(setup, kb_embeddings) -> None:
    config, notes, _ = setup
    contact = notes / "contact.md"
    contact.write_text(contact.read_text().replace("tags: [about, contact]", "tags: [about, contact]\nprivate: true"))
    (notes / "private" / "sourdough.md").write_bytes((notes / "life" / "sourdough.md").read_bytes())
    (notes / "life" / "sourdough.md").unlink()
    report, _ = again(config, notes, kb_embeddings)
    assert report.chunks_embedded == 0
    assert (report.deleted, report.private) == (2, 6)
    docs = "\n".join(documents(config))
    assert "Recruiters for crypto companies" not in docs
    assert "I made her on 2 April 2020" not in docs
    assert {"contact.md", "life/sourdough.md"}.isdisjoint(indexed_paths(config))
    fp = Fingerprints.load(fingerprints_path(config.home_path))
    assert {fp.note_key("contact.md"), fp.note_key("private/sourdough.md")} <= set(fp.note_ngrams)


CANARY = "canary-7f3a9"


def test_nothing_in_the_home_names_a_private_note(tmp_path: Path, kb_embeddings) -> None:
    """The fingerprints file named each private note by its path ("private/divorce-lawyer.md"
    in plain text, next to its hashed terms): no file under the home may hold a private note's
    file name, folder, title or text after an ingest."""
    notes = copy_notes(tmp_path / "notes")
    (notes / "private" / f"{CANARY}-dir").mkdir()
    (notes / "private" / f"{CANARY}-dir" / f"{CANARY}-lawyer.md").write_text(
        f"---\ntitle: {CANARY} title\n---\nMy lawyer Zorbulax Quenthorpe, code {CANARY}-code 48213.\n")
    (notes / f"{CANARY}-flagged.md").write_text(f"---\nprivate: true\n---\nFlagged {CANARY}-flag Wexelbright.\n")
    config = make_config(tmp_path / "home", semantic=True)
    ingest(config, notes, kb_embeddings, progress=False)
    found = [p.relative_to(config.home_path).as_posix() for p in config.home_path.rglob("*") if p.is_file()
             for needle in (CANARY.encode(), b"zorbulax", b"wexelbright", b"private/health")
             if needle in p.read_bytes().lower()]
    assert found == [], f"private names or text under the home: {found}"
    fp = Fingerprints.load(fingerprints_path(config.home_path))
    assert fp.note_key(f"private/{CANARY}-dir/{CANARY}-lawyer.md") in fp.note_ngrams
    assert fp.secret_hits("ask Zorbulax") and fp.secret_hits("the code is 48213")


def test_bad_files_never_stop_the_run(setup, kb_embeddings) -> None:
    config, notes, _ = setup
    (notes / "scan.md").write_bytes(b"\x00\x01\x02 binary")
    (notes / "broken-fm.md").write_text("---\ntitle: [unclosed\n---\ntext")
    (notes / "reading-list.md").write_bytes("caf\xe9 now latin-1".encode("latin-1"))
    report, _ = again(config, notes, kb_embeddings)
    reasons = {s.path: s.reason for s in report.skips}
    assert set(reasons) == {"scan.md", "broken-fm.md", "reading-list.md"}
    assert report.skipped == 3 and report.deleted == 1, "a note that became unreadable leaves the index"
    assert report.unchanged == PUBLIC_NOTES - 1


REPLAY = r"""
import json, sys
from pathlib import Path
from twin import offline; offline.apply()
from langchain_core.embeddings import Embeddings
import kb.ingest as ingest_mod
from twin.config import Config

VECTORS = json.loads(Path(sys.argv[3]).read_text())

class Replay(Embeddings):
    "Vectors the real model computed for these exact texts (recorded by the test)."
    def embed_documents(self, texts):
        print("batch", flush=True)
        return [VECTORS[t] for t in texts]
    def embed_query(self, text):
        raise AssertionError("ingest never embeds queries")

ingest_mod.EMBED_BATCH = 8
config = Config(home=sys.argv[1])
config.judge.semantic_leak = False  # fingerprints without sentence vectors: only chunk texts are replayed
report = ingest_mod.ingest(config, Path(sys.argv[2]), Replay(), progress=False)
print("done " + json.dumps(report.counts()), flush=True)
"""


def run_replay(home: Path, notes: Path, vectors: Path, kill_after: int | None) -> str:
    """Run ingest in a subprocess; SIGKILL it after ``kill_after`` embedding batches."""
    proc = subprocess.Popen(
        [sys.executable, "-c", REPLAY, str(home), str(notes), str(vectors)], cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    seen = 0
    for line in proc.stdout:
        seen += line.startswith("batch")
        if kill_after is not None and seen >= kill_after:
            os.kill(proc.pid, signal.SIGKILL)
            break
        if line.startswith("done"):
            break
    proc.wait(timeout=120)
    if kill_after is None:
        assert proc.returncode == 0, proc.stderr.read()
        return line
    assert proc.returncode == -signal.SIGKILL
    return ""


def record_vectors(config, notes: Path, inner, target: Path) -> None:
    found, _ = read_notes(notes, config.kb)
    texts = [c.embed_text for n in found if not n.private for c in chunk_note(n, config.kb.chunk_chars)]
    target.write_text(json.dumps(dict(zip(texts, inner.embed_documents(texts)))))


@pytest.mark.slow  # kills ingest subprocesses at several points
def test_sigkill_at_any_point_is_repaired_by_the_next_run(tmp_path: Path, kb_embeddings) -> None:
    notes = copy_notes(tmp_path / "notes")
    config = make_config(tmp_path / "home")
    vectors = tmp_path / "vectors.json"
    record_vectors(config, notes, kb_embeddings, vectors)
    run_replay(config.home_path, notes, vectors, kill_after=4)  # killed mid-embedding
    done = json.loads(run_replay(config.home_path, notes, vectors, kill_after=None)[5:])
    assert 0 < done["chunks_embedded"] < done["chunks_total"], "the killed run's writes were kept"

    for rel in ("posts/running-a-10k.md", "talks.md", "cv.md"):
        (notes / rel).unlink()
    about = notes / "about-me.md"
    about.write_text(about.read_text() + "\nNew closing line about rye bread.\n")
    (notes / "tools.md").write_text((notes / "tools.md").read_text().replace("tags:", "private: true\ntags:", 1))
    record_vectors(config, notes, kb_embeddings, vectors)
    run_replay(config.home_path, notes, vectors, kill_after=1)  # killed after the deletes, mid-adds

    repair, counting = again(config, notes, kb_embeddings)
    store = NoteStore.from_config(config)
    ids = store.collection.get()["ids"]
    assert len(ids) == len(set(ids)) == repair.chunks_total, "no duplicates"
    assert set(ids) == expected_ids(config, notes), "no orphans, nothing missing"
    paths = indexed_paths(config)
    assert len(paths) == PUBLIC_NOTES - 4 and "tools.md" not in paths
    again_report, counting = again(config, notes, kb_embeddings)
    assert counting.calls == 0 and again_report.unchanged == PUBLIC_NOTES - 4


def test_missing_or_wrong_notes_dir_is_a_clear_error(tmp_path: Path, kb_embeddings, capsys) -> None:
    config = make_config(tmp_path / "home")
    with pytest.raises(IngestError, match=f"notes folder not found: {tmp_path / 'nope'}"):
        ingest(config, tmp_path / "nope", kb_embeddings)
    (tmp_path / "file.md").write_text("x")
    with pytest.raises(IngestError, match="not a folder"):
        ingest(config, tmp_path / "file.md", kb_embeddings)
    assert run_ingest(config, tmp_path / "nope") == 2
    assert str(tmp_path / "nope") in capsys.readouterr().err.replace("\n", "")


def test_run_ingest_json_prints_one_object(tmp_path: Path, capsys) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "one.md").write_text("# One\n\nA short note about kites.")
    (notes / "bad.md").write_bytes(b"\xff\xfe\x00")
    config = make_config(tmp_path / "home")
    assert run_ingest(config, notes, as_json=True) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    data = json.loads(out[0])
    assert (data["added"], data["skipped"]) == (1, 1)
    assert data["skips"][0]["path"] == "bad.md"


def test_private_in_any_case_stays_out_of_the_index(tmp_path: Path, kb_embeddings) -> None:
    """A folder named "Private/" or "PRIVATE/", or a front matter key "Private: true", made a
    private note public: indexed, searchable, quotable and shown in the TUI's preview."""
    notes = tmp_path / "notes"
    for rel, text in {
        "public.md": "# Public\n\nI walk to the harbour every morning.\n",
        f"Private/{CANARY}-a.md": f"# A\n\nMy locker code is {CANARY}-capdir 4471.\n",
        f"work/PRIVATE/{CANARY}-b.md": f"# B\n\nMy review said {CANARY}-upper.\n",
        f"{CANARY}-c.md": f"---\nPrivate: true\n---\n# C\n\nMy debt is {CANARY}-capkey.\n",
    }.items():
        (notes / rel).parent.mkdir(parents=True, exist_ok=True)
        (notes / rel).write_text(text)
    config = make_config(tmp_path / "home")
    report = ingest(config, notes, kb_embeddings, progress=False)
    assert (report.added, report.private) == (1, 3)
    assert indexed_paths(config) == {"public.md"}
    assert CANARY not in "\n".join(documents(config))
    fp = Fingerprints.load(fingerprints_path(config.home_path))
    assert len(fp.note_ngrams) == 3 and fp.secret_hits(f"it is {CANARY}-capkey")
    from twin_tui.preview import PreviewRefused, load_preview

    for rel in (f"Private/{CANARY}-a.md", f"{CANARY}-c.md"):
        with pytest.raises(PreviewRefused):
            load_preview(notes, rel)


def test_symlink_into_a_private_folder_outside_the_notes_stays_out(tmp_path: Path, kb_embeddings) -> None:
    """A symlink (a file, or a folder on the path) to a note under a private/ folder outside the
    notes folder (another source's private notes, ~/Dropbox/private) was indexed as public: only a
    target inside the notes folder was checked."""
    outside = tmp_path / "journal" / "private"
    outside.mkdir(parents=True)
    (outside / f"{CANARY}-therapy.md").write_text(f"# Therapy\n\nSessions with {CANARY}-doctor on Wednesdays.\n")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "public.md").write_text("# Public\n\nI walk to the harbour every morning.\n")
    (notes / "therapy.md").symlink_to(outside / f"{CANARY}-therapy.md")
    (notes / "archive").symlink_to(outside, target_is_directory=True)
    config = make_config(tmp_path / "home")
    report = ingest(config, notes, kb_embeddings, progress=False)
    assert (report.added, report.private) == (1, 2)
    assert indexed_paths(config) == {"public.md"}
    assert CANARY not in "\n".join(documents(config))


def test_front_matter_below_a_blank_line_still_makes_a_note_private(tmp_path: Path, kb_embeddings) -> None:
    """An editor's stray blank first line hid the front matter: "private: true" was indexed as
    body text and the note with it. A rule between blank lines is still body text."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "public.md").write_text("\n---\n\nI walk to the harbour every morning.\n\n---\n\nThen coffee.\n")
    (notes / "debts.md").write_text(f"\n\n---\ntitle: Debts\nprivate: true\n---\nI owe {CANARY}-debt 8812 euros.\n")
    config = make_config(tmp_path / "home")
    report = ingest(config, notes, kb_embeddings, progress=False)
    assert (report.added, report.private) == (1, 1)
    assert indexed_paths(config) == {"public.md"}
    docs = "\n".join(documents(config))
    assert CANARY not in docs and "harbour" in docs and "Then coffee" in docs
