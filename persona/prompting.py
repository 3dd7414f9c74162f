"""Training prompts built exactly like the generator's (``nodes.generate.build_messages``): the
sources become evidence blocks (each note whole, in the given order)."""

from __future__ import annotations

import prompts
from backends.messages import to_role_dicts
from twin.state import Source


def chat_messages(person: str, question: str, sources: list[Source], answer: str,
                  history: list[dict[str, str]] | None = None) -> list[dict[str, str]]:
    """system + (history) + user (question, with the notes block when there are sources) + assistant."""
    from langchain_core.messages import AIMessage, HumanMessage

    from nodes.evidence import as_evidence
    from nodes.generate import build_messages

    past = [HumanMessage(m["content"]) if m["role"] == "user" else AIMessage(m["content"]) for m in history or []]
    messages = to_role_dicts(build_messages(person, question, as_evidence(sources), past))
    return messages + [{"role": "assistant", "content": answer}]


def system_prompt(person: str) -> str:
    return prompts.render("persona_system", person=person)


def source(path: str, title: str, date: str, heading: str, text: str, score: float = 0.5) -> Source:
    return Source(path=path, title=title, date=date, heading=heading, score=score, similarity=score, text=text)
