"""Short notes (real model, real Chroma; the tuning person dev3's notes, one to three sentences
each). The no-note gate: a question that names something only the notes hold is not turned away
because a name is barely like the note that names it; a question no note answers still is.
Updates: a newer note that names the old thing, not the old note's title ("I switched from the
Fairphone 3" updates "My phone"), ranks first."""

from __future__ import annotations

import shutil

import pytest

from kb.ingest import ingest
from kb.retrieve import Retriever, subject_terms
from nodes.generate import notes_hold
from tests.kb_support import REPO, kb_embeddings, make_config  # noqa: F401

pytestmark = pytest.mark.slow

NOTES = REPO / "evals" / "data" / "people" / "dev3" / "notes"


@pytest.fixture(scope="module")
def retriever(tmp_path_factory: pytest.TempPathFactory, kb_embeddings) -> Retriever:
    root = tmp_path_factory.mktemp("gate")
    config = make_config(root / "home")
    ingest(config, shutil.copytree(NOTES, root / "notes"), kb_embeddings, progress=False)
    return Retriever(config, kb_embeddings)


def _gate(retriever: Retriever, question: str) -> tuple[float, str]:
    sources = retriever.search(question)
    shown = max(s["similarity"] for s in sources)
    return shown, notes_hold(sources, question, retriever, retriever.config.retrieval.answer_min_similarity)


def test_a_name_the_notes_hold_lets_the_notes_answer(retriever: Retriever) -> None:
    shown, why = _gate(retriever, "Who is Marguerite Oyelaran?")
    assert shown < retriever.config.retrieval.answer_min_similarity
    assert why == "notes mention oyelaran"


def test_a_close_shown_note_answers_and_a_question_no_note_answers_gets_no_note(retriever: Retriever) -> None:
    assert _gate(retriever, "Where did you stay on Skye?")[1].startswith("a note shown at ")
    for question in ("What's your blood type?", "Do you have any tattoos?", "Do you speak any other languages?"):
        assert _gate(retriever, question)[1] == "", question
    assert notes_hold([], "Who is Marguerite Oyelaran?", retriever, 0.3) == ""  # nothing retrieved


def test_an_update_that_names_the_old_thing_ranks_first(retriever: Retriever) -> None:
    old = {"title": "My phone", "path": "tools/phone.md"}
    assert subject_terms(old) == {"phone"}
    assert "fairphone" in subject_terms(old, "I use a Fairphone 3 because I can replace the battery myself.")
    assert "battery" not in subject_terms(old, "Battery life: two days.")  # common words are no subject
    paths = [s["path"] for s in retriever.search("What phone do you use?")]
    assert paths[0] == "tools/new-phone.md", paths
