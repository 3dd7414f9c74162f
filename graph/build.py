"""Assemble the Twin StateGraph: analyze → (retrieve) → generate → judge (→ generate once more
when the judge finds the answer unsupported by the notes; → retrieve when an answer to a
question the analyzer sent past the notes speaks of the person: the notes after all)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.messages import AIMessage
from langgraph.graph import END, START, StateGraph

from nodes.analyze import make_analyze, should_retrieve
from nodes.context import TwinContext
from nodes.generate import make_generate
from nodes.judge import after_judge, make_judge, refuses_early, wants_notes, wants_regeneration
from nodes.retrieve import make_retrieve
from nodes.toggles import is_on
from twin.state import TwinState


def _recording_judge(judge: Callable[[TwinState], dict]) -> Callable[[TwinState], dict]:
    """Only the judged answer enters the chat history (never the raw draft)."""

    def node(state: TwinState) -> dict:
        update = judge(state)
        if wants_regeneration(update) or wants_notes(update):
            return update
        return {**update, "messages": [AIMessage(update.get("answer", ""))]}

    return node


def after_analyze(ctx: TwinContext) -> Callable[[TwinState], str]:
    """Route: a question the judge will refuse anyway skips retrieval and generation."""

    def route(state: TwinState) -> str:
        if is_on(state, "judge") and refuses_early(ctx, state.get("input_flags", [])):
            return "judge"
        return "retrieve" if should_retrieve(state) else "generate"

    return route


def build_graph(ctx: TwinContext, checkpointer: Any = None) -> Any:
    graph = StateGraph(TwinState)
    graph.add_node("analyze", make_analyze(ctx))
    graph.add_node("retrieve", make_retrieve(ctx))
    graph.add_node("generate", make_generate(ctx))
    graph.add_node("judge", _recording_judge(make_judge(ctx)))
    graph.add_edge(START, "analyze")
    graph.add_conditional_edges("analyze", after_analyze(ctx), ["retrieve", "generate", "judge"])
    graph.add_edge("retrieve", "generate")
    graph.add_edge("generate", "judge")
    graph.add_conditional_edges("judge", after_judge, {"generate": "generate", "retrieve": "retrieve", "end": END})
    return graph.compile(checkpointer=checkpointer)
