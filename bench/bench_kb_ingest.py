"""Benchmark: ingest of the til notes (1,871 real notes), full and incremental.

Prints, all measured in the same run with the same model:
- full ingest wall time and chunks/s, beside the raw embedding throughput of exactly the
  same chunk texts (one ``embed_documents`` call, timed once before and once after the
  ingest: the mean cancels load that drifts during the run); ratio = ingest / raw
  throughput, i.e. what everything besides embedding costs (target >= 0.9);
- re-ingest with nothing changed (target: seconds, zero embedding calls);
- re-ingest after editing 10 notes (embedding calls and chunks embedded);
- the share of the full ingest's wall time spent inside the model (drift-free overhead).

    .venv/bin/python bench/bench_kb_ingest.py [--data ../shared/data/til] [--work /tmp/twin-bench-kb] [--limit N]

``--limit N`` ingests only the first N notes (sorted by path) of a private copy under
``<work>/notes-N``: the same ratio in a fraction of the time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time

from bench_kb_common import add_common_args, config_for, copy_notes, embeddings, machine_load
from langchain_core.embeddings import Embeddings


class Counting(Embeddings):
    """Counts calls and texts, and the time spent inside the model."""

    def __init__(self, inner: Embeddings):
        self.inner, self.calls, self.texts, self.seconds = inner, 0, 0, 0.0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        self.texts += len(texts)
        start = time.perf_counter()
        try:
            return self.inner.embed_documents(texts)
        finally:
            self.seconds += time.perf_counter() - start

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser)
    parser.add_argument("--limit", type=int, default=0, help="only the first N notes (0 = all)")
    args = parser.parse_args()

    from kb.chunking import chunk_note
    from kb.ingest import ingest
    from kb.notes import read_notes

    model = embeddings()
    emb = Counting(model)
    if args.limit:  # a private subset, so the shared copy and index stay whole
        notes = copy_notes(args.data, args.work / f"notes-{args.limit}")
        for path in sorted(notes.rglob("*.md"))[args.limit:]:
            path.unlink()
        home = args.work / f"home-{args.limit}"
    else:
        notes = copy_notes(args.data, args.work / "notes")  # fresh copy; later benches reuse it
        home = args.work / "home"
    shutil.rmtree(home, ignore_errors=True)
    config = config_for(home)

    found, _ = read_notes(notes, config.kb)
    texts = [c.embed_text for n in found if not n.private for c in chunk_note(n, config.kb.chunk_chars)]
    _, raw_before = timed(lambda: model.embed_documents(texts))
    full, full_s = timed(lambda: ingest(config, notes, emb, progress=False))
    inside_model = emb.seconds
    _, raw_after = timed(lambda: model.embed_documents(texts))
    raw_s = (raw_before + raw_after) / 2
    ingest_rate, raw_rate = full.chunks_embedded / full_s, len(texts) / raw_s

    calls = emb.calls
    same, same_s = timed(lambda: ingest(config, notes, emb, progress=False))
    same_calls = emb.calls - calls

    edited = sorted(notes.rglob("*.md"))[::187][:10]
    originals = {p: (p.read_text(encoding="utf-8"), p.stat()) for p in edited}
    for i, path in enumerate(edited):
        path.write_text(path.read_text(encoding="utf-8") + f"\n\nEdited for the benchmark, pass {i}.\n", encoding="utf-8")
    calls, texts_before = emb.calls, emb.texts
    edit, edit_s = timed(lambda: ingest(config, notes, emb, progress=False))
    edit_calls, edit_texts = emb.calls - calls, emb.texts - texts_before
    for path, (text, stat) in originals.items():  # undo (content and mtime) for the other benches
        path.write_text(text, encoding="utf-8")
        os.utime(path, (stat.st_atime, stat.st_mtime))
    ingest(config, notes, emb, progress=False)

    print(f"\n== ingest of {len(found)} til notes ({full.chunks_total} chunks, chunk_chars={config.kb.chunk_chars}) ==")
    print(f"full ingest         {full_s:7.1f} s   {ingest_rate:6.1f} chunks/s   "
          f"(added {full.added}, skipped {full.skipped}, private {full.private})")
    print(f"raw embedding       {raw_s:7.1f} s   {raw_rate:6.1f} chunks/s   (same {len(texts)} texts, one call; "
          f"{raw_before:.1f} s before the ingest, {raw_after:.1f} s after)")
    print(f"ratio ingest/raw    {ingest_rate / raw_rate:7.2f}     (target >= 0.9)")
    print(f"inside the model    {inside_model / full_s:7.2f}     of the full ingest's wall time "
          f"({inside_model:.1f} s; the rest is reading, chunking, Chroma, fingerprints)")
    print(f"re-ingest unchanged {same_s:7.2f} s   embedding calls: {same_calls}   unchanged notes: {same.unchanged}")
    print(f"re-ingest 10 edited {edit_s:7.2f} s   embedding calls: {edit_calls}, "
          f"chunks embedded: {edit_texts}   updated notes: {edit.updated}")
    print(machine_load())


if __name__ == "__main__":
    main()
