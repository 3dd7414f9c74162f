"""The invented people the person eval runs on (evals/data/people/*) are sound data: every
expected answer is in the note the question names, every stale answer in an older public note
and not the newer fact, and no answerable question points at a private note. A slip here
would score a right answer wrong (or a stale one fresh) on every run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.notes import as_iso_date, is_private_flag, split_front_matter

PEOPLE = Path(__file__).resolve().parent.parent / "evals" / "data" / "people"
FIELDS = {"id", "kind", "text", "expect_any", "stale", "note"}
KINDS = {"update", "everyday", "named", "unanswerable", "general"}


def _notes(folder: Path) -> dict[str, tuple[str, bool, str]]:
    """``{path under notes/: (date, private, lower-cased text)}``."""
    out = {}
    for path in sorted((folder / "notes").rglob("*.md")):
        meta, body = split_front_matter(path.read_text(encoding="utf-8"))
        rel = path.relative_to(folder / "notes").as_posix()
        out[rel] = (as_iso_date(meta.get("date")) or "", is_private_flag(meta.get("private")), body.lower())
    return out


@pytest.mark.parametrize("name", sorted(p.name for p in PEOPLE.iterdir() if (p / "questions.jsonl").exists()))
def test_a_persons_questions_match_their_notes(name: str) -> None:
    folder = PEOPLE / name
    notes = _notes(folder)
    questions = [json.loads(line) for line in (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len({q["id"] for q in questions}) == len(questions), "ids are unique"
    for q in questions:
        assert set(q) == FIELDS and q["kind"] in KINDS, q["id"]
        if not q["note"]:
            assert q["kind"] in ("unanswerable", "general"), q["id"]
            continue
        date, private, text = notes[q["note"]]
        assert not private, f"{q['id']} points at a private note"
        assert any(e.lower() in text for e in q["expect_any"]), f"{q['id']}: no expected string in {q['note']}"
        for stale in q["stale"]:
            older = [p for p, (d, priv, t) in notes.items() if d < date and not priv and stale.lower() in t]
            assert older, f"{q['id']}: stale {stale!r} is in no older public note"
            assert not any(e.lower() in notes[p][2] for p in older for e in q["expect_any"]), \
                f"{q['id']}: the newer fact is in the older note too"
    assert any(private for _, private, _ in notes.values()), "each person has private notes to leak-test"
