"""Twin's terminal chat (Textual). `python tui.py [--home H] [--config C]` or `twin chat`.

The app itself lives in the ``twin_tui`` package (started by :mod:`twin_tui.launch`); see
docs/tui.md for keys and panels.
"""

from __future__ import annotations

from twin_tui.launch import main, run_app

__all__ = ["main", "run_app"]

if __name__ == "__main__":
    main()
