"""An off-limits word asked about a thing a public note tells with that same word ("Which fish does
your mum use for her wet fry?", a public note on mum's wet fry): answered, not refused (real
Chroma and lexical index, real embeddings; the judge's input screen). A question about the topic
itself, one only a private note answers, or one whose words no public note holds beside the
topic's word, stays refused (nodes/guards/published.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.ingest import ingest
from nodes.context import TwinContext
from nodes.guards.published import distinctive_words, tells
from nodes.guards.runtime import judge_for
from tests.kb_support import kb_embeddings, make_config  # noqa: F401

pytestmark = pytest.mark.slow

FRY = ("---\ntitle: Mum's fish\ndate: 2024-03-02\n---\n# Mum's fish\n\n"
       "Mum makes her wet fry with tilapia from Dunga beach, never Nile perch. Tomatoes, onions, dhania.\n")
CHRISTMAS = ("---\ntitle: Home for Christmas\ndate: 2021-12-28\n---\n## What I brought\n\n"
             "Two kilos of cashew nuts from the Kilifi roadside for Mum.\n")
FAMILY = ("---\ntitle: Family\ndate: 2024-01-10\n---\n"
          "My sister Freja works nights at the Sahlgrenska hospital and her birthday is on 3 May.\n")
LATER = "---\ntitle: Sunday lunch\ndate: 2024-05-01\n---\nDad grills mackerel on the balcony every Sunday in summer.\n"


@pytest.fixture()
def home(tmp_path: Path, kb_embeddings) -> tuple[TwinContext, Path]:  # noqa: F811
    notes = tmp_path / "notes"
    (notes / "private").mkdir(parents=True)
    (notes / "mums-fish.md").write_text(FRY, encoding="utf-8")
    (notes / "christmas-2021.md").write_text(CHRISTMAS, encoding="utf-8")
    (notes / "private" / "family.md").write_text(FAMILY, encoding="utf-8")
    config = make_config(tmp_path / "home")
    ingest(config, notes, kb_embeddings, progress=False)
    ctx = TwinContext(config)
    ctx.__dict__["embeddings"] = kb_embeddings  # the session's embeddings (cached_property)
    return ctx, notes


def test_a_question_about_what_a_public_note_tells_with_the_topic_word_is_not_refused(home) -> None:
    judge = judge_for(home[0])
    assert judge.screen("Which fish does your mum use for her wet fry?") == ["published:family"]
    # the note's date counts: a year is a distinctive word ("Christmas" in the title, 2021 its date)
    assert judge.screen("What did you bring your mum when you went home for Christmas in 2021?") == [
        "published:family"]


def test_the_topic_itself_a_private_note_or_another_word_stays_refused(home) -> None:
    judge = judge_for(home[0])
    assert judge.screen("What's your mum's name?") == ["off_limits:family"]  # nothing but the topic
    assert judge.screen("How old is your mum?") == ["off_limits:family"]
    assert judge.screen("Where does your sister work nights?") == ["off_limits:family"]  # a private note only
    assert judge.screen("When is your sister's birthday?") == ["off_limits:family"]
    # the public note must hold the question's own topic word: "mother" is not "mum"
    assert judge.screen("Which fish does your mother use for her wet fry?") == ["off_limits:family"]
    # one common word beside the topic word is not enough ("fish" is among the 2,000 commonest)
    assert judge.screen("Does your mum like fish?") == ["off_limits:family"]


def test_a_note_saved_after_a_refusal_lets_the_same_question_through(home, kb_embeddings) -> None:  # noqa: F811
    ctx, notes = home
    judge = judge_for(ctx)
    question = "What does your dad grill on the balcony?"
    assert judge.screen(question) == ["off_limits:family"]
    (notes / "sunday-lunch.md").write_text(LATER, encoding="utf-8")
    ingest(ctx.config, notes, kb_embeddings, progress=False)
    assert judge.screen(question) == ["published:family"]  # the screen's cache keeps the words, not the verdict


def test_an_unreadable_index_keeps_the_refusal(home) -> None:
    ctx, _ = home
    judge = judge_for(ctx)
    ctx.retriever.lexical.db.close()
    assert judge.screen("Which fish does your mum use for her wet fry?") == ["off_limits:family"]


def test_the_distinctive_words_and_the_chunk_test() -> None:
    assert distinctive_words("Which fish does your mum use for her wet fry?", ["mum"]) == ["wet", "fry"]
    assert distinctive_words("What did you bring your mum for Christmas in 2021?", ["mum"]) == ["christmas", "2021"]
    assert tells("Mum's wet fry", ["mum"], ["wet", "fry"])
    assert not tells("Mum's fry", ["mum"], ["wet", "fry"])  # one common-ish word is not enough
    assert tells("Mum lives in Kisumu", ["mum"], ["kisumu"])  # one name is
    assert not tells("Dad's wet fry", ["mum"], ["wet", "fry"])  # not without the topic word
