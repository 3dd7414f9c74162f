"""The service behind the HTTP routes: engines per profile, the gate, tokens, limits, threads.

:meth:`Service.turn` runs one answer on a worker thread (through :class:`serve.limits.ModelGate`)
and hands its events to the asyncio side as they come. Events are the graph's judged stream
(:mod:`serve.turns`), so what a caller receives is exactly what the CLI and the TUI show.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from serve.limits import Busy, ModelGate, RateLimiter, Ticket
from serve.profiles import Profile, engine_config, load_profiles
from serve.sources import PublicNotes
from serve.tokens import TokenRecord, TokenStore, tokens_path
from serve.turns import Checkpoints, Engine, TurnEvent
from twin.config import NODE_NAMES, Config

THREAD_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")  # whole id: fullmatch (a "$" lets a final "\n" in)
ANONYMOUS_MIN_THREAD_CHARS = 16  # an anonymous caller's thread id is its only key: make it unguessable
HEARTBEAT_S = 10.0
_DONE = object()  # end of a turn's events


class TurnTimeout(Exception):
    pass


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token holder, or an anonymous visitor (public mode)."""

    kind: str  # token | anonymous
    key: str  # rate-limit key: the token id, or the client address
    name: str = ""
    rate_limit_per_minute: int = -1

    @property
    def namespace(self) -> str:
        """Threads are stored per caller: one token cannot read another's (or a visitor's) threads."""
        return f"token-{self.key}" if self.kind == "token" else "public"

    @classmethod
    def from_token(cls, record: TokenRecord) -> Principal:
        return cls("token", record.id, record.name, record.rate_limit_per_minute)


@dataclass
class TurnRequest:
    question: str
    profile: Profile
    toggles: dict[str, bool]
    thread_id: str | None = None  # as the caller names it; None = stateless (history given)
    stored_thread_id: str | None = None
    history: list[tuple[str, str]] | None = None


