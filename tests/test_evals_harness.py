"""Eval harness plumbing without models: data files, run folders, reports, compare, CLI errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evals import metrics
from evals.ablate import CONFIGS, parse_configs, plan
from evals.compare import compare_runs
from evals.conflict import ConflictSuite, note_for, passages_as_sources
from evals.datasets import (
    DATA_DIR,
    DataError,
    load_conflict,
    load_dates,
    load_retrieval,
    load_routing,
    load_updates,
)
from evals.driver import finish
from evals.matching import normalize
from evals.retrieval import RetrievalSuite, distinct_paths, keyword_hits, rank_of
from evals.runs import RunDir, RunError, config_hash, load_run
from evals.updates import UpdatesSuite, update_outcome
from twin.config import Config

REPO = Path(__file__).resolve().parent.parent
SAMPLE_NOTES = REPO / "examples" / "notes"
TRAINING_SET = REPO / "nodes" / "data" / "routing_examples.jsonl"


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


# -- shipped dev sets --------------------------------------------------------------------
def test_routing_dev_set_is_big_balanced_and_disjoint_from_training() -> None:
    cases = load_routing(DATA_DIR / "routing.jsonl")
    labels = [c["label"] for c in cases]
    assert len(cases) >= 80
    assert labels.count("retrieve") >= 30 and labels.count("no_retrieve") >= 30
    assert any(c["history"] for c in cases), "follow-ups with history are part of the set"
    training = {normalize(json.loads(line)["text"]) for line in TRAINING_SET.read_text().splitlines() if line.strip()}
    overlap = [c["text"] for c in cases if normalize(c["text"]) in training]
    assert overlap == [], f"dev messages copied from the router's training set: {overlap}"


def test_retrieval_dev_set_points_at_public_notes_that_hold_the_keywords() -> None:
    cases = load_retrieval(DATA_DIR / "retrieval.jsonl", notes_dir=SAMPLE_NOTES)
    assert len(cases) >= 25
    for case in cases:
        assert not case["source"].startswith("private/")
        text = normalize((SAMPLE_NOTES / case["source"]).read_text(encoding="utf-8"))
        for kw in case["answer_keywords"]:
            assert f" {normalize(kw)} " in f" {text} ", (case["id"], kw)


def test_update_cases_name_facts_found_in_the_notes() -> None:
    cases = load_updates(DATA_DIR / "updates.jsonl")
    corpus = normalize(" ".join(p.read_text(encoding="utf-8") for p in SAMPLE_NOTES.rglob("*.md")))
    assert len(cases) >= 10
    for case in cases:
        for value in case["expect_any"][:1] + case["stale"][:1]:
            assert normalize(value) in corpus, (case["id"], value)


# -- loaders reject bad input with file:line -------------------------------------------------
def test_loaders_name_the_line_and_the_problem(tmp_path: Path) -> None:
    bad = write_jsonl(tmp_path / "r.jsonl", [{"text": "hi", "label": "no_retrieve"}, {"text": "x", "label": "maybe"}])
    with pytest.raises(DataError, match=r"r.jsonl:2: 'label' must be"):
        load_routing(bad)
    broken = write_jsonl(tmp_path / "b.jsonl", ['{"text": "hi",'])
    with pytest.raises(DataError, match=r"b.jsonl:1: not valid JSON"):
        load_routing(broken)
    with pytest.raises(DataError, match="data file not found"):
        load_updates(tmp_path / "missing.jsonl")
    empty = write_jsonl(tmp_path / "e.jsonl", [])
    with pytest.raises(DataError, match="no cases"):
        load_updates(empty)
    upd = write_jsonl(tmp_path / "u.jsonl", [{"id": "a", "text": "Where?", "expect_any": []}])
    with pytest.raises(DataError, match=r"u.jsonl:1: 'expect_any' must not be empty"):
        load_updates(upd)
    dup = write_jsonl(tmp_path / "d.jsonl", [{"id": "a", "text": "x", "expect_any": ["y"]}] * 2)
    with pytest.raises(DataError, match="duplicate case id 'a'"):
        load_updates(dup)
    ret = write_jsonl(tmp_path / "q.jsonl", [{"question": "q?", "source": "nope.md", "answer_keywords": ["x"]}])
    with pytest.raises(DataError, match=r"q.jsonl:1: source 'nope.md' is not a file"):
        load_retrieval(ret, notes_dir=SAMPLE_NOTES)
    conf = write_jsonl(tmp_path / "c.jsonl", [{"question": "q", "real_short_answer": "a", "fake_short_answer": "b",
                                              "fake_passages": []}])
    with pytest.raises(DataError, match=r"c.jsonl:1: 'fake_passages' must be a non-empty list"):
        load_conflict(conf)


def test_limit_keeps_the_first_cases(tmp_path: Path) -> None:
    rows = [{"text": f"m{i}", "label": "retrieve"} for i in range(5)]
    cases = load_routing(write_jsonl(tmp_path / "r.jsonl", rows), limit=2)
    assert [c["text"] for c in cases] == ["m0", "m1"] and cases[0]["id"] == "line-1"
    with pytest.raises(DataError, match="--limit"):
        load_routing(tmp_path / "r.jsonl", limit=0)


def test_conflict_rows_become_sources_and_notes() -> None:
    row = {"id": "7", "question": "who made it", "real_short_answer": "Ann", "fake_short_answer": "Bob",
           "fake_passages": [{"passage": "Bob made it in 1990.", "summary": "Maker's \"story\""},
                             {"passage": "Bob, again."}]}
    case = load_conflict_rows([row])[0]
    sources = passages_as_sources(case)
    assert [s["path"] for s in sources] == ["conflict/7-1.md", "conflict/7-2.md"]
    assert sources[0]["text"] == "Bob made it in 1990." and sources[1]["title"] == "who made it"
    note = note_for(case)
    assert note.startswith('---\ntitle: "Maker\'s \\"story\\""\ndate: 2025-01-01\n---\n')
    assert "Bob made it in 1990.\n\nBob, again." in note


def load_conflict_rows(rows: list[dict]) -> list:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return load_conflict(write_jsonl(Path(tmp) / "c.jsonl", rows))


def test_dates_tsv(tmp_path: Path) -> None:
    good = tmp_path / "dates.tsv"
    good.write_text("path\tcreated\tupdated\na.md\t2020-01-01T00:00:00Z\t2021-05-01T00:00:00Z\nb.md\t2019-02-02\t\n")
    assert load_dates(good) == {"a.md": ("2020-01-01T00:00:00Z", "2021-05-01T00:00:00Z"),
                                "b.md": ("2019-02-02", "2019-02-02")}
    bad = tmp_path / "bad.tsv"
    bad.write_text("file\twhen\n")
    with pytest.raises(DataError, match="header must name path, created, updated"):
        load_dates(bad)


# -- scoring never rewards "I don't know" ---------------------------------------------------
def test_update_outcomes() -> None:
    case = {"id": "x", "text": "Where do you live?", "expect_any": ["Rotterdam"], "stale": ["Lisbon"], "history": []}
    assert update_outcome("I live in Rotterdam, after Lisbon.", case) == "fresh"
    assert update_outcome("I live in Lisbon.", case) == "stale"
    assert update_outcome("I have no note about Rotterdam.", case) == "abstain"
    assert update_outcome("In a flat.", case) == "neither"
    records = [{"outcome": o, "latency_ms": 10.0} for o in ("fresh", "stale", "abstain", "neither")]
    scored = UpdatesSuite().score(records)
    assert scored.metrics["fresh_rate"]["k"] == 1 and scored.metrics["fresh_rate"]["n"] == 4
    assert scored.metrics["stale_rate"]["k"] == 1 and scored.metrics["abstain_rate"]["k"] == 1


def test_person_scores_say_why_answerable_questions_were_refused(tmp_path: Path) -> None:
    """Over-refusal counts every refused answerable question; the split says which were the
    user's off-limits topics (by design), which found no note, which the model declined."""
    from evals.person import PersonSuite

    def record(kind: str, answer: str, by: str, reasons: tuple[str, ...] = ()) -> dict:
        return {"id": answer, "kind": kind, "question": "q?", "expect_any": ["Kowa"], "stale": [], "note": "",
                "answer": answer, "answered_by": by, "judge_reasons": list(reasons), "sources": [],
                "outcome": "answered" if "Kowa" in answer else "abstain", "unsupported": [], "note_first": False,
                "judge": "blocked" if reasons else "pass", "route": "retrieve", "latency_ms": 5.0}

    records = [record("everyday", "A Kowa BD II.", "model"),
               record("everyday", "That is something I keep to myself.", "refusal", ("off_limits: question about family",)),
               record("named", "I have no note about that, so I'd rather not guess.", "no-note"),
               record("update", "I don't remember.", "model"),
               record("unanswerable", "I have no note about that.", "no-note")]
    scored = PersonSuite(notes_dir=tmp_path, person="Lilian").score(records)
    assert scored.metrics["over_refusal"]["k"] == 3 and scored.metrics["over_refusal"]["n"] == 4
    assert scored.extras["over_refusal_by"] == {"off-limits topic": 1, "no note": 1, "other": 1}
    outside = scored.metrics["over_refusal_outside_off_limits"]
    assert (outside["k"], outside["n"]) == (2, 3), "the family question is the user's setting: out of both counts"


