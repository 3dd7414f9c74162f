"""The `twin` CLI as a user runs it (subprocesses, real models, the session's ingested home)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

TWIN = [sys.executable, "-m", "twin_cli"]


def run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*TWIN, *args], capture_output=True, text=True, timeout=timeout)


def test_ask_json_shape(session_home, ingested) -> None:
    proc = run("ask", "What keyboard do you use?", "--json", "--home", str(session_home))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, "stdout holds exactly one JSON object"
    data = json.loads(lines[0])
    assert {"answer", "route", "query", "sources", "judge", "timings_ms"} <= set(data)
    assert data["route"] == "retrieve" and data["answer"]
    assert data["sources"] and set(data["sources"][0]) >= {"path", "title", "date", "score"}
    assert data["sources"][0]["path"] == "projects/keyboard.md"
    assert data["judge"]["verdict"] in ("pass", "redacted", "blocked") and isinstance(data["judge"]["reasons"], list)
    assert set(data["timings_ms"]) >= {"analyze", "retrieve", "generate", "judge"}


def test_ask_off_flag(session_home, ingested) -> None:
    proc = run("ask", "Where do you live?", "--json", "--off", "retrieve,judge", "--home", str(session_home))
    data = json.loads(proc.stdout)
    assert data["sources"] == [] and data["judge"]["verdict"] == "skipped"
    assert data["toggles"]["retrieve"] is False and data["toggles"]["judge"] is False


def test_bad_flags_and_config_are_clear(tmp_path) -> None:
    proc = run("ask", "hi", "--off", "retriever", "--home", str(tmp_path))
    assert proc.returncode == 2 and "unknown node 'retriever'" in proc.stderr and "Traceback" not in proc.stderr
    (tmp_path / "twin.toml").write_text('[analyzer]\nstrategy = "magic"\n')
    proc = run("ask", "hi", "--home", str(tmp_path))
    assert proc.returncode == 2
    assert "analyzer.strategy = 'magic' is not allowed; choose one of: embedding, score, llm, always" in proc.stderr


def test_config_init_and_show(tmp_path) -> None:
    assert run("config", "init", "--home", str(tmp_path)).returncode == 0
    assert (tmp_path / "twin.toml").is_file()
    again = run("config", "init", "--home", str(tmp_path))
    assert again.returncode == 2 and "--force" in again.stderr
    shown = json.loads(run("config", "show", "--home", str(tmp_path)).stdout)
    assert shown["retrieval"]["k"] == 2 and shown["home"] == str(tmp_path.resolve())


@pytest.mark.slow  # subprocesses / a watcher with the real embeddings
def test_train_lora_bad_options_are_clear(tmp_path) -> None:
    (tmp_path / "train.jsonl").write_text("")
    proc = run("train", "lora", str(tmp_path), "--out", str(tmp_path / "run"), "--phase", "style",
               "--layer-share", "0", "--home", str(tmp_path))
    assert proc.returncode != 0 and "layer-share must be in (0, 1]" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "run").exists()  # refused before anything was written
