"""twin/jsonl.py: the one JSONL reader and the writers (every caller's bad-line error names file:line)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from evals.datasets import DataError
from evals.datasets import read_jsonl as read_cases
from evals.runs import RunError, load_run
from nodes.routing import load_examples
from persona.evaluate import load_facts
from persona.records import read_examples
from twin.config import ConfigError
from twin.jsonl import JsonlError, append_jsonl, iter_jsonl, read_jsonl, write_jsonl
from twin_tui.feedback import read_feedback


@dataclass
class Row:
    name: str
    n: int


def test_blank_lines_are_skipped_and_numbers_are_file_lines(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"a": 1}\n\n   \n{"a": "é\u2028x"}\n', encoding="utf-8")
    assert list(iter_jsonl(path)) == [(1, {"a": 1}), (4, {"a": "é\u2028x"})]


@pytest.mark.parametrize(("line", "why"), [('{"a": 1', "not valid JSON"), ("[1, 2]", "expected a JSON object, got list")])
def test_a_bad_line_names_the_file_and_the_line(tmp_path: Path, line: str, why: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"ok": true}\n\n' + line + "\n", encoding="utf-8")
    with pytest.raises(JsonlError, match=rf"bad.jsonl:3: {why}"):
        read_jsonl(path)
    with pytest.raises(KeyError, match="bad.jsonl:3"):
        read_jsonl(path, error=KeyError)


def test_every_reader_reports_the_bad_line_in_its_own_layers_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('\n{"text": \n{"text": "hi", "label": "retrieve"}\n', encoding="utf-8")
    for read, error in [(read_cases, DataError), (load_examples, ConfigError), (read_examples, ValueError)]:
        with pytest.raises(error, match=r"bad.jsonl:2: not valid JSON"):
            read(bad)
    (tmp_path / "facts.jsonl").write_text(bad.read_text())
    with pytest.raises(ValueError, match=r"facts.jsonl:2: not valid JSON"):
        load_facts(tmp_path)
    (tmp_path / "feedback.jsonl").write_text(bad.read_text())
    with pytest.raises(ValueError, match=r"feedback.jsonl:2: not valid JSON"):
        read_feedback(tmp_path)
    run = tmp_path / "run"
    run.mkdir()
    (run / "summary.json").write_text("{}")
    (run / "cases.jsonl").write_text(bad.read_text())
    with pytest.raises(RunError, match=r"cases.jsonl:2: not valid JSON"):
        load_run(run)


def test_write_is_atomic_and_append_adds_one_line(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "rows.jsonl"
    assert write_jsonl(path, [Row("a", 1), {"name": "ü", "n": 2}]) == 2
    assert path.read_text(encoding="utf-8").splitlines()[1] == '{"name": "ü", "n": 2}'
    assert list(path.parent.iterdir()) == [path]  # no temporary file left

    def broken():
        yield Row("b", 3)
        raise RuntimeError("stopped half way")

    with pytest.raises(RuntimeError):
        write_jsonl(path, broken())
    assert read_jsonl(path) == [{"name": "a", "n": 1}, {"name": "ü", "n": 2}]  # the old file is intact
    append_jsonl(path, {"when": Path("x")}, sync=True, default=str)
    assert json.loads(path.read_text(encoding="utf-8").splitlines()[-1]) == {"when": "x"}
