"""Per-node records (``decisions``, ``timings_ms``): each node returns only its own entry and the
state's reducers merge them; a new turn starts from empty records (fast tier: scripted model)."""

from __future__ import annotations

from pathlib import Path

from tests.test_fast_graph import scripted_runner
from twin.state import add_timings, merge_records


def test_merge_records_keeps_order_and_replaces_a_rerun_node() -> None:
    merged = merge_records({"analyze": 1, "generate": {"attempt": 0}}, {"judge": 2})
    merged = merge_records(merged, {"generate": {"attempt": 1}})
    assert list(merged) == ["analyze", "generate", "judge"] and merged["generate"] == {"attempt": 1}
    assert merge_records(None, {"a": 1}) == {"a": 1}


def test_add_timings_sums_a_rerun_node_rounded() -> None:
    timings = add_timings({"analyze": 3.0}, {"generate": 10.04, "load_model": 5.0})
    timings = add_timings(timings, {"generate": 2.03})
    assert timings == {"analyze": 3.0, "generate": 12.0, "load_model": 5.0}  # rounded as each run lands
    assert list(timings) == ["analyze", "generate", "load_model"]


def test_a_retried_turn_merges_every_node_and_the_next_turn_starts_clean(tmp_path: Path) -> None:
    runner, _ = scripted_runner(tmp_path, "I moved to Zanzibar in 2019.", "These days I live in Rotterdam.", "Hello there.",
                                regenerate=True)
    first = runner.ask("Where do you live these days?", thread_id="t")
    assert first["answered_by"] == "model-retry"
    assert list(first["decisions"]) == ["analyze", "retrieve", "generate", "judge"]
    assert first["decisions"]["generate"]["attempt"] == 1 and first["decisions"]["judge"]["verdict"] == "pass"
    assert {"analyze", "retrieve", "generate", "judge"} <= set(first["timings_ms"])
    second = runner.ask("Tell me a joke.", thread_id="t", off=["retrieve", "judge"])
    assert "retrieve" not in second["decisions"] and "retrieve" not in second["timings_ms"]
    assert second["decisions"]["generate"]["attempt"] == 0
    assert second["timings_ms"]["generate"] < first["timings_ms"]["generate"] + 1000  # not carried over and summed
