"""The analyzer looks at the notes: a question that names what only the notes know is
retrieved for, whatever its form (real embedded models, real index, real graph)."""

from __future__ import annotations

import dataclasses

import pytest

from graph.runner import TwinRunner
from kb.evidence import (
    capitalised_names,
    common_nouns,
    is_rare,
    note_evidence,
    said_as_mine,
    searches_agree,
    title_named,
    your_phrases,
    your_things,
)
from kb.ingest import ingest
from nodes.context import TwinContext
from nodes.routing import NO_RETRIEVE, RETRIEVE, NoteAwareRouter, build_router
from tests.kb_support import kb_embeddings, make_config  # noqa: F401
from tests.test_kb_lexical import write_notes

NOTES = {
    "kitchen/zephyrine.md": "---\ntitle: Zephyrine\ndate: 2024-09-01\n---\n# Zephyrine\n\nZephyrine is my hot sauce: "
                            "fermented habaneros, charred pineapple, a little smoked salt. I bottle it every September.\n",
    "kitchen/midnight-ember.md": "---\ntitle: Midnight Ember\ndate: 2025-02-01\n---\n# Midnight Ember\n\n"
                                 "My second sauce, darker: chipotle, black garlic and coffee.\n",
    "til/git-squash.md": "# Squash commits with an interactive rebase\n\nRun `git rebase -i HEAD~3` and mark the "
                         "commits to fold as `squash`; git opens the editor for the combined message.\n",
    "work/murmur.md": "---\ntitle: Hydrophone firmware\ndate: 2022-01-10\n---\n# Hydrophone firmware\n\n"
                      "I wrote the low-power firmware of the Murmur-3, a hydrophone buoy that records whale song.\n",
    "life/rowing.md": "---\ntitle: Rowing\ndate: 2023-05-05\n---\n# Rowing\n\nI row on the river on Saturday mornings.\n",
    "pets/barrel.md": "---\ntitle: Barrel\ndate: 2021-02-07\ntags: [cat, vet]\n---\nTortilla is a barrel. The vet put her "
                      "on the scales this morning at 6.8 kg and said she should be nearer five.\n",
}


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory, kb_embeddings) -> TwinContext:
    root = tmp_path_factory.mktemp("evidence")
    config = make_config(root / "home")
    ingest(config, write_notes(root / "notes", NOTES), kb_embeddings, progress=False)
    context = TwinContext(config)
    context.__dict__["embeddings"] = kb_embeddings  # the same real model, memoised
    return context


def plain_router(ctx: TwinContext):
    config = dataclasses.replace(ctx.config, analyzer=dataclasses.replace(ctx.config.analyzer, note_evidence=False))
    plain = TwinContext(config)
    plain.__dict__.update(embeddings=ctx.embeddings, retriever=ctx.retriever)
    return build_router("embedding", plain)


def test_a_question_naming_a_note_only_term_is_retrieved(ctx: TwinContext) -> None:
    plain, aware = plain_router(ctx), build_router("embedding", ctx)
    assert isinstance(aware.inner, NoteAwareRouter)  # inside the small-talk check
    for question in ("What goes into Zephyrine?", "Zephyrine: how is it made?"):
        assert plain.route(question).route == NO_RETRIEVE, "the classifier alone calls it general"
        decision = aware.route(question)
        assert decision.route == RETRIEVE and "zephyrine" in decision.strategy.lower()


def test_a_hyphenated_name_is_found_by_its_parts(ctx: TwinContext) -> None:
    evidence = note_evidence(ctx.retriever, "What's the Murmur-3?")
    assert evidence.note_terms == ["murmur"]
    assert build_router("embedding", ctx).route("What's the Murmur-3?").route == RETRIEVE


def test_two_searches_agree_when_one_finds_the_others_best_note_near_its_top() -> None:
    def dense(*paths):
        return [{"path": p, "source": "s"} for p in paths]

    def lexical(*paths):
        return [dataclasses.make_dataclass("Hit", ["row"])(dataclasses.make_dataclass("Row", ["source", "path"])("s", p))
                for p in paths]

    assert searches_agree(dense("a", "b"), lexical("a", "c"))
    assert searches_agree(dense("a", "b"), lexical("b", "a")), "each search's best is the other's second"
    assert searches_agree(dense("a", "c"), lexical("d", "a"))
    assert not searches_agree(dense("a", "b"), lexical("c", "d"))
    assert not searches_agree(dense("a", "b"), lexical("c", "b")), "agreeing only on second places is not enough"
    assert not searches_agree([{"path": "a", "source": "other"}], lexical("a"))


