"""Benchmark: watch mode, edit-to-searchable latency over 20 edits of til notes.

The watcher runs in a background thread (as in the TUI). Each edit appends a sentence
with a unique marker to a different note; latency = from the write returning to the
marker being in the index (polled every 5 ms with Chroma's document search, the same
upsert that makes the vector queryable). Afterwards every edited note is checked to be
the top hit of a semantic search for its new sentence + title, and the edits are undone.

    .venv/bin/python bench/bench_kb_watch.py [--edits 20] [--data ...] [--work /tmp/twin-bench-kb]
"""

from __future__ import annotations

import argparse
import queue
import time

from bench_kb_common import add_common_args, embeddings, ingested_home, summary

TIMEOUT_S = 30.0


def wait_for(collection, marker: str) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < TIMEOUT_S:
        if collection.get(where_document={"$contains": marker}, include=[])["ids"]:
            return time.perf_counter()
        time.sleep(0.005)
    raise TimeoutError(f"marker {marker} not indexed within {TIMEOUT_S} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser)
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()

    from kb.retrieve import Retriever
    from kb.watch import start_background

    emb = embeddings()
    config, notes = ingested_home(args, emb)
    reports: queue.Queue = queue.Queue()
    thread, stop = start_background(config, notes, emb, on_change=reports.put)
    first = reports.get(timeout=600)
    print(f"watcher ready (initial sync {first.seconds:.2f} s)")
    retriever = Retriever(config, emb)
    collection = retriever.store.collection
    files = sorted(notes.rglob("*.md"))[:: max(1, 1871 // args.edits)][: args.edits]
    originals = {p: p.read_text(encoding="utf-8") for p in files}
    latencies, found = [], 0
    try:
        for i, path in enumerate(files):
            marker = f"qzmark{i:02d}x{int(time.time()) % 100000}"
            sentence = f"Benchmark note {marker}: remember to water the office ferns on Fridays."
            path.write_text(originals[path] + f"\n\n{sentence}\n", encoding="utf-8")
            written = time.perf_counter()
            latencies.append(wait_for(collection, marker) - written)
            rel = path.relative_to(notes).as_posix()
            hits = retriever.search(f"{sentence}", k=5, rerank=False)
            found += any(h["path"] == rel for h in hits)
            time.sleep(0.2)  # let the watcher go idle, as between real saves
    finally:
        for path, text in originals.items():
            path.write_text(text, encoding="utf-8")
        time.sleep(2.0)
        stop.set()
        thread.join(timeout=30)
    print(f"\n== watch mode: {len(latencies)} edits on {collection.count()} chunks ==")
    print(f"edit -> searchable   {summary(latencies)}   (target p50 <= 1000 ms)")
    print(f"edited note in the top 5 of a search for its new sentence: {found}/{len(latencies)}")


if __name__ == "__main__":
    main()
