"""Copies gone wrong (nodes/guards/copies.py): a copy of a note's sentence that loses
its "not" says the reverse (a copy that keeps it, in any form, and an answer that is no copy pass);
a sentence copied from a shown note that names nothing the question names, while another does."""

from __future__ import annotations

import pytest

from nodes.guards.copies import copied_from_elsewhere, dropped_negations

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
