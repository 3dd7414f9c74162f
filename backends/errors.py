"""Errors a backend raises for the user, one actionable line each."""


class BackendError(RuntimeError):
    """A model backend cannot do what was asked (bad path, missing model, ...)."""


class BackendUnavailable(BackendError):
    """A model server is not reachable."""
