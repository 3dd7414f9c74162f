"""The ``twin`` command line: ingest, ask, chat, config, eval, train, serve.

Common options work before the subcommand (``twin --home X config show``) as well as
after it (after wins). Errors are one line on stderr: exit code 2 when a command cannot
start (bad config value, missing model or adapter path, unreachable server), 1 when it
fails while running. Nothing raises past :func:`main`; ``--debug`` (or ``TWIN_DEBUG=1``)
shows the traceback of an unexpected error.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from twin import loadtime, offline

offline.apply()

from cmdline.config import build_config, global_options, warn_if_not_ingested, warn_if_placeholder  # noqa: E402
from cmdline.errors import DEBUG_ENV, expected_errors, fail, one_line  # noqa: E402
from cmdline.options import AdapterOpt, BackendOpt, ChromaOpt, ConfigOpt, HomeOpt, HostOpt, ModelOpt  # noqa: E402
from cmdline.preflight import check_backends  # noqa: E402
from twin.config import CONFIG_ENV, PERSON_PLACEHOLDER, ConfigError, example_toml, resolve_home, to_dict  # noqa: E402

if TYPE_CHECKING:
    from graph.result import TurnResult

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Twin: a personal AI twin grounded in your notes.")
_RUN = {"owns_process": False}  # True under main(): the process ends with the command

OffOpt = Annotated[Optional[str], typer.Option("--off", help="Nodes to switch off, e.g. retrieve,judge.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object, nothing else.")]


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"twin {version('twin')}")
        except PackageNotFoundError:  # running from a source tree that was never installed
            typer.echo("twin (not installed)")
        raise typer.Exit(0)


@app.callback()
def common_options(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    home: HomeOpt = None, config_path: ConfigOpt = None, backend: BackendOpt = None, model: ModelOpt = None,
    adapter: AdapterOpt = None, ollama_host: HostOpt = None, chroma_url: ChromaOpt = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of unexpected errors. Env: TWIN_DEBUG=1.")] = False,
) -> None:
    """Options given before the subcommand apply to it (the same option after it wins)."""
    ctx.obj = {"home": home, "config_path": config_path, "backend": backend, "model": model, "adapter": adapter,
               "ollama_host": ollama_host, "chroma_url": chroma_url}
    # Sub-apps that read the config themselves (train) see these through the environment.
    if home:
        os.environ["TWIN_HOME"] = str(home.expanduser())
    if config_path:
        os.environ[CONFIG_ENV] = str(config_path.expanduser())
    if debug:
        os.environ[DEBUG_ENV] = "1"


@app.command()
def ingest(
    notes_dirs: Annotated[Optional[list[Path]], typer.Argument(
        help="Notes folders, each its own source (default: kb.sources, kb.notes_dir or the sample notes).")] = None,
    watch: Annotated[bool, typer.Option("--watch", help="Keep watching the folders and re-index on change.")] = False,
    as_json: JsonOpt = False, home: HomeOpt = None, config_path: ConfigOpt = None, chroma_url: ChromaOpt = None,
) -> None:
    """Index notes folders (incremental; private notes are fingerprinted, never indexed)."""
    if as_json:
        os.environ["TQDM_DISABLE"] = "1"
    from kb.cli import run_ingest

    config = build_config(home, config_path, chroma_url=chroma_url)
    check_backends(config, models=False)
    raise typer.Exit(run_ingest(config, notes_dirs, watch=watch, as_json=as_json))


kb_app = typer.Typer(help="The knowledge base's sources (notes folders).", no_args_is_help=True)
app.add_typer(kb_app, name="kb")


@kb_app.command("list")
def kb_list(as_json: JsonOpt = False, home: HomeOpt = None, config_path: ConfigOpt = None,
            chroma_url: ChromaOpt = None) -> None:
    """List the notes folders in the index, with their notes and chunks."""
    from kb.cli import run_list

    raise typer.Exit(run_list(build_config(home, config_path, chroma_url=chroma_url), as_json))


@kb_app.command("move")
def kb_move(
    source: Annotated[str, typer.Argument(help="The source label shown by `twin kb list`.")],
    folder: Annotated[Path, typer.Argument(help="Where that source's notes are now.")],
    home: HomeOpt = None, config_path: ConfigOpt = None, chroma_url: ChromaOpt = None,
) -> None:
    """Reattach a source whose folder moved (its notes keep their vectors; nothing is deleted)."""
    from kb.cli import run_move

    raise typer.Exit(run_move(build_config(home, config_path, chroma_url=chroma_url), source, folder))


@kb_app.command("remove")
def kb_remove(
    source: Annotated[str, typer.Argument(help="The source label shown by `twin kb list`.")],
    home: HomeOpt = None, config_path: ConfigOpt = None, chroma_url: ChromaOpt = None,
) -> None:
    """Remove one folder's notes from the index (the folder itself is untouched)."""
    from kb.cli import run_remove

    raise typer.Exit(run_remove(build_config(home, config_path, chroma_url=chroma_url), source))


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
    if not question.strip():
        fail("the question is empty")
    config = build_config(home, config_path, backend, model, adapter, ollama_host, chroma_url, off)
    check_backends(config)
    warn_if_not_ingested(config)
    warn_if_placeholder(config)
    startup_ms = _since_process_start_ms() if _RUN["owns_process"] else 0.0  # in-process callers: no start-up
    graph_start = time.perf_counter()
    from graph.result import public_json
    from graph.runner import TwinRunner

    runner = TwinRunner(config)
    graph_ms = (time.perf_counter() - graph_start) * 1000
    try:
        result = _print_stream(runner, question, thread, as_json)
    finally:
        runner.close()
    loads = {"startup": startup_ms, "graph": graph_ms} if startup_ms else {"graph": graph_ms}
    result["timings_ms"] = loadtime.merge(result.get("timings_ms", {}), loads)
    if as_json:
        typer.echo(json.dumps(public_json(result), ensure_ascii=False))
    else:
        typer.echo(_trailer(result), err=True)
    if _RUN["owns_process"]:
        fast_exit(0)  # a `twin` process: the answer is out, skip the slow interpreter teardown


