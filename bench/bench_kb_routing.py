"""Benchmark: does the analyzer retrieve for questions only the notes can answer, without
retrieving for general chat? The shipped classifier alone vs with the notes' evidence.

Routing sets, each against the notes it is about:
- general (Noa): evals/data/routing.jsonl, 104 messages, both labels, on the sample notes;
- note-only terms (Noa): evals/data/routing_notes.jsonl, questions that name things only
  Noa's notes know ("What goes into Bubbles?"), on the sample notes (dev: tuned on);
- til dev / til held-out: the questions of bench/data/til_questions.jsonl (all personal:
  they ask about the person's own TIL notes), on the 1,871 til notes;
- general chat on the til notes: the no_retrieve messages of routing.jsonl asked of the
  til person (a few of them are, honestly, what a TIL collection answers);
- invented people (evals/data/people/<name>, when present): their questions on their notes.

Accuracy gets a Wilson 95% interval; ``--explain`` prints the evidence for every message
the evidence changed.

    .venv/bin/python bench/bench_kb_routing.py [--strategy embedding] [--explain] [--people dev,heldout]
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from bench_kb_common import REPO, CachedEmbeddings, add_common_args, config_for, embeddings, ingested_home, machine_load

from twin.jsonl import read_jsonl

EVALS = REPO / "evals" / "data"
TIL_QUESTIONS = Path(__file__).resolve().parent / "data" / "til_questions.jsonl"





def routing_items(path: Path) -> list[dict]:
    from evals.routing import routed_text

    out = []
    for row in read_jsonl(path):
        case = {"text": row["text"], "history": row.get("history", [])}
        out.append({"text": routed_text(case), "label": row["label"]})  # type: ignore[arg-type]
    return out


def home_for(args, name: str, notes: Path, emb) -> object:
    from kb.ingest import ingest

    config = config_for(args.work / f"home-routing-{name}")
    ingest(config, notes, CachedEmbeddings(emb, args.work / "vectors.sqlite"), progress=False)
    return config


def routers(config, strategy: str):
    from nodes.context import TwinContext
    from nodes.routing import build_router

    plain = dataclasses.replace(config, analyzer=dataclasses.replace(config.analyzer, strategy=strategy,
                                                                       note_evidence=False))
    aware = dataclasses.replace(plain, analyzer=dataclasses.replace(plain.analyzer, note_evidence=True))
    ctx_plain, ctx_aware = TwinContext(plain), TwinContext(aware)
    ctx_aware.__dict__["retriever"] = ctx_plain.retriever  # one retriever (and query cache) for both
    return build_router(strategy, ctx_plain), build_router(strategy, ctx_aware), ctx_plain.retriever


def evaluate(label: str, config, items: list[dict], strategy: str, explain: bool) -> None:
    from evals import metrics

    plain, aware, retriever = routers(config, strategy)
    right = {"classifier": 0, "+ notes": 0}
    changed, wrong = [], []
    for item in items:
        a, b = plain.route(item["text"]), aware.route(item["text"])
        right["classifier"] += a.route == item["label"]
        right["+ notes"] += b.route == item["label"]
        if a.route != b.route:
            changed.append((item, b, retriever.evidence(item["text"])))
        elif b.route != item["label"]:
            wrong.append((item, b, retriever.evidence(item["text"])))
    n = len(items)
    cells = "   ".join(f"{k} {metrics.fmt(metrics.rate(v, n))}" for k, v in right.items())
    print(f"{label:34} {cells}")
    if explain:
        for item, decision, ev in changed:
            mark = "+" if decision.route == item["label"] else "-"
            print(f"    {mark} {item['text']!r} ({item['label']}): {ev.reason}")
        for item, decision, ev in wrong:
            print(f"    ! still wrong: {item['text']!r} ({item['label']}, p={decision.score:.2f}): {ev.to_dict()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser)
    parser.add_argument("--strategy", default="embedding")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--people", default="dev", help="invented people to include (comma-separated)")
    parser.add_argument("--til-split", default="dev,heldout")
    args = parser.parse_args()

    emb = embeddings()
    noa = home_for(args, "noa", REPO / "examples" / "notes", emb)
    general = routing_items(EVALS / "routing.jsonl")
    print(f"\n== routing, strategy {args.strategy!r}: accuracy, classifier alone vs with the notes' evidence ==")
    evaluate("general (Noa)", noa, general, args.strategy, args.explain)
    evaluate("note-only terms (Noa)", noa, routing_items(EVALS / "routing_notes.jsonl"), args.strategy, args.explain)
    if not args.til_split:
        return
    til, _ = ingested_home(args, emb)
    questions = read_jsonl(TIL_QUESTIONS)
    for split in [s for s in args.til_split.split(",") if s]:
        items = [{"text": q["question"], "label": "retrieve"} for q in questions if q["split"] == split]
        evaluate(f"til questions ({split})", til, items, args.strategy, args.explain)
    chat = [i for i in general if i["label"] == "no_retrieve"]
    evaluate("general chat on the til notes", til, chat, args.strategy, args.explain)
    for name in [p for p in args.people.split(",") if p]:
        folder = EVALS / "people" / name
        if not (folder / "questions.jsonl").is_file():
            print(f"(no invented person at {folder})")
            continue
        person = home_for(args, f"person-{name}", folder / "notes", emb)
        rows = read_jsonl(folder / "questions.jsonl")
        personal = [{"text": q["text"], "label": "retrieve"} for q in rows if q["kind"] != "general"]
        named = [{"text": q["text"], "label": "retrieve"} for q in rows if q["kind"] == "named"]
        general = [{"text": q["text"], "label": "no_retrieve"} for q in rows if q["kind"] == "general"]
        evaluate(f"person {name!r}: personal questions", person, personal, args.strategy, args.explain)
        evaluate(f"person {name!r}: named (note-only terms)", person, named, args.strategy, args.explain)
        evaluate(f"person {name!r}: general", person, general, args.strategy, args.explain)
    print(machine_load())


if __name__ == "__main__":
    main()
