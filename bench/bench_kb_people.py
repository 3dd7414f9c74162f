"""Benchmark: an invented person's notes, where facts change over time (evals/data/people).

For one person folder (``notes/`` + ``questions.jsonl``), all on the real retriever:
- **newer note first**: for each ``update`` question, is the note that holds the current
  fact (``note``, dated after the stale one) the first source? Default (hybrid + the
  rerank), without the rerank, with the old global age decay, and in vector mode, so
  recency is measured both ways;
- **retrieval**: hit@1 / hit@3 of ``note`` over every question that names one;
- routing of this person's questions is in bench/bench_kb_routing.py (``--people``).

Tune on ``dev``; run ``heldout`` once, for the report.

    .venv/bin/python bench/bench_kb_people.py dev [--misses]
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib

from bench_kb_common import REPO, CachedEmbeddings, add_common_args, config_for, embeddings, machine_load

from twin.jsonl import read_jsonl

PEOPLE = REPO / "evals" / "data" / "people"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser)
    parser.add_argument("person", help="folder name under evals/data/people (dev, heldout)")
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args()

    from evals import metrics
    from kb.ingest import ingest
    from kb.retrieve import Retriever

    folder = PEOPLE / args.person
    questions = read_jsonl(folder / "questions.jsonl")
    emb = embeddings()
    # one home per notes folder: the same person run from another checkout is another source,
    # whose notes would sit beside the first copy's in a home keyed by the name alone
    where = hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:10]
    config = config_for(args.work / f"home-person-{args.person}-{where}")
    report = ingest(config, folder / "notes", CachedEmbeddings(emb, args.work / "vectors.sqlite"), progress=False)
    variants = {
        "hybrid + rerank (default)": ({}, True),
        "hybrid, no rerank": ({}, False),
        "hybrid + rerank + global decay": ({"recency_weight": 0.1, "half_life_days": 730.0, "state_recency_weight": 0.0,
                                            "state_conflict_similarity": 1.0}, True),
        "hybrid + rerank, no state decay": ({"state_recency_weight": 0.0}, True),
        "hybrid + rerank, no state conflict": ({"state_conflict_similarity": 1.0}, True),
        "hybrid + rerank, no first rule": ({"first_margin": -1.0}, True),
        "hybrid + rerank, no year rule": ({"year_margin": -1.0}, True),
        "vector + rerank": ({"mode": "vector"}, True),
        "vector, no rerank": ({"mode": "vector"}, False),
    }
    updates = [q for q in questions if q["kind"] == "update"]
    named = [q for q in questions if q.get("note")]
    print(f"\n== person {args.person!r}: {report.chunks_total} chunks, {len(updates)} update questions, "
          f"{len(named)} questions with a note ==")
    print(f"{'method':36} {'newer note first':28} {'hit@1 (all with a note)':28} hit@3")
    for name, (overrides, rerank) in variants.items():
        cfg = dataclasses.replace(config, retrieval=dataclasses.replace(config.retrieval, **overrides))
        retriever = Retriever(cfg, emb)

        def paths(q):
            return list(dict.fromkeys(s["path"] for s in retriever.search(q["text"], k=10, rerank=rerank)))

        firsts = [q for q in updates if (paths(q) or [""])[0] == q["note"]]
        ranked = [paths(q) for q in named]
        h1 = sum(1 for q, p in zip(named, ranked) if p and p[0] == q["note"])
        h3 = sum(1 for q, p in zip(named, ranked) if q["note"] in p[:3])
        print(f"{name:36} {metrics.fmt(metrics.rate(len(firsts), len(updates))):28} "
              f"{metrics.fmt(metrics.rate(h1, len(named))):28} {metrics.fmt(metrics.rate(h3, len(named)))}")
        if args.misses and rerank and not overrides:
            for q in updates:
                if q not in firsts:
                    print(f"    not first: {q['text']!r} -> {paths(q)[:3]} (want {q['note']})")
    print(machine_load())


if __name__ == "__main__":
    main()