def _since_process_start_ms() -> float:
    """Interpreter start, imports, config and checks: what a cold `twin ask` costs before the graph."""
    try:
        import psutil

        return max(time.time() - psutil.Process().create_time(), 0.0) * 1000
    except Exception:  # noqa: BLE001 - a missing /proc must not fail a question
        return 0.0


def _cite(source: dict[str, Any]) -> str:
    """``label:path`` when the source's folder is known (several folders share one index)."""
    return f"{source['source']}:{source['path']}" if source.get("source") else source["path"]


def _print_stream(runner: Any, question: str, thread: Optional[str], as_json: bool) -> TurnResult:
    from graph.release import REPLACE

    result: Any = {}
    cancel = threading.Event()
    with _cancel_on_interrupt(cancel):
        for event in runner.stream(question, thread_id=thread, cancel=cancel):
            if event.kind == "token" and not as_json:
                sys.stdout.write("\n[judged answer]\n" if event.text == REPLACE else event.text)
                sys.stdout.flush()
            elif event.kind == "result":
                result = event.data
    return result


@contextmanager
def _cancel_on_interrupt(cancel: threading.Event) -> Iterator[None]:
    """Ctrl-C sets ``cancel`` before the KeyboardInterrupt unwinds the turn, so the model stops
    within a token instead of finishing the answer nobody will read (main thread only: signal
    handlers can be set nowhere else)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def interrupted(signum: int, frame: Any) -> None:
        if previous == signal.SIG_IGN:
            return
        cancel.set()
        if callable(previous):
            previous(signum, frame)  # Python's own handler raises KeyboardInterrupt
        else:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _trailer(result: TurnResult) -> str:
    """The line after a streamed answer: route, verdict, which path answered and why when the
    model's own answer was not the one shown, sources, and where the time went."""
    cited = dict.fromkeys(f"{_cite(s)} ({s['date']})" for s in result.get("sources", []))  # a note once
    sources = ", ".join(cited)
    verdict = result.get("judge", {}).get("verdict")
    timings = result.get("timings_ms", {})
    total = sum(timings.values()) / 1000
    loading = sum(v for k, v in timings.items() if k.startswith("load_")) / 1000
    took = f"{total:.1f} s" + (f", {loading:.1f} s of it loading" if loading >= 0.05 else "")
    by, why = result.get("answered_by", ""), result.get("why", "")
    answered = f" · answered by {by}" + (f" ({why})" if why else "") if by and by != "model" else ""
    return f"\n\n— route: {result.get('route')} · judge: {verdict}{answered} · sources: {sources or 'none'} · {took}"


