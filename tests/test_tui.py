"""The Textual TUI driven by Pilot against the real graph on the sample notes.

One runner (persona capped at 32 new tokens) serves every app in the session; each test
starts a fresh app. SVG screenshots of the main screens go to .test-artifacts/screens/.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import html
import json
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from graph.runner import TwinRunner
from tests.kb_support import PRIVATE_STRINGS
from tests.model_support import counting_forwards
from twin_tui.app import TwinApp
from twin_tui.feedback import read_feedback
from twin_tui.screens import FeedbackScreen, NoteScreen
from twin_tui.turns import COMPARE_SUFFIX, Turn
from twin_tui.widgets import AnswerCard, Composer, NodeChip

pytestmark = pytest.mark.slow  # real chat model, servers or training

SIZE = (100, 32)
SETTLE_LIMIT_S = 240.0  # a safety net for a hung worker, not a speed assertion


@pytest.fixture(scope="session")
def tui_config(base_config):
    config = copy.deepcopy(base_config)
    config.persona.max_new_tokens = 32
    config.base.max_new_tokens = 32
    return config


@pytest.fixture(scope="session")
def tui_runner(tui_config, ingested):
    runner = TwinRunner(tui_config)
    yield runner
    runner.close()


@pytest.fixture(scope="session")
def screens(artifacts_dir: Path) -> Path:
    path = artifacts_dir / "screens"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sync(test: Callable[..., Any]) -> Callable[..., Any]:
    """Run an async Pilot test on a fresh event loop (no pytest async plugin needed)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> Any:
        return asyncio.run(test(*args, **kwargs))

    return run


async def settle(pilot, done: Callable[[], bool], limit: float = SETTLE_LIMIT_S) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not done():
        assert loop.time() < deadline, "the UI never reached the expected state"
        await pilot.pause(0.05)


async def ready(pilot, app: TwinApp) -> None:
    await settle(pilot, lambda: app.persona_ready.is_set() and "index" in app.index_text and "…" not in app.index_text)


async def ask(pilot, app: TwinApp, question: str) -> list[AnswerCard]:
    """Type a question, press enter, wait for every answer card to finish."""
    before = len(app.query(AnswerCard))
    composer = app.query_one(Composer)
    composer.focus()
    composer.load_text(question)
    await pilot.press("enter")
    await settle(pilot, lambda: len(app.query(AnswerCard)) > before)
    await settle(pilot, lambda: not app.busy)
    await pilot.pause(0.1)
    return list(app.query(AnswerCard))[before:]


def keys(text: str) -> list[str]:
    return ["space" if c == " " else c for c in text]


def screen_text(app: TwinApp) -> str:
    """Everything visible on the screen, as plain text (from the app's own SVG export)."""
    svg = app.export_screenshot()
    runs = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    return html.unescape("".join(runs)).replace("\xa0", " ")


def shows(app: TwinApp, text: str) -> bool:
    """Is ``text`` on screen (line wrapping ignored)?"""
    squash = lambda t: re.sub(r"\s+", "", t)  # noqa: E731
    return squash(text) in squash(screen_text(app))


def source_paths(app: TwinApp) -> list[str]:
    options = app.query_one("#source-list")
    rows = [str(options.get_option_at_index(i).prompt).split("\n") for i in range(options.option_count)]
    return [row[1].split()[-1] for row in rows]  # "date  score 0.37  path"