def test_an_unanswerable_question_answered_is_not_correct(tmp_path: Path) -> None:
    """"answered" is right for an everyday question and wrong for an unanswerable one: the
    cases' ``correct`` (what run comparisons count as fixed and broken) says so."""
    from evals.person import PersonSuite

    suite = PersonSuite(notes_dir=tmp_path, person="Lilian")

    def rescored(kind: str, answer: str) -> dict:
        return suite.rescore({"id": "x", "kind": kind, "question": "Which team do you support?", "expect_any": ["Kowa"],
                              "stale": [], "note": "", "answer": answer, "answered_by": "model", "judge": "pass",
                              "judge_reasons": [], "sources": []})

    assert rescored("unanswerable", "The Bandari Tigers, every Saturday.")["outcome"] == "answered"
    assert rescored("unanswerable", "The Bandari Tigers, every Saturday.")["correct"] is False
    assert rescored("unanswerable", "I have no note about that, so I'd rather not guess.")["correct"] is True
    assert rescored("everyday", "A Kowa BD II.")["correct"] is True


def test_a_refusal_declines_an_unanswerable_question(tmp_path: Path) -> None:
    """"What's your blood type?" with no note: the judge's off-limits refusal ("my health is
    something I keep to myself") invents nothing, and was scored as an answer; so is a general
    question the judge refused no longer "ok"."""
    from evals.person import PersonSuite

    suite = PersonSuite(notes_dir=tmp_path, person="Lilian")
    refusal = "Honestly, my health is something I keep to myself. Happy to talk about my work instead."

    def scored(kind: str, answer: str, by: str, judge: str = "pass") -> str:
        return suite.rescore({"id": "x", "kind": kind, "question": "What's your blood type?", "expect_any": ["Kowa"],
                              "stale": [], "note": "", "answer": answer, "answered_by": by, "judge": judge,
                              "judge_reasons": [], "sources": []})["outcome"]

    assert scored("unanswerable", refusal, "refusal") == "declined"
    assert scored("unanswerable", "It is O negative.", "model") == "answered"
    assert scored("general", refusal, "refusal") == "refused"
    assert scored("general", "Paris is the capital of France.", "model") == "ok"
    assert scored("everyday", refusal, "refusal") == "abstain"
    assert scored("update", "A Kowa BD II.", "model", judge="blocked") == "abstain"
    assert scored("update", "A Kowa BD II.", "model") == "fresh"


