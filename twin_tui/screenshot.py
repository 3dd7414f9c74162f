"""Regenerate the README screenshot with the app itself (headless, real models, sample notes).

    python -m twin_tui.screenshot                      # -> docs/screenshot.svg
    python -m twin_tui.screenshot --out shot.svg --size 100x32 --question "Which company do you work for?"

The sample notes are ingested into a throwaway home, so your own data home is untouched.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from twin import offline

offline.apply()

REPO = Path(__file__).resolve().parent.parent
DEFAULT_QUESTION = "Where do you live these days, and what do you work on?"


def parse_size(text: str) -> tuple[int, int]:
    width, _, height = text.lower().partition("x")
    try:
        return int(width), int(height)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--size must look like 120x36, got {text!r}") from None


def build_home(notes: Path, home: Path):
    """Config for ``home`` with ``notes`` ingested into it."""
    from kb.ingest import ingest
    from nodes.context import TwinContext
    from twin.config import load_config

    config = load_config(None, str(home))
    ingest(config, notes, TwinContext(config).embeddings, progress=False)
    return config


async def drive(pilot, question: str, tab: str) -> None:
    app = pilot.app
    while not (app.persona_ready.is_set() and app.index_text.startswith("index ") and "…" not in app.index_text):
        if "failed" in app.model_status:
            raise SystemExit("the models failed to load; run `python tui.py` to see why")
        await pilot.pause(0.1)
    composer = app.query_one("#composer")
    composer.load_text(question)
    await pilot.press("enter")
    await pilot.pause(0.2)
    while app.busy:
        await pilot.pause(0.1)
    app.action_show_tab(tab)
    app.query_one("#composer").focus()
    await pilot.pause(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description="Save an SVG screenshot of the Twin TUI answering a question.")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshot.svg")
    parser.add_argument("--notes", type=Path, default=REPO / "examples" / "notes")
    parser.add_argument("--question", default=DEFAULT_QUESTION)
    parser.add_argument("--size", type=parse_size, default=(120, 36))
    parser.add_argument("--tab", choices=("sources", "trace", "nodes", "threads"), default="sources")
    args = parser.parse_args()

    from twin_tui.app import TwinApp

    home = Path(tempfile.mkdtemp(prefix="twin-shot-"))
    try:
        notes = home / "notes"
        shutil.copytree(args.notes, notes)
        app = TwinApp(build_home(notes, home / "data"), watch=False)
        saved: list[str] = []

        async def auto(pilot) -> None:
            await drive(pilot, args.question, args.tab)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            saved.append(app.save_screenshot(args.out.name, str(args.out.parent)))
            app.exit()

        app.run(headless=True, size=args.size, auto_pilot=auto)
        print(saved[0] if saved else "no screenshot saved")
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