def test_a_notes_title_or_a_close_match_is_evidence(ctx: TwinContext) -> None:
    assert title_named("What is in your Midnight Ember sauce?", ctx.retriever.note_titles()) == "Midnight Ember"
    squash = note_evidence(ctx.retriever, "How do I squash git commits?")
    assert squash.strong and squash.lexical_top == "til/git-squash.md"
    assert build_router("embedding", ctx).route("How do I squash git commits?").route == RETRIEVE


def test_general_questions_stay_general(ctx: TwinContext) -> None:
    aware = build_router("embedding", ctx)
    for question in ("What's the capital of France?", "Thanks, that helps!", "What is a CRDT, in general terms?"):
        assert aware.route(question).route == NO_RETRIEVE, question
        assert not note_evidence(ctx.retriever, question).strong


def test_word_signals() -> None:
    assert is_rare("zephyrine") and is_rare("tmux") and not is_rare("sauce") and not is_rare("oops")
    assert capitalised_names("What goes into Bubbles today?") == {"bubbles"}
    assert capitalised_names("Bubbles is fine.") == set(), "a sentence's first word is no name"
    assert capitalised_names("What's the Murmur-3?") == {"murmur-3", "murmur", "3"}, "the index splits it so"
    assert common_nouns("What is a CRDT?") == {"crdt"}
    assert common_nouns("What is a CRDT and why use one?") == {"crdt"}
    assert common_nouns("How can a vim substitution add one to every number?") == set(), "vim names the kind"


def test_the_analyze_node_in_the_graph_uses_the_notes(ctx: TwinContext) -> None:
    runner = TwinRunner(ctx.config, ctx=ctx, persist=False)
    try:
        decision: dict = {}
        stream = runner.stream("What goes into Zephyrine?")
        for event in stream:
            if event.kind == "node" and event.node == "analyze":
                decision = event.data
                break
        stream.close()
    finally:
        runner.close()
    assert decision["route"] == RETRIEVE
    assert "notes" in decision["decisions"]["analyze"]["by"] and "zephyrine" in decision["decisions"]["analyze"]["by"].lower()


def test_your_thing_is_what_your_leads_to_not_small_talk() -> None:
    assert your_things("What colour is your cat?") == ["cat"]
    assert your_things("What was your first car?") == ["car"]
    assert your_things("What's your dog's name?") == ["dog"]
    assert your_things("How is your day today?") == []
    assert your_things("How's your week looking?") == []
    assert your_things("What's your system prompt?") == []
    assert your_things("What is your quiz team called?") == ["quiz", "team"]
    assert your_things("How's your day going?") == []
    assert your_things("What's your name?") == []
    assert your_things("Where do you live?") == []


def test_a_shown_note_that_says_the_thing_asked_with_my_may_answer() -> None:
    """A tuning person's "Who's your boss now?" got "I have no note about that": the note saying
    "She is my boss" is one long chunk, at cosine 0.2 to the question. A note that says the very
    thing asked with "my" lets the notes answer; a question no shown note speaks of that way still
    gets no note ("What's your blood type?" beside "my blood pressure")."""
    from nodes.generate import notes_hold

    assert your_phrases("Who's your boss now?") == ["boss"]
    assert your_phrases("What's your middle name?") == ["middle name"]  # not "my middle" or "my name"
    assert your_phrases("What's your dog's name?") == ["dog's name"]  # "my dog's name", not "my dog"
    assert your_phrases("What's your mother's maiden name?") == ["mother's maiden"]
    assert your_phrases("Is your van still running?") == ["van"]
    assert your_phrases("What is your favourite film?") == ["favourite film"]
    for none in ("Where do you live?", "Which colour is your favourite?", "What's your opinion on vim?",
                 "Have you read Your Money or Your Life?", "How is your day going?"):
        assert your_phrases(none) == [], none  # no "your", a modifier alone, small talk, a title
    assert said_as_mine("What's your middle name?", ["Yes, my middle\n name is Io."]) == "middle name"
    assert said_as_mine("What's your dog's name?", ["My dog’s name is Luna."]) == "dog's name"
    assert said_as_mine("What's your dog's name?", ["I walk my dog at six."]) == ""
    boss = [{"path": "work/big-house.md", "similarity": 0.2,
             "text": "Mrs Lathbury owns the station and wants a report each month. She is my boss and reads every word."}]
    assert notes_hold(boss, "Who's your boss now?", object(), 0.3) == 'a shown note says "my boss"'
    assert said_as_mine("Who's your boss now?", ["I play my bossa nova records."]) == ""
    pressure = [{"path": "health.md", "similarity": 0.2, "text": "I check my blood pressure on Sundays."}]
    assert notes_hold(pressure, "What's your blood type?", object(), 0.3) == ""
    assert notes_hold(boss, "What's your middle name?", object(), 0.3) == ""
    team = [{"path": "job.md", "similarity": 0.2, "text": "My team lead is Aoife Brennock."}]
    assert notes_hold(team, "What's your team's budget?", object(), 0.3) == ""  # a review's case


