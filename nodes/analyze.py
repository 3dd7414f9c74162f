"""analyze: screen the input, rewrite the query, decide whether to retrieve."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cached_property

from nodes import rewrite
from nodes.context import TwinContext
from nodes.input_guard import screen_input
from nodes.records import recorded
from nodes.routing import RETRIEVE, Router, build_router
from nodes.small_talk import is_small_talk
from nodes.toggles import is_on
from privacy.lexicon import STOPWORDS
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
        flags += follow_up_flags(self.ctx, query, state["question"], flags)
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


# words that ask for more of the same without naming anything ("Tell me more about it.", "Why?", "Go on")
_MORE_OF_IT = frozenset("tell more about it that this why how what explain go on elaborate detail details really "
                        "else again so and then please can could you me us say said mean".split())


def follow_up_flags(ctx: TwinContext, query: str, question: str, flags: list[str]) -> list[str]:
    """The off-limits topics of a follow-up that names nothing of its own, read as it is searched:
    "Tell me more about it." after "How is your health?" asks about health (it went to the notes,
    where a public note touching the topic could have answered it). "And where do you live?" after
    it names its own subject and is screened on its own words. Only topics: an attack is in the
    words typed."""
    if query == question or not names_nothing(question):
        return []
    return [f for f in screen_input(ctx, query) if f.startswith("off_limits") and f not in flags]


def names_nothing(question: str) -> bool:
    """Every word of ``question`` is a stop word or asks for more of the same (``_MORE_OF_IT``)."""
    words = re.findall(r"[a-z']+", question.lower())
    return all(w in STOPWORDS or w in _MORE_OF_IT for w in words)


def make_analyze(ctx: TwinContext) -> Callable[[TwinState], dict]:
    return recorded("analyze")(Analyzer(ctx))


def should_retrieve(state: TwinState) -> bool:
    return state.get("route") in (RETRIEVE, "forced")
