"""The allowed values of every config key, checked up front (``Config.validate``).

One table, ``RULES``, maps each dotted key to a rule; ``check_config`` runs them all and
raises :class:`twin.config.ConfigError` naming the key, the value and what is allowed.
Types are checked when the TOML is read (``twin.config._coerce``); booleans need no rule.
A test asserts that every non-boolean key has a rule here, so a new key cannot slip in
unvalidated.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from twin.config import ANALYZER_STRATEGIES, BACKENDS, RETRIEVAL_MODES, ConfigError

Check = Callable[[str, Any], None]


def _error(message: str) -> Exception:
    return ConfigError(message)


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


@dataclass(frozen=True)
class Range:
    """A number in [low, high] (an open end excludes it); NaN and infinities never pass."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    unit: str = ""

    def allowed(self) -> str:
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {self.low:g}")
        if self.high is not None:
            parts.append(f"{'<' if self.high_open else '<='} {self.high:g}")
        return " and ".join(parts) + (f" ({self.unit})" if self.unit else "")

    def __call__(self, key: str, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _error(f"{key} must be a number, got {_shown(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise _error(f"{key} = {value} is not a finite number; it must be {self.allowed()}")
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            raise _error(f"{key} = {value} is too small; it must be {self.allowed()}")
        if self.high is not None and (value > self.high or (self.high_open and value == self.high)):
            raise _error(f"{key} = {value} is too large; it must be {self.allowed()}")


UNIT = Range(0.0, 1.0)
COSINE = Range(-1.0, 1.0, unit="a cosine similarity")
SIMILARITY = Range(0.0, 1.0, low_open=True, unit="a cosine similarity")


def choice(*allowed: str) -> Check:
    def check(key: str, value: Any) -> None:
        if value not in allowed:
            raise _error(f"{key} = {_shown(value)} is not allowed; choose one of: {', '.join(allowed)}")

    return check


def text(required: bool = False, max_len: int = 4096) -> Check:
    """A single-line string (``required``: not blank)."""

    def check(key: str, value: Any) -> None:
        if not isinstance(value, str):
            raise _error(f"{key} must be a string, got {_shown(value)}")
        if required and not value.strip():
            raise _error(f"{key} must not be empty")
        if len(value) > max_len:
            raise _error(f"{key} is {len(value)} characters long; at most {max_len} are allowed")
        if any(c in value for c in "\n\r\x00"):
            raise _error(f"{key} = {_shown(value)} must be one line (no newlines or NUL characters)")

    return check


def url(required: bool) -> Check:
    """``http(s)://HOST[:PORT]``; empty is allowed unless ``required``."""

    def check(key: str, value: Any) -> None:
        text(required)(key, value)
        if not value:
            return
        shape = f"{key} must look like http://HOST:PORT, got {value!r}"
        try:
            parts = urlsplit(value)
            port = parts.port  # raises ValueError for a bad or out-of-range port
            host = parts.hostname
        except ValueError as exc:
            raise _error(f"{shape} ({exc})") from exc
        if parts.scheme not in ("http", "https") or not host:
            raise _error(shape)
        if port == 0:
            raise _error(f"{shape} (port 0)")

    return check


def file(key_hint: str = "") -> Check:
    """An optional path to an existing file ("" = the shipped default)."""

    def check(key: str, value: Any) -> None:
        text()(key, value)
        if value and not Path(value).expanduser().is_file():
            raise _error(f"{key} = {value!r}: no such file{key_hint}; leave it empty for the shipped default")

    return check


def string_list(key: str, value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _error(f"{key} must be a list of non-empty strings, got {_shown(value)}")


def table(key: str, value: Any) -> None:
    if not isinstance(value, dict):
        raise _error(f"{key} must be a table, got {_shown(value)}")


_COLLECTION = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,510}[a-zA-Z0-9]$")


def collection_name(key: str, value: Any) -> None:
    """Chroma's rule: 3-512 characters [a-zA-Z0-9._-], starting and ending alphanumeric, no '..'."""
    text(True)(key, value)
    if not _COLLECTION.match(value) or ".." in value:
        raise _error(
            f"{key} = {value!r} is not a valid collection name: use 3-512 letters, digits, '.', '_' or '-', "
            "starting and ending with a letter or digit"
        )


def _model(prefix: str) -> dict[str, Check]:
    return {
        f"{prefix}.backend": choice(*BACKENDS),
        f"{prefix}.model": text(required=True),
        f"{prefix}.adapters": string_list,
        f"{prefix}.ollama_host": url(required=True),
        f"{prefix}.max_new_tokens": Range(1, 32768),
        f"{prefix}.temperature": Range(0.0, 5.0, unit="0 = greedy"),
        f"{prefix}.repetition_penalty": Range(0.0, 10.0, low_open=True, unit="1 = off"),
        f"{prefix}.seed": Range(0, 2**32 - 1),
        f"{prefix}.dtype": choice("float32", "bfloat16", "float16"),
        f"{prefix}.threads": Range(0, 1024, unit="0 = the library default"),
        f"{prefix}.context_weight": Range(0.0, 100.0, unit="0 = context-aware decoding off"),
        f"{prefix}.plausibility": Range(0.0, 1.0, high_open=True),
        f"{prefix}.max_sentences": Range(0, 1000, unit="0 = no limit"),
    }


RULES: dict[str, Check] = {
    "home": text(),
    "person": text(required=True, max_len=200),
    **_model("persona"),
    **_model("base"),
    "embeddings.model": text(required=True),
    "embeddings.batch_size": Range(1, 4096),
    "analyzer.strategy": choice(*ANALYZER_STRATEGIES),
    "analyzer.examples": file(" (labelled JSONL)"),
    "analyzer.threshold": UNIT,
    "analyzer.min_similarity": COSINE,
    "analyzer.history_turns": Range(0, 100),
    "retrieval.k": Range(1, 1000),
    "retrieval.fetch_k": Range(1, 100_000),
    "retrieval.rerank_window": Range(1, 100_000),
    "retrieval.half_life_days": Range(0.0, 1e6, low_open=True, unit="days"),
    "retrieval.recency_weight": UNIT,
    "retrieval.state_recency_weight": UNIT,
    "retrieval.state_recency_margin": UNIT,
    "retrieval.state_recency_alike": COSINE,
    "retrieval.min_score": COSINE,
    "retrieval.mode": choice(*RETRIEVAL_MODES),
    "retrieval.rrf_k": Range(0.0, 1e6),
    "retrieval.lexical_weight": Range(0.0, 1e6),
    "retrieval.fuse": choice("chunks", "notes", "convex"),
    "retrieval.convex_vector_weight": UNIT,
    "retrieval.evidence_sentences": Range(0, 1000, unit="0 = whole chunks"),
    "retrieval.same_subject_similarity": Range(-1.0, 1.0, unit="a cosine similarity; 1 = off"),
    "retrieval.answer_min_similarity": Range(0.0, 1.0, high_open=True, unit="a cosine similarity"),
    "retrieval.subject_margin": Range(0.0, 2.0),
    "retrieval.first_margin": Range(-1.0, 2.0, unit="-1 = off"),
    "retrieval.year_margin": Range(-1.0, 2.0, unit="-1 = off"),
    "retrieval.chroma_url": url(required=False),
    "retrieval.collection": collection_name,
    "retrieval.conflict_similarity": COSINE,
    "retrieval.state_conflict_similarity": COSINE,
    "retrieval.conflict_margin": Range(0.0, 2.0),
    "kb.notes_dir": text(),
    "kb.sources": lambda key, value: value == [] or string_list(key, value),
    "kb.chunk_chars": Range(100, 1_000_000),
    "kb.max_file_bytes": Range(1, 1_000_000_000, unit="bytes"),
    "judge.off_limits_topics": lambda key, value: value == [] or string_list(key, value),
    "judge.on_injection": choice("refuse", "answer"),
    "judge.topics_file": file(" (topics TOML)"),
    "judge.topic_similarity": SIMILARITY,
    "judge.leak_similarity": SIMILARITY,
    "judge.reroute_similarity": SIMILARITY,
    # serve: the shapes here; checkpointer URLs, origins, toggleable nodes and profiles in
    # twin.config._validate_serve (they need the node names)
    "serve.host": text(required=True),
    "serve.port": Range(0, 65535, unit="a TCP port; 0 = any free port"),
    "serve.tokens_file": text(),
    "serve.cors_origins": lambda key, value: value == [] or string_list(key, value),
    "serve.workers": Range(1, 1024),
    "serve.queue_size": Range(0, 1_000_000),
    "serve.queue_timeout_s": Range(0.0, 1e6, low_open=True, unit="seconds"),
    "serve.request_timeout_s": Range(0.0, 1e6, low_open=True, unit="seconds"),
    "serve.rate_limit_per_minute": Range(0, 1_000_000, unit="0 = off"),
    "serve.rate_limit_burst": Range(1, 1_000_000),
    "serve.max_body_bytes": Range(1024, 1_000_000_000, unit="bytes"),
    "serve.max_question_chars": Range(1, 10_000_000),
    "serve.max_messages": Range(1, 100_000),
    "serve.toggleable": lambda key, value: value == [] or string_list(key, value),
    "serve.checkpointer": text(required=True),
    "serve.shutdown_grace_s": Range(0.0, 1e6, low_open=True, unit="seconds"),
    "serve.profiles": table,
}


def value_at(config: Any, dotted: str) -> Any:
    target = config
    for part in dotted.split("."):
        target = getattr(target, part)
    return target


def check_config(config: Any) -> None:
    """Run every rule, then the rules that tie two keys together."""
    for key, rule in RULES.items():
        rule(key, value_at(config, key))
    r = config.retrieval
    if r.fetch_k < r.k:
        raise _error(f"retrieval.fetch_k = {r.fetch_k} must be >= retrieval.k = {r.k} (candidates fetched before "
                     "the rerank keeps k)")