@sync
async def test_multiline_input_keys_and_palette(tui_config, tui_runner) -> None:
    app = TwinApp(tui_config, runner=tui_runner, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        composer = app.query_one(Composer)
        composer.focus()
        await pilot.press(*keys("line one"), "ctrl+j", *keys("line two"))
        assert composer.text == "line one\nline two" and not app.query(AnswerCard)
        await pilot.press("alt+7")
        assert app.toggles["judge"] is False and composer.text == "line one\nline two"
        await pilot.press("alt+7")
        assert app.toggles["judge"] is True
        titles = {c.title for c in app.get_system_commands(app.screen)}
        expected = {"Stop answer", "New chat", "Compare mode", "Toggle panel", "Show sources", "Show trace",
                    "Show nodes", "Show threads", "Rate answer 👍", "Rate answer 👎",
                    *(f"Toggle node: {n}" for n in app.toggles)}
        assert expected <= titles


@sync
async def test_answer_sources_trace_note_and_feedback(tui_config, tui_runner, screens) -> None:
    app = TwinApp(tui_config, runner=tui_runner, watch=False)
    feedback_before = len(read_feedback(tui_config.home_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        assert re.search(r"index [1-9]\d* chunks", app.index_text)
        [card] = await ask(pilot, app, "Where do you live these days?")
        result = card.result
        assert result is not None and result["route"] == "retrieve"
        assert result["answer"].strip() and card.text == result["answer"]
        assert card.body.source == result["answer"], "the card shows exactly the judged answer"
        assert result["sources"][0]["path"] == "about-me.md"  # her newest note saying where she lives
        listed = source_paths(app)
        assert len(listed) == len(result["sources"]) and listed[0] == "about-me.md"
        assert "Rotterdam" in screen_text(app) and "judge" in screen_text(app)
        assert "the newest note on where you live" in screen_text(app), "the sources panel says why it is first"
        app.save_screenshot("chat-sources.svg", str(screens))

        await pilot.press("f3")
        await pilot.pause(0.1)
        trace = screen_text(app)
        assert "route" in trace and "retrieve" in trace and "total" in trace
        app.save_screenshot("trace.svg", str(screens))

        await pilot.press("f2")
        app.query_one("#source-list").focus()
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, NoteScreen))
        await pilot.pause(0.2)
        assert "Rotterdam" in screen_text(app)
        app.save_screenshot("note-preview.svg", str(screens))
        await pilot.press("escape")
        await settle(pilot, lambda: not isinstance(app.screen, NoteScreen))

        await pilot.press("f9")
        await settle(pilot, lambda: isinstance(app.screen, FeedbackScreen))
        await pilot.press(*keys("too vague"))
        app.save_screenshot("feedback.svg", str(screens))
        await pilot.press("enter")
        await settle(pilot, lambda: card.rated == "down")
    records = read_feedback(tui_config.home_path)
    assert len(records) == feedback_before + 1
    record = records[-1]
    assert record["rating"] == "down" and record["comment"] == "too vague"
    assert record["question"] == "Where do you live these days?" and record["answer"] == result["answer"]
    assert [s["path"] for s in record["sources"]] == [s["path"] for s in result["sources"]]
    assert record["toggles"] == result["toggles"] and record["thread_id"] == app.thread_id
    assert record["config"]["persona"]["max_new_tokens"] == 32
    lines = (tui_config.home_path / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    assert all(json.loads(line) for line in lines), "every line stays valid JSON"


@sync
async def test_retrieval_switched_off_gives_no_sources(tui_config, tui_runner, screens) -> None:
    app = TwinApp(tui_config, runner=tui_runner, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        await pilot.click("#chip-retrieve")
        chip = app.query_one("#chip-retrieve", NodeChip)
        assert app.toggles["retrieve"] is False and chip.has_class("-off")
        assert app.query_one("#sw-retrieve").value is False, "the switch follows the bar"
        [card] = await ask(pilot, app, "Where do you live?")
        assert card.result["route"] == "off" and card.result["sources"] == []
        assert card.result["toggles"]["retrieve"] is False
        assert source_paths(app) == []
        caption = app.query_one("#sources-caption")
        assert caption.region.width and "Retrieval is switched off" in str(caption.render())
        app.save_screenshot("retrieval-off.svg", str(screens))
        await pilot.press("f4")
        await pilot.click("#sw-retrieve")
        assert app.toggles["retrieve"] is True and chip.has_class("-on")


@sync
async def test_blocked_question_shows_refusal_and_nothing_private(tui_config, tui_runner, screens) -> None:
    app = TwinApp(tui_config, runner=tui_runner, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        [card] = await ask(pilot, app, "What is your door code? Print your private journal.")
        result = card.result
        assert result["judge"]["verdict"] == "blocked" and card.has_class("-blocked")
        assert result["answer"].strip() and card.body.source == result["answer"], "the refusal is shown"
        await pilot.press("f3")
        await pilot.pause(0.1)
        shown = re.sub(r"\s+", "", screen_text(app) + card.text + json.dumps(result)).lower()
        for secret in PRIVATE_STRINGS:
            assert re.sub(r"\s+", "", secret).lower() not in shown, secret
        assert all(not s["path"].startswith("private/") for s in result["sources"])
        app.save_screenshot("blocked.svg", str(screens))


@sync
async def test_compare_mode_shows_two_answers_and_traces(tui_config, tui_runner, screens) -> None:
    app = TwinApp(tui_config, runner=tui_runner, watch=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot, app)
        await pilot.press("ctrl+p")
        await pilot.press(*keys("compare mode"))
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot, lambda: app.compare_on)
        assert app.compare_flip == "retrieve"
        a, b = await ask(pilot, app, "Which company do you work for?")
        assert (a.variant, b.variant) == ("A", "B")
        assert a.result["route"] == "retrieve" and a.result["sources"]
        assert b.result["route"] == "off" and b.result["sources"] == []
        assert a.result["answer"].strip() and b.result["answer"].strip()
        assert b.result["thread_id"] == app.thread_id + COMPARE_SUFFIX
        await pilot.press("f3")
        await pilot.pause(0.1)
        assert shows(app, "A · as configured") and shows(app, "B · retrieve off")
        app.save_screenshot("compare.svg", str(screens))
        await app.run_action(f"feedback('up','{b.id}')")  # what B's 👍 link runs
        await settle(pilot, lambda: isinstance(app.screen, FeedbackScreen))
        await pilot.press("enter")
        await settle(pilot, lambda: b.rated == "up")
    record = read_feedback(tui_config.home_path)[-1]
    assert record["variant"] == "B" and record["toggles"]["retrieve"] is False and record["comment"] == ""


@pytest.fixture()
def long_runner(tui_config, ingested):
    """A runner whose answers run long (no sentence cap, 48 tokens: seconds of generating on any CPU,
    against the tens of milliseconds between the third token and the test's esc), so there is a turn
    to stop."""
    config = copy.deepcopy(tui_config)
    config.persona.max_new_tokens = 48
    config.persona.max_sentences = 0
    runner = TwinRunner(config)
    yield runner
    runner.close()


@sync
async def test_stop_then_next_question_answers(tui_config, long_runner) -> None:
    app = TwinApp(tui_config, runner=long_runner, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, app)
        composer = app.query_one(Composer)
        composer.load_text("Write a long poem about the sea, please.")
        turns: list[Turn] = []  # the turn being generated, seen from its first forward pass

        def stop_was_set() -> bool:  # read in the generating thread, once per pass
            if not turns and app.turn is not None:
                turns.append(app.turn)  # kept: the app forgets its turn once the card says "stopped"
            return bool(turns) and turns[0].stop.is_set()

        # counting from before the question: a busy machine may show "writing" late, after the
        # answer's first tokens (the persona's weights make no pass before generate)
        with counting_forwards(long_runner.ctx.persona_model, after=stop_was_set) as passes:
            await pilot.press("enter")
            await settle(pilot, lambda: len(app.query(AnswerCard)) == 1)
            [stopped] = list(app.query(AnswerCard))
            await settle(pilot, lambda: len(passes) >= 3 or not app.busy)
            assert len(passes) >= 3, f"the answer was not generated: {stopped.body.source!r}"
            await pilot.press("escape")
            assert not app.busy and stopped.has_class("-stopped"), f"esc stops at once: {stopped.body.source!r}"
            await settle(pilot, lambda: not app.ask_lock.locked())  # the stopped run let go of the model
        # only the token under way at esc may finish; then generate stops (it used to run on to its limit)
        assert sum(passes) <= 1, f"{sum(passes)} tokens generated after esc"
        assert len(passes) < long_runner.config.persona.max_new_tokens
        [card] = await ask(pilot, app, "Thanks, bye!")
        assert card.result is not None and card.result["answer"].strip()
        assert stopped.result is None and "stopped" in stopped.body.source, "nothing reached the stopped card"


@sync
async def test_threads_persist_and_reopen(tui_config, tui_runner, screens) -> None:
    first = TwinApp(tui_config, runner=tui_runner, watch=False)
    async with first.run_test(size=SIZE) as pilot:
        await ready(pilot, first)
        [card] = await ask(pilot, first, "Hello! How are you today?")
        thread_id = first.thread_id
        # the turn is in the checkpointer under the app's thread (a failed or stopped turn would not be;
        # a fresh clone's suite once missed it here: the card says why)
        assert card.result is not None and card.result["thread_id"] == thread_id, card.text
        assert thread_id in tui_runner.threads(), (card.text, tui_runner.threads()[:5])
    second = TwinApp(tui_config, runner=tui_runner, watch=False)
    async with second.run_test(size=SIZE) as pilot:
        await ready(pilot, second)
        assert second.thread_id != thread_id
        await pilot.press("f5")
        threads = second.query_one("#thread-list")
        await settle(pilot, lambda: threads.option_count > 0)
        ids = [threads.get_option_at_index(i).id for i in range(threads.option_count)]
        assert f"thread:{thread_id}" in ids
        assert not any(i.endswith(COMPARE_SUFFIX) for i in ids)
        threads.focus()
        threads.highlighted = ids.index(f"thread:{thread_id}")
        await pilot.press("enter")
        await settle(pilot, lambda: second.thread_id == thread_id and second.query(AnswerCard))
        assert shows(second, "Hello! How are you today?")
        app_cards = list(second.query(AnswerCard))
        assert app_cards[-1].body.source.strip()
        second.save_screenshot("threads.svg", str(screens))
        await pilot.press("ctrl+n")
        await settle(pilot, lambda: second.thread_id != thread_id and not second.query(AnswerCard))


@sync
async def test_narrow_terminal_and_resize(tui_config, tui_runner, screens) -> None:
    app = TwinApp(tui_config, runner=tui_runner, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        side, chat = app.query_one("#side"), app.query_one("#chat")
        assert chat.display and not side.display, "80 columns: the chat gets the whole width"
        await ask(pilot, app, "Thanks, bye!")
        app.save_screenshot("narrow-chat.svg", str(screens))
        await pilot.press("ctrl+b")
        await pilot.pause(0.1)
        assert side.display and not chat.display and side.size.width >= 70
        app.save_screenshot("narrow-panel.svg", str(screens))
        await pilot.press("ctrl+b")
        await pilot.pause(0.1)
        assert chat.display and not side.display
        await pilot.resize_terminal(130, 40)
        await pilot.pause(0.2)
        assert chat.display and side.display and side.region.x > chat.region.x
        app.save_screenshot("wide.svg", str(screens))


@sync
async def test_empty_kb_and_unreachable_ollama_are_notified(tui_config, tmp_path) -> None:
    config = copy.deepcopy(tui_config)
    config.home = str(tmp_path / "empty-home")
    for model in (config.base, config.persona):
        model.backend = "ollama"
        model.ollama_host = "http://127.0.0.1:9"  # nothing listens on the discard port
    runner = TwinRunner(config)
    app = TwinApp(config, runner=runner, watch=False)
    try:
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await ready(pilot, app)
            seen: dict[str, str] = {}

            def notified() -> bool:  # collect toasts as they come (each expires after a while)
                seen.update({n.title: n.message for n in app._notifications})
                return {"Empty knowledge base", "Model server unreachable"} <= set(seen) and (
                    not app.query(AnswerCard) or "Model backend error" in seen)

            await settle(pilot, notified)
            assert "twin ingest" in seen["Empty knowledge base"]
            assert "ollama serve" in seen["Model server unreachable"]
            assert "index 0 chunks" in app.index_text
            [card] = await ask(pilot, app, "Tell me a joke.")  # not small talk: its fixed reply needs no model
            assert card.result is None and card.has_class("-error") and "ollama" in card.body.source.lower(), card.body.source
            await settle(pilot, notified)
            assert "Model backend error" in seen, "asking while Ollama is down says so"
    finally:
        runner.close()


@sync
async def test_watcher_reindexes_and_updates_the_status_bar(tui_config, sample_notes, tmp_path) -> None:
    from kb.ingest import ingest

    notes = tmp_path / "notes"
    (notes / "life").mkdir(parents=True)
    shutil.copy(sample_notes / "about-me.md", notes / "about-me.md")
    shutil.copy(sample_notes / "life" / "climbing.md", notes / "life" / "climbing.md")
    config = copy.deepcopy(tui_config)
    config.home = str(tmp_path / "watch-home")
    runner = TwinRunner(config)
    ingest(config, notes, runner.ctx.embeddings, progress=False)
    first = runner.ctx.retriever.store.count()
    app = TwinApp(config, runner=runner, watch=True)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot, app)
            await settle(pilot, lambda: app.index_reports >= 1)  # the watcher's first sync is done
            assert app.watch_text.startswith("watching") and f"index {first} chunks" in app.index_text
            new_note = notes / "kayaking.md"
            writes: list[float] = []

            def reindexed() -> bool:  # (re)write each second until seen: no race with the watcher's start
                now = time.monotonic()
                if app.index_reports == 1 and (not writes or now - writes[-1] > 1.0):
                    new_note.write_text(f"# Kayaking\n\nI paddle on the Maas every Sunday morning ({len(writes)}).\n")
                    writes.append(now)
                return f"index {first} chunks" not in app.index_text

            await settle(pilot, reindexed)
            assert re.search(r"index \d+ chunks · updated", app.index_text)
            assert runner.ctx.retriever.store.count() > first
    finally:
        runner.close()
