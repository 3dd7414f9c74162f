"""Benchmark: query latency at til size (~2,300 chunks) and at 10x (synthetic duplicates).

Per size prints p50/p95 of, all in the same run: the raw Chroma query (precomputed vector,
k results: the baseline), the Retriever without the query embedding in hybrid mode (Chroma
query of fetch_k candidates with their vectors + BM25 on SQLite FTS5 + fusion + rerank,
the default) and in vector mode, the query embedding alone, and end to end (embedding
included) the raw Chroma query vs Retriever.search, with the p50 ratios to the baseline.
The 10x index is the til vectors copied ten times with small noise (renormalised), added
directly to a separate Chroma collection (built once, reused), with its lexical index
built from the same rows (copied ten times).

    .venv/bin/python bench/bench_kb_query.py [--repeat 3] [--data ...] [--work /tmp/twin-bench-kb]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from bench_kb_common import add_common_args, config_for, embeddings, ingested_home, machine_load, summary

QUESTIONS = Path(__file__).resolve().parent / "data" / "til_questions.jsonl"
COPIES = 10


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def build_x10(source, config) -> None:
    """Fill ``config``'s store and lexical index with COPIES noisy copies of every chunk in ``source``."""
    import dataclasses as dc

    from kb.lexical import LexicalIndex, vector_bytes
    from kb.store import NoteStore

    target = NoteStore.from_config(config)
    got = source.collection.get(include=["embeddings", "documents", "metadatas"])
    lexical = LexicalIndex.from_config(config)
    rows = LexicalIndex(source.lexical_path).rows(got["ids"])
    rng = np.random.default_rng(0)
    base = np.asarray(got["embeddings"], dtype=np.float32)
    copies = []
    for _ in range(COPIES):  # the same noise every run (seeded): rows and vectors agree
        vectors = base + rng.normal(0, 0.01, base.shape).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        copies.append(vectors)
    stale = [m for m in lexical.manifest().values() if not m]  # rows from before they held vectors
    if lexical.count() != COPIES * len(got["ids"]) or stale:
        for copy, vectors in enumerate(copies):
            lexical.upsert([dc.replace(rows[cid], id=f"{cid}-{copy}", path=f"copy{copy}/{rows[cid].path}",
                                       vector=vector_bytes(v)) for cid, v in zip(got["ids"], vectors)])
        lexical.optimize()  # as an ingest leaves it
    if target.count() == COPIES * len(got["ids"]):
        return
    for copy, vectors in enumerate(copies):
        metas = [{**m, "path": f"copy{copy}/{m['path']}"} for m in got["metadatas"]]
        ids = [f"{cid}-{copy}" for cid in got["ids"]]
        target.upsert(ids, vectors.tolist(), got["documents"], metas)


def measure(label: str, config, emb, questions: list[str], repeat: int) -> None:
    import dataclasses as dc

    from backends.embeddings import TEXT_VECTORS
    from kb.retrieve import Retriever

    def embed_fresh(question: str) -> list[float]:  # the model, not the process-wide query cache
        TEXT_VECTORS.clear()
        return emb.embed_query(question)

    retriever = Retriever(config, emb)
    vector_mode = Retriever(dc.replace(config, retrieval=dc.replace(config.retrieval, mode="vector")), emb)
    k = config.retrieval.k
    vectors = [emb.embed_query(q) for q in questions]
    raw, hybrid, vector_only, embed, raw_full, full = [], [], [], [], [], []
    for _ in range(repeat):
        for question, vector in zip(questions, vectors):
            def raw_query(v=vector):
                return retriever.store.collection.query(
                    query_embeddings=[v], n_results=k, include=["documents", "metadatas", "distances"])
            raw += timed(raw_query, 1)
            hybrid += timed(lambda: retriever.search_hybrid(question, vector), 1)
            vector_only += timed(lambda: vector_mode.search_vector(vector, query=question), 1)
            embed += timed(lambda: embed_fresh(question), 1)
            raw_full += timed(lambda: raw_query(embed_fresh(question)), 1)
            TEXT_VECTORS.clear()
            full += timed(lambda: retriever.search(question), 1)
    ratio = np.median(hybrid) / np.median(raw)
    print(f"\n== {label}: {retriever.store.count()} chunks, {retriever.lexical.count()} lexical rows, k={k}, "
          f"fetch_k={config.retrieval.fetch_k} ==")
    print(f"raw Chroma query (k), vector given   {summary(raw)}")
    print(f"Retriever hybrid, vector given       {summary(hybrid)}   p50 ratio to raw {ratio:.2f}")
    print(f"Retriever vector mode, vector given  {summary(vector_only)}   p50 ratio to raw "
          f"{np.median(vector_only) / np.median(raw):.2f}")
    print(f"query embedding alone                {summary(embed)}")
    print(f"raw Chroma end to end (embed+query)  {summary(raw_full)}")
    print(f"Retriever.search end to end          {summary(full)}   p50 ratio to raw end to end "
          f"{np.median(full) / np.median(raw_full):.2f}")


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
    source = NoteStore.from_config(config)
    from kb.lexical import index_path

    source.lexical_path = index_path(config.home_path, config.retrieval.collection)
    build_x10(source, x10)
    print(f"\n(10x collection ready in {time.perf_counter() - start:.1f} s)")
    measure("10x til size", x10, emb, questions, args.repeat)
    print(machine_load())


if __name__ == "__main__":
    main()
