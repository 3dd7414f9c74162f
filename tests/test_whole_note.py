"""The rest of the best note (real model, real Chroma). A long note's answer often sits in a
section that shares no word with the question ("## On the scale" for "How heavy is Pambazo
now?", tuning person dev7): that chunk ranks under the floor and was never shown. When the best
note's retrieved chunks hold no answer of the kind asked, its other chunks join the evidence;
when they do hold one, nothing is added."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kb.ingest import ingest
from kb.retrieve import Retriever
from nodes.evidence import lacks_the_kind
from nodes.extractive import extractive_answer
from nodes.generate import Generator
from nodes.retrieve import rest_of_best_note
from tests.kb_support import kb_embeddings, make_config  # noqa: F401

pytestmark = pytest.mark.slow

TORTOISE = """---
title: A new run for Clementine
date: 2025-06-01
---
# A new run for Clementine

## The move

Clementine travelled to the new flat in a laundry basket lined with towels, on the passenger seat,
with me taking the roundabouts like there was soup in the car. She hid in her box for three days.

## The run

A bigger run for her at last: four metres of lawn fenced with willow hurdles, a heat lamp in the
shed corner and a shallow tray of water she mostly walks through.

## On the scale

She's 2.3 kg now, and thirty-one centimetres from the front of the shell to the back. Dr. Amadi
says she is at the big end for a female and to stop giving her strawberries as treats.
"""

ALLOTMENT = """---
title: Plot 14
date: 2024-04-02
---
# Plot 14

I got plot 14 at the Ferry Lane allotments in March. Broad beans, onions and a rhubarb crown.
"""


@pytest.fixture(scope="module")
def generator(tmp_path_factory: pytest.TempPathFactory, kb_embeddings) -> Generator:
    root = tmp_path_factory.mktemp("whole")
    notes = root / "notes"
    (notes / "pets").mkdir(parents=True)
    (notes / "pets" / "clementine.md").write_text(TORTOISE, encoding="utf-8")
    (notes / "plot.md").write_text(ALLOTMENT, encoding="utf-8")
    config = make_config(root / "home")
    ingest(config, notes, kb_embeddings, progress=False)
    retriever = Retriever(config, kb_embeddings)
    return Generator(SimpleNamespace(config=config, retriever=retriever, embeddings=kb_embeddings))


def _retrieved(generator: Generator, question: str) -> list:
    """The retriever's sources less the "On the scale" chunk: in a two-note index every chunk is a
    candidate, while in a person's forty notes (dev7) that chunk ranked under the floor."""
    return [s for s in generator.ctx.retriever.search(question) if not s["heading"].endswith("On the scale")]


def _evidence(generator: Generator, question: str, sources: list, whole: bool) -> tuple[list, list]:
    """What the retrieve node hands on (the sources, with the rest of the best note when it adds it)
    and the generator's evidence from them."""
    generator.ctx.config.retrieval.whole_best_note = whole
    sources = [*sources, *rest_of_best_note(generator.ctx, sources, question)]
    notes, _ = generator.evidence_for({"question": question, "sources": sources, "route": "retrieve", "messages": []})
    return sources, notes


WEIGHT = "She's 2.3 kg now"


def test_the_rest_of_the_best_note_answers_a_kind_its_retrieved_chunks_lack(generator: Generator) -> None:
    question = "How heavy is Clementine now?"
    sources = _retrieved(generator, question)
    assert sources[0]["path"] == "pets/clementine.md" and lacks_the_kind(sources, question)
    _, notes = _evidence(generator, question, sources, whole=False)
    assert not any(WEIGHT in s for n in notes for s in n["sentences"])
    extended, notes = _evidence(generator, question, sources, whole=True)
    assert any(WEIGHT in s for n in notes for s in n["sentences"])
    assert "2.3 kg" in extractive_answer(notes, question)
    # the chunk is among the sources the judge holds the answer to: "2.3" is in the notes
    assert any(WEIGHT in s["text"] and s["rest_of_note"] for s in extended[len(sources):])


def test_nothing_is_added_when_the_retrieved_chunks_hold_the_kind_asked(generator: Generator) -> None:
    question = "How big is Clementine's new run?"
    sources = _retrieved(generator, question)
    assert not lacks_the_kind(sources, question)  # "four metres"
    extended, notes = _evidence(generator, question, sources, whole=True)
    assert extended == sources and not any(WEIGHT in s for n in notes for s in n["sentences"])
    assert generator.ctx.retriever.rest_of_note([s for s in sources if s["path"] == "plot.md"]) == []  # one chunk


def test_rest_of_note_returns_only_the_chunks_not_retrieved(generator: Generator) -> None:
    sources = _retrieved(generator, "How heavy is Clementine now?")
    rest = generator.ctx.retriever.rest_of_note(sources)
    assert [r["heading"].split(" > ")[-1] for r in rest] == ["On the scale"]
    assert rest[0]["rest_of_note"] and rest[0]["path"] == "pets/clementine.md"
    assert rest[0]["position"] >= len(sources)
