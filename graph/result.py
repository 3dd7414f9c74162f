"""One answered turn: :class:`TurnResult`, built once by the runner from the graph's final state.

Every caller reads this one shape: the CLI (``twin ask --json`` prints :func:`public_json`), the
TUI (answer card, sources, trace, feedback), the evals (:mod:`evals.graph_cases`) and the web
service (:mod:`serve.turns`, which narrows it to its API). Nobody else reads the graph's state.
"""

from __future__ import annotations

from typing import Any, TypedDict

from twin.state import JudgeResult, reason_kind

SOURCE_KEYS = ("path", "title", "date", "heading", "score", "source", "why")
# What `twin ask --json` prints (a documented interface: keep these keys).
PUBLIC_KEYS = ("answer", "answered_by", "why", "route", "query", "sources", "judge", "timings_ms", "input_flags",
               "thread_id", "toggles")


class CitedSource(TypedDict):
    """A retrieved note as callers see it (the chunk text stays inside the graph)."""

    path: str
    title: str
    date: str
    heading: str
    score: float
    source: str  # label of the notes folder ("" in old indexes)
    why: str  # "" unless a rule, not likeness, put it here ("the newest note on where you live")


class TurnResult(TypedDict):
    answer: str  # what the user sees (judged)
    route: str  # retrieve | no_retrieve | forced | off
    query: str  # the search query
    sources: list[CitedSource]
    judge: JudgeResult
    answered_by: str  # model | model-retry | extractive | no-note | refusal | model-ungated
    why: str  # why that path answered, in a line (the trace's reason: "names nothing of the best note (…)")
    timings_ms: dict[str, float]  # per node, plus load_<what> for first-use loads
    input_flags: list[str]
    decisions: dict[str, Any]  # per-node decision records (the trace)
    toggles: dict[str, bool]  # the node switches this turn ran with
    thread_id: str


def turn_result(state: dict[str, Any], thread_id: str, toggles: dict[str, bool]) -> TurnResult:
    """The result of the turn whose final graph state is ``state``."""
    return TurnResult(
        answer=state.get("answer", ""),
        route=state.get("route", ""),
        query=state.get("query", ""),
        sources=[CitedSource(**{k: s.get(k, "") for k in SOURCE_KEYS}) for s in state.get("sources", [])],
        judge=state.get("judge", {"verdict": "skipped", "reasons": []}),
        answered_by=state.get("answered_by", ""),
        why=answer_why(state.get("decisions", {})),
        timings_ms=state.get("timings_ms", {}),
        input_flags=state.get("input_flags", []),
        decisions=state.get("decisions", {}),
        toggles=toggles,
        thread_id=thread_id,
    )


def answer_why(decisions: dict[str, Any]) -> str:
    """Why the answering path answered, from the nodes' decision records: the judge's refusal
    reasons, its reason for a quote or a "no note", or for a second attempt; else the generator's
    (no note close enough, why the notes were read), else the analyzer's route. Words of a withheld
    draft are left out (:func:`reason_kind`)."""
    judge, generate = decisions.get("judge") or {}, decisions.get("generate") or {}
    if judge.get("verdict") == "blocked":
        return "; ".join(reason_kind(str(r)) for r in judge.get("reasons", []))
    if judge.get("why"):  # "unsupported by the notes: Newhaven" → "unsupported by the notes"
        return str(judge["why"]).split(": ")[0]
    if judge.get("retried_for"):
        return f"answered again after: {str(judge['retried_for']).split(': ')[0]}"
    if generate.get("why") or generate.get("why_notes"):
        return str(generate.get("why") or generate["why_notes"])
    analyze = decisions.get("analyze") or {}
    return f"routed {analyze['route']} by {analyze.get('by', '')}".strip() if analyze.get("route") else ""


def public_json(result: TurnResult) -> dict[str, Any]:
    """What ``twin ask --json`` prints: the result without the internal decision records."""
    return {k: result[k] for k in PUBLIC_KEYS}


def verdict(result: TurnResult) -> str:
    return (result.get("judge") or {}).get("verdict", "skipped")
