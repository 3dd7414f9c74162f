"""The dropped-negation check (nodes/guards/negation.py): a copy of a note's sentence that loses
its "not" says the reverse; a copy that keeps it, in any form, and an answer that is no copy pass."""

from __future__ import annotations

import pytest

from nodes.guards.negation import dropped_negations

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
