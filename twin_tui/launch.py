"""Start the chat UI: ``run_app(config)`` (``twin chat``) and ``main()`` (``python tui.py``)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from twin import offline

offline.apply()

from twin.config import Config  # noqa: E402


def run_app(config: Config) -> None:
    os.environ.setdefault("TQDM_DISABLE", "1")  # no progress bars behind the full-screen UI
    from twin_tui.app import TwinApp

    app = TwinApp(config)
    app.run()
    if app.finish_background():
        # An answer was still generating: the model cannot be interrupted and nothing of it
        # needs saving (SQLite rolls back an unfinished checkpoint), so don't wait for it.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(app.return_code or 0)


def main() -> None:
    from cmdline.config import build_config

    parser = argparse.ArgumentParser(description="Twin chat (Textual TUI)")
    parser.add_argument("--home", type=Path, help="data home (default: $TWIN_HOME)")
    parser.add_argument("--config", type=Path, help="TOML config (default: <home>/twin.toml)")
    args = parser.parse_args()
    run_app(build_config(args.home, args.config))
