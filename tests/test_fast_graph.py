"""The graph's paths with a scripted chat model (the fast tier: no generation by a real model).

The persona and base models are :class:`backends.fake.ScriptedChatModel` (a queue of replies,
every call recorded), injected through the context; retrieval returns one fixed note. The
embedding model, the judge's validators and the graph itself are the real ones. The real-model
versions of these paths are in tests/test_graph.py and tests/test_judge_graph.py.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import closing
from pathlib import Path
from typing import Annotated
from unittest import mock

import pytest
from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

from backends.fake import ScriptedChatModel
from graph.result import PUBLIC_KEYS
from graph.runner import TwinRunner
from nodes.context import TwinContext
from twin.config import load_config
from twin.state import Source, TwinState

NOTE = Source(path="life/moving-to-rotterdam.md", title="Moving to Rotterdam", date="2024-03-01", heading="",
              score=0.8, similarity=0.8, source="", text="I live in Rotterdam now. We moved there in March 2024.")


class OneNoteRetriever:
    """Every search finds the same note (the real retriever is tested in tests/test_kb_retrieve.py)."""

    def __init__(self, ctx: TwinContext) -> None:
        self.ctx = ctx
        self.queries: list[str] = []

    def embed(self, query: str) -> list[float]:
        return self.ctx.embeddings.embed_query(query)

    def search(self, query: str, rerank: bool = True) -> list[Source]:
        self.queries.append(query)
        return [NOTE]


def scripted_runner(home: Path, *replies: str, strategy: str = "always",
                    regenerate: bool = False) -> tuple[TwinRunner, ScriptedChatModel]:
    config = load_config(None, str(home))
    config.analyzer.strategy = strategy
    config.judge.regenerate = regenerate
    ctx = TwinContext(config)
    model = ScriptedChatModel(replies=list(replies))
    ctx.persona_model = ctx.persona_bare = ctx.base_model = model
    ctx.retriever = OneNoteRetriever(ctx)
    return TwinRunner(config, ctx, persist=False), model


def saved_runner(home: Path, *replies: str) -> tuple[TwinRunner, ScriptedChatModel]:
    """:func:`scripted_runner` saving its threads in ``<home>/threads.sqlite``, as `twin ask --thread`,
    the TUI and `twin serve` (sqlite) do."""
    scripted, model = scripted_runner(home, *replies)
    return TwinRunner(scripted.config, scripted.ctx), model


# ``messages`` as threads were saved up to the forty-seventh session: every checkpoint held the whole chat.
FULL_COPY_MESSAGES = Annotated[list[AnyMessage], add_messages]


def full_copy_runner(home: Path, *replies: str) -> tuple[TwinRunner, ScriptedChatModel]:
    """:func:`saved_runner` saving as before (a full copy of the chat in each of a turn's six
    checkpoints): the threads users already have, and the baseline of bench/bench_threads.py."""
    with mock.patch.dict(TwinState.__annotations__, {"messages": FULL_COPY_MESSAGES}):
        runner, model = saved_runner(home, *replies)
    runner.durability = "async"
    return runner, model


def test_a_question_goes_to_the_notes_and_a_supported_answer_passes(tmp_path: Path) -> None:
    runner, model = scripted_runner(tmp_path, "These days I live in Rotterdam.")
    result = runner.ask("Where do you live these days?")
    assert (result["route"], result["answered_by"], result["judge"]["verdict"]) == ("retrieve", "model", "pass")
    assert result["answer"] == "These days I live in Rotterdam."
    assert [s["path"] for s in result["sources"]] == [NOTE["path"]]
    assert result["decisions"]["retrieve"] == {"notes": 1, "chunks": 1, "rerank": True, "top": [NOTE["path"]]}
    assert len(model.calls) == 1
    prompt = "\n".join(str(m.content) for m in model.calls[0]["messages"])
    assert "We moved there in March 2024." in prompt  # the note reached the generator


def test_retrieve_off_and_analyze_off_routes(tmp_path: Path) -> None:
    runner, model = scripted_runner(tmp_path, "Hello there.")
    off = runner.ask("Where do you live?", off=["retrieve", "judge"])
    assert (off["route"], off["sources"]) == ("off", [])
    assert "retrieve" not in off["timings_ms"]
    assert "We moved there" not in "\n".join(str(m.content) for m in model.calls[-1]["messages"])
    forced = runner.ask("hello!", off=["analyze", "judge"])
    assert forced["route"] == "forced" and forced["decisions"]["analyze"]["by"] == "analyze off: always retrieve"


def test_judge_off_shows_the_draft_as_is(tmp_path: Path) -> None:
    runner, _ = scripted_runner(tmp_path, "I moved to Zanzibar in 2019.")
    result = runner.ask("Where do you live these days?", off=["judge"])
    assert result["answer"] == "I moved to Zanzibar in 2019."
    assert result["judge"]["verdict"] == "skipped"


def test_an_unsupported_answer_is_quoted_from_the_note_by_default(tmp_path: Path) -> None:
    runner, model = scripted_runner(tmp_path, "I moved to Zanzibar in 2019.", "These days I live in Rotterdam.")
    events = list(runner.stream("Where do you live these days?"))
    result = events[-1].data
    assert len(model.calls) == 1  # no second try: the quote comes at once
    assert result["answered_by"] == "extractive" and "Rotterdam" in result["answer"]
    assert "Zanzibar" not in "".join(e.text for e in events if e.kind == "token")
    assert "Zanzibar" in result["decisions"]["judge"]["why"]


def test_an_unsupported_answer_is_regenerated_once(tmp_path: Path) -> None:
    runner, model = scripted_runner(tmp_path, "I moved to Zanzibar in 2019.", "These days I live in Rotterdam.", regenerate=True)
    events = list(runner.stream("Where do you live these days?"))
    result = events[-1].data
    assert len(model.calls) == 2
    assert (result["answered_by"], result["judge"]["verdict"]) == ("model-retry", "pass")
    assert result["answer"] == "These days I live in Rotterdam."
    shown = "".join(e.text for e in events if e.kind == "token")
    assert "Zanzibar" not in shown  # the unsupported draft never reached the caller


def test_two_unsupported_answers_end_in_a_quote_of_the_note(tmp_path: Path) -> None:
    runner, model = scripted_runner(tmp_path, "I moved to Zanzibar in 2019.", "I live in Zanzibar.", regenerate=True)
    result = runner.ask("Where do you live these days?")
    assert len(model.calls) == 2
    assert result["answered_by"] == "extractive"
    assert "Rotterdam" in result["answer"] and "Zanzibar" not in result["answer"]


def test_an_answer_about_me_to_a_question_sent_past_the_notes_goes_to_the_notes(tmp_path: Path) -> None:
    runner, model = scripted_runner(tmp_path, "Hi! I just got back from a week in Zanzibar with my dog Luna.",
                                    "Hi! These days I live in Rotterdam.", strategy="embedding")
    events = list(runner.stream("Tell me a joke."))
    shown = "".join(e.text for e in events if e.kind == "token")
    result = next(e.data for e in events if e.kind == "result")
    assert result["decisions"]["analyze"]["route"] == "no_retrieve", "the analyzer calls it general (a greeting gets a fixed reply)"
    assert result["route"] == "retrieve" and result["answer"] == "Hi! These days I live in Rotterdam."
    assert "Zanzibar" in result["decisions"]["judge"]["rerouted"] and "Luna" in result["decisions"]["judge"]["rerouted"]
    assert "Zanzibar" not in shown, "the withheld answer never reached the screen"
    assert len(model.calls) == 2
    assert "We moved there in March 2024." in "\n".join(str(m.content) for m in model.calls[1]["messages"])
    assert "We moved there" not in "\n".join(str(m.content) for m in model.calls[0]["messages"])


def test_a_general_answer_with_no_claim_about_me_stays_past_the_notes(tmp_path: Path) -> None:
    runner, model = scripted_runner(tmp_path, "Hello! I'm glad you're here. I think Canberra is lovely in spring.",
                                    strategy="embedding")
    result = runner.ask("What's the capital of Australia?")
    assert (result["route"], result["answered_by"], result["judge"]["verdict"]) == ("no_retrieve", "model", "pass")
    assert "rerouted" not in result["decisions"]["judge"] and len(model.calls) == 1


def test_the_stop_switch_reaches_the_model_and_ends_the_turn(tmp_path: Path) -> None:
    runner, model = scripted_runner(tmp_path, "These days I live in Rotterdam.")
    stop = threading.Event()
    answered = list(runner.stream("Where do you live these days?", thread_id="t", cancel=stop))
    assert answered[-1].kind == "result" and model.calls[0]["cancel"] is stop, "the switch rides to the model call"
    assert list(model.stream("Where do you live?", cancel=stop)) != [] and len(model.calls) == 2
    stop.set()
    assert "".join(str(c.content) for c in model.stream("Where do you live?", cancel=stop)) == "", "set: no words"

    stop = threading.Event()
    seen = []
    for event in runner.stream("Where do you live these days?", thread_id="t", cancel=stop):
        seen.append(event)
        stop.set()  # esc as soon as the first event (analyze's) is out
    assert [(e.kind, e.node) for e in seen] == [("node", "analyze")], "no later node's event, no result"
    assert len(model.calls) == 3, "the generator never ran"
    assert [m["role"] for m in runner.history("t")] == ["human", "ai", "human"], "no answer was saved"
    again = runner.ask("Where do you live these days?", thread_id="t")
    assert again["answer"] == "These days I live in Rotterdam."


def test_a_model_that_says_nothing_ends_no_turn(tmp_path: Path) -> None:
    """A reply with no word (the model's first token ended it) streams as one empty chunk: LangChain's
    stream raised "No generation chunks were returned" out of the turn."""
    runner, model = scripted_runner(tmp_path, "")
    assert "".join(str(c.content) for c in model.stream("Where do you live?")) == ""
    result = runner.ask("Where do you live these days?")
    assert result["answered_by"] == "extractive" and "Rotterdam" in result["answer"], "a notes question gets its quote"


def test_a_blank_reply_is_never_the_answer(tmp_path: Path) -> None:
    """A reply that is blank once tidied (nothing, spaces, a copied note header) to a question no
    judge will quote the notes for gets the in-voice "can't answer" line, not an empty answer."""
    runner, _ = scripted_runner(tmp_path, "   ", strategy="embedding")
    general = runner.ask("Tell me a joke.")
    assert general["route"] == "no_retrieve" and general["answered_by"] == "refusal"
    assert general["answer"].startswith("Sorry, I can't answer that one")
    unjudged = runner.ask("Where do you live these days?", off=["judge"])
    assert unjudged["route"] == "retrieve" and unjudged["answer"].startswith("Sorry, I can't answer that one")
    assert runner.ask("Where do you live these days?")["answered_by"] == "extractive", "the judge quotes the note"


def test_cli_ask_json_shape(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """``twin ask --json`` prints exactly the documented keys (the model is scripted)."""
    import backends.factory
    from twin_cli.main import run

    model = ScriptedChatModel(replies=["Hello, I am Noa."])
    monkeypatch.setattr(backends.factory, "chat_model", lambda cfg, home, with_adapters=True: model)
    code = run(["ask", "Tell me a joke.", "--json", "--off", "retrieve", "--home", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    result = json.loads(out)
    assert list(result) == list(PUBLIC_KEYS)
    assert result["answer"] == "Hello, I am Noa." and result["route"] == "off" and result["sources"] == []
    assert result["toggles"]["retrieve"] is False and result["thread_id"].startswith("ask-")
    assert {"generate", "judge", "load_graph"} <= set(result["timings_ms"])


def test_answer_why_names_the_reason_of_the_path_that_answered() -> None:
    """`twin ask --json` prints ``why``: the judge's reason for a quote, its refusal reasons, the
    generator's "no note" or why it read the notes, else the route."""
    from graph.result import answer_why

    assert answer_why({"judge": {"verdict": "pass", "why": "joins Kisi (a.md) and Oslo (b.md) in one sentence"},
                       "generate": {"why_notes": "a note shown at 0.50"}}).startswith("joins Kisi")
    assert answer_why({"judge": {"verdict": "blocked", "reasons": ["off_limits: question about family"]}}) \
        == "off_limits: question about family"
    assert answer_why({"judge": {"verdict": "pass"}, "generate": {"why": "no shown note at cosine >= 0.3"}}) \
        == "no shown note at cosine >= 0.3"
    assert answer_why({"judge": {"verdict": "pass"}, "generate": {"why_notes": "notes mention kisi"}}) \
        == "notes mention kisi"
    assert answer_why({"analyze": {"route": "no_retrieve", "by": "embedding"}}) == "routed no_retrieve by embedding"
    # never the words of the withheld draft: a refusal's reasons and a quote's reason say what was found
    blocked = {"verdict": "blocked", "why": "unsupported by the notes: Newhaven", "retried_for": "names nothing",
               "reasons": ["private_leak: 1 private-only term(s) in view(s) plain",
                           "grounding: not in the notes: Freja, 1111, 2222", "pii: redacted phone"]}
    assert answer_why({"judge": blocked}) == ("private_leak: 1 private-only term(s) in view(s) plain; "
                                              "grounding: not in the notes; pii: redacted phone")
    assert answer_why({"judge": {"verdict": "pass", "why": "unsupported by the notes: 4111, 1111"}}) \
        == "unsupported by the notes"
    assert answer_why({"judge": {"verdict": "pass", "retried_for": "unsupported by the notes: 123456782"}}) \
        == "answered again after: unsupported by the notes"
    assert answer_why({}) == ""


def test_small_talk_is_not_retrieved_for_nor_joined_to_the_last_question(tmp_path: Path) -> None:
    runner, model = scripted_runner(tmp_path, "These days I live in Rotterdam.", "Hi! All good here.", strategy="embedding")
    runner.ask("Where do you live these days?", thread_id="t")
    result = runner.ask("Hi!", thread_id="t")
    assert (result["route"], result["query"], result["sources"]) == ("no_retrieve", "Hi!", [])
    assert result["decisions"]["analyze"]["by"] == "embedding+small talk"
    assert runner.ctx.retriever.queries == ["Where do you live these days?"]
    assert result["answered_by"] == "small-talk" and len(model.calls) == 1  # a fixed reply: the model is not asked
    assert result["answer"] == runner.ask("Hi!", thread_id="u")["answer"]  # the same words for the same message


def test_small_talk_replies_off_lets_the_model_answer(tmp_path: Path) -> None:
    runner, model = scripted_runner(tmp_path, "Hi! All good here.", strategy="embedding")
    runner.config.persona.small_talk_replies = False
    result = runner.ask("Thanks, bye!")
    assert (result["route"], result["answered_by"], result["answer"]) == ("no_retrieve", "model", "Hi! All good here.")


def test_a_follow_up_of_an_off_limits_question_is_off_limits_too(tmp_path: Path) -> None:
    """"Tell me more about it." after "How is your health?" asks about health: the screen reads the
    follow-up as it is searched, not only its own words (it went to the notes, and a public note
    touching the topic could have been answered from)."""
    runner, _ = scripted_runner(tmp_path, "I feel great.", "I feel great.", "I live in Rotterdam now.")
    first = runner.ask("How is your health?", thread_id="t")
    assert first["answered_by"] == "refusal"
    follow = runner.ask("Tell me more about it.", thread_id="t")
    assert follow["answered_by"] == "refusal" and any("health" in f for f in follow["input_flags"]), follow
    assert runner.ask("Where do you live these days?", thread_id="t")["answered_by"] != "refusal"
    runner.ask("How is your health?", thread_id="u")
    own = runner.ask("And where do you live?", thread_id="u")  # its own subject: not the health question's
    assert own["answered_by"] != "refusal" and not own["input_flags"], own


# -- saved threads ----------------------------------------------------------------------------
def test_a_saved_thread_grows_by_its_turns_not_their_square(tmp_path: Path) -> None:
    """One checkpoint a turn, none of them a copy of the chat so far: a thread of 80 turns took 11 MB,
    280 KB more a turn at the end (six checkpoints a turn, each with every message)."""
    runner, _ = saved_runner(tmp_path, *["These days I live in Rotterdam."] * 6)
    asked = [f"Where do you live these days? ({i})" for i in range(6)]
    answers = [runner.ask(question, thread_id="t")["answer"] for question in asked]
    with closing(sqlite3.connect(tmp_path / "threads.sqlite")) as conn:
        blobs = [row[0] for row in conn.execute("SELECT checkpoint FROM checkpoints WHERE thread_id = 't' "
                                                "ORDER BY checkpoint_id")]
    assert len(blobs) <= 6 + 1, f"{len(blobs)} checkpoints for 6 turns"
    assert b"days? (0)" not in blobs[-1], "the newest checkpoint holds the first turn"
    expected = [pair for question, answer in zip(asked, answers) for pair in (("human", question), ("ai", answer))]
    assert [(m["role"], m["content"]) for m in runner.history("t")] == expected
    runner.close()


def test_a_saved_thread_resumes_after_a_restart_with_its_stopped_turn(tmp_path: Path) -> None:
    runner, _ = saved_runner(tmp_path, "These days I live in Rotterdam.")
    runner.ask("Where do you live these days?", thread_id="t")
    stop = threading.Event()
    for _ in runner.stream("And since when?", thread_id="t", cancel=stop):
        stop.set()  # esc after analyze: the question stays, no answer is saved
    runner.close()
    again, _ = saved_runner(tmp_path, "Since March 2024.")
    assert [(m["role"], m["content"]) for m in again.history("t")] == [
        ("human", "Where do you live these days?"), ("ai", "These days I live in Rotterdam."),
        ("human", "And since when?")]
    assert again.threads() == ["t"]
    assert again.ask("Since when exactly?", thread_id="t")["answer"] == "Since March 2024."
    assert [m["role"] for m in again.history("t")] == ["human", "ai", "human", "human", "ai"]
    again.close()


def test_a_thread_saved_the_old_way_reads_and_continues(tmp_path: Path) -> None:
    """Threads saved before messages became a DeltaChannel (a plain list in every checkpoint)."""
    old, _ = full_copy_runner(tmp_path, "These days I live in Rotterdam.", "Since March 2024.")
    old.ask("Where do you live these days?", thread_id="t")
    old.ask("Since when?", thread_id="t")
    old.close()
    with closing(sqlite3.connect(tmp_path / "threads.sqlite")) as conn:
        newest = conn.execute("SELECT checkpoint FROM checkpoints ORDER BY checkpoint_id DESC").fetchone()[0]
    assert b"Where do you live these days?" in newest, "saved the old way: the whole chat in each checkpoint"
    runner, _ = saved_runner(tmp_path, "We moved there in March 2024.", "Yes, Rotterdam.")
    assert [m["content"] for m in runner.history("t")] == ["Where do you live these days?",
                                                           "These days I live in Rotterdam.", "Since when?",
                                                           "Since March 2024."]
    first = runner.ask("Why did you move?", thread_id="t")["answer"]
    second = runner.ask("Still there?", thread_id="t")["answer"]
    assert [m["content"] for m in runner.history("t")][4:] == ["Why did you move?", first, "Still there?", second]
    runner.close()
