"""Turn a follow-up ("and after that?") into a standalone search query.

``heuristic`` (works with any model): when the message is short or leans on the
conversation (pronouns, "and", "what about"), prepend the previous user turn(s).
``llm`` (capable models, e.g. via Ollama): the base model rewrites it with
``prompts/analyze_rewrite.md``.
"""

from __future__ import annotations

import re
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage

import prompts
from nodes.cancel import cancel_option

_FOLLOW_UP = re.compile(
    r"^(and|but|so|then|also|what about|how about|why|after|before)\b"
    r"|\b(it|its|that|this|those|these|there|then|them|they|their|he|she|him|his|her|one|else|more|again)\b",
    re.IGNORECASE,
)
# "these days", "this year", "right now" say when, not what came before
_WHEN = re.compile(r"\b(?:these days|this (?:year|month|week|morning|evening|summer|winter|spring|autumn)|"
                   r"at the moment|right now)\b", re.IGNORECASE)
SHORT = 3  # a message this short ("Which city?", "How much rent?", "What's the rent?") leans on what came before
_STOP = set("the a an is are was were do does did you your i me my of to in on for and or what how why when "
            "where which who that this it there then so about with at be been".split())
# words that ask how, not about what: "How long?", "How many so far?", "Really?" name no subject
_ASKING = set("long many much often far old big come really exactly now ever still already yet well ok okay "
              "sure again more else since".split())


def content_words(text: str) -> list[str]:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return [w for w in (re.sub(r"'(?:s|re|ve|d|ll|m)$", "", w) for w in words) if w not in _STOP]


def needs_context(question: str) -> bool:
    """True for messages that only make sense with the conversation before them: very short ones
    ("Which city?", "How much rent?"), ones that name no subject of their own ("How long is it
    usually?") and ones that lean on it ("And before that?", "Why the change?", "How heavy is he
    now?"). "Do you have a dog?" and "Where do you work?" stand alone."""
    own = [w for w in content_words(question) if w not in _ASKING]
    if not own or len(question.split()) <= SHORT:
        return True
    return bool(_FOLLOW_UP.search(_WHEN.sub(" ", question))) and len(question.split()) <= 7


def previous_questions(messages: list[BaseMessage], turns: int) -> list[str]:
    """Earlier user messages (oldest first), excluding the current one (the last)."""
    humans = [m.content for m in messages if isinstance(m, HumanMessage)]
    return [str(h) for h in humans[:-1][-turns:]]


def heuristic_rewrite(question: str, history: list[str]) -> str:
    """``question`` after the previous turn as *it* was searched: "Do you have a dog?", "How heavy
    is he now?", "What's his name again?" searches all three, not the last two."""
    if not history or not needs_context(question):
        return question
    return f"{heuristic_rewrite(history[-1], history[:-1])} {question}".strip()


def llm_rewrite(model: Any, person: str, question: str, history: list[str]) -> str:
    if not history:
        return question
    prompt = prompts.render(
        "analyze_rewrite", person=person, history="\n".join(f"- {h}" for h in history), question=question
    )
    text = str(model.invoke([HumanMessage(prompt)], max_new_tokens=40, **cancel_option()).content).strip().splitlines()
    return text[0].strip(' "') if text and text[0].strip() else heuristic_rewrite(question, history)
