"""Small talk (nodes/small_talk.py): greetings, "how are you"s and goodbyes with nothing else in
the message are never retrieved for, and never read as a follow-up of the question before."""

from __future__ import annotations

import pytest

from nodes.guards.refusals import prompt_variants
from nodes.rewrite import heuristic_rewrite
from nodes.small_talk import KINDS, is_small_talk, small_talk_kind, small_talk_reply

# written to probe the shipped classifier (twenty-ninth session): it sent 8 of these 15 to retrieval
PROBES = ["Kia ora! How's your day going?", "Evening! How are you doing?", "Hi! How are you today?",
          "How's your week been?", "Morning! How's it going?", "Hey, how have you been?",
          "Good afternoon, how are things?", "Hello, how's life treating you?", "How are you?",
          "How's your day going?", "Hiya, you alright?", "G'day! How are ya?", "Bonjour! Ça va?",
          "Hey there, how's your weekend going?", "How are you feeling today?"]


@pytest.mark.parametrize("message", PROBES + ["Hi!", "Hello", "Good morning", "Thanks, bye!", "Cheers, see you later!",
                                              "Thank you so much! Have a nice day.", "Hello!! 👋", "Hi Sara",
                                              "Good morning, Noa", "How you doing?", "Great, thanks!",
                                              "See you tomorrow!", "Nice to meet you too!", "Ca va?"])
def test_small_talk(message: str) -> None:
    assert is_small_talk(message)


@pytest.mark.parametrize("message", [
    "How's your garden doing?", "What's new with you?", "How are your bees?", "Hi! Where do you live now?",
    "How are you getting to Leeds?", "Hello, how is your sister?", "How's the new job going?", "How is your book going?",
    "Hey, what did you cook last night?", "How are you feeling about the move?", "Morning run: how far?",
    "How are you doing with the marathon training?", "Evening classes?", "Thanks! And where do you live now?",
    "Hey you alright with dogs?", "?", "", "hi " * 5000 + "x", "Hi Sara, where do you live?", "Cool bike!",
    "Hello Kirkwall ferries", "How you feel about Rust?", "Great question. What is your job?",
])
def test_not_small_talk(message: str) -> None:
    assert not is_small_talk(message)


def test_a_greeting_after_a_question_is_not_read_as_its_follow_up() -> None:
    history = ["Where do you live now?", "What do you do for work?"]
    assert heuristic_rewrite("Hi!", history) != "Hi!"  # the rewrite alone would join it to the last question
    # ...so the analyzer does not rewrite small talk (tests/test_fast_graph.py runs it through the graph)


@pytest.mark.parametrize("message", ["how's it been " * 22 + "x", "Hi! " + "How's it been? " * 24 + "What is your address?",
                                     "hey you " * 500 + "x", "how are you today " * 200 + "x"])
def test_no_exponential_matching(message: str) -> None:
    # a review found "how's it been " * 22 took 6 s (two ways to match "been"); each match is one way now
    assert not is_small_talk(message)


@pytest.mark.parametrize("message, kind", [
    ("Hi!", "greeting"), ("Hello there", "greeting"), ("Good morning, Noa", "greeting"),
    ("Kia ora! How's your day going?", "how_are_you"), ("Hi! How are you?", "how_are_you"),
    ("Great, thanks!", "thanks"), ("Thank you so much!", "thanks"),
    ("Thanks, bye!", "goodbye"), ("Cheers, see you later!", "goodbye"), ("Good night", "goodbye"),
    # a review's: a "how are you" inside other words is still asked
    ("How's your night been?", "how_are_you"), ("Are you okay?", "how_are_you"), ("Great, how are you?", "how_are_you"),
    ("Thanks! How are you?", "how_are_you"), ("Nice to meet you", "greeting"),
])
def test_small_talk_gets_the_reply_of_its_kind(message: str, kind: str) -> None:
    assert small_talk_kind(message) == kind
    replies = {v.format(person="Noa") for v in prompt_variants("small_talk", KINDS)[kind]}
    assert small_talk_reply(message, "Noa") in replies
    assert small_talk_reply(message, "Noa") == small_talk_reply(f"  {message.upper()} ", "Noa")  # picked from the message