class Service:
    def __init__(self, config: Config) -> None:
        serve = config.serve
        self.config = config
        self.tokens = TokenStore(tokens_path(config))
        self.tokens.records()  # a broken tokens file stops the start (TokenError), not every later request
        self.checkpoints = Checkpoints.open(config, pool_size=2 * serve.workers + 2)
        self.profiles = load_profiles(config)
        self.gate = ModelGate(serve.workers, serve.queue_size, serve.queue_timeout_s)
        self.limiter = RateLimiter(serve.rate_limit_per_minute, serve.rate_limit_burst)
        self.notes = PublicNotes(config)
        self._engines: dict[tuple, Engine] = {}
        self._engines_lock = threading.Lock()
        self.started = time.time()
        self.ready = False

    # -- engines ---------------------------------------------------------------------
    def engine(self, profile: Profile) -> Engine:
        with self._engines_lock:
            engine = self._engines.get(profile.engine_key)
            if engine is None:
                engine = Engine(engine_config(self.config, profile), self.checkpoints)
                self._engines[profile.engine_key] = engine
            return engine

    def warm(self) -> None:
        self.engine(self.profiles["twin"]).warm()
        self.ready = True

    # -- callers ---------------------------------------------------------------------
    def thread_key(self, principal: Principal, thread_id: str) -> str:
        return f"serve/{principal.namespace}/{thread_id}"

    def check_thread_id(self, principal: Principal, thread_id: str) -> str | None:
        """A problem with a caller-chosen thread id, or None."""
        if not THREAD_ID.fullmatch(thread_id):
            return "thread_id must be 1-128 characters: letters, digits, '_', '.', ':' or '-'"
        if principal.kind == "anonymous" and len(thread_id) < ANONYMOUS_MIN_THREAD_CHARS:
            return (f"an anonymous thread_id must be at least {ANONYMOUS_MIN_THREAD_CHARS} random characters "
                    "(leave it out and the server makes one)")
        return None

    @staticmethod
    def new_thread_id() -> str:
        return f"t-{uuid.uuid4().hex}"

    # -- answering -------------------------------------------------------------------
    def open_turn(self, request: TurnRequest) -> AsyncIterator[TurnEvent]:
        """Admit the turn now (or raise :class:`Busy`), and return its events as they come.

        A ``waiting`` event comes every few seconds while nothing else arrives (SSE heartbeats).
        Leaving early (client gone) skips the answer if it has not started; a started answer
        runs to the end and is saved to its thread.
        """
        ticket = self.gate.admit()
        loop = asyncio.get_running_loop()
        events: asyncio.Queue[Any] = asyncio.Queue()

        def push(item: Any) -> None:
            try:
                loop.call_soon_threadsafe(events.put_nowait, item)
            except RuntimeError:  # the event loop is gone (server stopped): nobody is listening
                pass

        def work() -> None:
            try:
                engine = self.engine(request.profile)
                for event in engine.stream(request.question, request.toggles, request.stored_thread_id,
                                           request.history):
                    push(event)
            except BaseException as exc:  # handed to the caller's side
                push(exc)
            finally:
                push(_DONE)

        future = self.gate.submit(ticket, work)
        future.add_done_callback(lambda f: f.exception() is not None and push(f.exception()))
        return self._events(ticket, events)

    async def _events(self, ticket: Ticket, events: asyncio.Queue[Any]) -> AsyncIterator[TurnEvent]:
        deadline = ticket.admitted + self.config.serve.request_timeout_s
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TurnTimeout(f"no answer within serve.request_timeout_s = "
                                      f"{self.config.serve.request_timeout_s:g} s")
                try:
                    item = await asyncio.wait_for(events.get(), min(HEARTBEAT_S, remaining))
                except TimeoutError:
                    yield TurnEvent("waiting", data={"started": ticket.started is not None})
                    continue
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            ticket.abandoned = True  # a no-op once started: started answers always finish

    async def answer(self, request: TurnRequest) -> tuple[dict[str, Any], bool]:
        """The whole turn: (raw result, whether the judged answer replaced released text)."""
        replaced = False
        async for event in self.open_turn(request):
            if event.kind == "replace":
                replaced = True
            elif event.kind == "result":
                return event.data, replaced
        raise RuntimeError("the turn ended without a result")

    def usage(self, profile: Profile, prompt: list[str], completion: str) -> dict[str, int] | None:
        """OpenAI's ``usage`` of a turn that has run: the caller's texts (``prompt``) and the text it
        received (``completion``) in the profile's persona tokens; None where they cannot be counted
        (no loaded tokenizer). Not the model's own work: the notes and instructions the graph adds,
        and its other model calls, are not reported by the graph, so they are not counted."""
        try:
            counts = self.engine(profile).count_tokens([*prompt, completion])
        except Exception:  # noqa: BLE001 - a count is a courtesy: the answer it would cost is not
            logging.getLogger("twin.serve").warning("could not count tokens for usage", exc_info=True)
            return None
        if counts is None:
            return None
        prompt_tokens, completion_tokens = sum(counts[:-1]), counts[-1]
        return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens}

    def toggles(self, profile: Profile, off: list[str]) -> dict[str, bool]:
        switches = self.config.nodes.with_off([*profile.off, *off])
        return {n: getattr(switches, n) for n in NODE_NAMES}

    def history(self, profile: Profile, stored_thread_id: str) -> list[dict[str, str]]:
        return self.engine(profile).history(stored_thread_id)

    def health(self) -> dict[str, Any]:
        return {"status": "draining" if self.gate.closing else ("ok" if self.ready else "starting"),
                "uptime_s": round(time.time() - self.started, 1), "queue": self.gate.stats(),
                "threads": self.checkpoints.kind, "profiles": sorted(self.profiles)}

    def close(self) -> None:
        """Finish every admitted answer, then release models' stores and the checkpointer."""
        self.gate.close()
        for engine in self._engines.values():
            engine.close()
        self.checkpoints.close()


__all__ = ["Busy", "Principal", "Service", "Ticket", "TurnRequest", "TurnTimeout"]
