"""Copies gone wrong (nodes/guards/copies.py): a copy of a note's sentence that loses
its "not" says the reverse (a copy that keeps it, in any form, and an answer that is no copy pass);
a sentence copied from a shown note that names nothing the question names, while another does."""

from __future__ import annotations

import pytest

from nodes.guards.copies import copied_from_elsewhere, dropped_negations, word_for_word

NOTE = "I don't drink coffee anymore, only green tea from the shop on Mariaplaats. The old espresso machine never worked."


@pytest.mark.parametrize("answer, dropped", [
    ("I drink coffee anymore, only green tea from the shop.", ["not drink"]),
    ("The old espresso machine worked.", ["not worked"]),
    ("I do not drink coffee anymore, only green tea.", []),
    ("I never drink coffee now, only green tea from Mariaplaats.", []),
    ("I don't drink coffee anymore. The old espresso machine never worked.", []),
    ("Green tea from Mariaplaats.", []),  # too short to be a copy
    ("My espresso machine worked fine at the office, and the coffee there is great.", []),  # no copy of the sentence
])
def test_a_copy_must_keep_its_negation(answer: str, dropped: list[str]) -> None:
    assert dropped_negations(answer, [NOTE]) == dropped


NOTES = {"travel/skye.md": "Skye in the rain\nA week on Skye with Jonah. We stayed in a little cabin at Elgol.",
         "travel/lisbon.md": "Lisbon\nFour days in Lisbon. We stayed at a guesthouse in Alfama with Jonah."}


@pytest.mark.parametrize("answer, names, source", [
    ("We stayed at a guesthouse in Alfama.", ["skye"], "travel/lisbon.md"),
    ("We stayed in a little cabin at Elgol.", ["skye"], ""),
    ("We stayed at a guesthouse in Alfama.", ["skye", "lisbon"], ""),  # the question names both notes
    ("We stayed at a guesthouse in Alfama.", ["jonah"], ""),  # both notes name him
    ("We stayed at a guesthouse in Alfama.", [], ""),  # the question names nothing
    ("A guesthouse.", ["skye"], ""),  # too short to be a copy
])
def test_a_copy_from_a_note_that_names_nothing_asked(answer: str, names: list[str], source: str) -> None:
    assert copied_from_elsewhere(answer, NOTES, names) == source


GYM_NOTE = ("New gym\nSame lifts, plus more rowing, because the kayak season starts in April.\n"
        "I left Jernverket after two good years and I now train at Lillebyen Styrke.")


@pytest.mark.parametrize(("answer", "copied"), [
    ("Same lifts, plus more rowing, because the kayak season starts in April.", True),
    ("same lifts plus more rowing!", True),  # case and punctuation aside
    ("Same lifts, plus more rowing, because the kayak season", True),  # cut off where the reply stopped
    ("Same lifts.\nI left Jernverket after two good years", True),  # a line each, both copied (a short one is not read)
    ("I train at Lillebyen Styrke now, after two good years at Jernverket.", False),  # its own words
    ("Same lifts, plus more rowing. I also swim.", False),  # one sentence of its own
    ("Yes.", False),  # nothing long enough to be a copy
])
def test_an_answer_that_is_the_notes_word_for_word(answer: str, copied: bool) -> None:
    assert word_for_word(answer, [GYM_NOTE]) is copied
