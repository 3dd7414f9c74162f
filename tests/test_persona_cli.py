"""`twin train` file and argument handling without training: what a run leaves behind after
Ctrl-C, and inputs checked before any model loads."""

from __future__ import annotations

from pathlib import Path

from persona.trainer import checkpoints, latest_checkpoint


def _checkpoint(out: Path, name: str, finished: bool = True) -> Path:
    folder = out / "checkpoints" / name
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text("{}")
    if finished:
        (folder / "trainer_state.pt").write_bytes(b"state")
    return folder


def test_resume_ignores_a_checkpoint_that_ctrl_c_left_half_written(tmp_path: Path) -> None:
    """Ctrl-C while step 100 was being saved left `step-000100.tmp`; --resume picked it (it sorts
    last) and failed on its missing trainer_state.pt instead of resuming from step 50."""
    done = _checkpoint(tmp_path, "step-000050")
    _checkpoint(tmp_path, "step-000100.tmp", finished=False)
    _checkpoint(tmp_path, "step-000075", finished=False)
    assert latest_checkpoint(tmp_path) == done
    assert checkpoints(tmp_path) == [done]
    assert latest_checkpoint(tmp_path / "nothing") is None


def _train(*args: str) -> tuple[int, str]:
    """Run `twin train ARGS` in-process: (exit code, stderr)."""
    from typer.testing import CliRunner

    from persona.cli import app

    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stderr


def _no_model(*args: object, **kwargs: object) -> None:
    raise AssertionError("a model was loaded before the inputs were checked")


def _data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "facts.jsonl").write_text("")
    (data / "data_card.json").write_text("{}")
    return data


def test_train_eval_checks_its_inputs_before_evaluating_the_base_model(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """A wrong --adapter failed only after the base model had been evaluated (minutes at the
    default --limit), a missing data folder was "unexpected FileNotFoundError (a bug in Twin)"
    with exit 1, and an unwritable --out lost every result at the very end."""
    import persona.evaluate

    monkeypatch.setattr(persona.evaluate, "run_all", _no_model)
    data, home = _data_dir(tmp_path), str(tmp_path / "home")
    a_file = tmp_path / "file.txt"
    a_file.write_text("")
    cases = {
        (str(tmp_path / "none"),): f"error: {tmp_path / 'none' / 'facts.jsonl'} not found; give the folder "
                                   "`twin train data` wrote",
        (str(data), "--adapter", str(tmp_path / "gone")): f"error: --adapter: adapter folder not found: {tmp_path / 'gone'}",
        (str(data), "--plain", str(tmp_path)): f"error: --plain: not a peft adapter folder (no adapter_config.json): {tmp_path}",
        (str(data), "--conflict-nq", str(tmp_path / "nq.jsonl")): f"error: --conflict-nq {tmp_path / 'nq.jsonl'}: file not found",
        (str(data), "--out", str(tmp_path / "no" / "r.json")): f"error: --out {tmp_path / 'no' / 'r.json'}: the folder",
        (str(data), "--out", str(tmp_path)): f"error: --out {tmp_path} is a folder; give a file name",
    }
    for args, expected in cases.items():
        code, err = _train("eval", *args, "--home", home)
        assert (code, err.splitlines()[0][: len(expected)]) == (2, expected), err
        assert len(err.splitlines()) == 1


def test_train_data_and_export_check_their_paths_first(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """A missing --transcripts path was "unexpected FileNotFoundError (a bug in Twin)"; an --out
    under a file failed after the whole set was built; `train export` loaded (and converted) the
    base model before it found that an adapter folder does not exist."""
    import persona.dataset
    import persona.export

    monkeypatch.setattr(persona.dataset, "build", _no_model)
    monkeypatch.setattr(persona.export, "export", _no_model)
    notes, home = Path(__file__).resolve().parent.parent / "examples" / "notes", str(tmp_path / "home")
    a_file = tmp_path / "file.txt"
    a_file.write_text("")
    code, err = _train("data", str(notes), "--transcripts", str(tmp_path / "gone"), "--out", str(tmp_path / "d"),
                       "--home", home)
    assert (code, err.strip()) == (2, f"error: --transcripts {tmp_path / 'gone'}: no such file or folder")
    code, err = _train("data", str(notes), "--out", str(a_file / "d"), "--home", home)
    assert (code, err.strip()) == (2, f"error: --out {a_file / 'd'}: {a_file} is a file, not a folder")
    code, err = _train("export", str(tmp_path / "gone"), "--out", str(tmp_path / "e"), "--home", home)
    assert code == 2 and err.startswith(f"error: adapters: adapter folder not found: {tmp_path / 'gone'};")
    code, err = _train("lora", str(tmp_path), "--out", str(a_file / "run"), "--home", home)
    assert (code, err.strip()) == (2, f"error: --out {a_file / 'run'}: {a_file} is a file, not a folder")


def test_a_fresh_run_drops_the_checkpoints_an_unfinished_run_left(tmp_path: Path) -> None:
    """`twin train lora --out RUN` again (no --resume) over a run stopped at step 300 kept its
    checkpoints: the new run's step 50 was pruned at once (300 sorts later) and a later --resume
    continued the old run, with its options and data, instead of this one."""
    from persona.trainer import start_fresh

    _checkpoint(tmp_path, "step-000300")
    (tmp_path / "metrics.jsonl").write_text('{"step": 300}\n')
    start_fresh(tmp_path)
    assert latest_checkpoint(tmp_path) is None and not (tmp_path / "metrics.jsonl").exists()
    start_fresh(tmp_path / "new")  # nothing there yet: nothing to drop
