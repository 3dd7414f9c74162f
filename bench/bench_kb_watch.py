"""Benchmark: watch mode, edit-to-searchable latency over 20 edits of til notes.

The watcher runs in a background thread (as in the TUI). Each edit appends a new section
with a distinct made-up fact to a different note; latency = from the write returning to
a semantic search for "<note title>: <fact>" (the Retriever, top 5, polled every 5 ms;
the query vector is computed once before the write) returning the new text. The
edits are undone at the end (content and mtime).

    .venv/bin/python bench/bench_kb_watch.py [--edits 20] [--data ...] [--work /tmp/twin-bench-kb]
"""

from __future__ import annotations

import argparse
import os
import queue
import time

from bench_kb_common import add_common_args, embeddings, ingested_home, machine_load, summary

TIMEOUT_S = 30.0
FACTS = [
    "The lighthouse keeper on Texel repaints the spiral stairs blue every April.",
    "Our office parrot only whistles the Tetris theme on rainy Tuesdays.",
    "The night bus to Utrecht leaves platform seven at 02:17 sharp.",
    "Grandma's plum dumplings need exactly forty minutes of steaming.",
    "The chess club moved its blitz tournament to the old bakery cellar.",
    "A heron has been fishing in the canal behind the library since March.",
    "The ferry to Vlieland refuses bicycles with trailers in July.",
    "Our allotment's pumpkins reached ninety kilos before the harvest fair.",
    "The violin teacher insists on tuning with a brass fork from 1931.",
    "Frost cracked the marble birdbath in the botanical garden last winter.",
    "The bookshop cat sleeps on the poetry shelf every afternoon.",
    "Our rowing crew trains at dawn on the frozen lake when ice allows.",
    "The tram conductor hands out peppermints to every child on line four.",
    "The observatory opens its telescope to the public on moonless Fridays.",
    "A beekeeper on the roof sells linden honey at the Saturday market.",
    "The glassblower fires the furnace at five to make blue wine goblets.",
    "Our choir sang sea shanties in the lighthouse for the solstice.",
    "The cheese cellar in Gouda keeps its wheels at twelve degrees.",
    "The kite festival on the dunes was cancelled due to sandstorms.",
    "The windmill miller grinds spelt flour only when the wind is westerly.",
]


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
    thread, stop = start_background(
        config, notes, emb, on_change=reports.put, on_error=lambda exc: print(f"watcher error: {exc!r}"),
    )
    first = reports.get(timeout=600)
    print(f"watcher ready (initial sync {first.seconds:.2f} s)")
    retriever = Retriever(config, emb)
    files = sorted(notes.rglob("*.md"))[:: max(1, 1871 // args.edits)][: args.edits]
    originals = {p: (p.read_text(encoding="utf-8"), p.stat()) for p in files}
    latencies: list[float] = []
    try:
        for fact, path in zip(FACTS, files):
            rel = path.relative_to(notes).as_posix()
            title = originals[path][0].lstrip("# ").split("\n", 1)[0]
            vector = retriever.embed(f"{title}: {fact}")
            path.write_text(originals[path][0] + f"\n\n## Field note\n\n{fact}\n", encoding="utf-8")
            written = time.perf_counter()
            while time.perf_counter() - written < TIMEOUT_S:
                hits = retriever.search_vector(vector, k=5, rerank=False)
                if any(h["path"] == rel and fact in h["text"] for h in hits):
                    latencies.append(time.perf_counter() - written)
                    break
                time.sleep(0.005)
            else:
                stored = retriever.store.collection.get(where={"path": rel}, include=["documents"])["documents"]
                raise TimeoutError(f"{rel} not searchable within {TIMEOUT_S} s; top hits "
                                   f"{[h['path'] for h in hits]}; stored for it: {stored}")
            time.sleep(0.3)  # a pause between saves, as when a person edits
    finally:
        for path, (text, stat) in originals.items():
            path.write_text(text, encoding="utf-8")
            os.utime(path, (stat.st_atime, stat.st_mtime))
        time.sleep(2.0)
        stop.set()
        thread.join(timeout=120)
    print(f"\n== watch mode: {len(latencies)} edits on {retriever.store.count()} chunks ==")
    print(f"edit -> searchable   {summary(latencies)}   (target p50 <= 1000 ms)")
    print(machine_load())


if __name__ == "__main__":
    main()
