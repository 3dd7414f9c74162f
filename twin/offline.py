"""Make every library in the process offline and quiet before it is imported.

Call :func:`apply` first thing in every entry point (CLI, TUI, tests). It only sets
environment defaults, so a user can still override them explicitly.
"""

from __future__ import annotations

import os
import warnings

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "CHROMA_TELEMETRY": "False",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "GUARDRAILS_DISABLE_TELEMETRY": "true",
    "OTEL_SDK_DISABLED": "true",
    "TOKENIZERS_PARALLELISM": "false",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "DO_NOT_TRACK": "1",
}


# torch's OpenMP threads spin while they wait for each other. On a machine whose cores are
# busy with anything else (a laptop, a shared box) a spinning thread burns the time slice the
# thread it waits for needs: measured here on 2 shared cores (load ~7), a 600-token prefill of
# the embedded model took 17 s with spinning and 4.3 s with OMP_WAIT_POLICY=PASSIVE (20 new
# tokens: 15 s vs 2.5 s; one thread: 5.5 s / 3.9 s). Set before torch is imported; an explicit
# OMP_WAIT_POLICY, GOMP_SPINCOUNT or KMP_BLOCKTIME in the environment wins.
PASSIVE_THREADS = True


def apply() -> None:
    """Set offline/telemetry-off defaults, silence library chatter, and keep a slow optional
    import off the start-up path (:mod:`twin.fastimport`)."""
    from twin import fastimport

    fastimport.install()
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    if not any(k in os.environ for k in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")):
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # see PASSIVE_THREADS below
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", message=".*gguf.*", category=UserWarning)


def quiet_transformers() -> None:
    """Turn off transformers' own progress bars and logging (call after import)."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover - transformers is a hard dependency
        pass
