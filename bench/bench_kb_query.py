"""Benchmark: query latency at til size (~2,300 chunks) and at 10x (synthetic duplicates).

Per size prints p50/p95 of: the raw Chroma query (precomputed vector, k results), the
Retriever without the query embedding (Chroma query of fetch_k candidates with vectors +
recency rerank), the query embedding alone, and the Retriever end to end. The 10x index
is the til vectors copied ten times with small noise (renormalised), added directly to a
separate Chroma collection (built once, reused).

    .venv/bin/python bench/bench_kb_query.py [--repeat 3] [--data ...] [--work /tmp/twin-bench-kb]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from bench_kb_common import add_common_args, machine_load, config_for, embeddings, ingested_home, summary

QUESTIONS = Path(__file__).resolve().parent / "data" / "kb_til_questions.jsonl"
COPIES = 10


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def build_x10(source, config) -> None:
    """Fill ``config``'s store with COPIES noisy copies of every chunk in ``source``."""
    from kb.store import NoteStore

    target = NoteStore.from_config(config)
    got = source.collection.get(include=["embeddings", "documents", "metadatas"])
    if target.count() == COPIES * len(got["ids"]):
        return
    rng = np.random.default_rng(0)
    base = np.asarray(got["embeddings"], dtype=np.float32)
    for copy in range(COPIES):
        vectors = base + rng.normal(0, 0.01, base.shape).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        metas = [{**m, "path": f"copy{copy}/{m['path']}"} for m in got["metadatas"]]
        ids = [f"{cid}-{copy}" for cid in got["ids"]]
        target.upsert(ids, vectors.tolist(), got["documents"], metas)


def measure(label: str, config, emb, questions: list[str], repeat: int) -> None:
    from kb.retrieve import Retriever

    retriever = Retriever(config, emb)
    k = config.retrieval.k
    vectors = [emb.embed_query(q) for q in questions]
    raw, rerank, embed, full = [], [], [], []
    for _ in range(repeat):
        for question, vector in zip(questions, vectors):
            raw += timed(lambda: retriever.store.collection.query(
                query_embeddings=[vector], n_results=k, include=["documents", "metadatas", "distances"]), 1)
            rerank += timed(lambda: retriever.search_vector(vector), 1)
            embed += timed(lambda: emb.embed_query(question), 1)
            retriever._vectors.clear()
            full += timed(lambda: retriever.search(question), 1)
    print(f"\n== {label}: {retriever.store.count()} chunks, k={k}, fetch_k={config.retrieval.fetch_k} ==")
    print(f"raw Chroma query (k)          {summary(raw)}")
    print(f"Retriever, vector given       {summary(rerank)}   ratio to raw p50 {np.median(rerank) / np.median(raw):.2f}")
    print(f"query embedding alone         {summary(embed)}")
    print(f"Retriever.search end to end   {summary(full)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from kb.store import NoteStore

    emb = embeddings()
    config, _ = ingested_home(args, emb)
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines() if line.strip()]
    for question in questions[:5]:  # warm caches
        emb.embed_query(question)
    measure("til size", config, emb, questions, args.repeat)
    x10 = config_for(args.work / "home-x10")
    start = time.perf_counter()
    build_x10(NoteStore.from_config(config), x10)
    print(f"\n(10x collection ready in {time.perf_counter() - start:.1f} s)")
    measure("10x til size", x10, emb, questions, args.repeat)
    print(machine_load())


if __name__ == "__main__":
    main()
