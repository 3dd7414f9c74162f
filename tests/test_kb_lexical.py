"""The lexical index (SQLite FTS5) and hybrid search: kept in step with the vectors by
ingest, incremental, SIGKILL-safe (real model, real Chroma, small folders made here)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from kb.ingest import ingest
from kb.lexical import LexicalIndex, LexRow, match_expression, terms
from kb.retrieve import Retriever
from kb.store import NoteStore
from tests.kb_support import CountingEmbeddings, kb_embeddings, make_config  # noqa: F401
from tests.test_kb_ingest import record_vectors, run_replay

NOTES = {
    "kit/kayak.md": "---\ntitle: My sea kayak\ndate: 2023-04-02\ntags: [outdoors]\n---\n# My sea kayak\n\n"
                    "She is a Valley Etain, red over white. I paddle her on Sunday mornings.\n",
    "kit/stove.md": "---\ntitle: Camping stove\ndate: 2022-06-10\n---\n# Camping stove\n\n"
                    "The stove runs on gas canisters and boils a litre in four minutes.\n",
    "work/firmware.md": "---\ntitle: Buoy firmware\ndate: 2021-03-03\n---\n# Buoy firmware\n\n"
                        "The watchdog resets the board if the ZX-4471 modem hangs. Error code QX9 means the modem "
                        "never answered.\n\n## Flashing\n\nFlash it with a Tag-Connect cable and openocd.\n",
    "life/bread.md": "---\ntitle: Bread\ndate: 2024-01-05\n---\n# Bread\n\nI bake rye bread on Saturdays.\n",
    "private/diary.md": "---\ntitle: Diary\ndate: 2024-02-02\n---\n# Diary\n\nThe safe code is 5521-QUILL.\n",
}


def write_notes(root: Path, notes: dict[str, str] = NOTES) -> Path:
    for rel, text in notes.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def lexical_ids(config) -> set[str]:
    return set(LexicalIndex.from_config(config).manifest())


def vector_ids(config) -> set[str]:
    return set(NoteStore.from_config(config).collection.get()["ids"])


@pytest.fixture()
def home(tmp_path: Path, kb_embeddings):
    notes = write_notes(tmp_path / "notes")
    config = make_config(tmp_path / "home")
    ingest(config, notes, kb_embeddings, progress=False)
    return config, notes


def test_lexical_index_mirrors_the_vectors_and_never_holds_private_text(home) -> None:
    config, _ = home
    index = LexicalIndex.from_config(config)
    assert lexical_ids(config) == vector_ids(config) and index.count() == 5  # firmware has 2 sections
    rows = index.rows(lexical_ids(config))
    assert {r.path for r in rows.values()} == {"kit/kayak.md", "kit/stove.md", "work/firmware.md", "life/bread.md"}
    assert all(r.source == "notes" for r in rows.values())
    assert not any("QUILL" in r.text for r in rows.values()) and not index.search("QUILL diary", 5)
    hit = index.search("What does error QX9 mean?", 3)[0].row
    assert (hit.path, hit.title, hit.date) == ("work/firmware.md", "Buoy firmware", "2021-03-03")
    assert index.search("tag-connect flashing", 1)[0].row.heading.startswith("Buoy firmware > Flashing")
    assert index.search("outdoors", 1)[0].row.path == "kit/kayak.md", "tags are searchable"
    assert index.sources() == {"notes": (4, 5)}


def test_query_text_cannot_break_the_match_syntax(home) -> None:
    index = LexicalIndex.from_config(home[0])
    for nasty in ('"unbalanced', "NEAR(a b)", "kayak OR", "AND", "col:stove", "*", "^kayak", "()"):
        index.search(nasty, 3)  # no sqlite3.OperationalError
    assert match_expression("") == "" and index.search("the and of", 3) == [], "stop words only: nothing"
    assert terms("How do you paddle your kayak?") == ["paddle", "kayak"]


def test_words_that_only_date_the_question_are_not_searched() -> None:
    """"these days" would match "Five days on the coast"; the subject is what is searched."""
    assert match_expression("Where do you live these days?") == '"live"'
    assert match_expression("Which kayak are you paddling at the moment, currently?") == '"kayak" OR "paddling"'
    assert match_expression("How many days did the trip take?") == '"many" OR "days" OR "trip" OR "take"'
    assert match_expression("Where do you live now?") == '"live"', "'now' matched 'I'm now second engineer'"
    assert '"now"' in match_expression("Should my Vercel config be called now.json?"), "a file name stays"


def test_hybrid_finds_a_code_that_vectors_rank_low(home, kb_embeddings) -> None:
    config, _ = home
    hybrid = Retriever(config, kb_embeddings).search("ZX-4471", k=2)
    assert hybrid[0]["path"] == "work/firmware.md" and hybrid[0]["source"] == "notes"
    lexical = [h.row.path for h in LexicalIndex.from_config(config).search("ZX-4471", 3)]
    assert lexical[0] == "work/firmware.md"


def test_edits_deletes_renames_and_dates_update_the_lexical_index(home, kb_embeddings) -> None:
    config, notes = home
    (notes / "kit/kayak.md").write_text(NOTES["kit/kayak.md"].replace("Sunday mornings", "Thursday evenings"))
    (notes / "kit/stove.md").unlink()
    (notes / "life/bread.md").rename(notes / "life/rye.md")
    firmware = notes / "work/firmware.md"
    firmware.write_text(firmware.read_text().replace("2021-03-03", "2025-09-09"))
    counting = CountingEmbeddings(kb_embeddings)
    report = ingest(config, notes, counting, progress=False)
    assert (report.updated, report.added, report.deleted) == (2, 1, 2) and report.chunks_embedded == 1
    index = LexicalIndex.from_config(config)
    assert lexical_ids(config) == vector_ids(config)
    assert index.search("Thursday evenings", 1)[0].row.path == "kit/kayak.md"
    assert not index.search("Sunday mornings", 3), "the old text is gone"
    assert not index.search("gas canisters", 3), "a deleted note leaves the lexical index"
    assert index.search("rye bread", 1)[0].row.path == "life/rye.md"
    assert {r.date for r in index.rows(lexical_ids(config)).values() if r.path == "work/firmware.md"} == {"2025-09-09"}


def test_a_lagging_lexical_index_is_repaired_without_embedding(home, kb_embeddings) -> None:
    config, notes = home
    index = LexicalIndex.from_config(config)
    some = sorted(lexical_ids(config))[:2]
    index.delete(some)  # as if a run died between the vector write and the lexical one
    index.upsert([LexRow("orphan", "notes", "gone.md", "Gone", "Gone", "2020-01-01", 0, 0, "x", "orphan text")])
    counting = CountingEmbeddings(kb_embeddings)
    ingest(config, notes, counting, progress=False)
    assert counting.calls == 0
    assert lexical_ids(config) == vector_ids(config) and "orphan" not in lexical_ids(config)


@pytest.mark.slow  # subprocesses / a watcher with the real embeddings
def test_sigkill_mid_ingest_leaves_no_duplicate_or_orphan_lexical_rows(tmp_path: Path, kb_embeddings) -> None:
    notes = write_notes(tmp_path / "notes", {f"n/{i:02d}.md": f"# Note {i}\n\nFact number {i} about topic {i % 3}.\n"
                                              for i in range(30)})
    config = make_config(tmp_path / "home")
    vectors = tmp_path / "vectors.json"
    record_vectors(config, notes, kb_embeddings, vectors)
    run_replay(config.home_path, notes, vectors, kill_after=2)  # killed mid-embedding (batches of 8)
    partial = lexical_ids(config)
    assert partial <= vector_ids(config), "a lexical row is written only after its vector"
    assert 0 < len(partial) < 30
    for i in range(5):
        (notes / f"n/{i:02d}.md").unlink()
    (notes / "n/29.md").write_text("# Note 29\n\nA rewritten fact.\n")
    record_vectors(config, notes, kb_embeddings, vectors)
    run_replay(config.home_path, notes, vectors, kill_after=1)  # killed after the deletes
    done = json.loads(run_replay(config.home_path, notes, vectors, kill_after=None)[5:])
    assert done["chunks_total"] == 25
    index = LexicalIndex.from_config(config)
    assert lexical_ids(config) == vector_ids(config) and index.count() == 25
    with sqlite3.connect(index.path) as db:  # the FTS table agrees with its content table
        assert db.execute("select count(*) from fts where fts match 'fact'").fetchone()[0] == 25
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert index.search("rewritten", 1)[0].row.path == "n/29.md"
    assert not any(r.path == "n/00.md" for r in index.rows(lexical_ids(config)).values())


def _segments_rows(config) -> int:
    index = LexicalIndex.from_config(config)
    return int(index.db.execute("select count(*) from fts_data").fetchone()[0])


def test_ingest_merges_the_full_text_segments_and_search_is_unchanged(home, kb_embeddings, monkeypatch) -> None:
    config, notes = home
    merged: list[int] = []
    with monkeypatch.context() as patch:
        patch.setattr(LexicalIndex, "optimize", lambda self: merged.append(1))
        ingest(config, notes, kb_embeddings, progress=False)
        assert not merged, "nothing changed: nothing to merge"
        (notes / "kit/kayak.md").write_text(NOTES["kit/kayak.md"].replace("Sunday", "Friday"))
        ingest(config, notes, kb_embeddings, progress=False)
        assert merged == [1]

    index = LexicalIndex.from_config(config)
    rows = list(index.rows(lexical_ids(config)).values())
    for n, row in enumerate(rows * 4):  # one write batch per row: one segment each
        index.upsert([LexRow(**{**row.__dict__, "id": f"{row.id}-{n}"})])
    before = [(h.row.id, round(h.score, 6)) for h in index.search("modem watchdog kayak bread", 10)]
    grown = _segments_rows(config)
    index.optimize()
    assert _segments_rows(config) < grown
    assert [(h.row.id, round(h.score, 6)) for h in index.search("modem watchdog kayak bread", 10)] == before
