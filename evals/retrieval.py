"""Retrieval: is the right note found, and does the answer carry the facts?

Ranking (straight from the retriever, as the retrieve node calls it): hit@1, hit@3 and
MRR@10 over distinct notes, best chunk first. End to end (the whole graph): keyword
recall (share of ``answer_keywords`` found in the answer, 0 for an abstention) and
source-in-context (the expected note was among the sources the generator saw).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evals import metrics
from evals.datasets import RetrievalCase
from evals.graph_cases import ask
from evals.matching import declines, match
from evals.suite import Scored, counts, latency_of, quoted

RANK_K = 10  # notes fetched for the ranking metrics


def distinct_paths(sources: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(s["path"] for s in sources))


def rank_of(source: str, paths: list[str]) -> int | None:
    """1-based rank of ``source`` among ``paths``; None when absent."""
    return paths.index(source) + 1 if source in paths else None


def keyword_hits(answer: str, keywords: list[str], question: str, is_quote: bool = False) -> list[bool]:
    """Which keywords the answer gives (none when it abstains; a cited quote never does)."""
    if declines(answer, is_quote):
        return [False] * len(keywords)
    return [match(answer, kw, question, quoted=is_quote).matched for kw in keywords]


@dataclass
class RetrievalSuite:
    answers: bool = True  # also answer end to end (slower)
    name: str = "retrieval"
    headline: str = "hit_at_3"
    ablate_metrics: tuple[str, ...] = ("hit_at_1", "mrr", "keyword_recall")
    no_effect: tuple[str, ...] = ()

    def attach(self, env: Any) -> None:
        return None

    def run_case(self, env: Any, case: RetrievalCase, toggles: dict[str, bool]) -> dict[str, Any]:
        ranked: list[str] = []
        if toggles.get("retrieve", True):
            ranked = distinct_paths(env.ctx.retriever.search(case["question"], k=RANK_K, rerank=toggles.get("rerank", True)))
        rank = rank_of(case["source"], ranked)
        record: dict[str, Any] = {
            "id": case["id"], "question": case["question"], "source": case["source"],
            "answer_keywords": case["answer_keywords"], "ranked": ranked[:5], "rank": rank,
        }
        if self.answers:
            record.update(ask(env, case["question"], toggles))
        return self.rescore(record)

    def rescore(self, record: dict[str, Any]) -> dict[str, Any]:
        """Keyword hits and verdict from the stored answer (also used by ``twin eval rescore``)."""
        record = dict(record)
        if self.answers:
            cited = quoted(record)
            hits = keyword_hits(record["answer"], record["answer_keywords"], record["question"], cited)
            record.update({
                "keyword_hits": hits, "keyword_recall": sum(hits) / len(hits),
                "source_in_context": record["source"] in distinct_paths(record["sources"]),
                "abstained": declines(record["answer"], cited),
            })
        rank = record["rank"]
        record["correct"] = bool(rank == 1 and (not self.answers or record["keyword_recall"] == 1.0))
        kw = f" kw={sum(record['keyword_hits'])}/{len(record['keyword_hits'])}" if self.answers else ""
        record["outcome"] = f"rank={rank or '-'}{kw}"
        return record

    def score(self, records: list[dict[str, Any]]) -> Scored:
        n = len(records)
        ranks = [r["rank"] for r in records]
        found = {
            "hit_at_1": metrics.rate(sum(1 for k in ranks if k == 1), n),
            "hit_at_3": metrics.rate(sum(1 for k in ranks if k is not None and k <= 3), n),
            "mrr": metrics.mean([1.0 / k if k else 0.0 for k in ranks]),
        }
        extras: dict[str, Any] = {"rank_k": RANK_K}
        if self.answers:
            found["keyword_recall"] = metrics.mean([r["keyword_recall"] for r in records])
            found["all_keywords_rate"] = metrics.rate(sum(1 for r in records if r["keyword_recall"] == 1.0), n)
            found["source_in_context"] = metrics.rate(sum(1 for r in records if r["source_in_context"]), n)
            found["abstain_rate"] = metrics.rate(sum(1 for r in records if r["abstained"]), n)
            found["latency"] = latency_of(records)
            extras.update({"routes": counts(records, "route"), "judge": counts(records, "judge")})
        return Scored(found, extras)
