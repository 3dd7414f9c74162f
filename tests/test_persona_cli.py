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
