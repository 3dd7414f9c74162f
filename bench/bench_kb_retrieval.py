"""Benchmark: retrieval quality on the real til notes, every method in one run, with intervals.

Questions: bench/data/til_questions.jsonl (118 written for this benchmark by reading the
notes, asked the way a person asks, each with the one note that answers it), split by a
hash of the note path into a **dev** half (used to tune) and a **held-out** half (never
tuned on; the reported figures). Methods, all over the same 1,871 notes and the same
embedding model (all-MiniLM-L6-v2):

- plain: 1000-character chunks of each file's raw text, embedded as they are, top chunks
  from Chroma (the baseline a first RAG tutorial builds);
- heading-aware: Twin's chunks (split by headings, 1200 characters) embedded with the
  note title and heading path prepended, vector search alone (``mode = "vector"``);
- hybrid: the same chunks, vectors + BM25 (SQLite FTS5), their scores fused (convex:
  0.85 x the cosine + 0.15 x BM25, each scaled to its list's best; the default since the
  thirty-fourth session);
- hybrid + rerank: hybrid with the rerank (Twin's default): a newer note goes first only
  when it conflicts with or supersedes an older one on the same subject;
- the same two fused by reciprocal rank (``retrieval.fuse = "chunks"``, the default before);
- for the recency question, the old global age decay on top of each (``recency_weight``
  0.1, half-life 730 days), and BM25 alone for reference.

Each figure: hit@1 and hit@3 (share of questions whose note is first / in the first three
distinct notes, Wilson 95% interval) and MRR@10 (bootstrap 95% interval); the hybrid vs
plain and vs heading-aware hit@1 differences get a paired bootstrap interval and an exact
McNemar p. ``--e2e`` also asks every held-out question through the real graph (analyzer
on, as `twin ask` runs; retrieval.k = 3) and compares its hit@3 with the retriever's.

    .venv/bin/python bench/bench_kb_retrieval.py [--split heldout|dev|all] [--e2e] [--misses] [--dump ranks.json]
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import time
from datetime import date, datetime
from pathlib import Path

import numpy as np
from bench_kb_common import (
    CachedEmbeddings,
    add_common_args,
    config_for,
    embeddings,
    ingested_home,
    machine_load,
    plain_chunks,
)

QUESTIONS = Path(__file__).resolve().parent / "data" / "til_questions.jsonl"
RANK_K = 10  # notes per query (as `twin eval retrieval`)
BOOT = 5000


def load_questions(split: str) -> list[dict]:
    items = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    return items if split == "all" else [i for i in items if i["split"] == split]


def newest_date(data: Path) -> date:
    with open(data / "dates.tsv", encoding="utf-8") as handle:
        return max(datetime.fromisoformat(r["updated"] or r["created"]).date()
                   for r in csv.DictReader(handle, delimiter="\t"))


# -- the plain baseline ------------------------------------------------------------
def plain_store(args, emb):
    """A Chroma collection of plain 1000-character chunks (built once, reused)."""
    from kb.store import NoteStore

    config = config_for(args.work / "home-plain")
    store = NoteStore.from_config(config)
    chunks = plain_chunks(args.work / "notes")
    if store.count() != len(chunks):
        store.delete(store.collection.get()["ids"])
        vectors = CachedEmbeddings(emb, args.work / "vectors.sqlite").embed_documents([t for _, t in chunks])
        ids = [f"{i:06d}" for i in range(len(chunks))]
        store.upsert(ids, vectors, [t for _, t in chunks], [{"path": p} for p, _ in chunks])
    return store


def plain_ranker(store, emb):
    def rank(question: str) -> list[str]:
        found = store.collection.query(query_embeddings=[emb.embed_query(question)], n_results=RANK_K,
                                       include=["metadatas"])
        return list(dict.fromkeys(m["path"] for m in found["metadatas"][0]))
    return rank


def twin_ranker(config, emb, today, rerank: bool, **retrieval):
    from kb.retrieve import Retriever

    cfg = dataclasses.replace(config, retrieval=dataclasses.replace(config.retrieval, **retrieval))
    retriever = Retriever(cfg, emb, today=today)
    return lambda q: list(dict.fromkeys(s["path"] for s in retriever.search(q, k=RANK_K, rerank=rerank)))


def lexical_ranker(config):
    from kb.lexical import LexicalIndex

    index = LexicalIndex.from_config(config)
    return lambda q: list(dict.fromkeys(h.row.path for h in index.search(q, RANK_K)))


# -- metrics ------------------------------------------------------------------------
def ranks_of(ranker, items) -> tuple[list[int | None], list[float]]:
    ranks, times = [], []
    for item in items:
        start = time.perf_counter()
        paths = ranker(item["question"])
        times.append(time.perf_counter() - start)
        ranks.append(paths.index(item["path"]) + 1 if item["path"] in paths else None)
    return ranks, times


def figures(ranks: list[int | None]) -> dict:
    from evals import metrics

    n = len(ranks)
    return {
        "hit_at_1": metrics.rate(sum(1 for r in ranks if r == 1), n),
        "hit_at_3": metrics.rate(sum(1 for r in ranks if r is not None and r <= 3), n),
        "mrr": metrics.mean([1.0 / r if r else 0.0 for r in ranks], samples=BOOT),
    }


def paired(a: list[int | None], b: list[int | None]) -> str:
    """hit@1 of a minus b: difference, paired bootstrap 95% interval, exact McNemar p."""
    from evals.metrics import mcnemar_exact

    x = np.array([r == 1 for r in a], dtype=float) - np.array([r == 1 for r in b], dtype=float)
    rng = np.random.default_rng(0)
    boots = x[rng.integers(0, len(x), size=(BOOT, len(x)))].mean(axis=1)
    lo, hi = np.percentile(boots, [2.5, 97.5])
    only_a, only_b = int((x > 0).sum()), int((x < 0).sum())
    return (f"{x.mean():+.3f} [{lo:+.3f}, {hi:+.3f}]  ({only_a} only here, {only_b} only there; "
            f"McNemar p = {mcnemar_exact(only_a, only_b):.4f})")


def fmt(metric: dict) -> str:
    from evals.metrics import fmt as base

    return base(metric, 3)


# -- end to end ----------------------------------------------------------------------
def end_to_end(config, items, today: date) -> list[int | None]:
    """Each question through the real graph (analyzer on), as `twin ask` runs it, with the
    recency rules on the same pinned date as the retriever-only rows (the real date moves the
    present-state decay, so the two would not be the same retriever)."""
    from graph.runner import TwinRunner

    cfg = dataclasses.replace(config, retrieval=dataclasses.replace(config.retrieval, k=3),
                              persona=dataclasses.replace(config.persona, max_new_tokens=24))
    runner = TwinRunner(cfg, persist=False)
    runner.ctx.retriever.today = today
    ranks, routes = [], {}
    try:
        for item in items:
            result = runner.ask(item["question"])
            routes[result["route"]] = routes.get(result["route"], 0) + 1
            paths = list(dict.fromkeys(s["path"] for s in result["sources"]))
            ranks.append(paths.index(item["path"]) + 1 if item["path"] in paths else None)
    finally:
        runner.close()
    print(f"  routes: {routes}")
    return ranks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser)
    parser.add_argument("--split", choices=("heldout", "dev", "all"), default="heldout")
    parser.add_argument("--e2e", action="store_true", help="also ask the questions through the graph")
    parser.add_argument("--misses", action="store_true", help="list the questions each method misses at 1")
    parser.add_argument("--dump", type=Path, help="write every method's rank of every question here (JSON), "
                        "to compare two versions case by case")
    args = parser.parse_args()

    emb = embeddings()
    config, _ = ingested_home(args, emb)
    today = newest_date(args.data)
    items = load_questions(args.split)
    store = plain_store(args, emb)
    decay = {"recency_weight": 0.1, "half_life_days": 730.0, "state_recency_weight": 0.0, "state_conflict_similarity": 1.0}
    methods = {
        "plain (1000-char chunks)": plain_ranker(store, emb),
        "heading-aware (vector)": twin_ranker(config, emb, today, False, mode="vector"),
        "hybrid": twin_ranker(config, emb, today, False, mode="hybrid"),
        "hybrid + rerank (default)": twin_ranker(config, emb, today, True, mode="hybrid"),
        "hybrid, reciprocal rank": twin_ranker(config, emb, today, False, mode="hybrid", fuse="chunks"),
        "hybrid, reciprocal rank + rerank": twin_ranker(config, emb, today, True, mode="hybrid", fuse="chunks"),
        "BM25 alone (FTS5)": lexical_ranker(config),
        "heading-aware + global decay": twin_ranker(config, emb, today, True, mode="vector", **decay),
        "hybrid + rerank + global decay": twin_ranker(config, emb, today, True, mode="hybrid", **decay),
    }
    for item in items[:3]:  # warm the query path
        for method in methods.values():
            method(item["question"])

    print(f"\n== til retrieval: {len(items)} {args.split} questions, {store.count()} plain chunks, "
          f"Twin index {config.retrieval.collection!r}; ranks over {RANK_K} notes (plain, BM25 alone: chunks) ==")
    print(f"{'method':32} {'hit@1':28} {'hit@3':28} {'MRR@10':24} p50 ms")
    ranks: dict[str, list[int | None]] = {}
    for name, method in methods.items():
        ranks[name], times = ranks_of(method, items)
        f = figures(ranks[name])
        print(f"{name:32} {fmt(f['hit_at_1']):28} {fmt(f['hit_at_3']):28} {fmt(f['mrr']):24} "
              f"{np.median(times) * 1000:.1f}")
    print("\nhit@1 differences (paired over the same questions):")
    for a, b in (("hybrid", "plain (1000-char chunks)"), ("hybrid", "heading-aware (vector)"),
                 ("hybrid + rerank (default)", "plain (1000-char chunks)"),
                 ("hybrid + rerank (default)", "heading-aware (vector)"),
                 ("hybrid + rerank (default)", "hybrid"),
                 ("hybrid + rerank (default)", "hybrid, reciprocal rank + rerank"),
                 ("hybrid + rerank + global decay", "hybrid + rerank (default)")):
        print(f"  {a} - {b}: {paired(ranks[a], ranks[b])}")
    if args.misses:
        for name, rs in ranks.items():
            missed = [f"{i['question']!r} ({i['path']}, rank {r})" for i, r in zip(items, rs) if r != 1]
            print(f"\nmisses at 1, {name} ({len(missed)}):")
            for line in missed:
                print("  " + line)
    if args.e2e:
        print("\nend to end through the graph (analyzer on, retrieval.k = 3, as `twin ask`):")
        e2e = end_to_end(config, items, today)
        f, base = figures(e2e), figures(ranks["hybrid + rerank (default)"])
        print(f"  graph hit@3      {fmt(f['hit_at_3'])}")
        print(f"  retriever hit@3  {fmt(base['hit_at_3'])}   (hybrid + rerank, same questions)")
        print(f"  graph hit@1      {fmt(f['hit_at_1'])}")
        lost = [i["question"] for i, r, b in zip(items, e2e, ranks["hybrid + rerank (default)"])
                if (b is not None and b <= 3) and not (r is not None and r <= 3)]
        print(f"  lost by the graph: {lost}")
        ranks["end to end (graph)"] = e2e
    if args.dump:
        per_case = {name: {i["question"]: r for i, r in zip(items, rs)} for name, rs in ranks.items()}
        args.dump.write_text(json.dumps(per_case, indent=1, sort_keys=True))
    print(f"(recency pinned to {today}, the newest note's date) {machine_load()}")


if __name__ == "__main__":
    main()
