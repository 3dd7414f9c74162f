"""Twin's terminal UI (Textual): chat, sources, trace, node toggles, compare, feedback.

``tui.py`` at the repository root is the entry point (``python tui.py`` / ``twin chat``).
"""
