"""Who or what a name is (nodes/introductions.py): the sentence that introduces it is shown first
and quoted, from whichever shown note holds it. The patterns, and the real graph over notes
written here (real Chroma, real embeddings; a scripted model that must not be asked)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from backends.fake import ScriptedChatModel
from graph.runner import TwinRunner
from kb.ingest import ingest
from kb.retrieve import Retriever
from nodes.context import TwinContext
from nodes.introductions import asked_name, introduces
from tests.kb_support import ingested_notes, kb_embeddings, make_config  # noqa: F401


@pytest.mark.parametrize("question, name", [
    ("Who is Kiprono Langat?", "Kiprono Langat"), ("What's the Fishbowl?", "Fishbowl"),
    ("Who is Dr Njoroge?", "Njoroge"), ("Who is J. M. Arregi?", "J. M. Arregi"),
    ("Who was Princess Sparkle?", "Princess Sparkle"), ("What is the Vindstille WS-40?", "Vindstille WS-40"),
    ("Who's Bahati?", "Bahati"), ("What is Relay Rooms?", "Relay Rooms"),
    ("Who is your landlord?", None), ("What do you do?", None), ("What's worth getting at Bakeriet Kornmo?", None),
    ("Who is Sra. Lezama?", "Lezama"), ("Who is St Patrick?", "St Patrick"), ("Who is Sig Hansen?", "Sig Hansen"),
    ("Who is she?", None), ("What is the capital of France?", None), ("WHO IS THAT?", None),
    ("What is Love?", None), ("Who is He?", None), ("What is the Time?", None),
])
def test_which_questions_ask_who_or_what_a_name_is(question: str, name: str | None) -> None:
    assert asked_name(question) == name


def test_a_long_run_of_capitalised_connectors_is_read_at_once() -> None:
    """"Of" is a word of the name or a connector, never both: no exponential backtracking (a review's case)."""
    assert asked_name("Who is " + "Of " * 60 + "x?") is None
    assert asked_name("Who is " + "Of " * 60 + "Nobody?") is not None


@pytest.mark.parametrize("name, sentence, says", [
    ("Kiprono Langat", "Kiprono Langat, the tower supervisor.", True),
    ("Eirik Bratsberg", "My landlord, Eirik Bratsberg, is a retired ferry captain.", True),
    ("Goiburu", "Goiburu is a baserri above Urrestilla.", True),
    ("Txilar", "Txilar: a Basque shepherd dog, the red-fawn kind.", True),
    ("Aoife Brennock", "My team lead is Aoife Brennock.", True),
    ("Njoroge", "The vet, Dr Njoroge at the clinic in Westlands, says she is healthy.", True),
    ("J. M. Arregi", "J. M. Arregi, Jose Mari to everyone, who has directed it since the eighties.", True),
    ("Kiprono Langat", "Kiprono Langat signed my logbook without a word.", False),
    ("Eirik Bratsberg", "Eirik Bratsberg brought waffles.", False),
    ("Bahati", "Mama Rehana keeps the soft tomatoes aside for Bahati.", False),
    ("Goiburu", "Goiburu honey, it says on the label.", False),
    ("Kiprono Langat", "On a Friday, Kiprono Langat retired.", False), ("Tom", "After the party, Tom went home.", False),
    ("Bahati", "Bahati, the kids and I went to the market.", False), ("Tom", "Tom was still a wreck.", False),
    ("Tom", "Tom: can you call me back?", False), ("Tom", "My guess is Tom will be late.", False),
    ("Tom", "Tom's a star.", True), ("Okafor", "Plot 13 is Mr Okafor, who grows callaloo.", True),
    # a title of another language before the name (a tuning person's landlady: the model, not shown this as
    # her introduction, gave her the neighbour's job)
    ("Amparo Lezama", "The landlady, Sra. Amparo Lezama, lives on the ground floor with four canaries.", True),
    ("Amparo Lezama", "Sra. Amparo Lezama sat on the pavement holding the canary cages.", False),
    ("Consuelo Irigoyen", "My landlady is Mtra. Consuelo Irigoyen.", True),
    ("Consuelo Irigoyen", "My landlady, Mtra. Consuelo Irigoyen, grew up in the house.", True),
])
def test_sentences_that_introduce_a_name(name: str, sentence: str, says: bool) -> None:
    assert introduces(name, sentence) is says


NOTES = {
    "work/last-shift.md": ("Kiprono's last shift", "2024-01-28",
                           "Kiprono Langat retired on Friday. Kiprono Langat signed my logbook without a word, "
                           "as he did on my first day. Kiprono Langat left the cake untouched."),
    "work/rated.md": ("Rated", "2016-09-18",
                      "Two positions, ground and tower, and a kettle older than me. Kiprono Langat, the tower "
                      "supervisor. Thirty years in the job, speaks slower than anyone I know."),
    "food/chai.md": ("Chai", "2020-03-01", "Cardamom, ginger, a lot of sugar. Boiled twice."),
}


@pytest.fixture(scope="module")
def notes_home(tmp_path_factory: pytest.TempPathFactory, kb_embeddings):
    return ingested_notes(tmp_path_factory.mktemp("intro"), NOTES, kb_embeddings)


def _ask(config, question: str, replies: list[str]) -> tuple[dict, ScriptedChatModel]:
    ctx = TwinContext(config)
    model = ScriptedChatModel(replies=replies)
    ctx.persona_model = ctx.persona_bare = model
    runner = TwinRunner(config, ctx=ctx, persist=False)
    try:
        return runner.ask(question), model
    finally:
        runner.close()


def test_the_sentence_introducing_the_name_is_quoted_from_the_note_that_holds_it(notes_home) -> None:
    """The note that names him most is the best match; the one that says who he is, second.
    The quote comes from the second, without asking the model."""
    result, model = _ask(notes_home, "Who is Kiprono Langat?", ["Kiprono Langat is a famous footballer."])
    assert [s["path"] for s in result["sources"]][:2] == ["work/last-shift.md", "work/rated.md"], result["sources"]
    assert result["answered_by"] == "extractive" and not model.calls, result["decisions"]["generate"]
    assert result["answer"].startswith('From my note "Rated" of 18 Sep 2016: Kiprono Langat, the tower supervisor.')
    assert "introducing Kiprono Langat" in result["decisions"]["generate"]["why"]
    assert result["judge"]["verdict"] == "pass"


def test_with_quotes_off_the_model_answers_and_is_held_to_the_introducing_note(notes_home) -> None:
    """``persona.quote_stated = false``: the model is asked, is shown the introducing sentence, and
    its answer from that note (not the best-scored one) passes the judge's check that it names
    something of the note it should come from."""
    config = dataclasses.replace(notes_home, persona=dataclasses.replace(notes_home.persona, quote_stated=False))
    result, model = _ask(config, "Who is Kiprono Langat?", ["He was the tower supervisor: thirty years in the job."])
    assert len(model.calls) == 1 and result["answered_by"] == "model", result["decisions"]["judge"]
    shown = model.calls[0]["messages"][0].content
    assert "| Kiprono Langat, the tower supervisor." in shown, shown


def test_a_question_about_something_else_is_not_quoted(notes_home) -> None:
    result, model = _ask(notes_home, "What goes into your chai?", ["Cardamom, ginger and a lot of sugar."])
    assert result["answered_by"] == "model" and len(model.calls) == 1
    assert "introducing" not in str(result["decisions"]["generate"])


def test_no_introduction_among_the_shown_notes_leaves_the_answer_to_the_model(tmp_path: Path, kb_embeddings) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "shift.md").write_text(NOTES["work/last-shift.md"][2], encoding="utf-8")
    config = make_config(tmp_path / "home")
    ingest(config, notes, kb_embeddings, progress=False)
    result, model = _ask(config, "Who is Kiprono Langat?", ["Kiprono Langat retired last Friday and left the cake untouched."])
    assert result["answered_by"] == "model" and len(model.calls) == 1


