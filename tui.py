"""Twin's terminal chat (Textual). `python tui.py` or `twin chat`."""

from __future__ import annotations

import argparse
from pathlib import Path

from twin import offline

offline.apply()

from textual import work  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.containers import VerticalScroll  # noqa: E402
from textual.widgets import Footer, Header, Input, Markdown, Static  # noqa: E402

from twin.config import Config  # noqa: E402


class ChatApp(App):
    """Minimal chat: type a question, watch the judged answer stream in, see sources."""

    TITLE = "Twin"
    CSS = """
    #log { height: 1fr; }
    .you { color: $accent; margin: 1 0 0 0; }
    .meta { color: $text-muted; }
    """
    BINDINGS = [("ctrl+q", "quit", "Quit")]

    def __init__(self, config: Config, thread_id: str = "chat-default") -> None:
        super().__init__()
        self.config = config
        self.thread_id = thread_id
        self.runner = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield VerticalScroll(id="log")
        yield Input(placeholder="Ask the twin…", id="question")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "loading models…"
        self.load_runner()

    @work(thread=True, exclusive=True, group="load")
    def load_runner(self) -> None:
        from graph.runner import TwinRunner

        runner = TwinRunner(self.config)
        _ = runner.ctx.persona_model.weights() if hasattr(runner.ctx.persona_model, "weights") else None
        self.runner = runner
        self.call_from_thread(setattr, self, "sub_title", "ready")

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        question = event.value.strip()
        if not question:
            return
        event.input.value = ""
        log = self.query_one("#log", VerticalScroll)
        await log.mount(Static(f"you: {question}", classes="you"))
        answer = Markdown("…")
        meta = Static("", classes="meta")
        await log.mount(answer, meta)
        log.scroll_end(animate=False)
        self.answer_question(question, answer, meta)

    @work(thread=True, group="ask")
    def answer_question(self, question: str, answer: Markdown, meta: Static) -> None:
        from graph.release import REPLACE

        while self.runner is None:
            import time

            time.sleep(0.1)
        text = ""
        try:
            for event in self.runner.stream(question, thread_id=self.thread_id):
                if event.kind == "token":
                    text = "" if event.text == REPLACE else text + event.text
                    self.call_from_thread(answer.update, text)
                elif event.kind == "result":
                    result = event.data
                    self.call_from_thread(answer.update, result["answer"])
                    sources = ", ".join(f"{s['title']} ({s['date']})" for s in result["sources"]) or "none"
                    info = f"route {result['route']} · judge {result['judge']['verdict']} · sources: {sources}"
                    self.call_from_thread(meta.update, info)
        except Exception as exc:  # shown to the user, never a crash
            self.call_from_thread(self.notify, str(exc), severity="error", title="Twin")

    def on_unmount(self) -> None:
        if self.runner is not None:
            self.runner.close()


def run_app(config: Config) -> None:
    ChatApp(config).run()


def main() -> None:
    from twin.cli import build_config

    parser = argparse.ArgumentParser(description="Twin chat")
    parser.add_argument("--home", type=Path)
    parser.add_argument("--config", type=Path)
    args = parser.parse_args()
    run_app(build_config(args.home, args.config))


if __name__ == "__main__":
    main()
