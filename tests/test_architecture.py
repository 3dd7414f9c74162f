"""The layers hold: no package imports one above it, so there is no import cycle among packages.

The contract lives in pyproject.toml ([tool.importlinter]); ``lint-imports`` checks every import,
including the ones inside functions.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _lint_imports() -> list[str]:
    found = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "importlinter.cli"]


def test_layers_contract_is_kept() -> None:
    proc = subprocess.run([*_lint_imports(), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "1 kept, 0 broken" in proc.stdout


def test_a_layer_that_imports_upward_breaks_the_contract(tmp_path: Path) -> None:
    """The check can fail: a copy of the tree where kb imports the graph is refused."""
    copy = tmp_path / "tree"
    shutil.copytree(REPO, copy, ignore=shutil.ignore_patterns(".venv", ".git", ".test-artifacts", "*.egg-info",
                                                               "__pycache__", "examples", "docs", "bench", "tests"))
    (copy / "kb" / "upward.py").write_text("import graph.runner\n")
    proc = subprocess.run([*_lint_imports(), "--no-cache"], cwd=copy, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(copy)})
    assert proc.returncode != 0
    assert "kb.upward -> graph.runner" in proc.stdout


def test_ruff_finds_nothing() -> None:
    """The lint rules in pyproject.toml ([tool.ruff]) hold for the whole tree."""
    found = shutil.which("ruff", path=str(Path(sys.executable).parent))
    cmd = [found] if found else [sys.executable, "-m", "ruff"]
    proc = subprocess.run([*cmd, "check", "--no-cache", "."], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
