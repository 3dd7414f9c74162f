"""The ``twin`` command line: ingest, ask, chat, config, eval, train, serve."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from twin import offline

offline.apply()

from twin.config import Config, ConfigError, apply_overrides, load_config, to_dict  # noqa: E402

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Twin: a personal AI twin grounded in your notes.")

HomeOpt = Annotated[Optional[Path], typer.Option("--home", help="Data home (stores, adapters, logs). Env: TWIN_HOME.")]
ConfigOpt = Annotated[Optional[Path], typer.Option("--config", "-c", help="TOML config file (default: <home>/twin.toml).")]
BackendOpt = Annotated[Optional[str], typer.Option("--backend", help="Chat backend: local | ollama.")]
ModelOpt = Annotated[Optional[str], typer.Option("--model", help="Model: 'embedded', HF dir/id, .gguf file, or Ollama model.")]
AdapterOpt = Annotated[Optional[list[str]], typer.Option("--adapter", help="peft adapter dir (repeat to stack).")]
OffOpt = Annotated[Optional[str], typer.Option("--off", help="Nodes to switch off, e.g. retrieve,judge.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object, nothing else.")]
HostOpt = Annotated[Optional[str], typer.Option("--ollama-host", help="Ollama host URL.")]
ChromaOpt = Annotated[Optional[str], typer.Option("--chroma-url", help="Chroma server http://HOST:PORT.")]


def fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def build_config(
    home: Optional[Path] = None, config_path: Optional[Path] = None, backend: Optional[str] = None,
    model: Optional[str] = None, adapters: Optional[list[str]] = None, ollama_host: Optional[str] = None,
    chroma_url: Optional[str] = None, off: Optional[str] = None, extra: Optional[dict[str, Any]] = None,
) -> Config:
    """Config file + flags → one validated Config (flags win)."""
    try:
        config = load_config(config_path, str(home) if home else None)
        overrides: dict[str, Any] = {
            "persona.backend": backend, "base.backend": backend,
            "persona.model": model, "base.model": model,
            "persona.ollama_host": ollama_host, "base.ollama_host": ollama_host,
            "retrieval.chroma_url": chroma_url, **(extra or {}),
        }
        if adapters:
            overrides["persona.adapters"] = [str(Path(a).expanduser()) for a in adapters]
        config = apply_overrides(config, overrides)
        if off:
            config.nodes = config.nodes.with_off(parse_off(off))
        return config
    except ConfigError as exc:
        fail(str(exc))
        raise  # unreachable


def parse_off(off: Optional[str]) -> list[str]:
    return [p.strip() for p in (off or "").split(",") if p.strip()]


def check_backends(config: Config) -> None:
    """Fail early, in one line, when an Ollama host is down or lacks the model."""
    from llm.errors import BackendError
    from llm.factory import chat_model

    for cfg in {id(c): c for c in (config.persona, config.base) if c.backend == "ollama"}.values():
        try:
            chat_model(cfg, config.home_path).check()
        except BackendError as exc:
            fail(str(exc))


def warn_if_not_ingested(config: Config) -> None:
    from kb.state import last_notes_dir

    if last_notes_dir(config.home_path) is None:
        typer.echo(f"warning: no notes are indexed in {config.home_path} yet; run `twin ingest NOTES_DIR` "
                   "(answers come from the model alone until then)", err=True)


@app.command()
def ingest(
    notes_dir: Annotated[Optional[Path], typer.Argument(help="Notes folder (default: kb.notes_dir or the sample notes).")] = None,
    watch: Annotated[bool, typer.Option("--watch", help="Keep watching the folder and re-index on change.")] = False,
    as_json: JsonOpt = False, home: HomeOpt = None, config_path: ConfigOpt = None, chroma_url: ChromaOpt = None,
) -> None:
    """Index a notes folder (incremental; private notes are fingerprinted, never indexed)."""
    if as_json:
        os.environ["TQDM_DISABLE"] = "1"
    from kb.cli import run_ingest

    config = build_config(home, config_path, chroma_url=chroma_url)
    raise typer.Exit(run_ingest(config, notes_dir, watch=watch, as_json=as_json))


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question to ask the twin.")],
    as_json: JsonOpt = False, off: OffOpt = None,
    thread: Annotated[Optional[str], typer.Option("--thread", help="Continue a saved conversation.")] = None,
    home: HomeOpt = None, config_path: ConfigOpt = None, backend: BackendOpt = None, model: ModelOpt = None,
    adapter: AdapterOpt = None, ollama_host: HostOpt = None, chroma_url: ChromaOpt = None,
) -> None:
    """Ask one question; prints the answer (streamed) or --json."""
    if as_json:
        os.environ["TQDM_DISABLE"] = "1"
    config = build_config(home, config_path, backend, model, adapter, ollama_host, chroma_url, off)
    check_backends(config)
    warn_if_not_ingested(config)
    from graph.runner import TwinRunner
    from llm.errors import BackendError

    runner = TwinRunner(config)
    try:
        result = _print_stream(runner, question, thread, as_json)
    except BackendError as exc:
        fail(str(exc))
    finally:
        runner.close()
    if as_json:
        typer.echo(json.dumps(_public(result), ensure_ascii=False))


def _public(result: dict[str, Any]) -> dict[str, Any]:
    keys = ("answer", "route", "query", "sources", "judge", "timings_ms", "input_flags", "thread_id", "toggles")
    return {k: result[k] for k in keys}


def _print_stream(runner: Any, question: str, thread: Optional[str], as_json: bool) -> dict[str, Any]:
    from graph.release import REPLACE

    result: dict[str, Any] = {}
    for event in runner.stream(question, thread_id=thread):
        if event.kind == "token" and not as_json:
            sys.stdout.write("\n[judged answer]\n" if event.text == REPLACE else event.text)
            sys.stdout.flush()
        elif event.kind == "result":
            result = event.data
    if not as_json:
        sources = ", ".join(f"{s['path']} ({s['date']})" for s in result.get("sources", []))
        verdict = result.get("judge", {}).get("verdict")
        typer.echo(f"\n\n— route: {result.get('route')} · judge: {verdict} · sources: {sources or 'none'}", err=True)
    return result


@app.command()
def chat(home: HomeOpt = None, config_path: ConfigOpt = None, backend: BackendOpt = None, model: ModelOpt = None,
         adapter: AdapterOpt = None, off: OffOpt = None, ollama_host: HostOpt = None) -> None:
    """Open the chat UI (Textual)."""
    config = build_config(home, config_path, backend, model, adapter, ollama_host, off=off)
    from tui import run_app

    run_app(config)


config_app = typer.Typer(help="Show or create the configuration file.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("show")
def config_show(home: HomeOpt = None, config_path: ConfigOpt = None) -> None:
    """Print the effective configuration as JSON."""
    typer.echo(json.dumps(to_dict(build_config(home, config_path)), indent=2))


@config_app.command("init")
def config_init(home: HomeOpt = None, force: Annotated[bool, typer.Option("--force")] = False) -> None:
    """Write the documented default config to <home>/twin.toml."""
    from twin.config import example_toml, resolve_home

    target = resolve_home(str(home) if home else None) / "twin.toml"
    if target.exists() and not force:
        fail(f"{target} exists; pass --force to overwrite")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(example_toml(), encoding="utf-8")
    typer.echo(str(target))


def register_subapps() -> None:
    """Sub-commands owned by other packages (kept import-light)."""
    from evals.cli import app as eval_app
    from persona.cli import app as train_app
    from serve.cli import app as serve_app

    app.add_typer(eval_app, name="eval", help="Run evaluation suites and compare runs.")
    app.add_typer(train_app, name="train", help="Build persona training data, train and export LoRA adapters.")
    app.add_typer(serve_app, name="serve", help="Serve the twin over HTTP: OpenAI-compatible API, chat widget, tokens.")


def main() -> None:
    register_subapps()
    app()


if __name__ == "__main__":
    main()
