"""Knowledge conflict (ConflictNQ): does the twin answer from its notes or from memory?

Each case pairs a real question with passages that support a *fake* answer.

- ``context`` mode: the fake passages are the retrieved notes. The real graph runs with the
  analyzer forced to retrieve and a fixed retriever that returns exactly those passages,
  so generate and judge are the real nodes. Measures faithfulness to the notes.
- ``kb`` mode: the passages are written as one note per case into a temporary notes
  folder, ingested into a temporary home, and the whole graph runs as a user would.

Outcomes: ``context`` (answer matches the fake answer), ``memory`` (the real answer),
``both`` (equally strong matches), ``neither`` and ``abstain`` (declined). The memorization
ratio is ``memory / (memory + context)``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals import metrics
from evals.datasets import ConflictCase
from evals.graph_cases import ask
from evals.matching import conflict_outcome
from evals.suite import Scored, counts, latency_of, quoted
from twin.state import Source

MODES = ("context", "kb")
PASSAGE_DATE = "2025-01-01"  # fixed, so runs are reproducible


class PresetRetriever:
    """Stands in for the note retriever: returns the current case's passages."""

    def __init__(self, embeddings: Any = None) -> None:
        self.sources: list[Source] = []
        self.embeddings = embeddings

    def embed(self, query: str) -> list[float]:
        return self.embeddings.embed_query(query)

    def search(self, query: str, k: int | None = None, rerank: bool = True) -> list[Source]:
        return list(self.sources)

    def best_similarity(self, query: str) -> float:
        return 1.0 if self.sources else 0.0


def passages_as_sources(case: ConflictCase) -> list[Source]:
    return [
        Source(path=f"conflict/{case['id']}-{i + 1}.md", title=p["summary"] or case["question"], date=PASSAGE_DATE,
               heading="", score=round(1.0 - 0.01 * i, 4), similarity=round(1.0 - 0.01 * i, 4), text=p["passage"])
        for i, p in enumerate(case["passages"])
    ]


def note_for(case: ConflictCase) -> str:
    title = next((p["summary"] for p in case["passages"] if p["summary"]), case["question"])
    body = "\n\n".join(p["passage"] for p in case["passages"])
    return f"---\ntitle: {json.dumps(title)}\ndate: {PASSAGE_DATE}\n---\n# {title}\n\n{body}\n"


def write_notes(cases: list[ConflictCase], folder: Path) -> Path:
    """One markdown note per case (kb mode)."""
    folder.mkdir(parents=True, exist_ok=True)
    for case in cases:
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in case["id"])[:60]
        (folder / f"case-{safe}.md").write_text(note_for(case), encoding="utf-8")
    return folder


@dataclass
class ConflictSuite:
    mode: str = "context"
    name: str = "conflict"
    headline: str = "context_rate"
    ablate_metrics: tuple[str, ...] = ("context_rate", "memory_rate", "memorization_ratio")

    @property
    def no_effect(self) -> tuple[str, ...]:
        # context mode pins the analyzer and the retriever's output
        return ("analyze", "rerank", "rewrite") if self.mode == "context" else ()

    def attach(self, env: Any) -> None:
        """Context mode: swap the retriever for the preset one (the rest is the real graph)."""
        if self.mode == "context":
            env.ctx.retriever = PresetRetriever(env.ctx.embeddings)

    def run_case(self, env: Any, case: ConflictCase, toggles: dict[str, bool]) -> dict[str, Any]:
        if self.mode == "context":
            env.ctx.retriever.sources = passages_as_sources(case)
            toggles = {**toggles, "analyze": False}
        result = ask(env, case["question"], toggles)
        return self.rescore({"id": case["id"], "question": case["question"], "real": case["real"],
                             "fake": case["fake"], "real_long": case["real_long"], "fake_long": case["fake_long"],
                             **result})

    def rescore(self, record: dict[str, Any]) -> dict[str, Any]:
        """The record's outcome from its stored answer (also used by ``twin eval rescore``):
        ``outcome`` by the strict matcher, ``outcome_distinctive`` with the distinctive-token tier."""
        answer, real, fake, question = record["answer"], record["real"], record["fake"], record["question"]
        cited = quoted(record)
        outcome, m_real, m_fake = conflict_outcome(answer, real, fake, question, quoted=cited)
        wide, _, _ = conflict_outcome(answer, real, fake, question, real_long=record.get("real_long", ""),
                                      fake_long=record.get("fake_long", ""), quoted=cited)
        return {**record, "outcome": outcome, "outcome_distinctive": wide, "correct": outcome == "context",
                "match_real": m_real.how, "match_fake": m_fake.how}

    def score(self, records: list[dict[str, Any]]) -> Scored:
        n = len(records)
        c = counts(records, "outcome")
        wide = counts(records, "outcome_distinctive")
        context, memory = c.get("context", 0), c.get("memory", 0)
        found = {
            "context_rate": metrics.rate(context, n),
            "memory_rate": metrics.rate(memory, n),
            "context_rate_distinctive": metrics.rate(wide.get("context", 0), n),
            "memory_rate_distinctive": metrics.rate(wide.get("memory", 0), n),
            "both_rate": metrics.rate(c.get("both", 0), n),
            "neither_rate": metrics.rate(c.get("neither", 0) + c.get("abstain", 0), n),
            "abstain_rate": metrics.rate(c.get("abstain", 0), n),
            "memorization_ratio": metrics.rate(memory, memory + context),
            "latency": latency_of(records),
        }
        extras = {"outcomes": c, "outcomes_distinctive": wide, "routes": counts(records, "route"),
                  "judge": counts(records, "judge"), "answered_by": counts(records, "answered_by"), "mode": self.mode}
        return Scored(found, extras)
