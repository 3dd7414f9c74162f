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
    r"^(and|but|so|then|also|what about|how about|why|when|where|which|after|before)\b"
    r"|\b(it|that|this|those|these|there|then|them|they|he|she|one|else|more|again)\b",
    re.IGNORECASE,
)
_STOP = set("the a an is are was were do does did you your i me my of to in on for and or what how why when "
            "where which who that this it there then so about with at be been".split())


def content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9']+", text.lower()) if w not in _STOP]


def needs_context(question: str) -> bool:
    """True for messages that only make sense with the conversation before them."""
    return len(content_words(question)) <= 2 or bool(_FOLLOW_UP.search(question)) and len(question.split()) <= 7


def previous_questions(messages: list[BaseMessage], turns: int) -> list[str]:
    """Earlier user messages (oldest first), excluding the current one (the last)."""
    humans = [m.content for m in messages if isinstance(m, HumanMessage)]
    return [str(h) for h in humans[:-1][-turns:]]


def heuristic_rewrite(question: str, history: list[str]) -> str:
    if not history or not needs_context(question):
        return question
    return f"{history[-1]} {question}".strip()


def llm_rewrite(model: Any, person: str, question: str, history: list[str]) -> str:
    if not history:
        return question
    prompt = prompts.render(
        "analyze_rewrite", person=person, history="\n".join(f"- {h}" for h in history), question=question
    )
    text = str(model.invoke([HumanMessage(prompt)], max_new_tokens=40, **cancel_option()).content).strip().splitlines()
    return text[0].strip(' "') if text and text[0].strip() else heuristic_rewrite(question, history)
