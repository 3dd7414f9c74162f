"""The options every ``twin eval`` suite shares, declared once.

:func:`suite_command` appends them (after the command's own options, in this order) to a command's
signature and hands the command one :class:`Common` instead. Import-light: ``twin --help`` loads it.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from cmdline.options import AdapterOpt, BackendOpt, ConfigOpt, HomeOpt, ModelOpt

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object, nothing else.")]
LimitOpt = Annotated[Optional[int], typer.Option("--limit", min=1, help="Only the first N cases.")]
OffOpt = Annotated[Optional[str], typer.Option("--off", help="Nodes off for the whole run, e.g. judge,rerank.")]
OutOpt = Annotated[Optional[Path], typer.Option("--out", help="Folder for run folders (default: <home>/evals/runs).")]
TokensOpt = Annotated[int, typer.Option("--max-new-tokens", min=1, help="Answer length cap during evals.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed for the models (decoding is greedy anyway).")]
KbOpt = Annotated[Optional[Path], typer.Option("--kb", help="Notes folder to ingest into a temporary home (default: the sample notes).")]
SplitOpt = Annotated[Optional[str], typer.Option("--split", help="dev | test: one fixed half of the cases (by a hash of the id); tune on dev, report on test.")]
SetOpt = Annotated[Optional[list[str]], typer.Option("--set", help="Config override KEY=VALUE (TOML value), e.g. persona.context_weight=0.5; repeatable.")]
PersonOpt = Annotated[Path, typer.Option("--person", help="A person folder: notes/, questions.jsonl, person.toml (e.g. evals/data/people/heldout2).")]
KindsOpt = Annotated[Optional[str], typer.Option("--kinds", help="Only these kinds, e.g. update,everyday (default: all).")]

DEFAULT_TOKENS = 64


@dataclass
class Common:
    """The options every suite shares, gathered once (field names = the command's parameter names)."""

    as_json: bool = False
    limit: Optional[int] = None
    off: Optional[str] = None
    backend: Optional[str] = None
    model: Optional[str] = None
    adapter: Optional[list[str]] = None
    home: Optional[Path] = None
    config_path: Optional[Path] = None
    out: Optional[Path] = None
    max_new_tokens: int = DEFAULT_TOKENS
    seed: int = 0
    split: Optional[str] = None
    sets: Optional[list[str]] = None

    def config(self) -> Any:
        from cmdline.config import build_config
        from cmdline.preflight import check_backends
        from evals.env import eval_config

        built = build_config(self.home, self.config_path, self.backend, self.model, self.adapter, off=self.off,
                             extra=parse_sets(self.sets))
        config = eval_config(built, self.max_new_tokens, self.seed)
        check_backends(config)  # an unreachable Ollama fails here, in one line
        return config

    def cases(self, cases: list[Any]) -> list[Any]:
        """The cases of ``--split`` (all when not given)."""
        from evals.datasets import split_half

        return split_half(cases, self.split) if self.split else cases

    def emit(self, summary: dict[str, Any]) -> None:
        if self.as_json:
            typer.echo(json.dumps(summary, ensure_ascii=False, default=str))
            return
        from rich.console import Console

        from evals.report import print_summary

        print_summary(summary, Console())


# One typer parameter per Common field, in the order --help lists them.
SHARED = [
    inspect.Parameter("as_json", inspect.Parameter.KEYWORD_ONLY, annotation=JsonOpt, default=False),
    inspect.Parameter("limit", inspect.Parameter.KEYWORD_ONLY, annotation=LimitOpt, default=None),
    inspect.Parameter("off", inspect.Parameter.KEYWORD_ONLY, annotation=OffOpt, default=None),
    inspect.Parameter("backend", inspect.Parameter.KEYWORD_ONLY, annotation=BackendOpt, default=None),
    inspect.Parameter("model", inspect.Parameter.KEYWORD_ONLY, annotation=ModelOpt, default=None),
    inspect.Parameter("adapter", inspect.Parameter.KEYWORD_ONLY, annotation=AdapterOpt, default=None),
    inspect.Parameter("home", inspect.Parameter.KEYWORD_ONLY, annotation=HomeOpt, default=None),
    inspect.Parameter("config_path", inspect.Parameter.KEYWORD_ONLY, annotation=ConfigOpt, default=None),
    inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, annotation=OutOpt, default=None),
    inspect.Parameter("max_new_tokens", inspect.Parameter.KEYWORD_ONLY, annotation=TokensOpt, default=DEFAULT_TOKENS),
    inspect.Parameter("seed", inspect.Parameter.KEYWORD_ONLY, annotation=SeedOpt, default=0),
    inspect.Parameter("split", inspect.Parameter.KEYWORD_ONLY, annotation=SplitOpt, default=None),
    inspect.Parameter("sets", inspect.Parameter.KEYWORD_ONLY, annotation=SetOpt, default=None),
]


def suite_command(fn: Callable[..., None]) -> Callable[..., None]:
    """``fn(<own options>, common: Common)`` → a typer command with ``fn``'s own options followed by
    the shared ones; typer sees the combined signature, ``fn`` gets one :class:`Common`."""
    own = [p for p in inspect.signature(fn, eval_str=True).parameters.values() if p.name != "common"]
    shared = {p.name for p in SHARED}

    @wraps(fn)
    def command(**kwargs: Any) -> None:
        common = Common(**{name: kwargs.pop(name) for name in shared})
        fn(**kwargs, common=common)

    command.__signature__ = inspect.Signature(own + SHARED)  # type: ignore[attr-defined]
    return command


def parse_sets(items: Optional[list[str]]) -> dict[str, Any]:
    """``["persona.context_weight=0.5"]`` → ``{"persona.context_weight": 0.5}`` (TOML values;
    a bare word is a string)."""
    import tomllib

    from twin.config import ConfigError

    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item!r}: write KEY=VALUE, e.g. persona.context_weight=0.5")
        try:
            value = tomllib.loads(f"v = {raw.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw.strip()
        out[key.strip()] = value
    return out
