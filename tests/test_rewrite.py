"""The heuristic follow-up rewrite: which messages lean on the conversation, and what is searched."""

from __future__ import annotations

import pytest

from nodes.rewrite import heuristic_rewrite, needs_context


@pytest.mark.parametrize("question", [
    "How long?", "How many so far?", "Why the change?", "Did it work?", "Who wrote it?", "And the year before that?",
    "What about the rent there?", "What's his name again?", "How heavy is he now?", "Really?", "Tell me more",
    "And where do you live now?", "When was that?", "Which one?", "Where?",
    # found by review: one noun and no verb, and "by then", lean on what came before
    "What breed?", "Name?", "Which city?", "What year?", "How much rent?", "Since when?", "How old were you by then?",
])
def test_a_follow_up_needs_the_conversation(question: str) -> None:
    assert needs_context(question)


@pytest.mark.parametrize("question", [
    # a new user's "Do you have a dog?" (two content words) was searched as "What was the rent there? Do you
    # have a dog?" and answered with the rent
    "Do you have a dog?", "Where do you work?", "How much rent do you pay?", "Where do you live these days?",
    "Which choir do you sing with at the moment?",
])
def test_a_question_with_its_own_subject_stands_alone(question: str) -> None:
    assert not needs_context(question)
    assert heuristic_rewrite(question, ["What was the rent there?"]) == question


def test_a_chain_of_follow_ups_keeps_its_subject() -> None:
    """"What's his name again?" after "How heavy is he now?" searched only those two, and the dog was lost."""
    history = ["Where do you live these days?", "Do you have a dog?", "How heavy is he now?"]
    assert heuristic_rewrite("What's his name again?", history) == (
        "Do you have a dog? How heavy is he now? What's his name again?")
    assert heuristic_rewrite("And before that?", ["Where do you live these days?"]) == (
        "Where do you live these days? And before that?")
    assert heuristic_rewrite("And before that?", []) == "And before that?"
