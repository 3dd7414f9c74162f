"""Benchmark: where does the expected answer land in the evidence, without generating?

For an invented person (``evals/data/people/<name>``), every answerable question (update,
everyday, named) is retrieved for real, and the top notes' sentences are scored as the
generator's evidence would be. For each sentence-scoring setting it counts the questions
whose expected string is (a) in the evidence the model is shown and (b) in the extractive
quote (the best note's best sentence, cited), and how many quotes give an update's older
fact instead. No model generates, so a grid of settings takes seconds after the ingest.

    .venv/bin/python bench/bench_evidence.py --person evals/data/people/dev [--grid]

Tune on ``dev`` only; ``heldout`` is for reporting the chosen setting once.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


@dataclass
class Case:
    question: dict[str, Any]
    candidates: list[Any]
    with_heading: np.ndarray | None
    alone: np.ndarray | None
    vectors: np.ndarray | None  # every sentence's vector (the same-subject test)


def prepare(folder: Path) -> tuple[list[Case], Any]:
    """Ingest the person's notes into a temporary home; retrieve and embed every sentence once."""
    from evals.env import EvalEnv, eval_config
    from evals.person import person_name
    from nodes import evidence as ev
    from twin.config import Config

    config = eval_config(Config())
    config.person = person_name(folder)
    env = EvalEnv.open(config, folder / "notes")
    both = ev.SentenceWeights(heading=0.5)
    cases = []
    for line in (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        question = json.loads(line)
        if question["kind"] not in ("update", "everyday", "named"):
            continue
        sources = env.ctx.retriever.search(question["text"], rerank=True)
        found = ev.shown_notes(sources, config.retrieval.k, question["text"])
        scores, vectors = (None, None), None
        if found:
            vectors, headed = ev.sentence_vectors(found, env.ctx.embeddings.embed_documents, both)
            query = np.asarray(env.ctx.retriever.embed(question["text"]), dtype=np.float32)
            scores = (headed @ query, vectors @ query)
        cases.append(Case(question, found, *scores, vectors))
    return cases, env


def shown_candidates(case: Case, same_subject: float | None) -> tuple[list[Any], np.ndarray | None, np.ndarray]:
    """The case's candidates and sentence scores, less the notes the same-subject test drops
    (questions about the present state only, as in the generate node)."""
    from kb.retrieve import asks_about_present_state
    from nodes import evidence as ev

    now = same_subject if asks_about_present_state(case.question["text"]) else None
    return ev.without_superseded(case.candidates, case.vectors, case.with_heading, case.alone, now)


def score(cases: list[Case], weights: Any, per_note: int, titled: bool = True,
          same_subject: float | None = None) -> dict[str, int]:
    from evals.matching import match_any
    from nodes import evidence as ev
    from nodes.extractive import extractive_answer

    total = {"questions": len(cases), "in_evidence": 0, "in_quote": 0, "quote_stale": 0,
             "update_stale_shown": 0}
    for case in cases:
        if not case.candidates:
            continue
        q = case.question
        candidates, headed, alone = shown_candidates(case, same_subject)
        heading = headed if weights.heading > 0 else None
        notes = ev.pick(candidates, heading, alone, per_note, weights, question=q["text"])
        shown = " ".join(s for n in notes for s in n["sentences"])
        quote = extractive_answer(notes if titled else [{**n, "title": ""} for n in notes], q["text"])

        def has(text: str, strings: list[str]) -> bool:
            return bool(strings) and match_any(text, strings, q["text"]).matched

        total["in_evidence"] += has(shown, q["expect_any"])
        total["in_quote"] += has(quote, q["expect_any"])
        total["quote_stale"] += has(quote, q.get("stale", [])) and not has(quote, q["expect_any"])
        total["update_stale_shown"] += q["kind"] == "update" and has(shown, q.get("stale", []))
    return total


def main() -> None:
    from nodes.evidence import SentenceWeights
    from twin.config import Config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--person", type=Path, default=REPO / "evals" / "data" / "people" / "dev")
    parser.add_argument("--grid", action="store_true", help="also sweep the weights and sentences per note")
    args = parser.parse_args()
    cases, env = prepare(args.person)
    try:
        shipped = SentenceWeights()
        same = Config().retrieval.same_subject_similarity
        rows = [("heading: sentence (before)", SentenceWeights(heading=1.0, empty=0.0, kind=0.0), 3, False, None),
                ("no answer-kind penalty", SentenceWeights(kind=0.0), 3, True, same),
                ("shipped, untitled quote", shipped, 3, False, same),
                ("no same-subject drop", shipped, 3, True, None),
                ("no heading-match bonus", SentenceWeights(heading_match=0.0), 3, True, same),
                ("later chunks not lowered", SentenceWeights(later_chunk=0.0), 3, True, same),
                ("shipped", shipped, 3, True, same)]
        if args.grid:
            rows += [(f"answer-kind penalty {x}", SentenceWeights(kind=x), 3, True, same) for x in (0.05, 0.2, 0.3)]
            rows += [(f"heading={h} empty={e}", SentenceWeights(h, e), 3, True, same)
                     for h, e in itertools.product((1.0, 0.5, 0.25, 0.0), (0.0, 0.03, 0.05, 0.1))]
            rows += [(f"shipped, {n or 'all'} per note", shipped, n, True, same) for n in (1, 2, 4, 5, 0)]
            rows += [(f"same subject >= {x}", shipped, 3, True, x) for x in (0.3, 0.4, 0.5, 0.6)]
        print(f"person: {args.person} ({len(cases)} answerable questions)")
        for label, weights, per_note, titled, same_subject in rows:
            print(f"{label:34s} {score(cases, weights, per_note, titled, same_subject)}")
    finally:
        env.close()


if __name__ == "__main__":
    main()
