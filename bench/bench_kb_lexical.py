"""Benchmark: which lexical index? SQLite FTS5 vs rank-bm25 vs bm25s, by measurement.

All three index exactly the same chunks (the til notes as Twin chunks them, read from the
FTS5 index that ingest built) with exactly the same tokens (FTS5's porter tokenizer,
read back through ``fts5vocab``), so the comparison is of the libraries, not of the
tokenizers. Prints, per library:
- quality on the til questions (bench/data/til_questions.jsonl, dev and held-out halves):
  lexical alone and fused with the vector list by reciprocal rank (hit@1 / hit@3);
- query latency (p50/p95 over all questions);
- cold start: what a fresh `twin ask` process pays before its first query;
- incremental update of 10 edited notes (delete + re-add their chunks) and the
  persistence it needs.

    .venv/bin/python bench/bench_kb_lexical.py [--data ../shared/data/til] [--work /tmp/twin-bench-kb]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import time
from pathlib import Path

import numpy as np
from bench_kb_common import add_common_args, embeddings, ingested_home, machine_load, summary

from twin.jsonl import read_jsonl

QUESTIONS = Path(__file__).resolve().parent / "data" / "til_questions.jsonl"


def stemmed_docs(db: sqlite3.Connection) -> tuple[list[str], list[str], list[list[str]]]:
    """``(ids, paths, tokens)`` of every chunk as FTS5 tokenized it (title + heading + body)."""
    rows = db.execute("select rowid, id, path from chunks order by rowid").fetchall()
    db.execute("create virtual table if not exists temp.vocab using fts5vocab(main, fts, instance)")
    tokens: dict[int, list[tuple[int, int, str]]] = {r[0]: [] for r in rows}
    for term, doc, col, offset in db.execute("select term, doc, col, offset from temp.vocab"):
        tokens[doc].append((["title", "heading", "body"].index(col), offset, term))
    return ([r[1] for r in rows], [r[2] for r in rows],
            [[t for _, _, t in sorted(tokens[r[0]])] for r in rows])


class QueryTokens:
    """The FTS5 porter tokens of a query (the same tokenizer as the index), stop words out."""

    def __init__(self) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.execute("create virtual table q using fts5(t, tokenize='porter unicode61 remove_diacritics 2')")
        self.db.execute("create virtual table qv using fts5vocab(q, instance)")

    def __call__(self, text: str) -> list[str]:
        from kb.lexical import terms

        with self.db:
            self.db.execute("delete from q")
            self.db.execute("insert into q values (?)", (" ".join(terms(text)),))
        return list(dict.fromkeys(t for (t,) in self.db.execute("select term from qv order by offset")))


def fts_ranker(index):
    return lambda q, n: [h.row.id for h in index.search(q, n)]


class RankBM25:
    name = "rank-bm25 (BM25Okapi)"

    def __init__(self, ids, docs, tokenize):
        from rank_bm25 import BM25Okapi

        self.ids, self.tokenize = ids, tokenize
        self.bm25 = BM25Okapi(docs)

    def __call__(self, query: str, n: int) -> list[str]:
        scores = self.bm25.get_scores(self.tokenize(query))
        top = np.argsort(-scores)[:n]
        return [self.ids[i] for i in top if scores[i] > 0]


class BM25S:
    name = "bm25s"

    def __init__(self, ids, docs, tokenize):
        import bm25s

        self.ids, self.tokenize = ids, tokenize
        vocab = {t: i for i, t in enumerate(sorted({t for d in docs for t in d}))}
        self.vocab = vocab
        self.model = bm25s.BM25()
        self.model.index(bm25s.tokenization.Tokenized(ids=[[vocab[t] for t in d] for d in docs], vocab=vocab),
                         show_progress=False)

    def __call__(self, query: str, n: int) -> list[str]:
        import bm25s

        toks = [[self.vocab[t] for t in self.tokenize(query) if t in self.vocab]]
        if not toks[0]:
            return []
        q = bm25s.tokenization.Tokenized(ids=toks, vocab=self.vocab)
        docs, scores = self.model.retrieve(q, k=min(n, len(self.ids)), show_progress=False, n_threads=1)
        return [self.ids[int(d)] for d, s in zip(docs[0], scores[0]) if s > 0]


def hits(rank_paths, items) -> tuple[int, int]:
    h1 = h3 = 0
    for item, paths in zip(items, rank_paths):
        h1 += bool(paths) and paths[0] == item["path"]
        h3 += item["path"] in paths[:3]
    return h1, h3


def distinct(ids, path_of) -> list[str]:
    return list(dict.fromkeys(path_of[i] for i in ids))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser)
    args = parser.parse_args()

    from kb.lexical import LexicalIndex
    from kb.retrieve import Retriever, rrf

    emb = embeddings()
    config, _ = ingested_home(args, emb)
    retriever = Retriever(config, emb)
    index = retriever.lexical
    items = read_jsonl(QUESTIONS)
    splits = {s: [i for i in items if i["split"] == s] for s in ("dev", "heldout")}

    start = time.perf_counter()
    ids, paths, docs = stemmed_docs(sqlite3.connect(str(index.path)))
    read_s = time.perf_counter() - start
    path_of = dict(zip(ids, paths))
    tokenize = QueryTokens()
    dense = {i["question"]: [c for c in retriever._dense(retriever.embed(i["question"]), 20).ids] for i in items}

    rankers = {"SQLite FTS5 (shipped)": fts_ranker(index)}
    cold = {"SQLite FTS5 (shipped)": None}
    for cls in (RankBM25, BM25S):
        start = time.perf_counter()
        rankers[cls.name] = cls(ids, docs, tokenize)
        cold[cls.name] = read_s + time.perf_counter() - start
    start = time.perf_counter()
    LexicalIndex(index.path).search("warm up", 1)
    cold["SQLite FTS5 (shipped)"] = time.perf_counter() - start

    print(f"\n== lexical indexes: {len(ids)} chunks, {len(items)} questions "
          f"(dev {len(splits['dev'])}, held-out {len(splits['heldout'])}) ==")
    print(f"{'library':24} {'split':8} {'lexical h@1':>11} {'h@3':>5} {'fused h@1':>10} {'h@3':>5}")
    for name, ranker in rankers.items():
        for split, qs in splits.items():
            lex = [ranker(q["question"], 20) for q in qs]
            fused = [list(rrf([dense[q["question"]], ids_], [1.0, 1.0], 60.0)) for q, ids_ in zip(qs, lex)]
            l1, l3 = hits([distinct(x, path_of) for x in lex], qs)
            f1, f3 = hits([distinct(x, path_of) for x in fused], qs)
            n = len(qs)
            print(f"{name:24} {split:8} {l1:5}/{n:<5} {l3:5} {f1:6}/{n:<3} {f3:5}")

    print("\nquery latency (20 results, all questions x 3):")
    for name, ranker in rankers.items():
        times = []
        for _ in range(3):
            for q in items:
                start = time.perf_counter()
                ranker(q["question"], 20)
                times.append(time.perf_counter() - start)
        print(f"  {name:24} {summary(times)}")

    print("\ncold start (a new process, before its first query):")
    for name, seconds in cold.items():
        how = "open the file" if "FTS5" in name else "read every chunk's tokens + build in memory"
        print(f"  {name:24} {seconds * 1000:8.1f} ms   ({how})")

    edited = sorted(set(paths))[::187][:10]
    rows = index.rows([i for i, p in zip(ids, paths) if p in edited])
    copy = args.work / "lexical-update.sqlite"
    shutil.copy(index.path, copy)
    scratch = LexicalIndex(copy)
    start = time.perf_counter()
    scratch.delete(list(rows))
    scratch.upsert(list(rows.values()))
    fts_update = time.perf_counter() - start
    scratch.close()
    copy.unlink()
    print(f"\nupdate after editing 10 notes ({len(rows)} chunks):")
    print(f"  {'SQLite FTS5 (shipped)':24} {fts_update * 1000:8.1f} ms   (delete + insert those rows, one transaction, on disk)")
    for cls in (RankBM25, BM25S):
        start = time.perf_counter()
        cls(ids, docs, tokenize)
        print(f"  {cls.name:24} {(time.perf_counter() - start) * 1000:8.1f} ms   "
              "(no incremental API: rebuild the whole index; persisting it is extra)")
    print(machine_load())


if __name__ == "__main__":
    main()
