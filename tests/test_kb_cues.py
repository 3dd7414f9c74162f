"""Update cues (kb/cues.py) and the lexical index's cue words: the rerank's "does a newer
note say it updates this one?" is an indexed lookup, kept in step by every write."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kb.cues import cue_words, mentions_update
from kb.lexical import LexicalIndex, LexRow

UPDATE = "Big news. I left Fernwood Analytics in December 2024 and joined Tidewater."
PLAIN = "Fernwood Analytics builds dashboards for harbours."


def row(cid: str, text: str, days: int, heading: str = "Work") -> LexRow:
    return LexRow(cid, "notes", f"{cid}.md", cid.title(), heading, "2025-01-01", days, 0, "m", text, heading)


def test_cue_words_are_the_words_of_cue_sentences_only() -> None:
    assert {"fernwood", "analytics", "december", "2024", "joined", "tidewater"} <= cue_words(UPDATE)
    assert "news" not in cue_words(UPDATE), "a sentence without a cue contributes nothing"
    assert cue_words(PLAIN) == set() and cue_words("") == set()


def test_every_subject_an_update_names_is_among_its_cue_words() -> None:
    texts = [UPDATE, "As of 24 May 2025, I no longer live in Lisbon.", "Pebble is now called Cairn.",
             "I handed in my notice at Lisbon Labs and opened my own bindery.",
             "## What happened to Curlew\nShe stayed in Ireland.", "Farewell. Skua (formerly Loggerhead) ships."]
    for text in texts:
        words = cue_words(text)
        named = {w for w in ("fernwood", "lisbon", "pebble", "curlew", "loggerhead") if mentions_update(text, {w})}
        assert named and named <= words, text


def test_cue_rows_follow_upserts_rewrites_and_deletes(tmp_path: Path) -> None:
    index = LexicalIndex(tmp_path / "lexical.sqlite")
    index.upsert([row("old", PLAIN, 100), row("new", UPDATE, 200), row("older", UPDATE, 50)])
    assert [r.id for r in index.cue_rows(["fernwood"], 100)] == ["new"], "only newer chunks"
    assert index.cue_rows(["dashboards"], 0) == [] and index.cue_rows([], 0) == []
    index.upsert([row("new", "I still love Fernwood Analytics.", 200)])  # rewritten without the cue
    assert index.cue_rows(["fernwood"], 100) == []
    index.upsert([row("new", UPDATE, 200)])
    index.delete(["new"])
    assert index.cue_rows(["fernwood"], 100) == []
    assert index.delete_source("notes") == 2 and index.cue_rows(["fernwood"], 0) == []
    with sqlite3.connect(index.path) as db:
        assert db.execute("select count(*) from cues").fetchone()[0] == 0, "no orphan cue words"


def test_an_index_from_before_cue_words_gains_them_on_open(tmp_path: Path) -> None:
    path = tmp_path / "lexical.sqlite"
    index = LexicalIndex(path)
    index.upsert([row("old", PLAIN, 100), row("new", UPDATE, 200)])
    index.close()
    with sqlite3.connect(path) as db:  # as schema 2 left it: no cue words
        db.execute("delete from cues")
        db.execute("update info set value = '2' where key = 'schema'")
    reopened = LexicalIndex(path)
    assert [r.id for r in reopened.cue_rows(["fernwood"], 100)] == ["new"]
    reopened.close()
    again = LexicalIndex(path)  # a schema 3 file is not recomputed (no duplicate words)
    with sqlite3.connect(path) as db:
        assert db.execute("select count(*) from cues").fetchone()[0] == len(cue_words(f"Work\n{UPDATE}"))
    again.close()
    with sqlite3.connect(path) as db:  # as older cue patterns left it: the words of other cues
        db.execute("delete from cues")
        db.execute("update info set value = 'older' where key = 'cues'")
    patterns = LexicalIndex(path)
    assert [r.id for r in patterns.cue_rows(["fernwood"], 100)] == ["new"], "recomputed for today's cues"
    patterns.close()
    again = LexicalIndex(path)
    with sqlite3.connect(path) as db:
        assert db.execute("select count(*) from cues").fetchone()[0] == len(cue_words(f"Work\n{UPDATE}"))
    again.close()


def test_without_behind_drops_the_words_a_text_names_only_as_left_behind() -> None:
    """What a sentence says holds now: "TinyLetter" and "$40" (read as "40") are behind it; a
    sentence with no update cue is kept whole."""
    from kb.cues import without_behind

    assert without_behind("I no longer use TinyLetter; it is Buttondown now.") == "I no longer it is Buttondown now."
    assert "40" not in without_behind("I no longer pay $40 a month to Fitbox.")
    assert without_behind("I pay $40 a month.") == "I pay $40 a month."