def test_retrieval_helpers_and_scores() -> None:
    sources = [{"path": "a.md"}, {"path": "a.md"}, {"path": "b.md"}, {"path": "c.md"}]
    assert distinct_paths(sources) == ["a.md", "b.md", "c.md"]
    assert rank_of("b.md", ["a.md", "b.md"]) == 2 and rank_of("z.md", ["a.md"]) is None
    assert keyword_hits("My starter is Bubbles.", ["Bubbles", "rye"], "q") == [True, False]
    assert keyword_hits("I don't know, maybe Bubbles.", ["Bubbles"], "q") == [False]
    records = [
        {"rank": 1, "keyword_recall": 1.0, "source_in_context": True, "abstained": False, "latency_ms": 5},
        {"rank": 3, "keyword_recall": 0.5, "source_in_context": True, "abstained": False, "latency_ms": 6},
        {"rank": None, "keyword_recall": 0.0, "source_in_context": False, "abstained": True, "latency_ms": 7},
    ]
    m = RetrievalSuite().score(records).metrics
    assert m["hit_at_1"]["k"] == 1 and m["hit_at_3"]["k"] == 2
    assert m["mrr"]["value"] == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert m["keyword_recall"]["value"] == pytest.approx(0.5)
    assert m["all_keywords_rate"]["k"] == 1 and m["abstain_rate"]["k"] == 1


