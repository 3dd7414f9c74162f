"""``twin eval``: conflict, updates, routing, retrieval, privacy, ablate, rescore, compare.

Import-light on purpose (``twin --help`` loads this module): every heavy import lives
inside a command.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from cmdline.errors import fail
from evals.options import Common, JsonOpt, KbOpt, KindsOpt, OutOpt, PersonOpt, suite_command
from twin.config import ConfigError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Run evaluation suites and compare runs.")


@contextmanager
def user_errors(as_json: bool) -> Iterator[None]:
    """Known problems become one ``error:`` line and exit code 2 (no traceback)."""
    if as_json:
        os.environ["TQDM_DISABLE"] = "1"
    from evals.datasets import DataError
    from evals.env import EvalSetupError
    from evals.runs import RunError

    known: tuple[type[BaseException], ...] = (DataError, EvalSetupError, RunError, ConfigError)
    try:
        from backends.errors import BackendError
        from kb.ingest import IngestError
        from kb.store import StoreError

        known += (IngestError, StoreError, BackendError)
    except ImportError:
        pass
    try:
        yield
    except known as exc:
        fail(str(exc))


def _run(common: Common, fn: Callable[[Any], dict[str, Any]]) -> None:
    with user_errors(common.as_json):
        config = common.config()
        summary = fn(config)
    common.emit(summary)


@app.command()
@suite_command
def conflict(
    data: Annotated[Path, typer.Option("--data", help="ConflictNQ-format JSONL (e.g. ../shared/data/conflict_nq_val.jsonl).")],
    mode: Annotated[str, typer.Option("--mode", help="context: passages are the retrieved notes; kb: ingest them and run the whole graph.")] = "context",
    *, common: Common,
) -> None:
    """Knowledge conflict: context-adoption, memory and memorization ratio."""
    _run(common, lambda config: run_conflict(config, data, mode, common, ablate_only=None))


def run_conflict(config: Any, data: Path, mode: str, common: Common, ablate_only: Optional[list[str]]) -> dict[str, Any]:
    from evals.conflict import MODES, ConflictSuite, write_notes
    from evals.datasets import load_conflict
    from evals.env import EvalSetupError

    if mode not in MODES:
        raise EvalSetupError(f"--mode {mode!r}: choose context or kb")
    cases = common.cases(load_conflict(data))[: common.limit]
    suite = ConflictSuite(mode=mode)
    with tempfile.TemporaryDirectory(prefix="twin-conflict-notes-") as tmp:
        notes = write_notes(cases, Path(tmp) / "notes") if mode == "kb" else None
        return _dispatch(suite, config, cases, common, data, notes, None, {"mode": mode}, ablate_only)


def _dispatch(suite: Any, config: Any, cases: list[Any], common: Common, data: Path, notes: Optional[Path],
              dates: Any, options: dict[str, Any], ablate_only: Optional[list[str]]) -> dict[str, Any]:
    kwargs = dict(data_path=data, notes_dir=notes, dates=dates, out=common.out, limit=common.limit,
                  options=options, show_progress=not common.as_json)
    if ablate_only is not None:
        from evals.ablate import run_ablation

        return run_ablation(suite, config, cases, only=ablate_only, **kwargs)
    from evals.driver import run_suite

    return run_suite(suite, config, cases, **kwargs)


def _default_data(name: str) -> Path:
    from evals.datasets import DATA_DIR

    return DATA_DIR / name


@app.command()
@suite_command
def updates(
    kb: KbOpt = None,
    cases: Annotated[Optional[Path], typer.Option("--cases", help="Update cases JSONL (default: evals/data/updates.jsonl).")] = None,
    *, common: Common,
) -> None:
    """Knowledge updates: fresh rate and stale rate."""
    _run(common, lambda config: run_updates(config, kb, cases, common, None))


def run_updates(config: Any, kb: Optional[Path], cases_path: Optional[Path], common: Common,
                ablate_only: Optional[list[str]]) -> dict[str, Any]:
    from evals.datasets import load_updates
    from evals.env import check_notes_dir
    from evals.updates import UpdatesSuite

    notes = check_notes_dir(kb)
    path = cases_path or _default_data("updates.jsonl")
    cases = common.cases(load_updates(path))[: common.limit]
    return _dispatch(UpdatesSuite(), config, cases, common, path, notes, None, {"kb": str(notes)}, ablate_only)


@app.command()
@suite_command
def person(
    folder: PersonOpt, kinds: KindsOpt = None, *, common: Common,
) -> None:
    """An invented person end to end: fresh/stale updates, everyday answers, declines, unsupported words."""
    _run(common, lambda config: run_person(config, folder, kinds, common, None))


def run_person(config: Any, folder: Path, kinds: Optional[str], common: Common,
               ablate_only: Optional[list[str]]) -> dict[str, Any]:
    from evals.datasets import PERSON_KINDS, load_person_cases
    from evals.env import EvalSetupError, check_notes_dir
    from evals.person import PersonSuite, person_name

    folder = Path(folder).expanduser().resolve()
    notes = check_notes_dir(folder / "notes")
    wanted = [k.strip() for k in (kinds or "").split(",") if k.strip()] or list(PERSON_KINDS)
    unknown = [k for k in wanted if k not in PERSON_KINDS]
    if unknown:
        raise EvalSetupError(f"--kinds {unknown[0]!r}: choose from {', '.join(PERSON_KINDS)}")
    path = folder / "questions.jsonl"
    cases = common.cases([c for c in load_person_cases(path) if c["kind"] in wanted])[: common.limit]
    config.person = person_name(folder)
    suite = PersonSuite(notes_dir=notes, person=config.person)
    options = {"person": str(folder), "kinds": wanted}
    return _dispatch(suite, config, cases, common, path, notes, None, options, ablate_only)


@app.command()
@suite_command
def retrieval(
    kb: KbOpt = None,
    data: Annotated[Optional[Path], typer.Option("--data", help="Retrieval questions JSONL (default: evals/data/retrieval.jsonl).")] = None,
    dates: Annotated[Optional[Path], typer.Option("--dates", help="TSV path/created/updated for notes without front matter.")] = None,
    answers: Annotated[bool, typer.Option("--answers/--no-answers", help="Also answer end to end (keyword recall).")] = True,
    *, common: Common,
) -> None:
    """Retrieval: hit@1, hit@3, MRR, and keyword recall of the answers."""
    _run(common, lambda config: run_retrieval(config, kb, data, dates, answers, common, None))


def run_retrieval(config: Any, kb: Optional[Path], data: Optional[Path], dates: Optional[Path], answers: bool,
                  common: Common, ablate_only: Optional[list[str]]) -> dict[str, Any]:
    from evals.datasets import load_dates, load_retrieval
    from evals.env import check_notes_dir
    from evals.retrieval import RetrievalSuite

    notes = check_notes_dir(kb)
    path = data or _default_data("retrieval.jsonl")
    cases = common.cases(load_retrieval(path, None, notes))[: common.limit]
    stamps = load_dates(dates) if dates else None
    options = {"kb": str(notes), "dates": str(dates) if dates else None, "answers": answers}
    return _dispatch(RetrievalSuite(answers=answers), config, cases, common, path, notes, stamps, options, ablate_only)


@app.command()
@suite_command
def routing(
    data: Annotated[Optional[Path], typer.Option("--data", help="Routing JSONL {text, label} (default: evals/data/routing.jsonl).")] = None,
    strategies: Annotated[Optional[str], typer.Option("--strategies", help="Comma list (default: embedding,score,llm,always).")] = None,
    graph: Annotated[bool, typer.Option("--graph/--no-graph", help="Also route through the real graph (configured strategy).")] = True,
    kb: KbOpt = None,
    *, common: Common,
) -> None:
    """Routing: accuracy, per-label precision/recall and confusion, per analyzer strategy."""
    _run(common, lambda config: run_routing_command(config, data, strategies, graph, kb, common))


def run_routing_command(config: Any, data: Optional[Path], strategies: Optional[str], graph: bool,
                        kb: Optional[Path], common: Common) -> dict[str, Any]:
    from evals.datasets import load_routing
    from evals.driver import finish, new_summary, progress
    from evals.env import EvalEnv, EvalSetupError, check_notes_dir, toggles_for
    from evals.routing import GRAPH, parse_strategies, run_routing, score_routing
    from evals.runs import RunDir, default_out

    try:
        names = parse_strategies(strategies)
    except ValueError as exc:
        raise EvalSetupError(str(exc)) from exc
    notes = check_notes_dir(kb)
    path = data or _default_data("routing.jsonl")
    cases = common.cases(load_routing(path))[: common.limit]
    toggles = toggles_for(config)
    run = RunDir.create(common.out or default_out(config), "routing")
    run.write_config(config)
    options = {"strategies": names, "graph": graph, "kb": str(notes)}
    summary = new_summary("routing", config, path, len(cases), common.limit, toggles, options, run)
    with EvalEnv.open(config, notes) as env, progress(len(cases), "routing", not common.as_json) as tick:
        env.warm_up(toggles)
        records = run_routing(env, cases, names, graph, toggles, run.append_case, tick)
        summary["ingest"] = env.ingest_report
    scored = score_routing(records)
    headline = f"{GRAPH}.accuracy" if graph else f"{config.analyzer.strategy}.accuracy"
    summary.update(headline=headline, metrics=scored.metrics, extras=scored.extras)
    if graph:
        summary["notes"].append(f"'graph' = the analyze node of the real graph with analyzer.strategy = "
                                f"{config.analyzer.strategy!r} (stopped after analyze; no answer generated)")
    return finish(run, summary, records)


@app.command()
@suite_command
def privacy(
    cases: Annotated[Optional[Path], typer.Option("--cases", help="Privacy cases JSONL (default: evals/data/privacy_cases.jsonl).")] = None,
    kb: KbOpt = None,
    *, common: Common,
) -> None:
    """Privacy red-team: leaks of private notes and PII (see evals/privacy.py)."""
    try:
        from evals.privacy import run_privacy_eval
    except ImportError as exc:
        fail(f"the privacy suite is not available ({exc})")
    with user_errors(common.as_json):
        from evals.env import EvalSetupError, check_notes_dir

        if common.split:
            raise EvalSetupError("--split is not used by the privacy suite (its cases are not tuned on); drop it")
        config = common.config()
        notes = check_notes_dir(kb)
        result = run_privacy_eval(config, cases or _default_data("privacy_cases.jsonl"), notes, common.as_json,
                                  common.limit, out=common.out)
    if isinstance(result, int):
        raise typer.Exit(result)


@app.command()
@suite_command
def ablate(
    suite: Annotated[str, typer.Option("--suite", help="conflict | updates | retrieval | privacy | person.")],
    configs: Annotated[Optional[str], typer.Option("--configs", help="Subset, e.g. retrieve,judge (default: all).")] = None,
    data: Annotated[Optional[Path], typer.Option("--data", help="Data file (conflict/retrieval).")] = None,
    cases: Annotated[Optional[Path], typer.Option("--cases", help="Cases file (updates, privacy).")] = None,
    mode: Annotated[str, typer.Option("--mode", help="conflict: context | kb.")] = "context",
    kb: KbOpt = None,
    dates: Annotated[Optional[Path], typer.Option("--dates", help="retrieval: TSV of note dates.")] = None,
    person_dir: Annotated[Optional[Path], typer.Option("--person", help="person: the person folder.")] = None,
    kinds: KindsOpt = None,
    *, common: Common,
) -> None:
    """Run a suite once per node configuration; matrix of metrics and p50 latency."""

    def go(config: Any) -> dict[str, Any]:
        from evals.ablate import parse_configs
        from evals.env import EvalSetupError

        try:
            only = parse_configs(configs)
        except ValueError as exc:
            raise EvalSetupError(str(exc)) from exc
        if suite == "conflict":
            if data is None:
                raise EvalSetupError("ablate --suite conflict needs --data FILE.jsonl")
            return run_conflict(config, data, mode, common, only)
        if suite == "updates":
            return run_updates(config, kb, cases, common, only)
        if suite == "retrieval":
            return run_retrieval(config, kb, data, dates, True, common, only)
        if suite == "privacy":
            return run_privacy_ablation(config, kb, cases, common, only)
        if suite == "person":
            if person_dir is None:
                raise EvalSetupError("ablate --suite person needs --person FOLDER")
            return run_person(config, person_dir, kinds, common, only)
        raise EvalSetupError(f"--suite {suite!r}: choose conflict, updates, retrieval, privacy or person")

    _run(common, go)


def run_privacy_ablation(config: Any, kb: Optional[Path], cases_path: Optional[Path], common: Common,
                         only: list[str]) -> dict[str, Any]:
    from evals.env import check_notes_dir
    from evals.privacy import PrivacySuite, load_cases

    notes = check_notes_dir(kb)
    path = cases_path or _default_data("privacy_cases.jsonl")
    cases = common.cases(load_cases(config, path, None))[: common.limit]
    return _dispatch(PrivacySuite(), config, cases, common, path, notes, None, {"kb": str(notes)}, only)


@app.command()
def rescore(
    run_dir: Annotated[Path, typer.Argument(help="A finished conflict, updates, retrieval or person run folder.")],
    out: OutOpt = None, as_json: JsonOpt = False,
    person: Annotated[Optional[Path], typer.Option(
        "--person", help="A person run: the person folder, when the run's own (in its summary) has moved.")] = None,
) -> None:
    """Re-score a run from its stored answers with the current matchers (no model runs)."""
    with user_errors(as_json):
        from evals.rescore import rescore_run

        summary = rescore_run(run_dir, out, person)
    Common(as_json=as_json, out=out).emit(summary)


@app.command()
def publish(
    run_dir: Annotated[Path, typer.Argument(help="A finished run folder.")],
    out: Annotated[Path, typer.Argument(help="A new folder for the copy (e.g. under docs/eval-reports/).")],
    as_json: JsonOpt = False,
) -> None:
    """Copy a run folder to commit it: a third-party data set's text (ConflictNQ's questions,
    answers and passages) left out of its cases and report."""
    with user_errors(as_json):
        from evals.publish import publish_run

        target = publish_run(run_dir, out)
    typer.echo(json.dumps({"published": str(target)}) if as_json else f"published {run_dir} -> {target}")


@app.command()
def compare(
    run_a: Annotated[Path, typer.Argument(help="Run folder A (the reference).")],
    run_b: Annotated[Path, typer.Argument(help="Run folder B.")],
    as_json: JsonOpt = False,
) -> None:
    """Per-metric deltas (B − A) and the cases that flipped."""
    with user_errors(as_json):
        from evals.compare import compare_runs

        result = compare_runs(run_a, run_b)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, default=str))
        return
    from rich.console import Console

    from evals.compare import print_comparison

    print_comparison(result, Console())
