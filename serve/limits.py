"""Admission control: per-caller rate limits and the bounded queue in front of the model.

The model is one CPU-bound resource. :class:`ModelGate` runs at most ``workers`` answers at
once and lets at most ``queue_size`` more wait; anyone beyond that is turned away at once with
a Retry-After estimate (from the recent answer times) instead of piling up. Everything admitted
runs to the end, so a flood costs 429s, never a lost or truncated answer.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any


class Busy(Exception):
    """Turned away: the queue is full (or an answer waited too long). ``retry_after`` in seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimiter:
    """A token bucket per caller: ``burst`` requests back to back (at most the per-minute rate),
    then ``per_minute``. Each replica counts its own callers."""

    MAX_KEYS = 10_000

    def __init__(self, per_minute: int, burst: int) -> None:
        self.per_minute = per_minute
        self.burst = burst
        self._buckets: dict[str, tuple[float, float, float]] = {}  # key -> (tokens, last refill, full again at)
        self._lock = threading.Lock()

    def check(self, key: str, per_minute: int | None = None) -> float:
        """0.0 when the request may go ahead (and is counted), else seconds until it may."""
        rate = self.per_minute if per_minute is None or per_minute < 0 else per_minute
        if rate == 0:
            return 0.0
        per_second = rate / 60.0
        capacity = float(min(self.burst, rate))  # a token limited to 2/min does not get a burst of 10
        now = time.monotonic()
        with self._lock:
            tokens, last, _ = self._buckets.get(key, (capacity, now, now))
            tokens = min(capacity, tokens + (now - last) * per_second)
            wait = 0.0 if tokens >= 1.0 else (1.0 - tokens) / per_second
            if not wait:
                tokens -= 1.0
            self._buckets[key] = (tokens, now, now + (capacity - tokens) / per_second)
            if len(self._buckets) > self.MAX_KEYS:
                self._prune(now)
        return wait

    def _prune(self, now: float) -> None:
        """Forget callers whose bucket has refilled (they are indistinguishable from new ones)."""
        for key in [k for k, (_, _, full_at) in self._buckets.items() if full_at <= now]:
            del self._buckets[key]


@dataclass
class Ticket:
    """One admitted answer. ``abandoned``: the caller left before it started, so it is skipped."""

    admitted: float = field(default_factory=time.monotonic)
    abandoned: bool = False
    started: float | None = None


class ModelGate:
    def __init__(self, workers: int, queue_size: int, queue_timeout_s: float) -> None:
        self.workers = workers
        self.queue_size = queue_size
        self.queue_timeout_s = queue_timeout_s
        self.executor = ThreadPoolExecutor(workers, thread_name_prefix="twin-answer")
        self.running = 0
        self.waiting = 0
        self.served = 0
        self.turned_away = 0
        self.avg_answer_s = 10.0  # moving average of answer times (a first guess until measured)
        self._lock = threading.Lock()
        self.closing = False

    @property
    def capacity(self) -> int:
        return self.workers + self.queue_size

    def retry_after(self) -> int:
        """Seconds until a slot is likely free: the work ahead divided among the workers."""
        ahead = self.running + self.waiting
        return max(1, min(600, math.ceil(self.avg_answer_s * max(1, ahead - self.workers + 1) / self.workers)))

    def admit(self) -> Ticket:
        with self._lock:
            if self.closing:
                raise Busy("the server is shutting down", 5)
            if self.running + self.waiting >= self.capacity:
                self.turned_away += 1
                raise Busy(f"the twin is busy ({self.running} answering, {self.waiting} waiting); "
                           "retry after the Retry-After seconds", self.retry_after())
            self.waiting += 1
        return Ticket()

    def submit(self, ticket: Ticket, work: Callable[[], Any]) -> Future:
        """Run ``work`` on a worker when one frees up (FIFO). A ticket whose caller left, or that
        waited past ``queue_timeout_s``, is skipped with :class:`Busy`."""

        def job() -> Any:
            with self._lock:
                self.waiting -= 1
                waited = time.monotonic() - ticket.admitted
                if ticket.abandoned or waited > self.queue_timeout_s:
                    if not ticket.abandoned:
                        self.turned_away += 1
                    raise Busy(f"waited {waited:.0f} s for a free worker; retry later", self.retry_after())
                self.running += 1
            ticket.started = time.monotonic()
            try:
                return work()
            finally:
                elapsed = time.monotonic() - ticket.started
                with self._lock:
                    self.running -= 1
                    self.served += 1
                    self.avg_answer_s = 0.7 * self.avg_answer_s + 0.3 * elapsed

        return self.executor.submit(job)

    def stats(self) -> dict[str, Any]:
        return {"workers": self.workers, "queue_size": self.queue_size, "running": self.running,
                "waiting": self.waiting, "served": self.served, "turned_away": self.turned_away,
                "avg_answer_s": round(self.avg_answer_s, 2)}

    def close(self) -> None:
        """Refuse new answers and wait for every admitted one to finish."""
        with self._lock:
            self.closing = True
        self.executor.shutdown(wait=True)
