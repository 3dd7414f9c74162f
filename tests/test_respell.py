"""Respelling a name the model garbled while copying it from its notes (nodes/guards/respell.py)."""

from __future__ import annotations

from nodes.guards.grounding import support, unsupported_words
from nodes.guards.respell import respelled

NOTES = ["My kayak is the Skerry Wren, a Rockpool Taran 16.", "In 1884 Maurice Maynard wrote a play in Morriston."]


def test_a_garbled_copy_of_a_note_word_is_spelt_as_the_note_spells_it() -> None:
    answer, changes = respelled("Skerly Wren is my kayak. Maurice Maynrd wrote the play.", NOTES)
    assert answer == "Skerry Wren is my kayak. Maurice Maynard wrote the play."
    assert changes == ["Skerly → Skerry", "Maynrd → Maynard"]
    assert not unsupported_words(answer, support(NOTES)), "the judge now finds every word in the notes"


def test_invented_words_numbers_and_ambiguous_words_are_left_for_the_judge() -> None:
    assert respelled("I moved to Newhaven in 1885 with a Taran 17.", NOTES) == (
        "I moved to Newhaven in 1885 with a Taran 17.", [])
    ambiguous = ["I ride a Marin.", "Later a Martin."]  # "Marlin" is as close to both
    assert respelled("I ride a Marlin.", ambiguous) == ("I ride a Marlin.", [])
    assert respelled("I paddle a Rockpool.", NOTES) == ("I paddle a Rockpool.", []), "supported words stay"
