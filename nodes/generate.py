"""generate: the persona model answers in the person's voice, trusting the notes.

Tokens go out through LangGraph's custom stream (``{"token": ...}``); the runner decides
what the user may see (nothing unjudged when the judge is on). The raw answer is kept in
``draft``; only the judge writes ``answer``.
"""

from __future__ import annotations

from collections.abc import Callable

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langgraph.config import get_stream_writer

import prompts
from graph.context import TwinContext
from graph.state import Source, TwinState
from nodes.input_guard import wrap_notes_as_data
from nodes.timing import is_on, recorded, with_decision

HISTORY_TURNS = 3  # earlier exchanges shown to the generator


def history_messages(state: TwinState) -> list[BaseMessage]:
    """Earlier user/assistant turns (the current question is the last message)."""
    past = [m for m in state.get("messages", [])[:-1] if isinstance(m, (HumanMessage, AIMessage))]
    return past[-2 * HISTORY_TURNS :]


def build_messages(person: str, question: str, sources: list[Source], history: list[BaseMessage]) -> list[BaseMessage]:
    """The generator's prompt: persona + quoted notes as the system turn, then the chat.

    Persona training builds its context-faithful examples with this same function.
    """
    system = prompts.render("persona_system", person=person)
    if sources:
        system += "\n\n" + prompts.render("generate_with_notes", notes=wrap_notes_as_data(sources))
    return [SystemMessage(system), *history, HumanMessage(question)]


def make_generate(ctx: TwinContext) -> Callable[[TwinState], dict]:
    @recorded("generate")
    def generate(state: TwinState) -> dict:
        use_adapter = is_on(state, "adapter")
        model = ctx.persona_model if use_adapter else ctx.persona_bare
        messages = build_messages(ctx.config.person, state["question"], state.get("sources", []),
                                  history_messages(state))
        write = get_stream_writer()
        pieces = []
        for chunk in model.stream(messages):
            piece = str(chunk.content)
            pieces.append(piece)
            write({"token": piece})
        draft = "".join(pieces).strip()
        label = getattr(model, "name_for_trace", type(model).__name__)
        decision = {"model": label, "adapter": use_adapter and bool(ctx.config.persona.adapters),
                    "notes": len(state.get("sources", []))}
        return {"draft": draft, "decisions": with_decision(state, "generate", decision)}

    return generate
