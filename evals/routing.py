"""Routing: does the analyzer send the right messages to retrieval?

Every strategy in ``nodes/routing.py`` is scored directly on the same messages (a
follow-up's ``history`` is folded in with the analyzer's heuristic rewrite first, as the
analyze node does), and the configured strategy is scored once more through the real
graph (analyze node, input screening and rewrite included; the graph is stopped after
analyze, so no answer is generated).
"""

from __future__ import annotations

import time
from typing import Any

from evals import metrics
from evals.datasets import ROUTING_LABELS, RoutingCase
from evals.graph_cases import route_only
from evals.suite import Scored
from nodes.rewrite import heuristic_rewrite
from nodes.routing import build_router
from twin.config import ANALYZER_STRATEGIES

GRAPH = "graph"
_GRAPH_ROUTE = {"retrieve": "retrieve", "forced": "retrieve", "no_retrieve": "no_retrieve", "off": "no_retrieve"}


def parse_strategies(text: str | None) -> list[str]:
    names = [s.strip() for s in (text or ",".join(ANALYZER_STRATEGIES)).split(",") if s.strip()]
    unknown = [s for s in names if s not in ANALYZER_STRATEGIES]
    if unknown:
        raise ValueError(f"unknown strategy {unknown[0]!r}; choose from: {', '.join(ANALYZER_STRATEGIES)}")
    return names


def routed_text(case: RoutingCase) -> str:
    return heuristic_rewrite(case["text"], case["history"])


def run_routing(env: Any, cases: list[RoutingCase], strategies: list[str], graph: bool,
                toggles: dict[str, bool], on_record: Any, progress: Any = None) -> list[dict[str, Any]]:
    routers = {name: build_router(name, env.ctx) for name in strategies}
    records = []
    for case in cases:
        query = routed_text(case)
        preds: dict[str, str] = {}
        scores: dict[str, float] = {}
        latency: dict[str, float] = {}
        for name, router in routers.items():
            start = time.perf_counter()
            decision = router.route(query)
            latency[name] = round((time.perf_counter() - start) * 1000, 2)
            preds[name], scores[name] = decision.route, round(float(decision.score), 4)
        if graph:
            found = route_only(env, case["text"], toggles, case["history"])
            preds[GRAPH] = _GRAPH_ROUTE.get(found["route"], "no_retrieve")
            scores[GRAPH], latency[GRAPH] = found["score"], found["latency_ms"]
        record = {
            "id": case["id"], "text": case["text"], "history": case["history"], "label": case["label"],
            "query": query, "pred": preds, "scores": scores, "latency_ms": latency,
        }
        headline = GRAPH if graph else env.config.analyzer.strategy
        record["correct"] = preds.get(headline, preds[next(iter(preds))]) == case["label"]
        record["outcome"] = preds.get(headline, "")
        on_record(record)
        records.append(record)
        if progress is not None:
            progress()
    return records


def score_routing(records: list[dict[str, Any]]) -> Scored:
    found: dict[str, dict[str, Any]] = {}
    extras: dict[str, Any] = {"confusion": {}, "p50_ms": {}, "labels": list(ROUTING_LABELS)}
    names = list(records[0]["pred"]) if records else []
    gold = [r["label"] for r in records]
    for name in names:
        result = metrics.classification(gold, [r["pred"][name] for r in records], ROUTING_LABELS)
        for key, value in result["metrics"].items():
            found[f"{name}.{key}"] = value
        extras["confusion"][name] = result["confusion"]
        extras["p50_ms"][name] = metrics.percentile([r["latency_ms"][name] for r in records], 50)
    extras["auc"] = {n: auc(records, n) for n in names if n not in ("always", GRAPH)}
    direct = [n for n in names if n != GRAPH]
    if direct:
        ranked = sorted(direct, key=lambda n: -(found[f"{n}.accuracy"]["value"] or 0.0))
        extras["best_strategy"] = ranked[0]
        if len(ranked) > 1:
            extras["vs_runner_up"] = paired_test(records, ranked[0], ranked[1])
    return Scored(found, extras)


def paired_test(records: list[dict[str, Any]], a: str, b: str) -> dict[str, Any]:
    """Exact McNemar test of strategy ``a`` against ``b`` on the same messages."""
    only_a = sum(1 for r in records if r["pred"][a] == r["label"] and r["pred"][b] != r["label"])
    only_b = sum(1 for r in records if r["pred"][b] == r["label"] and r["pred"][a] != r["label"])
    return {"a": a, "b": b, "only_a_right": only_a, "only_b_right": only_b,
            "p_value": round(metrics.mcnemar_exact(only_a, only_b), 4)}


def auc(records: list[dict[str, Any]], name: str) -> float | None:
    """Threshold-free ranking quality of a strategy's scores (ROC AUC; ties count half)."""
    pos = [r["scores"][name] for r in records if r["label"] == "retrieve"]
    neg = [r["scores"][name] for r in records if r["label"] != "retrieve"]
    if not pos or not neg:
        return None
    wins = sum((p > q) + 0.5 * (p == q) for p in pos for q in neg)
    return round(wins / (len(pos) * len(neg)), 4)
