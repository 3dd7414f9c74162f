"""Keep one slow optional import off the start-up path, without changing behaviour.

``jsonschema`` (imported by guardrails and chromadb) eagerly imports ``rfc3987_syntax``
when it is installed (guardrails asks for ``jsonschema[format-nongpl]``), and that module
compiles ~35 Earley grammars at import time: 1-5 s on a 2-core machine, for checking the
``iri``/``iri-reference`` string formats, which no schema Twin validates uses
(python-jsonschema/jsonschema#1428). :func:`install` puts a small stand-in module in
``sys.modules`` whose ``is_valid_syntax`` imports the real package on first call, so any
IRI format check still gives the real answer, just later.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

NAME = "rfc3987_syntax"
_lock = threading.Lock()
_real: Any = None


def _load_real() -> Any:
    global _real
    with _lock:
        if _real is None:
            stub = sys.modules.pop(NAME, None)
            try:
                _real = importlib.import_module(NAME)
            finally:
                if stub is not None and getattr(stub, "__twin_stub__", False):
                    sys.modules[NAME] = _real if _real is not None else stub
        return _real


def _is_valid_syntax(term: str, value: str) -> bool:
    return _load_real().is_valid_syntax(term, value)


def _module_getattr(name: str) -> Any:
    if name.startswith("__"):  # the import system probes __path__, __spec__...: not a reason to load
        raise AttributeError(name)
    return getattr(_load_real(), name)


def install() -> bool:
    """Install the lazy stand-in unless the real module is already loaded or absent."""
    if NAME in sys.modules or "jsonschema" in sys.modules:
        return False
    try:
        if importlib.util.find_spec(NAME) is None:
            return False
    except (ImportError, ValueError):
        return False
    stub = types.ModuleType(NAME, "Lazy stand-in: the real rfc3987_syntax loads on first use (twin.fastimport).")
    stub.__twin_stub__ = True  # type: ignore[attr-defined]
    stub.is_valid_syntax = _is_valid_syntax  # type: ignore[attr-defined]
    stub.__getattr__ = _module_getattr  # type: ignore[attr-defined]
    sys.modules[NAME] = stub
    return True
