"""Every contact between the service and the graph, in this one module.

The rest of :mod:`serve` sees only :class:`Engine` (one model configuration, ready to answer,
and the counter of its tokens),
:class:`TurnEvent` (what a turn streams), :func:`public_result` (the JSON shape of an answered
turn) and :class:`Checkpoints` (where threads live). Re-pointing the service at a changed graph
API means changing this file alone.

Streaming is the runner's: with the judge on it releases only judged text, so nothing unjudged
can reach an HTTP client. A ``replace`` event carries the whole judged answer when the final
judgement differs from what was already released.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from graph.result import TurnResult
from twin.config import Config
from twin.state import reason_kind

RESULT_KEYS = ("answer", "route", "query", "sources", "judge", "timings_ms", "input_flags", "toggles")
SOURCE_KEYS = ("path", "title", "date", "heading", "score")
MIGRATION_LOCK = 7353514  # Postgres advisory lock key held while one replica creates the tables


@dataclass
class TurnEvent:
    kind: str  # progress | token | replace | result
    text: str = ""  # token: judged text to append; replace: the whole judged answer
    node: str = ""  # progress: the node that just finished
    data: dict[str, Any] = field(default_factory=dict)  # progress: the node's update; result: the raw result


def public_result(raw: TurnResult) -> dict[str, Any]:
    """An answered turn (the runner's :class:`~graph.result.TurnResult`) as the service returns it
    (no internal decisions; each source with an ``id``; the judge's reasons without the words of
    the text it withheld)."""
    out = {k: raw.get(k) for k in RESULT_KEYS}
    judge = raw.get("judge") or {}  # a visitor sees what a check found, never the words it withheld
    out["judge"] = {"verdict": judge.get("verdict", "skipped"), "reasons": [reason_kind(str(r)) for r in judge.get("reasons", [])]}
    out["sources"] = [{"id": s["path"], **{k: s.get(k) for k in SOURCE_KEYS}} for s in raw.get("sources", [])]
    return out


def progress_text(node: str, update: dict[str, Any], judged: bool) -> str:
    """What a client may show while the answer is not yet released."""
    if node == "analyze":
        return "searching the notes" if update.get("route") in ("retrieve", "forced") else "writing"
    if node == "retrieve":
        return f"writing from {len(update.get('sources', []))} notes"
    if node == "generate":
        return "checking the answer" if judged else "writing"
    return ""


class TokenCounter:
    """Counts text in the persona model's tokens, for OpenAI's ``usage``.

    The graph does not report what its model calls consumed, so this counts the text itself,
    and only with a tokenizer already in memory (the local backend's, once its weights are
    loaded): never loading weights to count, never guessing. Without one (Ollama, weights not
    loaded yet) :meth:`count` is None. It counts with its own copy of the tokenizer: the one the
    generator uses changes its padding settings per call and cannot be used from two threads at once.
    """

    def __init__(self) -> None:
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def count(self, model: Any, texts: list[str]) -> list[int] | None:
        """Each text's length in ``model``'s tokens (no special tokens), or None without a loaded tokenizer."""
        with self._lock:
            if self._tokenizer is None:
                import copy

                loaded = getattr(model, "loaded_tokenizer", None)
                tokenizer = loaded() if loaded is not None else None
                if tokenizer is None:
                    return None
                self._tokenizer = copy.deepcopy(tokenizer)
            return [len(self._tokenizer.encode(text, add_special_tokens=False)) if text else 0 for text in texts]


class Checkpoints:
    """The LangGraph checkpointer every engine shares: SQLite in the data home, or Postgres.

    ``turn_lock(thread_id)`` keeps turns of one thread one at a time: in this process (SQLite),
    and across every replica sharing the database (Postgres advisory locks).
    """

    def __init__(self, spec: str, saver: Any, kind: str, close: Any, pool: Any = None) -> None:
        self.spec, self.saver, self.kind, self._close, self._pool = spec, saver, kind, close, pool
        self._locks: weakref.WeakValueDictionary[str, threading.Lock] = weakref.WeakValueDictionary()
        self._guard = threading.Lock()

    @classmethod
    def open(cls, config: Config, pool_size: int = 4) -> Checkpoints:
        spec = config.serve.checkpointer
        if spec == "sqlite":
            import sqlite3

            from langgraph.checkpoint.sqlite import SqliteSaver

            home = config.home_path
            home.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(home / "threads.sqlite", check_same_thread=False)
            return cls(spec, SqliteSaver(conn), "sqlite", conn.close)
        return cls._open_postgres(spec, pool_size)

    @classmethod
    def _open_postgres(cls, url: str, pool_size: int) -> Checkpoints:
        import psycopg
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        try:  # one direct connection first: a wrong URL fails at once, with the server's reason
            psycopg.connect(url, connect_timeout=10).close()
        except psycopg.Error as exc:
            raise ConnectionError(f"cannot reach PostgreSQL for serve.checkpointer ({redact(url)}): "
                                  f"{str(exc).strip()}") from exc
        pool = ConnectionPool(url, min_size=1, max_size=pool_size, open=False,
                              kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row})
        try:
            pool.open(wait=True, timeout=15)
        except Exception as exc:
            pool.close()
            raise ConnectionError(f"cannot reach PostgreSQL for serve.checkpointer ({redact(url)}): {exc}") from exc
        saver = PostgresSaver(pool)
        with pool.connection() as conn:  # replicas may start together: one runs the migrations
            with advisory_lock(conn, MIGRATION_LOCK):
                saver.setup()
        return cls(url, saver, "postgres", pool.close, pool)

    @contextmanager
    def turn_lock(self, thread_id: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.get(thread_id)
            if lock is None:
                lock = threading.Lock()
                self._locks[thread_id] = lock
        with lock:
            if self._pool is None:
                yield
                return
            with self._pool.connection() as conn:
                key = conn.execute("SELECT hashtextextended(%s, 0) AS key", (thread_id,)).fetchone()["key"]
                with advisory_lock(conn, key):
                    yield

    def describe(self) -> str:
        return "sqlite" if self.kind == "sqlite" else f"postgres ({redact(self.spec)})"

    def close(self) -> None:
        self._close()


@contextmanager
def advisory_lock(conn: Any, key: int, poll_s: float = 0.1) -> Iterator[None]:
    """A Postgres session-level advisory lock, taken by polling ``pg_try_advisory_lock``.

    Not the blocking ``pg_advisory_lock``: a session blocked inside a statement holds a snapshot,
    and the checkpointer's migrations (CREATE INDEX CONCURRENTLY) wait for every such snapshot,
    so replicas starting together would deadlock silently.
    """
    while not conn.execute("SELECT pg_try_advisory_lock(%s) AS got", (key,)).fetchone()["got"]:
        time.sleep(poll_s)
    try:
        yield
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


def redact(url: str) -> str:
    """A connection URL without its password."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        host = parts.hostname or ""
        netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


class Engine:
    """One model configuration: its context, a runner on the shared checkpointer (threads) and
    one on a private in-memory checkpointer (stateless turns, whose history the caller sends)."""

    def __init__(self, config: Config, checkpoints: Checkpoints) -> None:
        from graph.runner import TwinRunner
        from nodes.context import TwinContext

        self.config = config
        self.checkpoints = checkpoints
        self.ctx = TwinContext(config)
        self.runner = TwinRunner(config, self.ctx, checkpointer=checkpoints.saver)
        self.scratch = TwinRunner(config, self.ctx, persist=False)
        self.counter = TokenCounter()

    def toggles(self, off: list[str]) -> dict[str, bool]:
        return self.runner.toggles(off)

    def warm(self) -> None:
        """Load what every answer needs (embeddings, weights, the judge) before the first request."""
        from nodes.judge import judge_text

        self.ctx.embeddings.embed_query("warm up")
        for model in (self.ctx.persona_model, self.ctx.persona_bare):
            if hasattr(model, "weights"):
                loaded = model.weights()
                if getattr(model, "adapters", None):
                    loaded.ensure_adapters(model.adapters)
        self.ctx.retriever.store.count()
        judge_text(self.ctx, "warm up", "Hello.")

    def index_chunks(self) -> int:
        return self.ctx.retriever.store.count()

    def stream(self, question: str, toggles: dict[str, bool], thread_id: str | None = None,
               history: list[tuple[str, str]] | None = None) -> Iterator[TurnEvent]:
        """One turn. With ``thread_id`` the turn continues that saved thread; without, it runs on a
        throwaway thread seeded with ``history`` ((role, text) pairs, role user|assistant)."""
        if thread_id is not None:
            with self.checkpoints.turn_lock(thread_id):
                yield from self._events(self.runner, question, toggles, thread_id)
            return
        import uuid

        scratch_id = f"scratch-{uuid.uuid4().hex}"
        try:
            if history:
                self._seed(scratch_id, history)
            yield from self._events(self.scratch, question, toggles, scratch_id)
        finally:
            self.scratch.graph.checkpointer.delete_thread(scratch_id)

    def _seed(self, thread_id: str, history: list[tuple[str, str]]) -> None:
        from langchain_core.messages import AIMessage, HumanMessage

        messages = [HumanMessage(text) if role == "user" else AIMessage(text) for role, text in history]
        self.scratch.graph.update_state({"configurable": {"thread_id": thread_id}}, {"messages": messages},
                                        as_node="judge")

    def _events(self, runner: Any, question: str, toggles: dict[str, bool], thread_id: str) -> Iterator[TurnEvent]:
        from graph.release import REPLACE

        replacing = False
        for event in runner.stream(question, thread_id=thread_id, toggles=toggles):
            if event.kind == "token":
                if event.text == REPLACE:
                    replacing = True
                    continue
                yield TurnEvent("replace" if replacing else "token", text=event.text)
                replacing = False
            elif event.kind == "node":
                yield TurnEvent("progress", node=event.node, data=event.data,
                                text=progress_text(event.node, event.data, toggles.get("judge", True)))
            elif event.kind == "result":
                yield TurnEvent("result", data=event.data)

    def count_tokens(self, texts: list[str]) -> list[int] | None:
        """Each text's length in the persona model's tokens, or None where no tokenizer is at hand
        (see :class:`TokenCounter`)."""
        return self.counter.count(self.ctx.persona_model, texts)

    def history(self, thread_id: str) -> list[dict[str, str]]:
        """A saved thread's messages as {"role": "user"|"assistant", "content"} (oldest first)."""
        roles = {"human": "user", "ai": "assistant"}
        return [{"role": roles.get(m["role"], m["role"]), "content": m["content"]}
                for m in self.runner.history(thread_id)]

    def close(self) -> None:
        self.runner.close()
        self.scratch.close()
