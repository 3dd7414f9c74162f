"""`twin train` file and argument handling without training: what a run leaves behind after
Ctrl-C, and inputs checked before any model loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from persona.options import TrainOptions
from persona.trainer import TrainState, checkpoints, latest_checkpoint


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
    (tmp_path / "checkpoints" / "mine.txt").write_text("not the trainer's")
    start_fresh(tmp_path)
    assert latest_checkpoint(tmp_path) is None and not (tmp_path / "metrics.jsonl").exists()
    assert (tmp_path / "checkpoints" / "mine.txt").is_file()  # only the trainer's step folders go
    start_fresh(tmp_path / "new")  # nothing there yet: nothing to drop


def _tiny_peft_model():  # noqa: ANN202 - a peft model, imported lazily
    """A real peft LoRA on a two-layer toy Llama: real adapter files in well under a second."""
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    from persona.model import TRAIN_ADAPTER

    config = LlamaConfig(vocab_size=32, hidden_size=8, intermediate_size=16, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=2)
    lora = LoraConfig(r=2, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM", init_lora_weights=False)
    return get_peft_model(LlamaForCausalLM(config), lora, adapter_name=TRAIN_ADAPTER)


class _Bar:
    def note(self, text: str) -> None:
        pass


def _keep_best(model, out: Path, state: TrainState, loss: float, monkeypatch) -> None:  # noqa: ANN001
    """One `evaluate_and_keep` after an eval that measured ``loss`` (no data, no real eval pass)."""
    import persona.trainer as trainer

    monkeypatch.setattr(trainer, "eval_loss", lambda *args, **kwargs: loss)
    trainer.evaluate_and_keep(model, trainer.Prepared([], [], 0), TrainOptions(), 0, "cpu", None, state, out, _Bar())


def test_an_interrupted_adapter_save_keeps_the_previous_adapter_whole(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """Ctrl-C (or a full disk) while a better adapter was being saved over `RUN/adapter` left the
    new adapter_config.json beside the old or half-written weights: `twin ask` passed its start-up
    check and then failed (or answered with a mismatched adapter) when it loaded them."""
    import torch

    from backends.sources import check_adapter_dir

    model, state = _tiny_peft_model(), TrainState()
    _keep_best(model, tmp_path, state, 2.0, monkeypatch)
    adapter = tmp_path / "adapter"
    good = {p.name: p.read_bytes() for p in adapter.iterdir()}
    real_save = type(model).save_pretrained

    def full_disk(self, path, **kwargs) -> None:  # noqa: ANN001
        real_save(self, path, **kwargs)
        weights = Path(path) / "adapter_model.safetensors"
        weights.write_bytes(weights.read_bytes()[:100])
        raise OSError(28, "No space left on device")

    with torch.no_grad():
        next(p for n, p in model.named_parameters() if "lora_A" in n).add_(1.0)
    monkeypatch.setattr(type(model), "save_pretrained", full_disk)
    with pytest.raises(OSError):
        _keep_best(model, tmp_path, state, 1.0, monkeypatch)
    check_adapter_dir(str(adapter))
    assert {p.name: p.read_bytes() for p in adapter.iterdir()} == good
    monkeypatch.setattr(type(model), "save_pretrained", real_save)
    _keep_best(model, tmp_path, state, 0.5, monkeypatch)  # the next save still works, and leaves no temporary folder behind
    assert {p.name: p.read_bytes() for p in adapter.iterdir()} != good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adapter", "metrics.jsonl"]
    # Stopped between save_adapter's two renames: the next run (or --resume) puts the old one back.
    from persona.trainer import restore_adapter

    saved = {p.name: p.read_bytes() for p in adapter.iterdir()}
    adapter.rename(tmp_path / "adapter.old")
    (tmp_path / "adapter.tmp").mkdir()
    restore_adapter(tmp_path)
    assert {p.name: p.read_bytes() for p in adapter.iterdir()} == saved
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adapter", "metrics.jsonl"]


def test_train_lora_refuses_a_base_adapter_it_would_not_use(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """`--phase both --base-adapter X` (and `--phase identity`) trained without X and said nothing:
    the style adapter was stacked on the new identity adapter instead. A missing --base-adapter for
    --phase style was found only after the base model had loaded."""
    import persona.trainer

    monkeypatch.setattr(persona.trainer, "train", _no_model)
    data, home = _data_dir(tmp_path), str(tmp_path / "home")
    adapter = tmp_path / "identity" / "adapter"
    _tiny_peft_model().save_pretrained(adapter)
    refused = ("error: --base-adapter works with --phase style only (--phase both stacks style on the identity "
               "adapter it trains first; --phase identity trains on the plain model)")
    for phase in ("both", "identity"):
        code, err = _train("lora", str(data), "--phase", phase, "--base-adapter", str(adapter),
                           "--out", str(tmp_path / "run"), "--home", home)
        assert (code, err.strip()) == (2, refused)
    code, err = _train("lora", str(data), "--phase", "style", "--base-adapter", str(tmp_path / "gone"),
                       "--out", str(tmp_path / "run"), "--home", home)
    assert code == 2 and err.startswith(f"error: --base-adapter: adapter folder not found: {tmp_path / 'gone'};")
    assert len(err.splitlines()) == 1


def _fake_train(config, data_dir, out_dir, opts, resume=False, **kwargs):  # noqa: ANN001, ANN201
    """What `train` returns, without a model: the summary of a run that trained its adapter."""
    return {"steps": 4, "sec_per_step": 0.1, "best_eval_loss": 1.0, "adapter_bytes": 10,
            "adapter": str(Path(out_dir) / "adapter")}


def test_train_lora_resume_says_what_it_resumes(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """--resume with no checkpoint trained from step 0 without a word (a mistyped --out looked like a
    resumed run), and --resume over a finished run retrained from its last checkpoint: its last steps
    appended to metrics.jsonl a second time and the kept adapter replaced (or, with no checkpoint,
    the whole run trained again) - so `--phase both --resume` after Ctrl-C in style redid identity."""
    import json

    import persona.trainer

    data, home = _data_dir(tmp_path), str(tmp_path / "home")
    (data / "train.jsonl").write_text("")
    run = tmp_path / "run"
    monkeypatch.setattr(persona.trainer, "train", _fake_train)
    code, err = _train("lora", str(data), "--phase", "both", "--out", str(run), "--resume", "--home", home)
    assert code == 0 and err.splitlines() == [
        f"identity: no checkpoint in {run / 'identity' / 'checkpoints'} to resume from; training from step 0",
        f"style: no checkpoint in {run / 'style' / 'checkpoints'} to resume from; training from step 0"]
    done = {"steps": 60, "sec_per_step": 0.5, "best_eval_loss": 1.5, "adapter_bytes": 10,
            "adapter": str(run / "identity" / "adapter")}
    (run / "identity").mkdir(parents=True)
    (run / "identity" / "summary.json").write_text(json.dumps(done))
    step_50 = _checkpoint(run / "identity", "step-000050")
    _checkpoint(run / "style", "step-000002")
    monkeypatch.undo()
    monkeypatch.setattr(persona.trainer, "base_copy", _no_model)  # the finished phase loads nothing
    real_train = persona.trainer.train
    monkeypatch.setattr(persona.trainer, "train", lambda *a, **k: real_train(*a, **k) if a[2].name == "identity"
                        else _fake_train(*a, **k))
    code, err = _train("lora", str(data), "--phase", "both", "--out", str(run), "--resume", "--home", home)
    assert code == 0 and err.splitlines() == [
        f"identity: {run / 'identity'} already finished at step 60; --resume keeps it as it is "
        "(give a new --out to train again)",
        f"style: resuming from {run / 'style' / 'checkpoints' / 'step-000002'}"]
    assert step_50.is_dir() and not (run / "identity" / "metrics.jsonl").exists()
