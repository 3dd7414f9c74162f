"""Prompt files. ``load("name")`` reads ``prompts/name.md``."""

from __future__ import annotations

from functools import cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).parent


@cache
def load(name: str) -> str:
    path = PROMPTS_DIR / f"{name}.md"
    if not path.is_file():
        raise FileNotFoundError(f"prompt file missing: {path}")
    return path.read_text(encoding="utf-8").strip()


def render(name: str, **values: str) -> str:
    """The prompt with ``{placeholders}`` filled in."""
    return load(name).format(**values)
