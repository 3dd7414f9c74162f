"""An answer sentence that runs two shown notes together (nodes/guards/joins.py)."""

from nodes.guards.joins import joined_across

CAT = "Kisi\nKisi is my grey-and-white cat. She sleeps on the radiator now."
KEYS = "Keys again\nWe moved into a basement flat in Vesturbær on Saturday. Two rooms, a window at pavement height."
NOTES = {"cat.md": CAT, "keys.md": KEYS}


def test_a_sentence_taking_a_name_from_each_of_two_notes_is_a_join():
    # a never-seen user's "What's your cat like?" (twenty-fourth session)
    garbled = "I have a grey-and-white cat, Kisi, who lives in Vesturbær on Saturday. She sleeps on the radiator now."
    assert joined_across(garbled, NOTES, "What's your cat like?") == (("Kisi", "cat.md"), ("Vesturbær", "keys.md"))


def test_one_note_per_sentence_a_name_both_hold_or_one_asked_is_no_join():
    assert joined_across("Kisi is my grey-and-white cat. We moved into a flat in Vesturbær.", NOTES) == ()
    assert joined_across("Kisi is my grey-and-white cat.", {"cat.md": CAT}) == (), "one note: nothing to join"
    both = {"cat.md": CAT + " We live in Vesturbær.", "keys.md": KEYS}
    assert joined_across("Kisi lives with me in Vesturbær.", both) == (), "Vesturbær is in both notes"
    asked = "Does Kisi like the new flat in Vesturbær?"
    assert joined_across("Kisi sleeps in Vesturbær now.", NOTES, asked) == (), "the question joins them itself"


def test_numbers_possessives_and_joined_clauses():
    """The first review's cases: a number two notes write differently is no join; a possessive is its
    name; two clauses joined by "; " or ", and" each tell their own note."""
    cat = CAT + " She is 2 years old."
    notes = {"cat.md": cat, "keys.md": KEYS}
    assert joined_across("Kisi is two years old.", notes) == (), "'two' is in the keys note as 'Two rooms'"
    assert joined_across("Kisi's radiator is in Vesturbær now.", notes) == (("Kisi's", "cat.md"), ("Vesturbær", "keys.md"))
    assert joined_across("Kisi sleeps on the radiator; we moved to Vesturbær.", notes) == ()
    assert joined_across("Kisi sleeps on the radiator, and we moved to Vesturbær.", notes) == ()


def test_a_clause_led_by_a_pronoun_keeps_its_subject_and_plurals_are_names():
    """The second review's: ", and she…" goes on about the first clause's subject; "Saturdays" is Saturday."""
    assert joined_across("Kisi, and she lives in Vesturbær.", NOTES) == (("Kisi", "cat.md"), ("Vesturbær", "keys.md"))
    assert joined_across("Kisi sleeps on the radiator on Saturdays.", NOTES) == (("Kisi", "cat.md"), ("Saturdays", "keys.md"))
