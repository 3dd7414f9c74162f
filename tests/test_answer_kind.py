"""The kind of answer a question wants, and the evidence sentences that can give one."""

import numpy as np
import pytest

from nodes.answer_kind import MONEY, NAME, NUMBER, WHEN, holds, wanted
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
    assert holds(None, "Anything at all.")


def test_a_sentence_without_the_wanted_kind_scores_lower():
    sentences = ["A 1998 Dawes Galaxy, a steel touring bike in deep green.", "I bought her on Gumtree for £240."]
    cosines = np.array([0.45, 0.40])
    question = "How much did you pay for your old touring bike?"
    scores = sentence_scores(sentences, None, cosines, SentenceWeights(kind=0.1), question)
    assert scores.argmax() == 1
    assert sentence_scores(sentences, None, cosines, SentenceWeights(kind=0.1)).argmax() == 0  # no question: as before
