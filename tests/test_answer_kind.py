"""The kind of answer a question wants, and the evidence sentences that can give one."""

import numpy as np
import pytest

from nodes.answer_kind import MONEY, NAME, NUMBER, WHEN, holds, left_unsaid, wanted
from nodes.evidence import SentenceWeights, sentence_scores


@pytest.mark.parametrize("question, kind", [
    ("How much did you pay for your old touring bike?", MONEY),
    ("What's the rent on the cottage?", MONEY),
    ("How much do you sell your honey for?", MONEY),  # a new user's question: "38 kilos" was quoted
    ("What did you buy in Vilnius?", None),
    ("How long does your gran boil the clootie dumpling?", NUMBER),
    ("How much does Tattie weigh?", NUMBER),
    ("When did you move to Perth?", WHEN),
    ("Where did you stay on Islay?", NAME),
    ("Which hill did you climb in Knoydart?", NAME),
    ("What's your bike called?", NAME),
    ("What does Tattie look like?", None),
    ("Tell me about your newsletter.", None),
])
def test_what_a_question_wants(question, kind):
    assert wanted(question) == kind


def test_which_sentences_can_answer():
    assert holds(MONEY, "I bought her on Gumtree from a retired postman for £240.")
    assert holds(MONEY, "The rent is 3,900 zł a month.") and holds(MONEY, "It came to 450 NOK.")
    assert not holds(MONEY, "A 1998 Dawes Galaxy in deep green.")  # a year is not a price
    assert holds(NUMBER, "Simmer it for three and a half hours.")
    assert not holds(NUMBER, "A clootie dumpling is a boiled fruit pudding, wrapped in a cloth.")
    assert holds(WHEN, "We moved in March.") and not holds(WHEN, "We love the house.")
    islay = "Where did you stay on Islay?"
    assert holds(NAME, "The youth hostel in Port Charlotte, right on the shore.", islay)
    assert not holds(NAME, "Islay was wet and wonderful.", islay)  # names only what was asked
    # a month or a day is no name: "Which gym do you lift at?" (a tuning person) is not answered by April
    gym = "Which gym do you lift at?"
    assert not holds(NAME, "Same lifts, plus more rowing, because the kayak season starts in April.", gym)
    assert not holds(NAME, "Saturday mornings, mostly, and Christmas week.", gym)
    assert holds(NAME, "I now train at Lade Løftehall, past the shopping centre.", gym)
    assert holds(NAME, "We shop at the May Street market.", "Where do you shop?")
    assert holds(None, "Anything at all.")


def test_a_sentence_without_the_wanted_kind_scores_lower():
    sentences = ["A 1998 Dawes Galaxy, a steel touring bike in deep green.", "I bought her on Gumtree for £240."]
    cosines = np.array([0.45, 0.40])
    question = "How much did you pay for your old touring bike?"
    scores = sentence_scores(sentences, None, cosines, SentenceWeights(kind=0.1), question)
    assert scores.argmax() == 1
    assert sentence_scores(sentences, None, cosines, SentenceWeights(kind=0.1)).argmax() == 0  # no question: as before


def test_amounts_in_words_and_a_wh_word_first():
    """The first review's cases: amounts said in words, and "who / when / where" before "pay" or "rent"."""
    for amount in ("52,000 shillings a month.", "Fifty quid.", "Four hundred pounds.", "20 bucks", "ksh 52,000", "Kr 450"):
        assert holds(MONEY, amount), amount
    assert not holds(MONEY, "I have a grand piano.") and not holds(MONEY, "A 1998 Dawes Galaxy.")
    assert wanted("Who do you pay rent to?") == NAME and wanted("Where do you pay the rent?") == NAME
    assert wanted("When is the rent due?") == WHEN and wanted("How much is the rent?") == MONEY
    assert left_unsaid("Who do you pay rent to?", "I pay Mrs Otieno.", "Rent is KSh 52,000 a month, paid to Mrs Otieno.") is None
    # the second review's: a leading clause is not the question's wh-word; words that are no amount
    assert wanted("When you were paid, how much was it?") == MONEY and wanted("Whom do you pay rent to?") == NAME
    assert not holds(MONEY, "It was one real luxury.") and not holds(MONEY, "Two bucks grazed by the fence.")


