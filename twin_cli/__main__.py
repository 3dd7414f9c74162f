"""``python -m twin_cli``: the same as the ``twin`` command."""

from twin_cli.main import main

main()
