"""Decoding that lets the model copy its notes: reply-only penalty, context-aware decoding
(one batched forward), sentence stop — units, then the embedded model for real."""

from __future__ import annotations

import pytest
import torch
from langchain_core.messages import HumanMessage, SystemMessage

from backends.decoding import (
    DecodingOptions,
    PairedContrast,
    processors,
    sentence_ends,
    trim_to_sentences,
    without_loop,
    without_repeats,
)
from backends.factory import chat_model
from nodes.guards.grounding import without_pleasantries
from twin.config import ModelConfig


def test_sentence_ends_and_trimming() -> None:
    text = "I moved to Rotterdam. My flat is in Kralingen, 2.5 km out! J. Smith helped. And then"
    assert [text[:e].strip()[-5:] for e in sentence_ends(text)] == ["rdam.", " out!", "lped."]
    assert trim_to_sentences(text, 2) == "I moved to Rotterdam. My flat is in Kralingen, 2.5 km out!"
    assert trim_to_sentences(text, 0) == "I moved to Rotterdam. My flat is in Kralingen, 2.5 km out! J. Smith helped."
    assert trim_to_sentences("No end in sight", 3) == "No end in sight"
    assert trim_to_sentences("One.\nTwo.\nThree.\nFour.", 3) == "One.\nTwo.\nThree."
    # a title does not end a sentence: "Dr. Haldane" is one answer, not "Dr." and the rest
    assert trim_to_sentences("Dr. Haldane is the vet. Mrs. Gilhooly lives in St. Davids. More.", 2) == (
        "Dr. Haldane is the vet. Mrs. Gilhooly lives in St. Davids.")
    # nor do the titles of other languages that notes in English keep (tuning person dev7: "The landlord is
    # Ing." was one sentence and "Baltazar Ocampo, a retired civil engineer…" another)
    assert trim_to_sentences("The landlord is Ing. Baltazar Ocampo. Dra. Ek is the vet. Sra. Amparo Ruiz. More.", 2) == (
        "The landlord is Ing. Baltazar Ocampo. Dra. Ek is the vet.")
    from nodes.evidence import sentences_of
    assert [s for _, s in sentences_of("My teacher is Profa. Leticia Ruelas. Mtra. Villaseñor signed it.")] == [
        "My teacher is Profa. Leticia Ruelas.", "Mtra. Villaseñor signed it."]
    # nor a currency or a reference whose number follows (tuning person dev9: "Rs." was a sentence of its
    # own, so "72,000 a month" read as holding no amount); before a word, "No." still ends one
    rent = "The money. Rs. 72,000 a month, six months in advance. See No. 5 on the list. I said No. Then I left."
    assert [s for _, s in sentences_of(rent)] == [
        "The money.", "Rs. 72,000 a month, six months in advance.", "See No. 5 on the list.", "I said No.", "Then I left."]
    assert trim_to_sentences(rent, 3) == "The money. Rs. 72,000 a month, six months in advance. See No. 5 on the list."


def test_a_sentence_that_repeats_an_earlier_one_is_dropped() -> None:
    looped = "I play a Hobart three-piece, The Mollymawks. I play a Hobart three-piece, The Mollymawks now."
    assert without_repeats(looped) == "I play a Hobart three-piece, The Mollymawks."
    assert without_repeats("I'm a musician. I play bass. I'm a musician!") == "I'm a musician. I play bass."
    varied = "I moved to Rotterdam in June. My flat in Rotterdam is in Kralingen."
    assert without_repeats(varied) == varied
    assert without_repeats("Just one sentence") == "Just one sentence"


def test_assistant_speak_after_the_first_sentence_is_dropped() -> None:
    # what the embedded model appended on the dev3 person's answers (ninth session)
    assert without_pleasantries("The Urban Arrow cargo bike. I'm glad you're happy with your bike.") == \
        "The Urban Arrow cargo bike."
    assert without_pleasantries("My mountain was Bla Bheinn. I'm sorry for any confusion. It rained.") == \
        "My mountain was Bla Bheinn. It rained."
    assert without_pleasantries("I run it at the Grangetown Repair Café now. I'm not sure.") == \
        "I run it at the Grangetown Repair Café now."
    assert without_pleasantries("I'm glad you liked it!") == "I'm glad you liked it!"  # the first stays
    kept = "I moved to Cardiff. I'm happy in Grangetown. I hope to stay."  # facts, not assistant-speak
    assert without_pleasantries(kept) == kept
    named = "I run a bindery. I'm glad I moved to Aarhus in 2023."  # a pleasantry that names something stays
    assert without_pleasantries(named) == named


def test_a_sentence_that_loops_is_cut_where_the_loop_starts() -> None:
    looped = ("Mossie is a pub owner, which is owned by the pub owner, the owner of the pub, the owner of the pub, "
              "the owner of the pub, the owner")
    assert without_repeats(looped) == "Mossie is a pub owner, which is owned by the pub owner, the owner of the pub."
    # cut short, a sentence does not end on a word that leads into more (tuning answers)
    girdle = "Gran doesn't have a girdle, so she makes them in a pan, so she makes them in a pan, so she"
    assert without_loop(girdle) == "Gran doesn't have a girdle, so she makes them in a pan."
    dangling = "Gran doesn't have a girdle, so she doesn't have a girdle, so she"
    assert without_loop(dangling) == "Gran doesn't have a girdle."
    terms = "I brought back a lot of railway terms, and I brought back a lot of railway terms, and"
    assert without_loop(terms) == "I brought back a lot of railway terms."
    assert without_loop("And so on and so on and so on and so on") == "And so on."  # nothing left: as cut
    # words that do end a sentence stay (the first review's cases)
    assert without_loop("I know what it is, what it is, what it is, what it is") == "I know what it is."
    assert without_loop("My sister is taller than I, taller than I, taller than I, taller than I") == "My sister is taller than I."
    assert without_loop("My favourite vitamin is A, vitamin is A, vitamin is A") == "My favourite vitamin is A."
    assert without_loop("It was a bit of a, it was a bit of a, it was a bit of a") == "It was a bit."
    two = "He runs the pub, the pub on the quay, the pub on the quay. I go on Fridays."
    assert without_repeats(two) == "He runs the pub, the pub on the quay. I go on Fridays."
    plain = "I walked from the top of the hill down to the harbour and back up to the top."
    assert without_repeats(plain) == plain


