"""The TUI's model-free parts: the note preview guard, feedback records, trace formatting; and the
app driven by Pilot over the scripted chat model (errors, new chats), the fast tier's versions of
tests/test_tui.py."""

from __future__ import annotations

import asyncio
import html
import json
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from backends.errors import BackendError
from graph.runner import TwinRunner
from tests.test_fast_graph import scripted_runner
from twin.config import Config, load_config
from twin_tui.app import TwinApp
from twin_tui.feedback import append_feedback, make_record, read_feedback
from twin_tui.preview import PreviewRefused, load_preview
from twin_tui.trace import card_summary, model_line, trace_renderable, traces_renderable
from twin_tui.widgets import AnswerCard, Composer

REPO = Path(__file__).resolve().parent.parent
NOTES = REPO / "examples" / "notes"

RESULT = {
    "answer": "I live in Rotterdam now.", "route": "retrieve", "query": "where do you live",
    "sources": [{"path": "life/moving-to-rotterdam.md", "title": "Moving to Rotterdam", "date": "2025-03-01",
                 "heading": "Moving", "score": 0.71}],
    "judge": {"verdict": "redacted", "reasons": ["private_leak: removed a private detail"]},
    "timings_ms": {"analyze": 12.0, "retrieve": 30.5, "generate": 1500.0, "judge": 8.0},
    "input_flags": ["injection"],
    "decisions": {"analyze": {"route": "retrieve", "score": 0.9, "by": "embedding"},
                  "generate": {"model": "SmolLM2-135M-Instruct", "adapter": False}},
    "toggles": {"analyze": True, "retrieve": True, "rerank": True, "rewrite": True, "adapter": True, "judge": True},
    "thread_id": "chat-x",
}


@pytest.fixture()
def notes(tmp_path: Path) -> Path:
    target = tmp_path / "notes"
    shutil.copytree(NOTES, target)
    return target


def test_public_note_is_shown(notes: Path) -> None:
    note = load_preview(notes, "life/moving-to-rotterdam.md")
    assert "Rotterdam" in note.text and note.title and not note.text.startswith("---")


@pytest.mark.parametrize("rel", ["private/health.md", "private/../private/family.md", "journal-2025-02.md"])
def test_private_notes_are_refused(notes: Path, rel: str) -> None:
    with pytest.raises(PreviewRefused, match="private"):
        load_preview(notes, rel)


