"""Ask the real graph one eval question and keep what a report needs from the result."""

from __future__ import annotations

import time
import uuid
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage

from graph.result import TurnResult, verdict


def new_thread() -> str:
    return f"eval-{uuid.uuid4().hex[:12]}"


def ask(env: Any, question: str, toggles: dict[str, bool], history: list[str] | None = None) -> dict[str, Any]:
    """Run ``history`` (earlier user turns, answered for real) then ``question`` in one thread.

    ``latency_ms`` is the wall time of the final question only.
    """
    thread = new_thread()
    for turn in history or []:
        env.runner.ask(turn, thread_id=thread, toggles=toggles)
    start = time.perf_counter()
    result = env.runner.ask(question, thread_id=thread, toggles=toggles)
    return graph_fields(result, (time.perf_counter() - start) * 1000)


def graph_fields(result: TurnResult, latency_ms: float) -> dict[str, Any]:
    """The eval record's view of a turn (the judge's verdict and reasons flattened)."""
    judge = result.get("judge") or {}
    return {
        "answer": result.get("answer", ""),
        "route": result.get("route", ""),
        "query": result.get("query", ""),
        "sources": [{"path": s["path"], "date": s.get("date", ""), "score": s.get("score")}
                    for s in result.get("sources", [])],
        "judge": verdict(result),
        "answered_by": result.get("answered_by", ""),
        "why": result.get("why", ""),  # why that path answered (the trace's line: "unsupported by the notes", …)
        "rerouted": (result.get("decisions", {}).get("judge") or {}).get("rerouted", ""),
        "judge_reasons": judge.get("reasons", []),
        "input_flags": result.get("input_flags", []),
        "timings_ms": result.get("timings_ms", {}),
        "latency_ms": round(latency_ms, 1),
    }


def route_only(env: Any, text: str, toggles: dict[str, bool], history: list[str] | None = None) -> dict[str, Any]:
    """The analyze node's decision for ``text``, through the real graph, without generating.

    Earlier user turns are placed in the thread's history (the analyzer reads only user
    turns), then the graph is streamed until the analyze node reports and stopped there.
    """
    thread = new_thread()
    if history:
        messages: list[Any] = []
        for turn in history:
            messages += [HumanMessage(turn), AIMessage("")]
        env.runner.graph.update_state({"configurable": {"thread_id": thread}}, {"messages": messages}, as_node="judge")
    start = time.perf_counter()
    stream = env.runner.stream(text, thread_id=thread, toggles=toggles)
    decision: dict[str, Any] = {}
    try:
        for event in stream:
            if event.kind == "node" and event.node == "analyze":
                decision = event.data or {}
                break
    finally:
        stream.close()
    elapsed = (time.perf_counter() - start) * 1000
    return {"route": decision.get("route", ""), "score": decision.get("route_score"),
            "query": decision.get("query", ""), "latency_ms": round(elapsed, 1)}