def test_conflict_scores_and_memorization_ratio() -> None:
    outcomes = ["context"] * 6 + ["memory"] * 2 + ["neither", "abstain", "both"]
    m = ConflictSuite().score([{"outcome": o, "latency_ms": 1.0} for o in outcomes]).metrics
    assert m["context_rate"]["k"] == 6 and m["context_rate"]["n"] == 11
    assert m["memory_rate"]["k"] == 2 and m["neither_rate"]["k"] == 2 and m["both_rate"]["k"] == 1
    assert m["memorization_ratio"]["k"] == 2 and m["memorization_ratio"]["n"] == 8
    assert m["memorization_ratio"]["value"] == pytest.approx(0.25)


# -- ablation plan ------------------------------------------------------------------------
def test_ablation_plan_skips_what_cannot_differ() -> None:
    config = Config()
    rows = {name: (off, reason) for name, off, reason in plan(ConflictSuite(mode="context"), config)}
    assert list(rows) == [name for name, _ in CONFIGS]
    assert rows["baseline"] == ([], "")
    assert "no adapter configured" in rows["adapter off"][1]
    assert "cannot change" in rows["rerank off"][1] and rows["retrieve off"] == (["retrieve"], "")
    config.nodes = config.nodes.with_off(["judge"])
    rows = {name: (off, reason) for name, off, reason in plan(UpdatesSuite(), config, ["judge", "retrieve"])}
    assert set(rows) == {"baseline", "retrieve off", "judge off"}
    assert rows["baseline"][0] == ["judge"] and "already off" in rows["judge off"][1]
    assert rows["retrieve off"][0] == ["judge", "retrieve"]
    assert parse_configs("retrieve, judge off") == ["retrieve off", "judge off"]
    with pytest.raises(ValueError, match="unknown ablation configuration"):
        parse_configs("retriever")


# -- run folders, report, charts, compare -----------------------------------------------------
def fake_run(out: Path, correct: list[bool], suite: str = "updates", sha: str = "abc") -> Path:
    run = RunDir.create(out, suite)
    records = [{"id": f"c{i}", "question": f"q{i}", "answer": f"a{i}", "expect_any": ["x"], "stale": [],
                "outcome": "fresh" if ok else "stale", "correct": ok, "latency_ms": 100.0 + i}
               for i, ok in enumerate(correct)]
    for r in records:
        run.append_case(r)
    scored = UpdatesSuite().score(records)
    summary = {"suite": suite, "n": len(records), "limit": None, "toggles": {"judge": True}, "run_dir": str(run.path),
               "metrics": scored.metrics, "extras": scored.extras, "notes": ["a note"], "command": "twin eval updates",
               "provenance": {"data_sha256": sha, "model": "local:embedded", "config_hash": config_hash(Config()),
                              "versions": {"python": "3.11"}}}
    finish(run, summary, records)
    return run.path