def test_paths_outside_or_through_private_links_are_refused(notes: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.md").write_text("# Outside\n\nnot a note\n")
    with pytest.raises(PreviewRefused, match="outside"):
        load_preview(notes, "../outside.md")
    (notes / "innocent.md").symlink_to(notes / "private" / "finances.md")
    with pytest.raises(PreviewRefused, match="private"):
        load_preview(notes, "innocent.md")
    with pytest.raises(PreviewRefused, match="twin ingest"):
        load_preview(None, "about-me.md")
    with pytest.raises(PreviewRefused, match="vanished|gone|not"):
        load_preview(notes, "no-such-note.md")


def test_feedback_lines_append_and_stay_valid(tmp_path: Path) -> None:
    config = Config(home=str(tmp_path))
    (tmp_path / "feedback.jsonl").write_text('{"earlier": true}\n', encoding="utf-8")
    append_feedback(tmp_path, make_record(RESULT, "Where do you live?", "up", "  spot on ", config))
    append_feedback(tmp_path, make_record(RESULT, "Where do you live?", "down", "", config, variant="B"))
    lines = (tmp_path / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    assert lines[0] == '{"earlier": true}', "earlier lines are never rewritten"
    first, second = (json.loads(line) for line in lines[1:])
    assert first["rating"] == "up" and first["comment"] == "spot on" and first["variant"] == ""
    assert second["rating"] == "down" and second["variant"] == "B"
    assert first["sources"][0]["path"] == "life/moving-to-rotterdam.md"
    assert first["toggles"]["judge"] is True and first["config"]["persona"]["backend"] == "local"
    assert len(read_feedback(tmp_path)) == 3
    with pytest.raises(ValueError, match="rating"):
        make_record(RESULT, "q", "meh", "", config)


def render(renderable: object) -> str:
    console = Console(width=100, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_trace_shows_route_query_timings_judge_and_model() -> None:
    text = render(traces_renderable([("A · as configured", RESULT)]))
    for expected in ("A · as configured", "retrieve", "p=0.90 by embedding", "where do you live",
                     "redacted", "private_leak: removed a private detail", "injection", "1.5 s", "total",
                     "SmolLM2-135M-Instruct", "all nodes on"):
        assert expected in text, expected
    assert card_summary(RESULT) == "route retrieve · 1 source · judge redacted · 1.6 s"


def test_trace_says_when_the_judge_sent_a_general_question_to_the_notes() -> None:
    decisions = {"analyze": {"route": "no_retrieve", "score": 0.2, "by": "embedding"},
                 "judge": {"rerouted": "the answer said of me what no note was read for: Luna"}}
    text = render(trace_renderable({**RESULT, "decisions": decisions}))
    assert "analyzer: no_retrieve; judge: the answer said of me what no note was read for: Luna" in " ".join(text.split())
    assert "analyzer:" not in render(trace_renderable(RESULT))


def test_answers_without_the_adapter_are_marked() -> None:
    bare = {**RESULT, "toggles": {**RESULT["toggles"], "adapter": False}}
    assert "base model" in card_summary(bare) and "adapter switched off" in model_line(bare)
    assert "no adapter trained" in model_line(RESULT)
    assert "off: adapter" in render(trace_renderable(bare))
    with_adapter = {**RESULT, "decisions": {"generate": {"model": "/x/y/m.gguf + 1 adapter(s)", "adapter": True}}}
    assert model_line(with_adapter) == "m.gguf + 1 adapter(s) · persona adapter on"


# -- the app over the scripted chat model --------------------------------------------------------

SIZE = (120, 36)


async def settle(pilot: Any, done: Callable[[], bool], limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not done():
        assert time.monotonic() < deadline, "the UI never reached the expected state"
        await pilot.pause(0.05)


async def ask(pilot: Any, app: TwinApp, question: str) -> list[AnswerCard]:
    """Type a question, press enter, wait until it is answered (or failed)."""
    before = len(app.query(AnswerCard))
    app.query_one(Composer).load_text(question)
    await pilot.press("enter")
    await settle(pilot, lambda: len(app.query(AnswerCard)) > before and not app.busy)
    await pilot.pause(0.2)
    return list(app.query(AnswerCard))[before:]


def screen_text(app: TwinApp) -> str:
    """Everything visible on the screen, toasts included, whitespace squashed."""
    runs = re.findall(r"<text[^>]*>([^<]*)</text>", app.export_screenshot())
    return re.sub(r"\s+", "", html.unescape("".join(runs)).replace("\xa0", " "))


def run_app(test: Callable[[TwinApp, Any], Any], app: TwinApp) -> None:
    """Run ``test(app, pilot)`` in a headless app that shows its toasts."""

    async def main() -> None:
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await settle(pilot, lambda: app.base_ready.is_set())
            await test(app, pilot)

    asyncio.run(main())


def test_error_text_that_looks_like_markup_is_shown_not_a_crash(tmp_path: Path) -> None:
    """Error messages are the backend's words: "[/INST]" or pydantic's "[type=…]" are text, not markup."""
    runner, _ = scripted_runner(tmp_path, "I live in Rotterdam.")
    message = 'Ollama at http://127.0.0.1:11434 answered 500: template: unexpected "[/INST]" in command'

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise BackendError(message)

    runner.stream = failing  # type: ignore[method-assign]
    app = TwinApp(runner.config, runner=runner, watch=False)

    async def test(app: TwinApp, pilot: Any) -> None:
        [card] = await ask(pilot, app, "Where do you live?")
        await settle(pilot, lambda: any(n.title == "Model backend error" for n in app._notifications))
        await pilot.pause(0.3)  # the toast is drawn
        assert card.has_class("-error") and "[/INST]" in card.body.source
        assert '"[/INST]"incommand' in screen_text(app), "the toast shows the message as written"

    run_app(test, app)
    assert app.return_code in (0, None), "the app did not crash"


def test_a_question_after_the_models_failed_to_load_says_so(tmp_path: Path) -> None:
    """A broken home (here: threads.sqlite is a folder) fails the load; the next question's card
    says why instead of staying "thinking…" forever."""
    (tmp_path / "threads.sqlite").mkdir()
    app = TwinApp(load_config(None, str(tmp_path)), watch=False)

    async def test(app: TwinApp, pilot: Any) -> None:
        assert app.runner is None and "failed" in app.model_status
        [card] = await ask(pilot, app, "Where do you live?")
        assert card.has_class("-error"), card.body.source
        assert "The models did not load: unable to open database file" in card.body.source

    run_app(test, app)


def test_a_new_or_reopened_chat_shows_no_sources_or_trace_of_the_old_one(tmp_path: Path) -> None:
    scripted, _ = scripted_runner(tmp_path, "These days I live in Rotterdam.")
    runner = TwinRunner(scripted.config, scripted.ctx)  # threads saved, so the Threads tab lists them
    app = TwinApp(runner.config, runner=runner, watch=False)
    no_trace = "Ask something to see how the twin answered."

    def inspector(app: TwinApp) -> tuple[int, object, str]:
        sources = app.query_one("#source-list").option_count
        threads = app.query_one("#thread-list")
        marked = [threads.get_option_at_index(i).id for i in range(threads.option_count)
                  if str(threads.get_option_at_index(i).prompt).startswith("▶")]
        return sources, app.query_one("#trace-body").content, ",".join(str(m) for m in marked)

    async def test(app: TwinApp, pilot: Any) -> None:
        first = app.thread_id
        await ask(pilot, app, "Where do you live?")
        sources, trace, marked = inspector(app)
        assert sources == 1 and trace != no_trace and marked == f"thread:{first}"
        await pilot.press("ctrl+n")
        await pilot.pause(0.2)
        assert inspector(app) == (0, no_trace, ""), "a new chat shows nothing of the old one"
        await ask(pilot, app, "Where do you live now?")
        app.open_thread(first)
        await settle(pilot, lambda: app.thread_id == first)
        await pilot.pause(0.3)
        assert inspector(app) == (0, no_trace, f"thread:{first}"), "nor does a reopened one"

    run_app(test, app)
    runner.close()


def test_a_pasted_multi_line_question_labels_its_thread_and_sources_on_one_line(tmp_path: Path) -> None:
    scripted, _ = scripted_runner(tmp_path, "These days I live in Rotterdam.")
    runner = TwinRunner(scripted.config, scripted.ctx)
    app = TwinApp(runner.config, runner=runner, watch=False)
    question = "Hi,\n\nquick one:\nwhere do you live these days, and since when exactly? Tell me everything."

    async def test(app: TwinApp, pilot: Any) -> None:
        [card] = await ask(pilot, app, question)
        assert card.question == question.strip(), "the question itself is kept as written"
        threads = app.query_one("#thread-list")
        await settle(pilot, lambda: threads.option_count == 1)
        label = str(threads.get_option_at_index(0).prompt).rsplit("\n", 1)[0]  # then a line with the id
        assert label == "▶ Hi, quick one: where do you live these days, an…  (1 turn)", label
        caption = str(app.query_one("#sources-caption").content)
        assert caption == "1 source for: Hi, quick one: where do you live these days, and since when…", caption

    run_app(test, app)
    runner.close()


def test_the_textual_floor_has_notify_markup() -> None:
    """Errors are notified with ``markup=False`` (a "[/INST]" in them crashed the app), a keyword
    Textual's ``notify`` takes from 4.0 on: under the declared floor of 1.0 every error notification
    raised TypeError instead of showing."""
    import inspect
    import tomllib

    from packaging.requirements import Requirement
    from textual.app import App

    assert "markup" in inspect.signature(App.notify).parameters
    deps = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    textual = next(Requirement(d) for d in deps if Requirement(d).name == "textual")
    assert not textual.specifier.contains("3.9"), f"{textual}: Textual before 4.0 has no notify(markup=...)"