def test_penalty_spares_the_prompt_and_contrast_is_the_cad_formula() -> None:
    prompt_len = 3
    ids = torch.tensor([[5, 6, 7, 8]])  # 5, 6, 7: the prompt; 8: the reply so far
    scores = torch.full((1, 10), 2.0)
    penalty = processors(DecodingOptions(repetition_penalty=2.0), prompt_len, paired=False)[0]
    out = penalty(ids, scores.clone())
    assert out[0, 5] == 2.0 and out[0, 7] == 2.0 and out[0, 8] == 1.0  # only the reply's token 8 is penalised
    logits = torch.tensor([[2.0, 1.0, 0.0], [0.0, 2.0, 0.0]])
    mixed = PairedContrast(DecodingOptions(context_weight=1.0))(None, logits)
    logp = torch.log_softmax(logits, dim=-1)
    assert torch.allclose(mixed[0], 2 * logp[0] - logp[1]) and torch.equal(mixed[0], mixed[1])
    floor = PairedContrast(DecodingOptions(context_weight=1.0, plausibility=0.5))(None, logits)
    assert floor[0, 2] == -float("inf") and floor[0, 0] > -float("inf")


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    return chat_model(ModelConfig(max_new_tokens=32, max_sentences=0), tmp_path_factory.mktemp("dechome"))


NOTE = "My notes:\n| My cat is called Zebulon. He is a grey Maine Coon and sleeps on my keyboard."
QUESTION = "What is your cat called?"


def test_cad_against_itself_is_plain_greedy(local) -> None:
    """Contrasting a prompt with itself leaves the scores as they are: same answer, token for token."""
    chat = [SystemMessage("You are Ada. Answer in one short sentence."), HumanMessage(QUESTION)]
    plain = str(local.invoke(chat, context_weight=0.0).content)
    same = str(local.invoke(chat, negative_messages=chat, context_weight=1.0).content)
    assert plain and same == plain


def test_cad_streams_one_answer_and_uses_the_note(local) -> None:
    with_note = [SystemMessage("You are Ada. Answer in the first person.\n\n" + NOTE), HumanMessage(QUESTION)]
    without = [SystemMessage("You are Ada. Answer in the first person."), HumanMessage(QUESTION)]
    cad = {"negative_messages": without, "context_weight": 1.0, "plausibility": 0.1}
    pieces = [str(c.content) for c in local.stream(with_note, **cad)]
    assert len(pieces) > 1
    assert "Zebulon" in "".join(pieces)
    assert str(local.invoke(with_note, **cad).content).strip() == "".join(pieces).strip()
    # without the plausibility floor the contrast garbles the name mid-copy: the reason the floor exists
    assert "Zebulon" not in str(local.invoke(with_note, negative_messages=without, context_weight=1.0).content)


def test_sentence_stop_ends_the_reply(local) -> None:
    chat = [HumanMessage("Tell me about Paris in five sentences.")]
    long = str(local.invoke(chat, max_new_tokens=96).content)
    short = str(local.invoke(chat, max_new_tokens=96, max_sentences=1).content)
    assert len(sentence_ends(long)) >= 2
    assert len(sentence_ends(trim_to_sentences(short, 1) + " ")) == 1 and len(short) < len(long)


def test_a_title_does_not_end_a_note_sentence_either() -> None:
    """The notes' splitter (the evidence and quotes) reads the same titles as the answers': a new user's
    note "…had his check-up with Dr. Okafor at the Harbour Vets" was shown as "…with Dr." and "Okafor at…"."""
    from nodes.evidence import sentences_of

    text = "Pip had his check-up with Dr. Okafor at the Harbour Vets. He weighs 7.4 kg. We live near St. Hilda's."
    assert [s for _, s in sentences_of(text)] == [
        "Pip had his check-up with Dr. Okafor at the Harbour Vets.", "He weighs 7.4 kg.", "We live near St. Hilda's."]


def test_an_initial_ends_no_sentence_but_i_does() -> None:
    """Both splitters keep initials with the name ("J. R. R. Tolkien" was cut into "J.", "R.", "R." and a
    sentence that lost them in the notes), and both end a sentence after "I"."""
    from nodes.evidence import sentences_of

    note = "Mum gave me a J. R. R. Tolkien box set. Nobody read it but me. So did I. Then we left."
    assert [s for _, s in sentences_of(note)] == [
        "Mum gave me a J. R. R. Tolkien box set.", "Nobody read it but me.", "So did I.", "Then we left."]
    assert [note[:e].strip()[-6:] for e in sentence_ends(note + " ")] == ["x set.", "ut me.", "did I.", " left."]
