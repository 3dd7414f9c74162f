"""analyze: screen the input, rewrite the query, decide whether to retrieve."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from nodes import rewrite
from nodes.context import TwinContext
from nodes.input_guard import screen_input
from nodes.records import recorded
from nodes.routing import RETRIEVE, Router, build_router
from nodes.small_talk import is_small_talk
from nodes.toggles import is_on
from twin.loadtime import loading
from twin.state import TwinState


class Analyzer:
    def __init__(self, ctx: TwinContext) -> None:
        self.ctx = ctx

    @cached_property
    def router(self) -> Router:
        with loading("router"):
            return build_router(self.ctx.config.analyzer.strategy, self.ctx)

    def query_for(self, state: TwinState) -> str:
        question = state["question"]
        if not is_on(state, "rewrite") or is_small_talk(question):  # "Hi!" after a question is no follow-up of it
            return question
        history = rewrite.previous_questions(state.get("messages", []), self.ctx.config.analyzer.history_turns)
        if self.ctx.config.analyzer.strategy == "llm":
            return rewrite.llm_rewrite(self.ctx.base_model, self.ctx.config.person, question, history)
        return rewrite.heuristic_rewrite(question, history)

    def __call__(self, state: TwinState) -> dict:
        flags = screen_input(self.ctx, state["question"])
        query = self.query_for(state)
        if not is_on(state, "retrieve"):
            route, score, how, near = "off", 0.0, "retrieve node off", 0.0
        elif not is_on(state, "analyze"):
            route, score, how, near = "forced", 1.0, "analyze off: always retrieve", 0.0
        else:
            decision = self.router.route(query)
            route, score, how, near = decision.route, decision.score, decision.strategy, decision.note_similarity
        return {
            "route": route,
            "route_score": round(score, 4),
            "note_similarity": round(near, 4),
            "query": query,
            "input_flags": flags,
            "decisions": {"analyze": {"route": route, "score": round(score, 4), "by": how, "query": query,
                                      "input_flags": flags}},
        }


def make_analyze(ctx: TwinContext) -> Callable[[TwinState], dict]:
    return recorded("analyze")(Analyzer(ctx))


def should_retrieve(state: TwinState) -> bool:
    return state.get("route") in (RETRIEVE, "forced")
