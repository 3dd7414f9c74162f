"""`twin eval` suites end to end on tiny inputs: real graph, real models, real Chroma.

Each run ingests a four-note folder into its own temporary home; answers are capped at a
few tokens. The assertions check that what the run folder says is consistent with what
the graph did (recomputing outcomes from the stored answers), not model quality.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evals.cli import app
from evals.matching import conflict_outcome
from evals.runs import load_run
from evals.updates import update_outcome

REPO = Path(__file__).resolve().parent.parent
TINY = ("life/moving-to-lisbon.md", "life/moving-to-rotterdam.md", "work/tidewater-labs.md", "projects/keyboard.md")
FAST = ["--max-new-tokens", "12", "--json"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_notes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny") / "notes"
    for rel in TINY:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "examples" / "notes" / rel, root / rel)
    return root


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("eval-home")


def invoke(home: Path, out: Path, *args: str) -> dict:
    result = CliRunner().invoke(app, [*args, *FAST, "--home", str(home), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    summary = json.loads(lines[-1])
    folder = Path(summary["run_dir"])
    assert {"config.json", "cases.jsonl", "summary.json", "report.md"} <= {p.name for p in folder.iterdir()}
    assert any(p.suffix == ".png" for p in folder.iterdir())
    return summary


def test_updates_run(home: Path, tmp_path: Path, tiny_notes: Path) -> None:
    cases = tmp_path / "u.jsonl"
    cases.write_text(json.dumps({"id": "home", "text": "Where do you live?", "expect_any": ["Rotterdam"],
                                 "stale": ["Lisbon"]}) + "\n" + json.dumps(
        {"id": "job", "history": ["Did you work at Fernwood?"], "text": "And now?", "expect_any": ["Tidewater"],
         "stale": ["Fernwood"]}) + "\n")
    summary = invoke(home, tmp_path / "runs", "updates", "--kb", str(tiny_notes), "--cases", str(cases))
    _, records = load_run(summary["run_dir"])
    assert summary["n"] == 2 and len(records) == 2
    assert summary["provenance"]["decoding"] == "greedy" and summary["provenance"]["max_new_tokens"] == 12
    assert summary["ingest"]["chunks"] > 0
    by_id = {r["id"]: r for r in records}
    for r in records:
        case = {"text": r["question"], "expect_any": r["expect_any"], "stale": r["stale"]}
        assert r["outcome"] == update_outcome(r["answer"], case)
        assert {s["path"] for s in r["sources"]} <= set(TINY)
        assert r["latency_ms"] > 0 and "generate" in r["timings_ms"]
    # the follow-up was rewritten with the earlier question (the thread kept the history)
    assert "Fernwood" in by_id["job"]["query"]
    fresh = sum(r["outcome"] == "fresh" for r in records)
    assert summary["metrics"]["fresh_rate"]["k"] == fresh and summary["metrics"]["fresh_rate"]["n"] == 2
    assert summary["metrics"]["fresh_rate"]["ci95"] is not None


CONFLICT_ROWS = [
    {"id": "c1", "question": "who built the eiffel tower", "real_short_answer": "Gustave Eiffel's company",
     "fake_short_answer": "Marta Okonkwo",
     "fake_passages": [{"passage": "The Eiffel Tower was built by the engineer Marta Okonkwo in 1887.",
                        "summary": "Eiffel Tower"},
                       {"passage": "Marta Okonkwo designed and built the Eiffel Tower for the 1889 fair.",
                        "summary": "Eiffel Tower"}]},
    {"id": "c2", "question": "what is the capital of australia", "real_short_answer": "Canberra",
     "fake_short_answer": "Dunmore Bay",
     "fake_passages": [{"passage": "The capital of Australia is Dunmore Bay, chosen in 1908.", "summary": "Australia"}]},
]


@pytest.fixture()
def conflict_file(tmp_path: Path) -> Path:
    path = tmp_path / "conflict.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in CONFLICT_ROWS))
    return path


def test_conflict_context_mode(home: Path, tmp_path: Path, conflict_file: Path) -> None:
    summary = invoke(home, tmp_path / "runs", "conflict", "--data", str(conflict_file))
    _, records = load_run(summary["run_dir"])
    assert summary["options"]["mode"] == "context" and len(records) == 2
    for r, row in zip(records, CONFLICT_ROWS):
        assert r["route"] == "forced"  # the analyzer is pinned to retrieve in context mode
        assert [s["path"] for s in r["sources"]] == [f"conflict/{row['id']}-{i + 1}.md"
                                                    for i in range(len(row["fake_passages"]))]
        assert r["outcome"] == conflict_outcome(r["answer"], r["real"], r["fake"], r["question"])[0]
    m = summary["metrics"]
    context = sum(r["outcome"] == "context" for r in records)
    memory = sum(r["outcome"] == "memory" for r in records)
    assert m["context_rate"]["k"] == context and m["memorization_ratio"]["n"] == context + memory
    check_published(Path(summary["run_dir"]), tmp_path / "published", records)


def check_published(run_dir: Path, out: Path, records: list[dict]) -> None:
    """``twin eval publish``: the copy keeps ids, answers and scoring, not ConflictNQ's text."""
    runner = CliRunner()
    result = runner.invoke(app, ["publish", str(run_dir), str(out)])
    assert result.exit_code == 0, result.output
    summary, kept = load_run(out)
    assert [r["id"] for r in kept] == [r["id"] for r in records]
    assert [r["answer"] for r in kept] == [r["answer"] for r in records]
    assert not any({"question", "real", "fake", "real_long", "fake_long", "sources"} & r.keys() for r in kept)
    text = (out / "cases.jsonl").read_text(encoding="utf-8") + (out / "report.md").read_text(encoding="utf-8")
    for row in CONFLICT_ROWS:  # (the answers may copy a passage: they are Twin's own output)
        assert row["question"] not in text
    compared = json.loads(runner.invoke(app, ["compare", str(run_dir), str(out), "--json"]).stdout)
    assert compared["flipped"] == [] and summary["metrics"] == json.loads((run_dir / "summary.json").read_text())["metrics"]
    again = runner.invoke(app, ["publish", str(run_dir), str(out)])
    assert again.exit_code == 2 and "already exists" in again.output


