"""Thumbs up/down on an answer, appended as one JSON line to ``<home>/feedback.jsonl``.

Each record carries what is needed to reuse it as eval or training data: the question,
the judged answer, its sources, the node toggles and the models that produced it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from twin.config import Config
from twin.jsonl import append_jsonl, read_jsonl

if TYPE_CHECKING:
    from graph.result import TurnResult

FEEDBACK_FILE = "feedback.jsonl"
RATINGS = ("up", "down")


class FeedbackRecord(TypedDict):
    timestamp: str
    rating: str  # up | down
    comment: str
    question: str
    answer: str
    sources: list[dict[str, Any]]
    route: str
    judge: dict[str, Any]
    toggles: dict[str, bool]
    config: dict[str, Any]
    variant: str  # "" for a normal answer, "A"/"B" in compare mode
    thread_id: str


def config_summary(config: Config) -> dict[str, Any]:
    """The model/retrieval settings that shaped an answer (no paths beyond adapters)."""
    def model(m: Any) -> dict[str, Any]:
        return {"backend": m.backend, "model": m.model, "adapters": list(m.adapters),
                "max_new_tokens": m.max_new_tokens, "temperature": m.temperature}

    r = config.retrieval
    return {
        "persona": model(config.persona), "base": model(config.base),
        "embeddings": config.embeddings.model, "analyzer": config.analyzer.strategy,
        "retrieval": {"k": r.k, "fetch_k": r.fetch_k, "recency_weight": r.recency_weight,
                      "half_life_days": r.half_life_days, "min_score": r.min_score},
    }


def make_record(result: TurnResult, question: str, rating: str, comment: str, config: Config,
                variant: str = "") -> FeedbackRecord:
    if rating not in RATINGS:
        raise ValueError(f"rating must be one of {RATINGS}, got {rating!r}")
    return FeedbackRecord(
        timestamp=datetime.now(UTC).isoformat(timespec="seconds"),
        rating=rating, comment=comment.strip(), question=question,
        answer=result.get("answer", ""), sources=list(result.get("sources", [])),
        route=result.get("route", ""), judge=dict(result.get("judge", {})),
        toggles=dict(result.get("toggles", {})), config=config_summary(config),
        variant=variant, thread_id=result.get("thread_id", ""),
    )


def append_feedback(home: Path, record: FeedbackRecord) -> Path:
    """Append one line (a single write, flushed and synced: earlier lines are never touched)."""
    path = Path(home) / FEEDBACK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    append_jsonl(path, record, sync=True)
    return path


def read_feedback(home: Path) -> list[FeedbackRecord]:
    path = Path(home) / FEEDBACK_FILE
    if not path.exists():
        return []
    return read_jsonl(path)  # type: ignore[return-value]