@app.command()
def chat(home: HomeOpt = None, config_path: ConfigOpt = None, backend: BackendOpt = None, model: ModelOpt = None,
         adapter: AdapterOpt = None, off: OffOpt = None, ollama_host: HostOpt = None,
         chroma_url: ChromaOpt = None) -> None:
    """Open the chat UI (Textual)."""
    config = build_config(home, config_path, backend, model, adapter, ollama_host, chroma_url, off=off)
    check_backends(config)
    from twin_tui.launch import run_app

    run_app(config)


config_app = typer.Typer(help="Show or create the configuration file.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("show")
def config_show(home: HomeOpt = None, config_path: ConfigOpt = None) -> None:
    """Print the effective configuration as JSON."""
    typer.echo(json.dumps(to_dict(build_config(home, config_path)), indent=2))


@config_app.command("init")
def config_init(home: HomeOpt = None, force: Annotated[bool, typer.Option("--force")] = False) -> None:
    """Write the documented default config to <home>/twin.toml (person: a placeholder to fill in)."""
    home = home or global_options().get("home")
    target = resolve_home(str(home) if home else None) / "twin.toml"
    if target.exists() and not force:
        fail(f"{target} exists; pass --force to overwrite")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(example_toml(person=PERSON_PLACEHOLDER), encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {target}: {exc.strerror or exc}")
    typer.echo(str(target))
    typer.echo(f"next: set `person = \"Your Full Name\"` in {target} (it says {PERSON_PLACEHOLDER!r} until you do)",
               err=True)


def register_subapps() -> None:
    """Sub-commands owned by other packages (kept import-light)."""
    from evals.cli import app as eval_app
    from persona.cli import app as train_app
    from serve.cli import app as serve_app

    app.add_typer(eval_app, name="eval", help="Run evaluation suites and compare runs.")
    app.add_typer(train_app, name="train", help="Build persona training data, train and export LoRA adapters.")
    app.add_typer(serve_app, name="serve", help="Serve the twin over HTTP: OpenAI-compatible API, chat widget, tokens.")


def main() -> None:
    """The ``twin`` entry point: one command, then exit (nothing raises past here)."""
    _RUN["owns_process"] = True
    register_subapps()
    sys.exit(run())


def run(argv: Optional[list[str]] = None) -> int:
    """Run one command (``argv`` without the program name; default: sys.argv) and return its
    exit code. Every error ends here as one line on stderr (see the module docstring)."""
    try:
        app(args=argv, prog_name="twin")
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            return int(done.code or 0)
        typer.echo(str(done.code), err=True)
        return 1
    except BrokenPipeError:  # `twin ask ... | head`: the reader left; nothing more to say
        os._exit(1)
    except Exception as exc:  # noqa: BLE001 - the CLI boundary
        if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
            raise
        if isinstance(exc, expected_errors()):
            typer.echo(f"error: {one_line(exc)}", err=True)
            return 2 if isinstance(exc, ConfigError) else 1
        typer.echo(f"error: unexpected {type(exc).__name__}: {one_line(exc)} (a bug in Twin; run again with "
                   "--debug for the traceback)", err=True)
        return 1
    return 0


def fast_exit(code: int = 0) -> None:
    """End a finished read-only command (``ask``) without the interpreter's teardown of torch,
    transformers, chromadb... (2-4 s on 2 cores, after the answer is already on screen).
    Output is flushed and atexit handlers run first; the checkpointer is closed by then."""
    import atexit

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    atexit._run_exitfuncs()
    os._exit(code)


if __name__ == "__main__":
    main()
