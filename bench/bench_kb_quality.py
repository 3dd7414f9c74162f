"""Benchmark: retrieval quality on the til notes, 30 hand-written questions.

For each question (bench/data/kb_til_questions.jsonl: question + the note that answers
it) prints hit@1 and hit@3 of the right note for: plain similarity, the recency rerank
(the default), and, as an experiment, dense + BM25 fused by reciprocal rank (RRF).

    .venv/bin/python bench/bench_kb_quality.py [--data ../shared/data/til] [--work /tmp/twin-bench-kb]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

from bench_kb_common import add_common_args, embeddings, ingested_home, summary

QUESTIONS = Path(__file__).resolve().parent / "data" / "kb_til_questions.jsonl"
RRF_K = 60


def tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


class Hybrid:
    """Dense candidates + BM25 over every chunk, fused by reciprocal rank."""

    def __init__(self, retriever):
        from rank_bm25 import BM25Okapi

        got = retriever.store.collection.get(include=["documents", "metadatas"])
        self.paths = [m["path"] for m in got["metadatas"]]
        docs = [f"{m['title']} {m['heading']} {d}" for d, m in zip(got["documents"], got["metadatas"])]
        self.bm25 = BM25Okapi([tokens(d) for d in docs])
        self.retriever = retriever

    def paths_for(self, question: str, k: int = 3, fetch: int = 20) -> list[str]:
        dense = [s["path"] for s in self.retriever.search(question, k=fetch, rerank=False)]
        scores = self.bm25.get_scores(tokens(question))
        sparse = [self.paths[i] for i in scores.argsort()[::-1][:fetch]]
        fused: dict[str, float] = {}
        for ranking in (dense, sparse):
            for rank, path in enumerate(dict.fromkeys(ranking)):
                fused[path] = fused.get(path, 0.0) + 1.0 / (RRF_K + rank + 1)
        return sorted(fused, key=fused.get, reverse=True)[:k]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser)
    args = parser.parse_args()

    from kb.retrieve import Retriever

    emb = embeddings()
    config, _ = ingested_home(args, emb)
    retriever = Retriever(config, emb)
    items = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    hybrid = Hybrid(retriever)
    methods = {
        "plain similarity": lambda q: [s["path"] for s in retriever.search(q, k=3, rerank=False)],
        "recency rerank (default)": lambda q: [s["path"] for s in retriever.search(q, k=3, rerank=True)],
        "dense + BM25 (RRF)": lambda q: hybrid.paths_for(q),
    }
    print(f"\n== retrieval quality: {len(items)} questions, {retriever.store.count()} chunks ==")
    print(f"{'method':26} {'hit@1':>7} {'hit@3':>7}   latency")
    misses: dict[str, list[str]] = {}
    for name, method in methods.items():
        hit1 = hit3 = 0
        times = []
        for item in items:
            retriever._vectors.clear()  # time the query embedding too
            start = time.perf_counter()
            paths = method(item["question"])
            times.append(time.perf_counter() - start)
            hit1 += bool(paths) and paths[0] == item["path"]
            hit3 += item["path"] in paths[:3]
            if not paths or paths[0] != item["path"]:
                misses.setdefault(name, []).append(f"{item['question']!r} -> {paths[:3]}")
        print(f"{name:26} {hit1:4}/{len(items)} {hit3:4}/{len(items)}   {summary(times)}")
    for name, lines in misses.items():
        print(f"\nmisses at 1, {name}:")
        for line in lines:
            print("  " + line)


if __name__ == "__main__":
    main()
