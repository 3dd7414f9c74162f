"""Twin's terminal chat (Textual). `python tui.py [--home H] [--config C]` or `twin chat`.

The app itself lives in the ``twin_tui`` package; see docs/tui.md for keys and panels.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from twin import offline

offline.apply()

from twin.config import Config  # noqa: E402


def run_app(config: Config) -> None:
    import os

    os.environ.setdefault("TQDM_DISABLE", "1")  # no progress bars behind the full-screen UI
    from twin_tui.app import TwinApp

    TwinApp(config).run()


def main() -> None:
    from twin.cli import build_config

    parser = argparse.ArgumentParser(description="Twin chat (Textual TUI)")
    parser.add_argument("--home", type=Path, help="data home (default: $TWIN_HOME)")
    parser.add_argument("--config", type=Path, help="TOML config (default: <home>/twin.toml)")
    args = parser.parse_args()
    run_app(build_config(args.home, args.config))


if __name__ == "__main__":
    main()
