"""One validated Config from the config file and the command-line flags, and the warnings a
command that answers questions gives about it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from cmdline.errors import fail
from twin.config import PERSON_PLACEHOLDER, Config, ConfigError, apply_overrides, load_config


def global_options() -> dict[str, Any]:
    """The common options given before the subcommand (empty outside a CLI run)."""
    import click

    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx is not None else None
    return dict(root.obj) if root is not None and isinstance(root.obj, dict) else {}


def build_config(
    home: Optional[Path] = None, config_path: Optional[Path] = None, backend: Optional[str] = None,
    model: Optional[str] = None, adapters: Optional[list[str]] = None, ollama_host: Optional[str] = None,
    chroma_url: Optional[str] = None, off: Optional[str] = None, extra: Optional[dict[str, Any]] = None,
) -> Config:
    """Config file + flags → one validated Config (flags after the subcommand, then flags
    before it, then the file)."""
    given = global_options()
    home = home or given.get("home")
    config_path = config_path or given.get("config_path")
    backend = backend or given.get("backend")
    model = model or given.get("model")
    adapters = adapters or given.get("adapter")
    ollama_host = ollama_host or given.get("ollama_host")
    chroma_url = chroma_url or given.get("chroma_url")
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


def warn_if_not_ingested(config: Config) -> None:
    from kb.state import last_notes_dir

    if last_notes_dir(config.home_path) is None:
        typer.echo(f"warning: no notes are indexed in {config.home_path} yet; run `twin ingest NOTES_DIR` "
                   "(answers come from the model alone until then)", err=True)


def warn_if_placeholder(config: Config) -> None:
    if config.person.strip() == PERSON_PLACEHOLDER:
        typer.echo(f"warning: person is still {PERSON_PLACEHOLDER!r} in the config; set `person = \"Your Full "
                   f"Name\"` in {config.home_path / 'twin.toml'}", err=True)
