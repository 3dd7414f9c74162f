"""Command-line plumbing shared by every Twin command (``twin``, ``tui.py`` and the eval, train
and serve sub-apps): the option types, one validated Config from file + flags, the pre-flight
checks and one-line errors. The ``twin`` app itself is :mod:`twin_cli.main`.
"""