def test_run_folder_report_and_chart(tmp_path: Path) -> None:
    path = fake_run(tmp_path, [True, False, True])
    assert {"cases.jsonl", "summary.json", "report.md", "metrics.png"} <= {p.name for p in path.iterdir()}
    assert (path / "metrics.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary, cases = load_run(path)
    assert summary["charts"] == ["metrics.png"] and len(cases) == 3
    report = (path / "report.md").read_text()
    assert "| fresh_rate | 0.667 (2/3) |" in report
    assert "1 of 3 cases not counted correct" in report and "![metrics.png](metrics.png)" in report
    second = RunDir.create(tmp_path, "updates")
    assert second.path != path  # same second, new folder


def test_load_run_errors(tmp_path: Path) -> None:
    with pytest.raises(RunError, match="not a finished eval run"):
        load_run(tmp_path)
    (tmp_path / "summary.json").write_text("{oops")
    with pytest.raises(RunError, match="not valid JSON"):
        load_run(tmp_path)
    (tmp_path / "summary.json").write_text("[1, 2]")  # `compare` failed with "unexpected AttributeError"
    with pytest.raises(RunError, match="not a run summary"):
        load_run(tmp_path)


def test_publish_into_an_unwritable_place_is_one_line_and_leaves_nothing(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """`twin eval publish RUN /proc/x` was "unexpected FileNotFoundError (a bug in Twin)"; a publish
    stopped half-way left a folder with summary.json and no cases that `compare` read as a run of
    0 cases, and that a second publish refused to overwrite."""
    import evals.publish
    from evals.cli import app

    run = fake_run(tmp_path / "run", [True, False])
    blocker = tmp_path / "file.txt"
    blocker.write_text("")
    res = CliRunner().invoke(app, ["publish", str(run), str(blocker / "copy")])
    assert res.exit_code == 2 and res.output.startswith(f"error: cannot publish into {blocker / 'copy'}: ")

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(evals.publish, "write_jsonl", interrupted)  # after summary.json is copied
    with pytest.raises(KeyboardInterrupt):
        evals.publish.publish_run(run, tmp_path / "copy")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt", "run"]
    monkeypatch.undo()
    res = CliRunner().invoke(app, ["publish", str(run), str(tmp_path / "copy")])
    assert res.exit_code == 0, res.output
    assert len(load_run(tmp_path / "copy")[1]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy", "file.txt", "run"]


def test_compare_reports_deltas_and_flips(tmp_path: Path) -> None:
    a = fake_run(tmp_path / "a", [True, True, False, False])
    b = fake_run(tmp_path / "b", [True, False, True, True], sha="def")
    result = compare_runs(a, b)
    fresh = result["metrics"]["fresh_rate"]
    assert fresh["a"] == 0.5 and fresh["b"] == 0.75 and fresh["delta"] == pytest.approx(0.25)
    assert fresh["intervals_overlap"] is True
    assert {(f["id"], f["direction"]) for f in result["flipped"]} == {("c1", "broke"), ("c2", "fixed"), ("c3", "fixed")}
    assert result["paired"] == {"shared_cases": 4, "fixed": 2, "broke": 1, "mcnemar_p": 1.0}
    assert any("different data files" in w for w in result["warnings"])


def test_config_hash_ignores_home_only() -> None:
    a, b = Config(), Config()
    b.home = "/somewhere/else"
    assert config_hash(a) == config_hash(b)
    b.retrieval.k = 9
    assert config_hash(a) != config_hash(b)


# -- CLI errors (no models are loaded for these) ------------------------------------------------
def test_cli_errors_are_one_clear_line(tmp_path: Path) -> None:
    from evals.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["conflict", "--data", str(tmp_path / "nope.jsonl"), "--home", str(tmp_path)])
    assert res.exit_code == 2 and "error: data file not found" in res.output
    res = runner.invoke(app, ["updates", "--kb", str(tmp_path / "nowhere"), "--home", str(tmp_path)])
    assert res.exit_code == 2 and "error: notes folder not found" in res.output
    res = runner.invoke(app, ["routing", "--strategies", "magic", "--home", str(tmp_path)])
    assert res.exit_code == 2 and "unknown strategy 'magic'" in res.output
    res = runner.invoke(app, ["updates", "--off", "retriever", "--home", str(tmp_path)])
    assert res.exit_code == 2 and "unknown node 'retriever'" in res.output
    res = runner.invoke(app, ["ablate", "--suite", "nonsense", "--home", str(tmp_path)])
    assert res.exit_code == 2 and "choose conflict, updates, retrieval, privacy or person" in res.output
    res = runner.invoke(app, ["compare", str(tmp_path), str(tmp_path)])
    assert res.exit_code == 2 and "not a finished eval run" in res.output


def test_cli_compare_json(tmp_path: Path) -> None:
    from evals.cli import app

    a = fake_run(tmp_path / "a", [True, False])
    b = fake_run(tmp_path / "b", [True, True])
    res = CliRunner().invoke(app, ["compare", str(a), str(b), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["metrics"]["fresh_rate"]["delta"] == pytest.approx(0.5)
    assert [f["id"] for f in data["flipped"]] == ["c1"]


def test_wilson_matches_rate_helper() -> None:
    assert metrics.rate(3, 7)["ci95"] == [round(x, 4) for x in metrics.wilson(3, 7)]


def test_routing_scores_per_strategy() -> None:
    from evals.routing import auc, parse_strategies, score_routing

    def rec(label: str, emb: str, always: str, e_score: float) -> dict:
        return {"label": label, "pred": {"embedding": emb, "always": always},
                "scores": {"embedding": e_score, "always": 1.0}, "latency_ms": {"embedding": 2.0, "always": 0.0}}

    records = [rec("retrieve", "retrieve", "retrieve", 0.9), rec("retrieve", "no_retrieve", "retrieve", 0.4),
               rec("no_retrieve", "no_retrieve", "retrieve", 0.1), rec("no_retrieve", "no_retrieve", "retrieve", 0.45)]
    scored = score_routing(records)
    m = scored.metrics
    assert m["embedding.accuracy"]["k"] == 3 and m["always.accuracy"]["k"] == 2
    assert m["always.precision_no_retrieve"]["value"] is None  # never predicted: n/a, not 0
    assert scored.extras["confusion"]["embedding"]["retrieve"] == {"retrieve": 1, "no_retrieve": 1}
    assert scored.extras["best_strategy"] == "embedding"
    assert scored.extras["vs_runner_up"] == {"a": "embedding", "b": "always", "only_a_right": 2,
                                             "only_b_right": 1, "p_value": 1.0}
    assert auc(records, "embedding") == 0.75  # 0.4 < 0.45 is the one misordered pair
    assert parse_strategies(None) == ["embedding", "score", "llm", "always"]
    with pytest.raises(ValueError, match="unknown strategy"):
        parse_strategies("embedding,magic")


def test_rescore_recomputes_outcomes_from_stored_answers(tmp_path: Path) -> None:
    from evals.cli import app
    from evals.rescore import rescore_run

    path = fake_run(tmp_path, [True, False])
    # the stored verdicts are stale: both answers actually name Rotterdam / nothing
    lines = (path / "cases.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    rows[0].update(answer="I live in Lisbon.", expect_any=["Rotterdam"], stale=["Lisbon"])
    rows[1].update(answer="Rotterdam, since May.", expect_any=["Rotterdam"], stale=["Lisbon"])
    (path / "cases.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = rescore_run(path)
    assert summary["rescored_from"] == str(path) and any("re-scored from" in n for n in summary["notes"])
    _, cases = load_run(summary["run_dir"])
    assert [c["outcome"] for c in cases] == ["stale", "fresh"]
    assert summary["metrics"]["fresh_rate"]["k"] == 1 and summary["metrics"]["stale_rate"]["k"] == 1
    assert Path(summary["run_dir"]).name.endswith("updates-rescored")
    res = CliRunner().invoke(app, ["rescore", str(path), "--json", "--out", str(tmp_path / "r")])
    assert res.exit_code == 0 and json.loads(res.output)["metrics"]["fresh_rate"]["k"] == 1
    routing = RunDir.create(tmp_path, "routing")
    (routing.path / "summary.json").write_text(json.dumps({"suite": "routing"}))
    res = CliRunner().invoke(app, ["rescore", str(routing.path)])
    assert res.exit_code == 2 and "cannot be re-scored" in res.output


def test_flips_include_outcome_changes_but_test_only_verdicts() -> None:
    from evals.compare import flipped

    a = [{"id": "1", "correct": False, "outcome": "memory"}, {"id": "2", "correct": True, "outcome": "context"},
         {"id": "3", "correct": False, "outcome": "neither"}]
    b = [{"id": "1", "correct": False, "outcome": "neither"}, {"id": "2", "correct": True, "outcome": "context"},
         {"id": "3", "correct": True, "outcome": "context"}, {"id": "4", "correct": True, "outcome": "context"}]
    flips, paired = flipped(a, b)
    assert [(f["id"], f["direction"]) for f in flips] == [("1", "changed"), ("3", "fixed")]
    assert paired == {"shared_cases": 3, "fixed": 1, "broke": 0, "mcnemar_p": 1.0}



def test_committed_run_folders_hold_no_third_party_data_text() -> None:
    """The run folders under docs/eval-reports/ are committed; a suite run on third-party data
    (ConflictNQ, read from ../shared at run time) must be published without that data's text
    (`twin eval publish`): no record field, no question in the report's failed cases."""
    from evals.publish import THIRD_PARTY_FIELDS

    checked = 0
    for summary_path in (REPO / "docs" / "eval-reports").rglob("summary.json"):
        folder = summary_path.parent
        fields = THIRD_PARTY_FIELDS.get(json.loads(summary_path.read_text(encoding="utf-8")).get("suite", ""), ())
        if not fields:
            continue
        cases = folder / "cases.jsonl"
        for line in cases.read_text(encoding="utf-8").splitlines() if cases.is_file() else []:
            assert not set(fields) & json.loads(line).keys(), f"{cases} holds the data set's text"
        report = folder / "report.md"
        assert not report.is_file() or "| question |" not in report.read_text(encoding="utf-8"), f"{report} quotes questions"
        checked += 1
    assert checked >= 10  # the conflict run folders of the grounding report


def _person_run(tmp_path: Path, records: list[dict]) -> Path:
    """A finished person run over a one-note person whose folder has since moved."""
    from evals.person import PersonSuite

    folder = tmp_path / "people" / "ana"
    (folder / "notes").mkdir(parents=True)
    (folder / "person.toml").write_text('person = "Ana Reis"\n')
    (folder / "notes" / "job.md").write_text("---\ntitle: Job\ndate: 2024-05-01\n---\n"
                                             "I test signalling. I didn't know axle counters existed.\n")
    run = RunDir.create(tmp_path, "person")
    for r in records:
        run.append_case(r)
    scored = PersonSuite(notes_dir=folder / "notes", person="Ana Reis").score(records)
    summary = {"suite": "person", "n": len(records), "toggles": {}, "run_dir": str(run.path),
               "options": {"person": str(tmp_path / "gone" / "ana")}, "metrics": scored.metrics,
               "extras": scored.extras, "notes": [], "command": "twin eval person",
               "provenance": {"model": "local:embedded", "versions": {}}}
    finish(run, summary, records)
    return folder


def test_a_quote_of_the_notes_is_never_scored_as_a_refusal(tmp_path: Path) -> None:
    """A cited quote saying "I didn't know" is the person's words, not an abstention; a model
    answer saying it, or the judge's refusal standing in for refused quotes, still is."""
    from evals.cli import app
    from evals.person import refused

    quote = 'From my note "Job" of 1 May 2024: I test signalling. I didn\'t know axle counters existed.'
    base = {"kind": "everyday", "question": "What do you test?", "expect_any": ["signalling"], "stale": [],
            "note": "job.md", "sources": [{"path": "job.md"}], "correct": False, "outcome": "abstain",
            "latency_ms": 10.0, "judge_reasons": [], "unsupported": [], "note_first": True}
    rows = [{**base, "id": "quote", "answer": quote, "answered_by": "extractive", "judge": "pass"},
            {**base, "id": "model", "answer": "I test signalling, but I didn't know much.", "answered_by": "model",
             "judge": "pass"},
            {**base, "id": "refused", "answer": "I don't know, I'd rather not say.", "answered_by": "extractive",
             "judge": "blocked"}]
    folder = _person_run(tmp_path, rows)
    run = next(p.parent for p in tmp_path.rglob("summary.json"))
    res = CliRunner().invoke(app, ["rescore", str(run)])
    assert res.exit_code == 2 and "give it with --person" in res.output  # the recorded folder is gone
    res = CliRunner().invoke(app, ["rescore", str(run), "--person", str(folder), "--json",
                                   "--out", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    _, cases = load_run(json.loads(res.output)["run_dir"])
    assert {c["id"]: c["outcome"] for c in cases} == {"quote": "answered", "model": "abstain", "refused": "abstain"}
    assert [refused(c) for c in cases] == [False, True, True]
    res = CliRunner().invoke(app, ["rescore", str(fake_run(tmp_path / "u", [True])), "--person", str(folder)])
    assert res.exit_code == 2 and "--person is for person runs" in res.output


def test_person_unsupported_words_may_be_words_of_the_question(tmp_path: Path) -> None:
    """A word of the question is supported whatever punctuation follows it there ("Japan?"), as
    the module says and as the judge reads it (``support([question, person])``)."""
    from evals.person import PersonSuite

    suite = PersonSuite(notes_dir=tmp_path, person="Lilian Okafor", vocabulary=frozenset({"tokyo"}))
    record = {"id": "x", "kind": "unanswerable", "question": "Have you ever been to Japan?", "expect_any": ["x"],
              "stale": [], "note": "", "answer": "I have never been to Japan, Lilian Okafor's word.",
              "answered_by": "model", "judge": "pass", "judge_reasons": [], "sources": []}
    assert suite.rescore(record)["unsupported"] == []
    assert suite.rescore({**record, "answer": "I went to Kyoto once."})["unsupported"] == ["Kyoto"]
    # but a word of the question is no support for a claim about the person (as the judge reads it)
    assert suite.rescore({**record, "answer": "I've been to Japan a few times."})["unsupported"] == ["Japan"]
    assert suite.rescore({**record, "answer": "Tokyo is the capital of Japan."})["unsupported"] == []


def test_compare_says_which_cases_it_could_not_pair(tmp_path: Path) -> None:
    """Cases in one run only, an id twice, and an id that names another question in the other
    run are said, not dropped or paired in silence."""
    a = fake_run(tmp_path / "a", [True, True, False, False])
    b = fake_run(tmp_path / "b", [True, False, True])
    with (b / "cases.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps({"id": "c0", "question": "q0", "answer": "again", "correct": False, "outcome": "stale"}) + "\n")
        f.write(json.dumps({"id": "c9", "question": "q9", "answer": "new", "correct": True, "outcome": "fresh"}) + "\n")
    lines = (b / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace('"q1"', '"another question"')
    (b / "cases.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    warnings = compare_runs(a, b)["warnings"]
    assert any(w.startswith("1 case(s) only in run A (c3)") for w in warnings), warnings
    assert any(w.startswith("1 case(s) only in run B (c9)") for w in warnings), warnings
    assert any(w.startswith("run B has 1 case id(s) more than once (c0)") for w in warnings), warnings
    assert any(w.startswith("1 paired case(s) ask different questions (c1)") for w in warnings), warnings
    same = compare_runs(a, fake_run(tmp_path / "c", [False, False, True, True]))["warnings"]
    assert same == [], same