def test_a_currency_code_before_the_number_is_an_amount():
    """A tuning person's "Rent is KSh 52,000 a month" held no amount: the code came first."""
    assert holds(MONEY, "Rent is KSh 52,000 a month, paid by M-Pesa on the 1st.")
    assert holds(MONEY, "It came to NOK 450.") and holds(MONEY, "Rs. 500 for a thali.")
    assert not holds(MONEY, "A USB 3 cable and BBC 2 on the telly.")  # capitals before a number are no currency


@pytest.mark.parametrize("question, answer, passage, missing", [
    # the tuning person's case: the model said "every day", the note "the second week of August"
    ("When do you do your pre-lamb shearing?", "I do shearing every day, Hakataramea Shearing again.",
     "Pre-lamb shearing done, always the second week of August here.", WHEN),
    ("When do you do your pre-lamb shearing?", "In the second week of August.",
     "Pre-lamb shearing done, always the second week of August here.", None),
    ("How heavy is Bahati now?", "Easter Sunday. Weighed her before church.", "She was 2.3 kg on the kitchen scale.", NUMBER),
    ("How heavy is Bahati now?", "She weighs two point three kilos.", "She was 2.3 kg on the kitchen scale.", None),
    ("What are you paying in rent now?", "Rent is KSh 52,000 a month.", "Rent is KSh 52,000 a month.", None),
    ("What are you paying in rent now?", "The landlady lives across the lane.", "Rent is KSh 52,000 a month.", MONEY),
    ("What time did your shifts start at Crumb?", "She taught me laminating. Pay: £11.20 an hour.",
     "Shift starts 3 a.m., finishes 11. Pay: £11.20 an hour.", NUMBER),  # a never-seen person's: a price is no time
    # the note's closest sentences hold no such answer: nothing to hold the model to
    ("How much did the bike cost?", "It was a bargain.", "A 1998 Dawes Galaxy in deep green.", None),
    # names are not checked (a capitalised word is too loose a test)
    ("Where did you stay on Islay?", "Somewhere lovely.", "The youth hostel in Port Charlotte.", None),
    ("What does Tattie look like?", "Small and brown.", "A border terrier, 7 kg.", None),
])
def test_an_answer_that_leaves_out_the_kind_asked_for(question, answer, passage, missing):
    assert left_unsaid(question, answer, passage) == missing


