"""The `twin` CLI as a user runs it (subprocesses, real models, the session's ingested home).

One cold `twin ask` subprocess; the other model-loading commands run in-process through
`twin_cli.main.run` (what `main` calls), so they reuse the models this process has loaded."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

TWIN = [sys.executable, "-m", "twin_cli"]


def run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*TWIN, *args], capture_output=True, text=True, timeout=timeout)


def test_ask_json_shape_and_cold_load_times(session_home, ingested) -> None:
    """The one true `twin ask` subprocess of the suite (a cold process, as a user runs it): the JSON
    shape, and the one-time loads reported as load_* apart from the node times (issue 14, finding 9;
    this was also test_cold_start's test_cold_ask_json_reports_load_times_separately, same command)."""
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
    timings = data["timings_ms"]
    assert set(timings) >= {"analyze", "retrieve", "generate", "judge"}
    assert {"load_startup", "load_graph", "load_embeddings", "load_model", "load_store", "load_judge"} <= set(timings)
    assert all(v >= 0 for v in timings.values())


def test_ask_off_flag(session_home, ingested, capsys, monkeypatch) -> None:
    """In-process (typer, the same `run` the `twin` command calls): the subprocess path is
    covered above; a second cold process would only load the same models again."""
    from twin_cli.main import run as run_in_process

    monkeypatch.setenv("TQDM_DISABLE", "1")  # `ask --json` sets it; restored after the test
    code = run_in_process(["ask", "Where do you live?", "--json", "--off", "retrieve,judge", "--home",
                           str(session_home)])
    out = capsys.readouterr().out
    assert code == 0
    data = json.loads(out)
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


@pytest.mark.slow  # loads the training stack (torch, transformers, peft)
def test_train_lora_bad_options_are_clear(tmp_path, capsys, monkeypatch) -> None:
    import twin_cli.main as cli

    monkeypatch.setattr(cli.app, "registered_groups", list(cli.app.registered_groups))  # undone after the test
    cli.register_subapps()  # what `main` does before it runs a command
    (tmp_path / "train.jsonl").write_text("")
    code = cli.run(["train", "lora", str(tmp_path), "--out", str(tmp_path / "run"), "--phase", "style",
                   "--layer-share", "0", "--home", str(tmp_path)])
    err = capsys.readouterr().err
    assert code != 0 and "layer-share must be in (0, 1]" in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()  # refused before anything was written


def test_ctrl_c_stops_the_model_within_a_token(base_config, ingested) -> None:
    """A real SIGINT mid-answer (raised from the generating thread at its third token, as Ctrl-C
    would arrive) unwinds `twin ask`'s stream and the model stops: it no longer runs to its limit."""
    import copy
    import os
    import signal

    from graph.runner import TwinRunner
    from tests.model_support import counting_forwards
    from twin_cli.main import _print_stream

    # a terminal's Python starts with the default handler, but a suite started as a background job
    # of a non-interactive shell (`make test &`) inherits SIGINT ignored, which `twin ask` rightly
    # respects: start from the terminal's handler and put back what was found
    found = signal.signal(signal.SIGINT, signal.default_int_handler)
    config = copy.deepcopy(base_config)
    config.persona.max_new_tokens, config.persona.max_sentences = 48, 0
    runner = TwinRunner(config)
    interrupted: list[bool] = []

    def on_pass() -> bool:  # in the generating thread, once per token
        if len(passes) == 3 and not interrupted:
            interrupted.append(True)
            os.kill(os.getpid(), signal.SIGINT)
            return False
        return bool(interrupted)

    try:
        with counting_forwards(runner.ctx.persona_model, after=on_pass) as passes:
            with pytest.raises(KeyboardInterrupt):
                _print_stream(runner, "Write a long poem about the sea, please.", None, as_json=True)
            assert runner.ctx.persona_model.weights().lock.acquire(timeout=60), "the stopped answer let go of the model"
            runner.ctx.persona_model.weights().lock.release()
    finally:
        runner.close()
        restored = signal.signal(signal.SIGINT, found)
    assert interrupted, "the answer was generated"
    assert len(passes) < config.persona.max_new_tokens, f"{len(passes)} tokens: Ctrl-C did not stop the model"
    assert restored is signal.default_int_handler, "the handler is put back"