def test_a_retry_reads_the_introducing_note(notes_home) -> None:
    """With quotes off and the judge's second try on, the retry is shown the note the judge holds
    the answer to: the introducing one, not the best-scored one (a review's case)."""
    config = dataclasses.replace(notes_home, persona=dataclasses.replace(notes_home.persona, quote_stated=False),
                                 judge=dataclasses.replace(notes_home.judge, regenerate=True))
    result, model = _ask(config, "Who is Kiprono Langat?",
                         ["Kiprono Langat is a footballer from Zorbaville.", "He was the tower supervisor."])
    assert len(model.calls) == 2, result["decisions"]
    retry = model.calls[1]["messages"][0].content
    assert 'My note "Rated"' in retry and "Kiprono's last shift" not in retry, retry


def test_a_name_the_notes_hold_is_found_however_unlike_the_question(tmp_path: Path, kb_embeddings) -> None:
    """A never-seen user's "Who is Priya Raman?" was at cosine 0.10 to the only note naming her,
    under the retriever's 0.15 floor: the note was dropped and the twin said it had no note. A chunk
    naming a rare word of the question passes the floor."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "work.md").write_text(
        "---\ntitle: Night shifts\ndate: 2022-11-02\n---\n# Night shifts\n\nI work nights as a radiographer at "
        "St James's in Leeds. My manager, Priya Raman, lets me swap shifts around the allotment in summer.\n",
        encoding="utf-8")
    (notes / "chillies.md").write_text("# Chillies\n\nPicked 212 chillies off the Hungarian Hot Wax plants.\n",
                                       encoding="utf-8")
    config = make_config(tmp_path / "home")
    ingest(config, notes, kb_embeddings, progress=False)
    result, model = _ask(config, "Who is Priya Raman?", ["Priya Raman is a famous singer."])
    assert [s["path"] for s in result["sources"]] == ["work.md"], result["sources"]
    found = Retriever(config, kb_embeddings).search("Who is Priya Raman?")
    assert [s["path"] for s in found] == ["work.md"] and found[0]["similarity"] < config.retrieval.min_score
    assert result["answered_by"] == "extractive" and not model.calls, result["decisions"]
    assert "My manager, Priya Raman, lets me swap shifts" in result["answer"]
