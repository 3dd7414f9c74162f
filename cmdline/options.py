"""The options several commands share, typed once (``Annotated`` aliases for typer)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

HomeOpt = Annotated[Optional[Path], typer.Option("--home", help="Data home (stores, adapters, logs). Env: TWIN_HOME.")]
ConfigOpt = Annotated[Optional[Path], typer.Option("--config", "-c", help="TOML config file (default: <home>/twin.toml).")]
BackendOpt = Annotated[Optional[str], typer.Option("--backend", help="Chat backend: local | ollama.")]
ModelOpt = Annotated[Optional[str], typer.Option("--model", help="Model: 'embedded', HF dir/id, .gguf file, or Ollama model.")]
AdapterOpt = Annotated[Optional[list[str]], typer.Option("--adapter", help="peft adapter dir (repeat to stack).")]
HostOpt = Annotated[Optional[str], typer.Option("--ollama-host", help="Ollama host URL.")]
ChromaOpt = Annotated[Optional[str], typer.Option("--chroma-url", help="Chroma server http://HOST:PORT.")]