@pytest.mark.parametrize("question, sentence, holds_one", [
    # a tuning person's "How far out of town is your house?": the bedrooms are a number, not a distance
    ("How far out of town is your house?", "Twenty minutes out of Fairlie on the gravel.", True),
    ("How far out of town is your house?", "Three bedrooms, a log burner, and a view of the range.", False),
    ("How far is the station?", "It's a ten-minute walk, or 2 km by bike.", True),
    ("How long did you work as a vet nurse?", "Ten years at the Taringa clinic.", True),
    ("How long have you lived in Fairlie?", "We've been here since 2019.", True),
    ("How long does your gran boil the clootie dumpling?", "Simmer it for three and a half hours.", True),
    ("How long was the possession?", "A 54-hour possession over the weekend.", True),
    ("How long was the possession?", "Three of us on the night shift.", False),
    ("How heavy is your cat these days?", "She weighed 5.1 kg on their scales.", True),
    ("How heavy is your cat these days?", "Took her in for her jabs at 9 this morning.", False),
    ("How old is Bahati?", "She was born in 1998 in Nairobi.", True),
    ("How often does your newsletter come out?", "It now goes out every second Sunday.", True),
    ("How often does your newsletter come out?", "I have 3,870 subscribers.", False),
    ("How many ewes are you running now?", "5,300 on the hill.", True),  # any number
    # a tuning person's "How many strings has your nyatiti got?" was passed "It's twice as loud…"
    ("How many strings has your nyatiti got?", "It's twice as loud, which Salim has noticed.", False),
    ("How many strings has your nyatiti got?", "Eight, and a cowhide so tight it rings.", True),
    ("How many times have you run the Rotterdam marathon?", "Twice, both in the rain.", True),
    # a review's cases: a frequency asked with "how many", and "times" with words between
    ("How many days a week do you train?", "Twice a week, mornings.", True),
    ("How many goes did it take to pass?", "Just once, first go.", True),
    ("How many separate times have you run it?", "I ran it twice.", True),
    ("How many kids do you have?", "Once upon a time I wanted five.", True),  # "five" is a number
    ("How many kids do you have?", "Once again, I'd rather not say.", False),
    ("How far is it?", "I am 3 times happier and am here.", False),  # "am" is no "a m(etre)"
    # the first review's cases: an age is any number; a frequency need not be a number
    ("How old is Tattie?", "She's 7.", True),
    ("How old are you?", "Thirty-four.", True),
    ("How often do you run?", "Most mornings, before work.", True),
    ("How often do you swim?", "On Mondays and Thursdays.", True),
    ("How often do you swim?", "It is the most beautiful lake in April.", False),  # the second review's
    ("How often do you swim?", "We swim there in the holidays.", False),
    # a never-seen person's "What time did your shifts start?" was passed "Pay: £11.20 an hour." (thirty-first session)
    ("What time did your shifts start at Crumb?", "Pay: £11.20 an hour.", False),
    ("What time did your shifts start at Crumb?", "Shift starts 3 a.m., finishes 11.", True),
    ("What time does quiz night kick off?", "Quiz starts at 7.30 sharp.", True),
    ("What time did you swim at Blackrock?", "We swam at 7:40 every morning.", True),
    ("What time do the doors open?", "Doors at 8pm, six o'clock on Sundays.", True),
    ("What time does it start?", "Eleven hours car to car, 1,250 metres of climbing.", False),
    ("What time does it start?", "It runs for 3 hrs, or 4 h with the breaks.", False),  # a duration is no time
])
def test_a_measure_asked_for_wants_its_units(question, sentence, holds_one):
    assert holds(NUMBER, sentence, question) is holds_one


def test_a_quote_without_the_kind_asked_takes_the_ranked_sentence_that_holds_it():
    """Tuning person dev7's "What did you pay for the Olivetti…?": the model copied another note's
    price, the judge quoted the best note, and its closest sentence described the machine; the
    price was in the next ranked one. The quote now takes that sentence (with the closest when both
    fit), not for an identity question, and not a name the sentence says is behind the person."""
    from nodes.extractive import extractive_answer, with_kind

    olivetti = "Went early to La Lagunilla and found her on a blanket: an Olivetti Lettera 32, blue-grey, in its zip case."
    paid = "I got her for $900 and a lecture about young people not valuing things."
    note = {"path": "t.md", "title": "Sunday, Lagunilla", "date": "2018-03-11", "score": 0.8,
            "sentences": [olivetti, "The case still smells of cigarettes.", paid, "She types."], "order": [0, 1, 2, 3]}
    quote = extractive_answer([note], "What did you pay for the Olivetti you found at the flea market?")
    assert olivetti in quote and paid in quote
    assert paid not in extractive_answer([note], "What colour is the Olivetti?")  # no kind asked: as before
    long = {**note, "sentences": [olivetti + " It" + " has a good feel" * 12 + ".", *note["sentences"][1:]]}
    assert extractive_answer([long], "What did you pay for the Olivetti?").endswith(paid)  # alone: both do not fit
    tortoise = {**note, "title": "Bahati", "sentences": ["A leopard tortoise, about four years old. Bahati means luck.",
                                                        "A pen on the balcony for the cold Nairobi nights."]}
    assert with_kind(tortoise, [0], "Who's Bahati?") == [0]
    assert with_kind(tortoise, [0], "Where does Bahati sleep?") == [0, 1]
    letter = {**note, "title": "Newsletter", "sentences": ["I want it to be short.", "I no longer use TinyLetter."]}
    assert with_kind(letter, [0], "Which service do you send the newsletter with?") == [0]
    gym = {**note, "title": "Gym", "sentences": ["Same lifts as before.", "I no longer pay $40 a month to Fitbox."]}
    assert with_kind(gym, [0], "How much do you pay for the gym now?") == [0]  # "$40" is behind, read as "40" (a review's case)
