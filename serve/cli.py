"""`twin serve` (run the web service) and `twin serve token create|list|revoke`.

Import-light on purpose (``twin --help`` loads this module): the server's imports live inside
the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from cmdline.config import build_config, warn_if_not_ingested
from cmdline.errors import fail
from cmdline.options import AdapterOpt, BackendOpt, ChromaOpt, ConfigOpt, HomeOpt, HostOpt, ModelOpt
from cmdline.preflight import check_backends

app = typer.Typer(add_completion=False, help="Serve the twin over HTTP (OpenAI-compatible API, widget).")
token_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Create, list and revoke bearer tokens.")
app.add_typer(token_app, name="token")


def _config(home: Optional[Path], config_path: Optional[Path], **kwargs: Any) -> Any:
    return build_config(home, config_path, **kwargs)


@app.callback(invoke_without_command=True)
def serve(
    ctx: typer.Context,
    host: Annotated[Optional[str], typer.Option("--host", help="Address to listen on ([serve] host).")] = None,
    port: Annotated[Optional[int], typer.Option("--port", help="Port ([serve] port).")] = None,
    public: Annotated[Optional[bool], typer.Option("--public/--private", help="Anonymous callers may use the ask endpoints.")] = None,
    workers: Annotated[Optional[int], typer.Option("--workers", help="Answers computed at once.")] = None,
    queue_size: Annotated[Optional[int], typer.Option("--queue-size", help="Answers that may wait; then 429.")] = None,
    checkpointer: Annotated[Optional[str], typer.Option("--checkpointer", help='Threads: "sqlite" or a postgres:// URL.')] = None,
    cors_origin: Annotated[Optional[list[str]], typer.Option("--cors-origin", help="Origin allowed to call from a browser (repeat).")] = None,
    home: HomeOpt = None, config_path: ConfigOpt = None,
    backend: BackendOpt = None, model: ModelOpt = None, adapter: AdapterOpt = None, ollama_host: HostOpt = None,
    chroma_url: ChromaOpt = None,
    off: Annotated[Optional[str], typer.Option("--off", help="Nodes to switch off for every answer, e.g. rerank.")] = None,
) -> None:
    """Run the HTTP service (see docs/serve.md). Ctrl-C / SIGTERM finishes running answers first."""
    if ctx.invoked_subcommand is not None:
        return
    extra = {"serve.host": host, "serve.port": port, "serve.public": public, "serve.workers": workers,
             "serve.queue_size": queue_size, "serve.checkpointer": checkpointer,
             "serve.cors_origins": list(cors_origin) if cors_origin else None}
    config = _config(home, config_path, backend=backend, model=model, adapters=adapter, ollama_host=ollama_host,
                     chroma_url=chroma_url, off=off, extra=extra)
    check_backends(config)
    warn_if_not_ingested(config)
    from serve.server import run
    from serve.tokens import TokenError

    try:
        run(config)
    except (ConnectionError, OSError, RuntimeError, TokenError) as exc:
        fail(str(exc))


def _store(home: Optional[Path], config_path: Optional[Path]) -> Any:
    from serve.tokens import TokenStore, tokens_path

    return TokenStore(tokens_path(_config(home, config_path)))


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="Who or what uses the token, e.g. 'blog' or 'open-webui'.")],
    rate: Annotated[int, typer.Option("--rate", help="Requests per minute for this token (-1 = [serve] default, 0 = no limit).")] = -1,
    home: HomeOpt = None, config_path: ConfigOpt = None,
) -> None:
    """Create a token and print it once (only its hash is kept)."""
    from serve.tokens import TokenError

    if rate < -1:
        fail("--rate must be -1 (the server default), 0 (no limit) or a number of requests per minute")
    store = _store(home, config_path)
    try:
        record, token = store.create(name, rate)
    except TokenError as exc:
        fail(str(exc))
        return
    typer.echo(token)
    typer.echo(f"token {record.id} ({record.name}) created in {store.path}; it is shown only now: "
               "keep it somewhere safe", err=True)


@token_app.command("list")
def token_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
               home: HomeOpt = None, config_path: ConfigOpt = None) -> None:
    """List tokens (ids, names, creation dates; never the tokens themselves)."""
    from serve.tokens import TokenError

    try:
        records = _store(home, config_path).records()
    except TokenError as exc:
        fail(str(exc))
        return
    rows = [{"id": r.id, "name": r.name, "created": r.created, "rate_limit_per_minute": r.rate_limit_per_minute}
            for r in records]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    if not rows:
        typer.echo("no tokens; create one with `twin serve token create NAME`")
    for row in rows:
        rate = {-1: "default rate", 0: "no rate limit"}.get(row["rate_limit_per_minute"], f"{row['rate_limit_per_minute']}/min")
        typer.echo(f"{row['id']}  {row['name']:<24} {row['created']}  {rate}")


@token_app.command("revoke")
def token_revoke(key: Annotated[str, typer.Argument(help="The token's id or name.")],
                 home: HomeOpt = None, config_path: ConfigOpt = None) -> None:
    """Revoke a token (a running server stops accepting it at once)."""
    from serve.tokens import TokenError

    try:
        record = _store(home, config_path).revoke(key)
    except TokenError as exc:
        fail(str(exc))
        return
    typer.echo(f"revoked {record.id} ({record.name})")
