"""Knowledge updates: does the twin give the newest fact, not the stale one?

Each case asks about something that changed (Lisbon → Rotterdam, Fernwood → Tidewater,
Pebble → Cairn). ``fresh``: the answer contains one of ``expect_any``. ``stale``: it
contains one of ``stale`` and none of ``expect_any``. Abstentions are neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evals import metrics
from evals.datasets import UpdateCase
from evals.graph_cases import ask
from evals.matching import declines, match_any
from evals.suite import Scored, counts, latency_of, quoted


def update_outcome(answer: str, case: UpdateCase, is_quote: bool = False) -> str:
    """fresh | stale | abstain | neither (``is_quote``: a cited quote is never an abstention)."""
    if declines(answer, is_quote):
        return "abstain"
    if match_any(answer, case["expect_any"], case["text"], quoted=is_quote).matched:
        return "fresh"
    if case["stale"] and match_any(answer, case["stale"], case["text"], quoted=is_quote).matched:
        return "stale"
    return "neither"


@dataclass
class UpdatesSuite:
    name: str = "updates"
    headline: str = "fresh_rate"
    ablate_metrics: tuple[str, ...] = ("fresh_rate", "stale_rate")
    no_effect: tuple[str, ...] = ()

    def attach(self, env: Any) -> None:
        return None

    def run_case(self, env: Any, case: UpdateCase, toggles: dict[str, bool]) -> dict[str, Any]:
        result = ask(env, case["text"], toggles, case["history"])
        return self.rescore({"id": case["id"], "question": case["text"], "history": case["history"],
                             "expect_any": case["expect_any"], "stale": case["stale"], **result})

    def rescore(self, record: dict[str, Any]) -> dict[str, Any]:
        """The record's outcome from its stored answer (also used by ``twin eval rescore``)."""
        case = {"text": record["question"], "expect_any": record["expect_any"], "stale": record["stale"]}
        outcome = update_outcome(record["answer"], case, quoted(record))  # type: ignore[arg-type]
        return {**record, "outcome": outcome, "correct": outcome == "fresh"}

    def score(self, records: list[dict[str, Any]]) -> Scored:
        n = len(records)
        c = counts(records, "outcome")
        found = {
            "fresh_rate": metrics.rate(c.get("fresh", 0), n),
            "stale_rate": metrics.rate(c.get("stale", 0), n),
            "abstain_rate": metrics.rate(c.get("abstain", 0), n),
            "latency": latency_of(records),
        }
        return Scored(found, {"outcomes": c, "routes": counts(records, "route"), "judge": counts(records, "judge")})
