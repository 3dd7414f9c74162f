"""One question's work: its answer jobs, a stop switch, and the thread that runs the graph."""

from __future__ import annotations

import queue
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from twin_tui.widgets import AnswerCard

COMPARE_SUFFIX = "~B"  # compare mode's B answers live in their own thread


@dataclass
class Job:
    """One answer to produce: its card, the node toggles and the thread it is saved in."""

    card: AnswerCard
    toggles: dict[str, bool]
    thread_id: str


@dataclass
class Turn:
    """One question and its one (or, comparing, two) jobs; ``stop`` ends it early."""

    question: str
    jobs: list[Job]
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def cards(self) -> list[AnswerCard]:
        return [job.card for job in self.jobs]


def new_thread_id() -> str:
    return f"chat-{datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:4]}"


def progress_text(node: str, data: dict[str, Any], toggles: dict[str, bool]) -> str:
    """What an answer card says while its graph runs (before any judged text arrives)."""
    if node == "analyze":
        return "searching the notes…" if data.get("route") in ("retrieve", "forced") else "writing…"
    if node == "retrieve":
        return f"writing from {len(data.get('sources', []))} notes…"
    if node == "generate":
        return "the judge is checking the answer…" if toggles.get("judge") else "writing…"
    return "thinking…"


def pump(runner: Any, turn: Turn, job: Job, toggles: dict[str, bool], events: queue.Queue[Any],
         lock: threading.Lock, closing: Callable[[], bool]) -> None:
    """Daemon thread: run the graph, queue its events, then ``None`` (an exception on failure).

    Holding ``lock`` keeps runs one at a time, so a new question waits for a stopped one to
    wind down rather than writing into the same thread concurrently. ``turn.stop`` is the run's
    cancel switch: the model stops generating within a token of it, so that wait is short.
    """
    with lock:
        stream = None
        try:
            stream = runner.stream(turn.question, thread_id=job.thread_id, toggles=toggles, cancel=turn.stop)
            for event in stream:
                if turn.stop.is_set() or closing():
                    break
                events.put(event)
        except Exception as exc:  # handed to the UI side, never a crash
            events.put(exc)
        finally:
            if stream is not None:
                stream.close()
            events.put(None)
