"""evals/options.py: the shared suite options are declared once and reach each suite as one Common."""

from __future__ import annotations

from pathlib import Path

import click
import typer
from typer.testing import CliRunner

from evals.cli import app as eval_app
from evals.options import SHARED, Common, KbOpt, suite_command

SUITES = ("conflict", "updates", "person", "retrieval", "routing", "privacy", "ablate")


def test_suite_command_hands_the_shared_options_over_as_one_common() -> None:
    seen: list[tuple[object, Common]] = []
    app = typer.Typer()

    @app.command()
    @suite_command
    def suite(kb: KbOpt = None, *, common: Common) -> None:
        seen.append((kb, common))

    @app.command()
    def other() -> None:  # a second command, so typer keeps the command name
        pass

    args = ["suite", "--kb", "notes", "--json", "--limit", "3", "--off", "judge", "--home", "h", "-c", "c.toml",
            "--max-new-tokens", "9", "--seed", "2", "--split", "dev", "--set", "a=1", "--set", "b=x",
            "--adapter", "x", "--adapter", "y", "--out", "o", "--backend", "ollama", "--model", "m"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    kb, common = seen[0]
    assert kb == Path("notes")
    assert common == Common(as_json=True, limit=3, off="judge", backend="ollama", model="m", adapter=["x", "y"],
                            home=Path("h"), config_path=Path("c.toml"), out=Path("o"), max_new_tokens=9, seed=2,
                            split="dev", sets=["a=1", "b=x"])
    assert CliRunner().invoke(app, ["suite"]).exit_code == 0 and seen[1][1] == Common()


def test_every_suite_lists_its_own_options_then_the_shared_ones_in_one_order() -> None:
    group = typer.main.get_command(eval_app)
    assert isinstance(group, click.Group)
    shared = [p.name for p in SHARED]
    for name in SUITES:
        params = [p.name for p in group.commands[name].params]
        assert params[-len(shared):] == shared, name
        assert "common" not in params
