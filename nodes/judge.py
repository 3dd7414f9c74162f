"""judge: the last node. Every answer passes the guardrails before anyone sees it.

Verdicts: ``pass`` (the draft as is), ``redacted`` (PII masked), ``blocked`` (an in-voice
refusal from ``prompts/refusal.md`` instead), ``skipped`` (judge node switched off).
The checks are guardrails-ai validators composed in one Guard (see
:mod:`nodes.guards.runtime`); each is switched by ``config.judge``.

:func:`judge_text` judges a partial answer too: the runner streams sentence by sentence
behind it and releases only text that passes, so a blocked answer is never shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from graph.context import TwinContext
from graph.state import TwinState
from nodes.guards.runtime import Judge, Verdict, judge_for, timed
from nodes.timing import is_on, with_decision

__all__ = ["Judge", "Verdict", "judge_text", "make_judge", "refuses_early"]


def judge_text(ctx: TwinContext, question: str, text: str, sources: Sequence[dict[str, Any]] | None = None,
               input_flags: list[str] | None = None) -> Verdict:
    """Judge ``text`` (a whole or partial answer). ``result["verdict"]`` is pass|redacted|blocked;
    ``.answer`` is what may be shown. Input flags are computed (and cached) when not given."""
    return judge_for(ctx).check(question, text, sources, input_flags)


def refuses_early(ctx: TwinContext, input_flags: list[str]) -> bool:
    """True when the judge will refuse whatever is generated (a blocking input flag under the
    config): the graph may skip generation and go straight to the judge."""
    from nodes.guards.injection import blocking
    from nodes.guards.off_limits import topic_flags

    cfg = ctx.config.judge
    return bool(cfg.off_limits and topic_flags(input_flags)) or bool(
        cfg.injection and cfg.on_injection == "refuse" and blocking(input_flags))


def make_judge(ctx: TwinContext) -> Callable[[TwinState], dict]:
    def judge(state: TwinState) -> dict:
        draft = state.get("draft", "")
        timings = dict(state.get("timings_ms", {}))
        if state.get("toggles", {}).get("judge") is False or not is_on(state, "judge"):
            result = {"verdict": "skipped", "reasons": ["judge off"]}
            return {"answer": draft, "judge": result,
                    "decisions": with_decision(state, "judge", result), "timings_ms": {**timings, "judge": 0.0}}
        flags = state.get("input_flags")
        verdict, ms = timed(lambda: judge_text(ctx, state.get("question", ""), draft, state.get("sources", []),
                                               flags if flags is not None else None))
        decision = {"verdict": verdict.verdict, "reasons": verdict.reasons, "input_flags": verdict.flags,
                    "checks": verdict.checks}
        return {
            "answer": verdict.answer,
            "judge": {"verdict": verdict.verdict, "reasons": verdict.reasons},
            "decisions": with_decision(state, "judge", decision),
            "timings_ms": {**timings, "judge": ms},
        }

    return judge
