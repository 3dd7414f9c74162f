"""The ``twin`` command (:mod:`twin_cli.main`): the top layer, wiring every sub-app together."""
