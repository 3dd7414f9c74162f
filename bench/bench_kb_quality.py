"""Benchmark: retrieval quality, hit@1 / hit@3 of the note that answers each question.

Two question sets, each a JSONL of ``{"question", "path"}``:
- bench/data/kb_til_questions.jsonl: 30 hand-written questions about the til notes;
- bench/data/kb_sample_questions.jsonl: 23 questions about the sample notes (Noa), where
  several facts changed over time (Lisbon -> Rotterdam, Fernwood -> Tidewater, Pebble ->
  Cairn), which is what the recency rerank is for.
Methods: plain similarity, the recency rerank (default), and, as an experiment, dense +
BM25 fused by reciprocal rank (RRF). Misses at 1 are listed.

    .venv/bin/python bench/bench_kb_quality.py [--data ../shared/data/til] [--work /tmp/twin-bench-kb]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

from bench_kb_common import REPO, add_common_args, config_for, embeddings, ingested_home, machine_load, summary

DATA = Path(__file__).resolve().parent / "data"
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


def evaluate(label: str, retriever, items: list[dict]) -> None:
    hybrid = Hybrid(retriever)
    methods = {
        "plain similarity": lambda q: [s["path"] for s in retriever.search(q, k=3, rerank=False)],
        "recency rerank (default)": lambda q: [s["path"] for s in retriever.search(q, k=3, rerank=True)],
        "dense + BM25 (RRF)": lambda q: hybrid.paths_for(q),
    }
    print(f"\n== {label}: {len(items)} questions, {retriever.store.count()} chunks ==")
    print(f"{'method':26} {'hit@1':>7} {'hit@3':>7}   latency (query embedding included)")
    misses: dict[str, list[str]] = {}
    for name, method in methods.items():
        hit1 = hit3 = 0
        times = []
        for item in items:
            retriever._vectors.clear()
            start = time.perf_counter()
            paths = method(item["question"])
            times.append(time.perf_counter() - start)
            hit1 += bool(paths) and paths[0] == item["path"]
            hit3 += item["path"] in paths[:3]
            if not paths or paths[0] != item["path"]:
                misses.setdefault(name, []).append(f"{item['question']!r} -> {paths[:3]}")
        print(f"{name:26} {hit1:4}/{len(items)} {hit3:4}/{len(items)}   {summary(times)}")
    for name, lines in misses.items():
        print(f"  misses at 1, {name}:")
        for line in lines:
            print("    " + line)


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser)
    args = parser.parse_args()

    from kb.ingest import ingest
    from kb.retrieve import Retriever

    emb = embeddings()
    config, _ = ingested_home(args, emb)
    evaluate("til notes", Retriever(config, emb), load("kb_til_questions.jsonl"))
    sample = config_for(args.work / "home-sample")
    ingest(sample, REPO / "examples" / "notes", emb, progress=False)
    evaluate("sample notes (Noa)", Retriever(sample, emb), load("kb_sample_questions.jsonl"))
    print(machine_load())


if __name__ == "__main__":
    main()
