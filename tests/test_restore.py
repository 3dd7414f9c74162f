"""A copy of a note's sentence that lost a name, put back as the note says it (nodes/guards/restore.py)."""

from __future__ import annotations

from nodes.guards.grounding import unsaid
from nodes.guards.restore import restored_copies

BINOCULARS = [
    "Last trip with the old pair: the hinge finally gave up in April.",
    "The new binoculars are a Kowa BD II, 10x42, bought from a camera shop on Moi Avenue.",
]
COFFEE = [
    "Kaffe Fyrlykta: A coffee bar in an old boathouse on Bakklandet.",
    "This is where I go on Friday afternoons to write blog posts.",
]


def test_a_copy_that_dropped_the_answering_name_is_the_note_sentence_again() -> None:
    """Both from the tuning people's runs: the brand dropped, the cafe's name swapped for its district's."""
    answer, put_back = restored_copies("New binoculars: the BD II, 10x42, bought from a camera shop on Moi Avenue",
                                       BINOCULARS)
    assert answer == BINOCULARS[1] and put_back == ["Kowa"]
    said = "Bakklandet: A coffee bar in an old boathouse on Bakklandet.\nThis is where I go on Friday afternoons."
    answer, put_back = restored_copies(said, COFFEE)
    assert answer == f"{COFFEE[0]}\nThis is where I go on Friday afternoons." and put_back == ["Kaffe", "Fyrlykta"]


def test_a_sentence_put_back_after_another_keeps_the_space_before_it() -> None:
    """A never-seen user's "Who is J. P. Olmos?" came back as "…the music student.A classical guitar…":
    the sentence put back lost the space that opened the model's copy of it."""
    answer, put_back = restored_copies(
        "I went birding. The new binoculars are a BD II, 10x42, bought from a camera shop on Moi Avenue.", BINOCULARS)
    assert answer == f"I went birding. {BINOCULARS[1]}" and put_back == ["Kowa"]


def test_what_the_model_said_in_its_own_words_or_whole_stays() -> None:
    whole = "The new binoculars are a Kowa BD II, 10x42, bought from a camera shop on Moi Avenue."
    assert restored_copies(whole, BINOCULARS) == (whole, []), "a whole copy loses nothing"
    own = "I love these binoculars, bought for the crab plovers."
    assert restored_copies(own, BINOCULARS) == (own, []), "not a copy: too few of its words are one note sentence's"
    assert restored_copies("Kowa, in April.", BINOCULARS) == ("Kowa, in April.", []), "too short to call a copy"
    assert restored_copies("Nice.", []) == ("Nice.", [])


def test_lost_words_are_names_numbers_and_rare_words_only() -> None:
    assert "Kowa" in unsaid(BINOCULARS[1], "The binoculars are a BD II.")
    assert "42" in unsaid(BINOCULARS[1], "The binoculars are a Kowa BD II.")
    assert unsaid(BINOCULARS[1], "The new binoculars are a Kowa BD II, 10x42.") == ["Moi", "Avenue"]


def test_a_copy_that_joined_two_sentences_is_not_cut_back_to_one() -> None:
    """The model put the name from the next sentence into its copy: putting the first sentence back
    would lose the answer."""
    shown = ["We stayed three nights at a B&B in St Davids, run by two old lighthouse keepers.",
             "It's called Ty Gwennol."]
    joined = "We stayed three nights at Ty Gwennol in St Davids, run by lighthouse keepers."
    assert restored_copies(joined, shown) == (joined, [])
    dropped = "We stayed three nights at a B&B, run by two old lighthouse keepers."
    assert restored_copies(dropped, shown) == (shown[0], ["Davids"])


def test_a_name_swapped_for_another_sentences_name_is_put_back() -> None:
    """The model copied the answer's sentence but wrote a name from the next one in place of the
    answer (tuning person dev6, "What breed of sheep have you got on the place now?")."""
    shown = ["Two years of buying in rams from Glenroy and culling hard, and it's done: everything on the hill is "
             "Perendale now.", "They're lighter, they lamb on their own in the snow, and they can outrun Hemi."]
    swapped = "Two years of buying in rams from Glenroy and culling hard, and it's done: everything on hill is Hemi now."
    assert restored_copies(swapped, shown) == (shown[0], ["Perendale"])


def test_a_join_that_left_out_a_place_keeps_the_name_it_brought() -> None:
    """A copy that brought in the next sentence's name and left out an incidental name elsewhere is
    a join: putting the first sentence back would lose the answer (a review's cases)."""
    shown = ["We stayed three nights at a B&B in St Davids, run by two old lighthouse keepers.",
             "It's called Ty Gwennol."]
    joined = "We stayed three nights at Ty Gwennol, run by two old lighthouse keepers."
    assert restored_copies(joined, shown) == (joined, [])
    boat = ["Three of us bought the boat together in 2019 and keep it at the marina.", "She is called Kotuku."]
    said = "We bought Kotuku together in 2019 and keep it at the marina."
    assert restored_copies(said, boat) == (said, [])


def test_a_mended_copy_that_the_reply_already_says_is_dropped_as_a_repeat():
    """Tuning person dev7's "Who's teaching you marimba now?": the model said a note sentence's first
    half, then the sentence without its first word; both were mended into the whole sentence, and
    the answer said it twice. A repeat made by the mending is dropped like any other."""
    from nodes.generate import tidied

    sentence = "Three rehearsals in, so I think I can say it: I play with Marimba Flor de Coyol now."
    note = {"path": "marimba/coyol.md", "title": "Seven of us", "date": "2024-09-01", "score": 0.8, "rank": 0,
            "sentences": [sentence, "Seven players, four of them from Chiapas, all older than me except the drummer."]}
    said = "Three rehearsals in, so I think I can say it.\nRehearsals in, so I think I can say it: I play with Marimba Flor de Coyol now."
    answer, changes = tidied(said, [note], "Who's teaching you marimba now?")
    assert answer == sentence
    assert changes["restored"]