def test_conflict_kb_mode_and_closed_book(home: Path, tmp_path: Path, conflict_file: Path) -> None:
    summary = invoke(home, tmp_path / "runs", "conflict", "--data", str(conflict_file), "--mode", "kb",
                     "--limit", "1", "--off", "analyze")
    _, records = load_run(summary["run_dir"])
    assert summary["ingest"]["chunks"] >= 1 and len(records) == 1
    assert records[0]["route"] == "forced" and records[0]["sources"]
    assert all(s["path"] == "case-c1.md" for s in records[0]["sources"])
    closed = invoke(home, tmp_path / "runs", "conflict", "--data", str(conflict_file), "--limit", "1",
                    "--off", "retrieve")
    _, records = load_run(closed["run_dir"])
    assert records[0]["sources"] == [] and records[0]["route"] == "off"
    assert any("closed book" in n for n in closed["notes"])


def test_routing_direct_and_through_the_graph(home: Path, tmp_path: Path, tiny_notes: Path) -> None:
    data = tmp_path / "routing.jsonl"
    rows = [("Where do you live now?", "retrieve", []), ("What keyboard do you type on?", "retrieve", []),
            ("and before that?", "retrieve", ["Where did you live in 2023?"]),
            ("Thanks, bye!", "no_retrieve", []), ("What is 7 times 6?", "no_retrieve", [])]
    data.write_text("".join(json.dumps({"text": t, "label": lab, "history": h}) + "\n" for t, lab, h in rows))
    summary = invoke(home, tmp_path / "runs", "routing", "--data", str(data), "--kb", str(tiny_notes),
                     "--strategies", "embedding,score,always")
    _, records = load_run(summary["run_dir"])
    m = summary["metrics"]
    assert {"embedding.accuracy", "score.accuracy", "always.accuracy", "graph.accuracy"} <= set(m)
    assert m["always.recall_retrieve"]["value"] == 1.0 and m["always.recall_no_retrieve"]["value"] == 0.0
    assert m["always.accuracy"]["k"] == 3 and m["always.accuracy"]["n"] == 5
    for name, matrix in summary["extras"]["confusion"].items():
        assert sum(sum(row.values()) for row in matrix.values()) == 5, name
    # the graph's analyze node (strategy "embedding") decides exactly as the router does directly
    assert [r["pred"]["graph"] for r in records] == [r["pred"]["embedding"] for r in records]
    assert records[2]["query"].startswith("Where did you live in 2023?")
    assert summary["extras"]["best_strategy"] in ("embedding", "score", "always")


def test_retrieval_ranks_and_answers(home: Path, tmp_path: Path, tiny_notes: Path) -> None:
    data = tmp_path / "retrieval.jsonl"
    data.write_text(
        json.dumps({"question": "What keyboard did you build?", "source": "projects/keyboard.md",
                    "answer_keywords": ["Corne"]}) + "\n"
        + json.dumps({"question": "Who is your manager at Tidewater Labs?", "source": "work/tidewater-labs.md",
                      "answer_keywords": ["Sanne de Vries"]}) + "\n")
    summary = invoke(home, tmp_path / "runs", "retrieval", "--kb", str(tiny_notes), "--data", str(data))
    _, records = load_run(summary["run_dir"])
    ranks = [r["rank"] for r in records]
    assert ranks[0] == 1 and ranks[1] is not None and ranks[1] <= 3
    m = summary["metrics"]
    assert m["hit_at_1"]["k"] == ranks.count(1) and m["hit_at_3"]["k"] == 2
    assert m["mrr"]["value"] == pytest.approx(sum(1 / k for k in ranks) / 2)
    for r in records:
        assert r["keyword_recall"] == sum(r["keyword_hits"]) / len(r["keyword_hits"])
        assert r["source_in_context"] == (r["source"] in {s["path"] for s in r["sources"]})


def test_ablate_matrix(home: Path, tmp_path: Path, tiny_notes: Path) -> None:
    cases = tmp_path / "u.jsonl"
    cases.write_text(json.dumps({"id": "home", "text": "Where do you live?", "expect_any": ["Rotterdam"],
                                 "stale": ["Lisbon"]}) + "\n")
    summary = invoke(home, tmp_path / "runs", "ablate", "--suite", "updates", "--kb", str(tiny_notes),
                     "--cases", str(cases), "--configs", "retrieve,judge,adapter")
    configs = summary["configs"]
    assert list(configs) == ["baseline", "retrieve off", "adapter off", "judge off"]
    assert "no adapter configured" in configs["adapter off"]["skipped"]
    _, records = load_run(summary["run_dir"])
    by_config = {r["config"]: r for r in records}
    assert set(by_config) == {"baseline", "retrieve off", "judge off"}
    assert by_config["retrieve off"]["sources"] == [] and by_config["retrieve off"]["route"] == "off"
    assert by_config["judge off"]["judge"] == "skipped" and by_config["baseline"]["judge"] != "skipped"
    assert "baseline/fresh_rate" in summary["metrics"] and summary["charts"] == ["ablation.png"]
    report = (Path(summary["run_dir"]) / "report.md").read_text()
    assert "## Ablation matrix" in report and "skipped: no adapter configured" in report
