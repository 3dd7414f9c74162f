"""Background jobs of the app: load the models, show the index status, keep the index in sync
with the notes folder (kb.watch), and let a sync in progress finish on exit.

Threading model: nothing slow runs on the event loop. Thread workers wait on the slow,
uninterruptible work (model loading, the notes watcher), which itself runs in daemon threads
(:mod:`twin_tui.background`) so that quitting never waits for a model; workers hand results to
the UI with :meth:`TwinBase.ui`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import work

from cmdline.preflight import ollama_problems
from twin_tui import background
from twin_tui.base import TwinBase


class ModelsAndIndex(TwinBase):
    """Models, index status and the notes watcher."""

    @work(thread=True, group="load", exit_on_error=False)
    def load_models(self) -> None:
        try:
            if self.runner is None:
                from graph.runner import TwinRunner  # lazy: the graph pulls in torch, transformers, chromadb

                self.runner = self.off_thread(TwinRunner, self.config)
            for problem in self.off_thread(ollama_problems, self.config):
                self.ui(self.notify, problem, title="Model server unreachable", severity="error", timeout=60,
                        markup=False)
            self.off_thread(background.warm_base, self.runner)
            self.base_ready.set()
            self.ui(self._set_models, "⏳ loading persona… (base model ready)")
            self.off_thread(background.warm_persona, self.runner)
            self.persona_ready.set()
            self.ui(self._set_models, f"● {self._model_label()} ready")
        except background.Abandoned:
            return
        except Exception as exc:  # shown, never a crash: the user can fix and restart
            self.load_error = f"{exc}" or type(exc).__name__
            self.base_ready.set()
            self.ui(self._set_models, "⚠ models failed to load")
            self.ui(self.notify, f"{exc}", title="Could not load the models", severity="error", timeout=30,
                    markup=False)
            return
        self._refresh_index_now(first=True)
        self._list_threads_now()
        if self.watch_notes and self.notes_dir is not None:
            self.ui(self.start_watcher)

    def _model_label(self) -> str:
        p = self.config.persona
        name = "embedded SmolLM2" if p.model == "embedded" else Path(p.model).name or p.model
        extra = f" + {len(p.adapters)} adapter(s)" if p.adapters else ""
        return f"{name}{extra} ({p.backend})"

    def _set_models(self, text: str) -> None:
        self.model_status = text
        self._refresh_bars()

    def _refresh_index_now(self, first: bool = False) -> None:
        try:
            status = self.off_thread(background.index_status, self.runner)
        except background.Abandoned:
            return
        except Exception as exc:
            self.ui(self.notify, f"{exc}", title="Cannot read the index", severity="error", timeout=20, markup=False)
            return
        self.notes_dir = status.notes_dir
        text = f"index {status.chunks} chunks" + (f" · updated {status.updated}" if status.updated else "")
        self.ui(self._set_index, text)
        if first and status.chunks == 0:
            self.ui(self.notify,
                    "The knowledge base is empty, so answers cannot cite notes. Index a notes folder with "
                    "`twin ingest PATH/TO/NOTES` (or `make ingest` for the sample notes), then restart the chat.",
                    title="Empty knowledge base", severity="warning", timeout=30)

    def _set_index(self, text: str) -> None:
        self.index_text = text
        self._refresh_bars()

    @work(thread=True, group="index", exclusive=True, exit_on_error=False)
    def refresh_index(self) -> None:
        self._refresh_index_now()

    def start_watcher(self) -> None:
        """Keep the index in sync with the notes folder (kb.watch) in a daemon thread."""
        assert self.notes_dir is not None and self.runner is not None
        self.watch_text = f"watching {self.notes_dir.name}/"
        self._refresh_bars()

        def changed(report: Any) -> None:
            self.ui(self._index_changed, report)

        def failed(exc: Exception) -> None:
            self.ui(self.notify, f"{exc}", title="Notes sync failed", severity="error", timeout=15, markup=False)

        def stopped(why: str) -> None:
            if why:
                self.ui(self._watch_stopped, why)

        self.watcher = background.start_watcher(self.config, self.notes_dir, self.runner.ctx.embeddings,
                                                changed, failed, stopped, self.stop_watch)

    def _index_changed(self, report: Any) -> None:
        self.index_reports += 1
        self._set_index(f"index {report.chunks_total} chunks · updated {background.now_local()}")
        what = background.change_summary(report)
        if what:
            self.notify(f"Notes re-indexed: {what}.", title="Knowledge base", timeout=5)

    def _watch_stopped(self, why: str) -> None:
        self.watch_text = "not watching"
        self._refresh_bars()
        self.notify(why, title="Notes watcher stopped", severity="warning", timeout=15, markup=False)

    def finish_background(self, timeout_s: float = 30.0) -> bool:
        """After the app has closed: let a notes sync in progress finish (it writes the index).

        Returns True when an answer is still being generated (nothing of it needs saving, so
        the caller may exit without waiting for the model).
        """
        self.stop_watch.set()
        if self.watcher is not None:
            self.watcher.join(timeout_s)
        return self.ask_lock.locked()
