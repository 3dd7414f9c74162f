"""Run the graph for one question: streaming events, JSON results, persistent threads.

Chat history lives in a LangGraph SQLite checkpointer under the data home, so a thread
survives restarts. With the judge on, no token reaches the caller before the judge has
seen it: the runner holds generated text back and releases it sentence by sentence
only once the judge passes the text so far (see :mod:`graph.release`).
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import HumanMessage
from langgraph.checkpoint.sqlite import SqliteSaver

from graph.build import build_graph
from graph.release import JudgedRelease
from graph.result import TurnResult, turn_result
from nodes.cancel import CANCEL_KEY
from nodes.context import TwinContext
from nodes.generate import goes_to_notes
from nodes.judge import skipped_notes
from twin.config import NODE_NAMES, Config, NodeToggles
from twin.state import TURN_RESET


@dataclass
class Event:
    kind: str  # token | node | result
    text: str = ""
    node: str = ""
    data: dict[str, Any] = field(default_factory=dict)  # node: its state update; result: the TurnResult


class TwinRunner:
    """One graph per process, with a SQLite checkpointer for chat history.

    ``durability`` "exit": a turn saves one checkpoint, when it ends (answered, stopped or failed),
    not one per node: a thread keeps what the user saw, at a sixth of the size. A process killed
    mid-turn loses that turn's question."""

    durability = "exit"

    def __init__(self, config: Config, ctx: TwinContext | None = None, persist: bool = True,
                 checkpointer: Any = None) -> None:
        """``checkpointer`` (any LangGraph saver, e.g. a shared Postgres one) replaces the default."""
        self.config = config
        self.ctx = ctx or TwinContext(config)
        self._conn = None
        if checkpointer is None and persist:
            self._conn = sqlite3.connect(self.ctx.home / "threads.sqlite", check_same_thread=False)
            checkpointer = SqliteSaver(self._conn)
        elif checkpointer is None:
            from langgraph.checkpoint.memory import InMemorySaver

            checkpointer = InMemorySaver()
        self.graph = build_graph(self.ctx, checkpointer)

    def toggles(self, off: list[str] | None = None) -> dict[str, bool]:
        toggles: NodeToggles = self.config.nodes.with_off(off or [])
        return {n: getattr(toggles, n) for n in NODE_NAMES}

    def stream(self, question: str, thread_id: str | None = None, off: list[str] | None = None,
               toggles: dict[str, bool] | None = None, cancel: threading.Event | None = None) -> Iterator[Event]:
        """Yield ``token`` events (judged text only), ``node`` events, then one ``result``.

        Setting ``cancel`` stops the turn: it rides in the run's config to the model calls, whose
        generation ends within a token, and the stream ends with no later node and no result."""
        question = question.strip()
        if not question:
            raise ValueError("the question is empty")
        thread_id = thread_id or f"ask-{uuid.uuid4().hex[:12]}"
        toggles = toggles or self.toggles(off)
        state_in = {**TURN_RESET, "question": question, "toggles": toggles, "messages": [HumanMessage(question)]}
        configurable: dict[str, Any] = {"thread_id": thread_id}
        if cancel is not None:
            configurable[CANCEL_KEY] = cancel
        run_config = {"configurable": configurable}
        release = JudgedRelease(self.ctx, question, judged=toggles["judge"])
        with closing(self.graph.stream(state_in, run_config, stream_mode=["custom", "updates"],
                                       durability=self.durability)) as chunks:
            for mode, chunk in chunks:
                if cancel is not None and cancel.is_set():
                    return  # closing waits only for the node under way, whose model stops within a token
                yield from self._events(release, mode, chunk)
        state = self.graph.get_state(run_config).values
        for text in release.finish(state.get("answer", "")):
            yield Event("token", text=text)
        yield Event("result", data=turn_result(state, thread_id, toggles))

    @staticmethod
    def _events(release: JudgedRelease, mode: str, chunk: Any) -> Iterator[Event]:
        """The events one chunk of the graph's stream makes (judged text only)."""
        if mode == "custom" and "token" in chunk:
            for text in release.feed(chunk["token"]):
                yield Event("token", text=text)
        elif mode == "custom" and chunk.get("restart"):
            release.restart()
        elif mode == "updates":
            for node, update in chunk.items():
                if node in ("analyze", "judge") and "route" in (update or {}):
                    release.grounded = goes_to_notes(update)
                    release.skipped_notes = skipped_notes(update)
                    release.note_similarity = float(update.get("note_similarity", release.note_similarity))
                if node == "retrieve":
                    release.sources = (update or {}).get("sources", [])
                yield Event("node", node=node, data=update or {})

    def ask(self, question: str, thread_id: str | None = None, off: list[str] | None = None,
            toggles: dict[str, bool] | None = None) -> TurnResult:
        result: TurnResult | None = None
        for event in self.stream(question, thread_id, off, toggles):
            if event.kind == "result":
                result = event.data  # type: ignore[assignment]
        assert result is not None, "the graph stream ended without a result"
        return result

    def history(self, thread_id: str) -> list[dict[str, str]]:
        state = self.graph.get_state({"configurable": {"thread_id": thread_id}}).values
        return [{"role": m.type, "content": str(m.content)} for m in state.get("messages", [])]

    def threads(self) -> list[str]:
        if self._conn is None:
            return []
        rows = self._conn.execute("SELECT DISTINCT thread_id FROM checkpoints ORDER BY rowid DESC").fetchall()
        return [r[0] for r in rows]

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