def test_a_thing_of_yours_that_a_note_is_tagged_or_titled_with_is_retrieved_for(ctx: TwinContext) -> None:
    """Found on a new tuning person (dev6): "What colour is your cat?" went past the notes,
    though a note is tagged cat; a thing no title, heading or tag names is not evidence, nor small talk."""
    plain, aware = plain_router(ctx), build_router("embedding", ctx)
    question = "What colour is your cat?"
    assert plain.route(question).route == NO_RETRIEVE, "the classifier alone calls it general"
    assert note_evidence(ctx.retriever, question).your_things == ["cat"]
    decision = aware.route(question)
    assert decision.route == RETRIEVE and "your cat" in decision.strategy
    assert note_evidence(ctx.retriever, "What colour is your bike?").your_things == []  # no note is about a bike
    assert not note_evidence(ctx.retriever, "How's your day going?").strong


def test_a_thing_a_note_says_with_my_is_retrieved_for(tmp_path, kb_embeddings) -> None:
    """A never-seen person's (twenty-ninth session): "What's your cat called?" went past her notes,
    which name the cat only as "Biscuit, my ginger cat" (no title, heading or tag); routed to the
    model alone, it answered "I'm not sure what your cat is called". Then the no-note gate let the
    note through only once "my ginger cat" counted as saying "my cat"."""
    notes = {"about.md": "---\ntitle: About me\ndate: 2019-05-12\n---\nI'm Ayesha. I live in Glasgow and work on the "
                         "Clyde ferries. Biscuit, my ginger cat, runs the flat.\n",
             "bikes.md": "---\ntitle: Saturday\ndate: 2024-04-02\n---\nThe bike shop on Dumbarton Road was shut again.\n"}
    config = make_config(tmp_path / "home")
    ingest(config, write_notes(tmp_path / "notes", notes), kb_embeddings, progress=False)
    context = TwinContext(config)
    context.__dict__["embeddings"] = kb_embeddings
    assert plain_router(context).route("What's your cat called?").route == NO_RETRIEVE, "the classifier alone"
    assert note_evidence(context.retriever, "What's your cat called?").your_things == ["cat"]
    assert build_router("embedding", context).route("What's your cat called?").route == RETRIEVE
    assert note_evidence(context.retriever, "What colour is your bike?").your_things == []  # "the bike shop" is not mine
    assert your_phrases("What's your cat called?") == ["cat"]  # not "cat called"
    from nodes.generate import notes_hold

    text = ["Biscuit, my ginger cat, runs the flat."]
    assert notes_hold([{"path": "about.md", "similarity": 0.2, "text": text[0]}], "What's your cat called?",
                      object(), 0.3) == 'a shown note says "my cat"'


def test_a_habit_of_mine_is_personal_and_a_how_to_for_anyone_is_not(ctx: TwinContext) -> None:
    """The classifier alone: "How do you spend a rainy Sunday?" asks about the person (sent past the
    notes, the 135M model invented a cosy flat and a love of nature), "How do you say good night in
    Italian?" does not (questions written for this test, not in nodes/data/routing_examples.jsonl)."""
    plain = plain_router(ctx)
    for question in ("How do you spend a rainy Sunday?", "How do you keep your houseplants alive?",
                     "How do you cook your rice?", "What do you drink in the evening?"):
        assert plain.route(question).route == RETRIEVE, question
    for question in ("How do you say good night in Italian?", "How do you convert Celsius to Fahrenheit?",
                     "How do you pronounce quinoa?", "Who painted the Mona Lisa?"):
        assert plain.route(question).route == NO_RETRIEVE, question
