"""Issue 14, findings 4, 6 and 8: the CLI as a user runs it (subprocesses). Every failure is
one line on stderr with a non-zero exit, found before any model loads; common options work
before the subcommand; `config init` writes a placeholder person; `--version`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

TWIN = [sys.executable, "-m", "twin_cli"]
# Runs the CLI in-process and reports which heavy libraries it imported before exiting.
PROBE = """
import sys
from twin_cli.main import main
sys.argv = ["twin", *sys.argv[1:]]
try:
    main()
except SystemExit as done:
    heavy = sorted(m for m in ("torch", "transformers", "chromadb", "sentence_transformers", "guardrails")
                   if m in sys.modules)
    print("HEAVY=" + ",".join(heavy), file=sys.stderr)
    raise
"""


def run(*args: str, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*TWIN, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def probe(*args: str) -> tuple[subprocess.CompletedProcess, str, str]:
    """(process, the error line, heavy modules imported) for a CLI run expected to fail."""
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120)
    lines = proc.stderr.strip().splitlines()
    heavy = lines[-1].removeprefix("HEAVY=")
    errors = [line for line in lines[:-1] if not line.startswith("warning:")]
    assert len(errors) == 1, f"expected one error line, got: {proc.stderr}"
    assert "Traceback" not in proc.stderr
    return proc, errors[0], heavy


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_chroma_fails_even_for_a_question_that_never_searches(tmp_path: Path) -> None:
    """Finding 4: `ask "hi"` exited 0 with a dead --chroma-url; a searching question printed a traceback."""
    url = f"http://127.0.0.1:{free_port()}"
    for args in (["ask", "hi", "--chroma-url", url, "--home", str(tmp_path)],
                 ["--chroma-url", url, "ask", "What keyboard do you use?", "--home", str(tmp_path)],
                 ["ingest", "--chroma-url", url, "--home", str(tmp_path)],
                 ["chat", "--chroma-url", url, "--home", str(tmp_path)]):  # a common flag after `chat` too
        proc, line, heavy = probe(*args)
        assert proc.returncode == 2
        assert line.startswith(f"error: cannot reach the Chroma server at {url} (")
        assert line.endswith("start it with `chroma run --path DIR --port "
                             f"{url.rsplit(':', 1)[1]}` or unset retrieval.chroma_url / --chroma-url")
        assert heavy == "", "the server is checked before anything loads"


def test_malformed_urls_are_one_line(tmp_path: Path) -> None:
    proc, line, heavy = probe("ask", "hi", "--ollama-host", "http://[::1", "--home", str(tmp_path))
    assert proc.returncode == 2 and heavy == ""
    assert line == "error: persona.ollama_host must look like http://HOST:PORT, got 'http://[::1' (Invalid IPv6 URL)"
    proc, line, _ = probe("ask", "hi", "--chroma-url", "http://:80", "--home", str(tmp_path))
    assert proc.returncode == 2 and line == "error: retrieval.chroma_url must look like http://HOST:PORT, got 'http://:80'"


def test_model_and_adapter_paths_are_checked_before_anything_loads(tmp_path: Path) -> None:
    """Finding 6: --model /nonexistent and --adapter /tmp failed only after 26 s / 60 s of loading."""
    home = str(tmp_path / "home")
    cases = {
        ("--model", "/nonexistent"): "error: persona.model: model folder not found: /nonexistent",
        ("--adapter", "/tmp"): "error: persona.adapters: not a peft adapter folder (no adapter_config.json): /tmp; "
                               "give the adapter folder `twin train lora` wrote (RUN/adapter)",
        ("--model", str(tmp_path)): f"error: persona.model: not a model folder (no config.json): {tmp_path}; "
                                    "give an HF model folder or a .gguf file",
        ("--model", "no-such-org/no-such-model"): "error: persona.model: model 'no-such-org/no-such-model' is not a "
                                                  "folder, not a .gguf file and not in the local Hugging Face cache "
                                                  "(Twin runs offline: download it once with `huggingface-cli "
                                                  "download`, or give a folder)",
    }
    fake_gguf = tmp_path / "fake.gguf"
    fake_gguf.write_text("not really")
    cases[("--model", str(fake_gguf))] = f"error: persona.model: not a GGUF file (it does not start with 'GGUF'): {fake_gguf}"
    no_weights = tmp_path / "adapter"
    no_weights.mkdir()
    (no_weights / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA"}))
    cases[("--adapter", str(no_weights))] = (f"error: persona.adapters: adapter folder {no_weights} has no weights "
                                             "(adapter_model.safetensors or adapter_model.bin)")
    for flags, expected in cases.items():
        proc, line, heavy = probe("ask", "hi", *flags, "--home", home)
        assert (proc.returncode, line) == (2, expected)
        assert heavy == "", f"{flags}: nothing heavy is imported to find a bad path"


def test_a_model_folder_copied_in_part_fails_before_anything_loads(tmp_path: Path) -> None:
    """A folder with config.json but no tokenizer (or no weights) passed the check, loaded for
    seconds, then ended in "unexpected ValueError: Couldn't instantiate the backend tokenizer"."""
    home = str(tmp_path / "home")
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "llama"}))
    hint = "copy the whole model folder (config.json, tokenizer, weights) or give a .gguf file"
    proc, line, heavy = probe("ask", "hi", "--model", str(folder), "--home", home)
    assert (proc.returncode, line, heavy) == (
        2, f"error: persona.model: model folder {folder} has no weights (*.safetensors or *.bin); {hint}", "")
    (folder / "model.safetensors").write_bytes(b"\0" * 8)
    proc, line, heavy = probe("ask", "hi", "--model", str(folder), "--home", home)
    assert (proc.returncode, line, heavy) == (
        2, f"error: persona.model: model folder {folder} has no tokenizer (tokenizer.json or tokenizer.model); "
           f"{hint}", "")


def test_common_options_work_before_and_after_the_subcommand(tmp_path: Path) -> None:
    """Finding 8: `twin --home X config show` was refused; there was no --version."""
    a, b = tmp_path / "a", tmp_path / "b"
    shown = json.loads(run("--home", str(a), "config", "show").stdout)
    assert shown["home"] == str(a.resolve())
    shown = json.loads(run("--home", str(a), "config", "show", "--home", str(b)).stdout)
    assert shown["home"] == str(b.resolve()), "the option after the subcommand wins"
    cfg = tmp_path / "other.toml"
    cfg.write_text("[retrieval]\nk = 5\n")
    assert json.loads(run("--config", str(cfg), "config", "show").stdout)["retrieval"]["k"] == 5
    assert json.loads(run("--chroma-url", "http://127.0.0.1:9", "config", "show").stdout)["retrieval"]["chroma_url"] \
        == "http://127.0.0.1:9"
    version = run("--version")
    assert version.returncode == 0 and version.stdout.strip() == "twin 0.1.0"


def test_config_init_writes_a_placeholder_person_and_says_so(tmp_path: Path) -> None:
    proc = run("--home", str(tmp_path), "config", "init")
    assert proc.returncode == 0 and proc.stdout.strip() == str(tmp_path.resolve() / "twin.toml")
    text = (tmp_path / "twin.toml").read_text()
    assert 'person = "Your Name"' in text and "Noa" not in text
    assert "set `person" in proc.stderr
    shown = json.loads(run("config", "show", "--home", str(tmp_path)).stdout)
    assert shown["person"] == "Your Name"


def test_placeholder_person_warns_at_ask_time(tmp_path: Path, capsys) -> None:
    from cmdline.config import warn_if_placeholder
    from twin.config import Config

    warn_if_placeholder(Config(home=str(tmp_path), person="Your Name"))
    assert "person is still 'Your Name'" in capsys.readouterr().err
    warn_if_placeholder(Config(home=str(tmp_path)))
    assert capsys.readouterr().err == ""


def test_a_data_home_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.write_text("not a folder")
    proc, line, heavy = probe("ask", "hi", "--home", str(home))
    assert (proc.returncode, heavy) == (2, "")
    assert line == f"error: data home {home} is a file; give a folder with --home or TWIN_HOME"


def test_empty_question_and_bad_config_file_are_one_line(tmp_path: Path) -> None:
    proc, line, _ = probe("ask", "   ", "--home", str(tmp_path))
    assert (proc.returncode, line) == (2, "error: the question is empty")
    (tmp_path / "twin.toml").write_text("[kb]\nmax_file_bytes = -1\n")
    proc, line, _ = probe("ask", "hi", "--home", str(tmp_path))
    assert proc.returncode == 2 and line.startswith("error: kb.max_file_bytes = -1 is too small")


BOOM = """
import sys
import twin_cli.main as cli

@cli.app.command("boom")
def boom() -> None:
    raise RuntimeError("kaboom\\nsecond line")

sys.argv = ["twin", "boom"]
cli.main()
"""


@pytest.mark.parametrize("debug", [False, True])
def test_unexpected_errors_stop_at_the_cli_boundary(debug: bool) -> None:
    env = {**os.environ, "TWIN_DEBUG": "1" if debug else ""}
    proc = subprocess.run([sys.executable, "-c", BOOM], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 1
    if debug:
        assert "Traceback" in proc.stderr and "kaboom" in proc.stderr
    else:
        assert proc.stderr.strip() == ("error: unexpected RuntimeError: kaboom second line (a bug in Twin; "
                                       "run again with --debug for the traceback)")
