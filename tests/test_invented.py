"""A sentence the model made up of ordinary words is left out of its answer (nodes/guards/invented.py)."""

from __future__ import annotations

from nodes.guards.grounding import support
from nodes.guards.invented import shown_share, without_invented

NOTE = ('Tattie at the vet\nAnnual jabs today at Muirton Vets. Dr Haldane weighed her and went quiet. She '
        'then said, very kindly, that Tattie was "a solid cat" and that we should "think about portions".')
QUESTION = "Who is Dr Haldane?"
# the embedded model's answer on a tuning person (eighteenth session)
ANSWER = ("Dr Haldane is a veterinarian who treats cats. He's a renowned vet who specializes in feline health. "
          "He's also a vegetarian and has a vegan diet.")


def test_made_up_sentences_after_the_lead_are_left_out() -> None:
    kept, gone = without_invented(ANSWER, [NOTE, QUESTION], ["2023-04-12"], QUESTION)
    assert kept == "Dr Haldane is a veterinarian who treats cats."
    assert gone == ["He's a renowned vet who specializes in feline health.", "He's also a vegetarian and has a vegan diet."]


def test_sentences_that_say_what_the_notes_say_stay() -> None:
    answer = "Dr Haldane weighed Tattie at Muirton Vets. She said we should think about portions."
    assert without_invented(answer, [NOTE], [], QUESTION) == (answer, [])
    # inflections, the note's date and the question's words count: "weighs" for "weighed", "April 2023"
    vocab = support([NOTE], ["2023-04-12"])
    assert shown_share("She weighs Tattie every April, in 2023 too.", vocab, QUESTION) >= 0.5
    assert shown_share("Who is she?", vocab, QUESTION) == 1.0  # no word of its own
    assert shown_share("She loves jazz and sailing.", vocab, QUESTION) == 0.0


def test_the_lead_sentence_stays_even_when_made_up() -> None:
    answer = "She collects vintage motorbikes. Dr Haldane weighed Tattie."
    assert without_invented(answer, [NOTE], [], QUESTION) == (answer, [])


def test_a_lead_that_opens_with_a_title_stays_whole() -> None:
    answer = "Dr. Haldane is a veterinarian who treats cats. He also loves jazz and sailing."
    assert without_invented(answer, [NOTE], [], "Who is Dr. Haldane?") == (
        "Dr. Haldane is a veterinarian who treats cats.", ["He also loves jazz and sailing."])
