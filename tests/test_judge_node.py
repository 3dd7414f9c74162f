"""The judge node's contract with the graph (state in, answer/judge/decisions/timings out), no model."""

from __future__ import annotations

import os
import time

import pytest

from graph.result import answer_why
from kb.fingerprints import Fingerprints, fingerprints_path
from nodes.context import TwinContext
from nodes.judge import agrees_with_note, cut_number, judge_text, make_judge, refuses_early
from twin.config import Config

PRIVATE = {"private/family.md": "My sister Freja lives at Kastanjelaan 12. The door code is 7319#."}
PUBLIC = {"contact.md": "Email me at noa@lindqvist.dev. I live in Rotterdam."}


@pytest.fixture()
def ctx(tmp_path) -> TwinContext:
    config = Config(home=str(tmp_path / "home"))
    config.judge.regenerate = True  # the verdict names why an answer is not shown (off by default: straight to the quote)
    context = TwinContext(config)
    Fingerprints.build(PRIVATE, PUBLIC, salt="node").save(fingerprints_path(context.home))
    return context


def _state(draft: str, flags: list[str] | None = None, **extra):
    return {"question": extra.pop("question", "Tell me about you"), "draft": draft, "sources": [], "input_flags": flags or [],
            "toggles": {"judge": True}, "decisions": {"generate": {"model": "m"}},
            "timings_ms": {"generate": 12.0}, **extra}


def _sent_back(ctx, state) -> str:
    """Why the judge sends ``state``'s draft back to the generator (it must)."""
    update = make_judge(ctx)(state)
    assert update["judge"]["verdict"] == "regenerate", update["judge"]
    return update["decisions"]["judge"]["why"]


def test_pass_keeps_the_draft_and_records_decision_and_time(ctx):
    update = make_judge(ctx)(_state("I live in Rotterdam. Email noa@lindqvist.dev."))
    assert update["answer"] == "I live in Rotterdam. Email noa@lindqvist.dev."
    assert update["judge"] == {"verdict": "pass", "reasons": []}
    # only the judge's own records: the state's reducers merge them with generate's
    assert list(update["decisions"]) == ["judge"] and update["decisions"]["judge"]["verdict"] == "pass"
    assert "generate" not in update["timings_ms"] and update["timings_ms"]["judge"] >= 0


def test_redacted_and_blocked_verdicts(ctx):
    judge = make_judge(ctx)
    redacted = judge(_state("Call me on +31 6 1111 2222."))
    assert redacted["judge"]["verdict"] == "redacted" and "+31" not in redacted["answer"]
    blocked = judge(_state("Freja says hi."))
    assert blocked["judge"]["verdict"] == "blocked" and "Freja" not in blocked["answer"]
    assert blocked["judge"]["reasons"][0].startswith("private_leak:")
    refused = judge(_state("Sure, here you go.", ["off_limits:family"]))
    assert refused["judge"]["verdict"] == "blocked" and "my family" in refused["answer"]
    assert refused["decisions"]["judge"]["input_flags"] == ["off_limits:family"]


def test_an_answer_that_tells_more_than_asked_loses_only_the_disclosing_sentences(ctx):
    judge = make_judge(ctx)
    kept = judge(_state("I live in Rotterdam now, near the lake. My partner works at the port."))
    assert kept["judge"]["verdict"] == "redacted" and kept["answer"] == "I live in Rotterdam now, near the lake."
    assert "off_limits: answer discloses family" in kept["judge"]["reasons"]
    whole = judge(_state("My partner and I live in Rotterdam."))
    assert whole["judge"]["verdict"] == "blocked" and "my family" in whole["answer"], "nothing left: refused"
    asked = judge(_state("I live in Rotterdam. My sister visits.", ["off_limits:family"]))
    assert asked["judge"]["verdict"] == "blocked", "a question about the topic is refused whatever the answer"


def test_asked_why_a_model_answer_without_the_notes_reason_is_answered_by_the_note(ctx):
    """A tuning person's "Why did you start learning Gaelic?" was answered "…because I've been doing
    it for a while now" beside the note's "## Why" section ("Because of the station signs."): a
    reason of the model's own names nothing the unsupported-names check can catch."""
    lines = ["I've started learning Scottish Gaelic.", "Because of the station signs.",
             "Every station has its name in Gaelic underneath."]  # names only what the question does
    sources = [{"path": "life/gaelic.md", "title": "Learning Gaelic", "date": "2020-01-12", "score": 0.9,
                "similarity": 0.7, "text": " ".join(lines)}]
    evidence = [{"path": "life/gaelic.md", "title": "Learning Gaelic", "date": "2020-01-12", "score": 0.9,
                 "sentences": lines, "order": [1, 0, 2], "reason": True}]
    state = _state("I started learning Scottish Gaelic because I've been doing it every day for a while now.",
                   question="Why did you start learning Gaelic?", route="retrieve", sources=sources,
                   evidence=evidence, answered_by="model", attempt=0)
    assert _sent_back(ctx, state).startswith("gives none of the reasons the best note gives")
    said = make_judge(ctx)({**state, "draft": "Because of the station signs in Scottish Gaelic."})
    assert said["judge"]["verdict"] == "pass", said["judge"]
    unmarked = make_judge(ctx)({**state, "evidence": [{k: v for k, v in evidence[0].items() if k != "reason"}]})
    assert unmarked["judge"]["verdict"] == "pass", "no Why section shown: the check does not apply"


def test_a_model_answer_blocked_for_what_it_said_is_answered_by_a_quote_not_refused(ctx):
    """A notes question whose model answer gave away a private-only name (or a family word not
    asked about) gets the cited quote of its best note, judged like any answer; a question with
    an input flag is still refused (a tuning person's "What are you treating the bees with for
    varroa these days?" was refused for its model answer)."""
    lines = ["Oxalic acid in sugar syrup, dribbled between the frames.", "Bees lost to the cold: fewer than I feared."]
    sources = [{"path": "bees/december.md", "title": "December dribble", "date": "2022-12-18", "score": 0.9,
                "similarity": 0.7, "text": " ".join(lines)}]
    evidence = [{"path": "bees/december.md", "title": "December dribble", "date": "2022-12-18", "score": 0.9,
                 "sentences": lines, "order": [0, 1]}]
    state = _state("Freja says oxalic acid.", question="What do you treat the bees with for varroa?",
                   route="retrieve", sources=sources, evidence=evidence, answered_by="model", attempt=0)
    update = make_judge(ctx)(state)
    assert update["answered_by"] == "extractive" and update["judge"]["verdict"] == "pass", update["judge"]
    assert update["answer"].startswith('From my note "December dribble"') and "Oxalic acid" in update["answer"]
    assert "Freja" not in update["answer"]
    why = update["decisions"]["judge"]["why"]
    assert why.startswith("the model's answer was blocked by private_leak, grounding: private_leak: ") and "Freja" not in why
    assert answer_why(update["decisions"]) == "the model's answer was blocked by private_leak, grounding"
    flagged = make_judge(ctx)({**state, "input_flags": ["obfuscation"]})
    assert flagged["answered_by"] == "refusal" and flagged["judge"]["verdict"] == "blocked"
    general = make_judge(ctx)({**state, "route": "no_retrieve"})
    assert general["answered_by"] == "refusal", "past the notes: nothing to quote"
    family = make_judge(ctx)({**state, "draft": "My sister and I treat them."})
    assert family["answered_by"] == "refusal" and "my family" in family["answer"], "all about an off-limits topic"


def test_beside_a_passage_that_names_nothing_a_model_answer_must_say_one_of_its_words(ctx):
    """A passage in lower case (or of common words only) names nothing, and every answer used to
    agree with it: the answer must say one of its words beyond the question's."""
    line = "tie on the final question so it came down to the sing-off and i did slice of heaven."
    sources = [{"path": "quiz/league.md", "title": "champions", "date": "2025-07-24", "score": 0.9,
                "similarity": 0.5, "text": line + " the trophy is a kettle spray-painted gold."}]
    evidence = [{"path": "quiz/league.md", "title": "champions", "date": "2025-07-24", "score": 0.9,
                 "sentences": [line], "order": [0]}]
    state = _state("The trophy is a kettle spray-painted gold.",
                   question="What song did your quiz team do when you won the league?", route="retrieve",
                   sources=sources, evidence=evidence, answered_by="model", attempt=0)
    assert _sent_back(ctx, state).startswith("names nothing of the best note")
    said = make_judge(ctx)({**state, "draft": "Slice of heaven, in the sing-off."})
    assert said["judge"]["verdict"] == "pass", said["judge"]


def test_a_clause_that_tells_more_than_asked_goes_and_the_rest_of_its_sentence_stays(ctx):
    """Found on a tuning person (thirtieth session): "with my dad" in the sentence that names the
    first Munro dropped the sentence, and the answer with it."""
    judge = make_judge(ctx)
    munro = judge(_state("Ben Lomond, when I was fourteen, with my dad, in trainers, in a cloud."))
    assert munro["judge"]["verdict"] == "redacted", munro["judge"]
    assert munro["answer"] == "Ben Lomond, when I was fourteen, …, in trainers, in a cloud.", "the cut is marked"
    moved = judge(_state("We moved last weekend, in a van driven by my dad, who took every roundabout fast."))
    assert moved["answer"] == "We moved last weekend …", "the clause hanging on the dropped one goes too"
    same = judge(_state("We climbed it in June, with my dad, he was fifty then, in the rain."))
    assert same["answer"] == "We climbed it in June, …, in the rain.", "a clause about the same person goes too"
    opening = judge(_state("My dad, a fisherman, lives in Oban."))
    assert opening["judge"]["verdict"] == "blocked", "the sentence's own clause says it: nothing to keep"
    # found by a review: what is left must not touch the topic in any wording (the question patterns)
    for told in ("I saw Dr Haldane, my GP, about the migraines, twice last spring.",
                 "Ben Lomond was my first, with my sister, Mum waited in the car."):
        assert judge(_state(told))["judge"]["verdict"] == "blocked", told


def test_what_a_redaction_leaves_must_still_agree_with_the_best_note(ctx):
    """Found as a new user (ninth session): the sentence from the right note was redacted (it named a
    sister), the one left came from the second note, and it was shown as the answer."""
    jollof = "My jollof rice: long-grain rice, tomatoes, scotch bonnet and smoked paprika."
    faroes = "We stayed at a guesthouse in Gjógv, next to the gorge."
    sources = [{"path": "food/jollof.md", "title": "My jollof", "date": "2021-11-20", "score": 0.8,
                "similarity": 0.6, "text": jollof + " My sister Ama says it's too Danish."},
               {"path": "travel/faroes.md", "title": "The Faroes", "date": "2024-06-18", "score": 0.4,
                "similarity": 0.3, "text": faroes}]
    evidence = [{"path": s["path"], "title": s["title"], "date": s["date"], "score": s["score"],
                 "sentences": [s["text"].split(". ")[0] + "."]} for s in sources]
    state = _state("My sister Ama says my jollof is too Danish. We stayed at a guesthouse in Gjógv.",
                   question="What goes into your jollof?", route="retrieve", sources=sources,
                   evidence=evidence, answered_by="model", attempt=0)
    update = make_judge(ctx)(state)
    assert update["judge"]["verdict"] == "regenerate", update["judge"]
    assert update["decisions"]["judge"]["why"] == "names nothing of the best note (food/jollof.md, 2021-11-20)"
    again = make_judge(ctx)({**state, "answered_by": "model-retry", "attempt": 1})
    assert again["answered_by"] == "extractive" and "smoked paprika" in again["answer"], again


def test_a_model_answer_without_the_date_asked_for_is_answered_by_the_note(ctx):
    """A tuning person's "When do you do your pre-lamb shearing?" was answered "I do shearing every
    day, Hakataramea Shearing again…" (every word in the note) beside "…always the second week of
    August here."; an answer that says a date passes."""
    diary = "2025-08-09: Pre-lamb shearing done, always the second week of August here."
    sources = [{"path": "station/log-2025.md", "title": "Station diary 2025", "date": "2025-08-30", "score": 0.9,
                "similarity": 0.6, "text": diary + " Hakataramea Shearing again, six stands."}]
    evidence = [{"path": "station/log-2025.md", "title": "Station diary 2025", "date": "2025-08-30", "score": 0.9,
                 "sentences": [diary, "Hakataramea Shearing again, six stands."], "order": [0, 1]}]
    state = _state("I do shearing every day, Hakataramea Shearing again, six stands.",
                   question="When do you do your pre-lamb shearing?", route="retrieve", sources=sources,
                   evidence=evidence, answered_by="model", attempt=0)
    assert _sent_back(ctx, state).startswith("says no date or time, which was asked for")
    again = make_judge(ctx)({**state, "answered_by": "model-retry", "attempt": 1})
    assert again["answered_by"] == "extractive" and "second week of August" in again["answer"], again
    dated = make_judge(ctx)({**state, "draft": "The second week of August, with Hakataramea Shearing."})
    assert dated["judge"]["verdict"] == "pass" and dated["answered_by"] == "model", dated
    first = make_judge(ctx)(state)["decisions"]
    retried = make_judge(ctx)({**state, "draft": "The second week of August, with Hakataramea Shearing.",
                               "answered_by": "model-retry", "attempt": 1, "decisions": first})
    assert retried["answered_by"] == "model-retry", retried  # the retry passed: it says why it was asked again
    assert answer_why({**first, **retried["decisions"]}).startswith(
        "answered again after: says no date or time, which was asked for")


def test_a_model_answer_that_says_the_measure_asked_from_another_line_of_the_best_note_passes(ctx):
    """A tuning person's "How long was the possession for your first commissioning?" was answered from
    the note's third closest sentence ("…54 hours in all…") and replaced by a quote of its closest one,
    which says no length of time; the answer names the line that holds the measure asked for."""
    lines = ["The line was closed from Friday night to Monday morning, 54 hours in all, with buses replacing trains.",
             "The old relay interlocking came out of use and the new one came in.",
             "Last weekend the Gourock line resignalling went live, the scheme I've been drawing since January."]
    sources = [{"path": "work/gourock-line.md", "title": "My first commissioning weekend", "date": "2018-10-20",
                "score": 0.9, "similarity": 0.6, "text": " ".join(lines)}]
    evidence = [{"path": "work/gourock-line.md", "title": "My first commissioning weekend", "date": "2018-10-20",
                 "score": 0.9, "sentences": lines, "order": [2, 1, 0]}]
    state = _state("The line was closed from Friday night to Monday morning, 54 hours in all.",
                   question="How long was the possession for your first commissioning?", route="retrieve",
                   sources=sources, evidence=evidence, answered_by="model", attempt=0)
    passed = make_judge(ctx)(state)
    assert passed["judge"]["verdict"] == "pass" and passed["answered_by"] == "model", passed
    vague = {**state, "draft": "The old relay interlocking came out of use on a Friday night."}
    assert _sent_back(ctx, vague).startswith("names nothing of the best note"), "no measure said: held to the closest line"


def test_with_quote_copies_a_model_answer_that_is_its_notes_word_for_word_gives_way_to_the_quote(ctx):
    """``[judge] quote_copies``: the copied line is the model's pick; the quote's are picked better
    (the model copied a log line, "2019-07-28: Port generator overheating…", for how long the lights
    were off; the quote says "Eleven minutes in the dark…"). A line holding the measure asked that
    the quote lacks stays the model's; so does an answer in its own words; on by default (off: the copy passes)."""
    lines = ["Eleven minutes in the dark on the Sveti Jere before we had power back.",
             "2019-07-28: Sveti Jere port generator overheating on every crossing for three days.",
             "We limped into Supetar on the starboard engine alone."]
    sources = [{"path": "work/log.md", "title": "From the log", "date": "2021-03-20", "score": 0.9,
                "similarity": 0.6, "text": " ".join(lines)}]
    evidence = [{"path": "work/log.md", "title": "From the log", "date": "2021-03-20", "score": 0.9,
                 "sentences": lines, "order": [0, 2, 1]}]
    state = _state("2019-07-28: Sveti Jere port generator overheating on every crossing for three days.", route="retrieve",
                   question="What went wrong with the generator that summer?", sources=sources, evidence=evidence,
                   answered_by="model", attempt=0)
    assert ctx.config.judge.quote_copies, "on by default"
    ctx.config.judge.quote_copies = False
    passed = make_judge(ctx)(state)
    assert passed["judge"]["verdict"] == "pass", passed["decisions"]["judge"]
    ctx.config.judge.quote_copies = True
    assert _sent_back(ctx, state) == "copies its notes word for word: the quote says it with its source"
    own = {**state, "draft": "The Sveti Jere's port generator overheated on every crossing, three days running."}
    assert make_judge(ctx)(own)["judge"]["verdict"] == "pass", make_judge(ctx)(own)["decisions"]["judge"]
    measure = {**state, "question": "How long did the generator keep overheating?",
               "evidence": [{**evidence[0], "order": [2, 0, 1]}]}  # the quote's lines say no number of days
    assert make_judge(ctx)(measure)["judge"]["verdict"] == "pass", make_judge(ctx)(measure)["decisions"]["judge"]


def test_the_line_holding_the_measure_never_takes_away_agreement_with_the_closest_line():
    """The first version read the note's closest line and its line holding the number as one passage:
    the number line's own name (Gudrun) then crowded out the closest line's name that another shown
    note shares (Reykjavik), and a held-out everyday answer that had agreed went to the quote."""
    note = {"path": "party.md", "title": "Party", "date": "2024-01-01", "score": 0.9, "order": [0, 1],
            "sentences": ["The party was at the old harbour in Reykjavik, in the rain.",
                          "Sixty people came, and Gudrun Olafsdottir brought the cake."]}
    shown = {"party.md": "Party\n" + " ".join(note["sentences"]), "move.md": "Moving\nI moved to Reykjavik in 2020."}
    question = "How many people came to your party in Reykjavik?"
    assert agrees_with_note("It was at the old harbour in Reykjavik, in the rain.", note, shown, question)
    assert agrees_with_note("It was at the old harbour in Reykjavik, 25 of us.", note, shown, question)
    assert agrees_with_note("Sixty people, and Gudrun Olafsdottir brought the cake.", note, shown, question)


def test_a_model_answer_that_joins_two_notes_in_one_sentence_is_answered_by_the_note(ctx):
    """A never-seen user's "What's your cat like?" got "I have a grey-and-white cat, Kisi, who lives
    in Vesturbær on Saturday." (the cat note and the moving note run together) and it passed."""
    cat, keys = "Kisi is my grey-and-white cat.", "We moved into a basement flat in Vesturbær on Saturday."
    sources = [{"path": "cat.md", "title": "Kisi", "date": "2024-03-02", "score": 0.9, "similarity": 0.5,
                "text": cat + " She sleeps on the radiator now."},
               {"path": "keys.md", "title": "Keys again", "date": "2025-09-14", "score": 0.6, "similarity": 0.3,
                "text": keys}]
    evidence = [{"path": "keys.md", "title": "Keys again", "date": "2025-09-14", "score": 0.6, "sentences": [keys]},
                {"path": "cat.md", "title": "Kisi", "date": "2024-03-02", "score": 0.9,
                 "sentences": [cat, "She sleeps on the radiator now."], "order": [0, 1]}]
    state = _state("I have a grey-and-white cat, Kisi, who lives in Vesturbær on Saturday.",
                   question="What's your cat like?", route="retrieve", sources=sources, evidence=evidence,
                   answered_by="model", attempt=0)
    assert _sent_back(ctx, state) == "joins Kisi (cat.md) and Vesturbær (keys.md) in one sentence"
    again = make_judge(ctx)({**state, "answered_by": "model-retry", "attempt": 1})
    assert again["answered_by"] == "extractive" and "Vesturbær" not in again["answer"], again
    apart = make_judge(ctx)({**state, "draft": "Kisi is my grey-and-white cat, and she sleeps on the radiator."})
    assert apart["judge"]["verdict"] == "pass", apart


def test_a_short_note_quoted_nearly_whole_is_a_quote_not_a_dump(ctx):
    """A tuning person's "How far out of town is your house?": the quote of the note's two closest
    sentences (42 words, nearly all of its one chunk) was read as a dump of the note and the next
    quote, "Three bedrooms, a log burner…" alone, was shown. A quote is bounded; it is shown whole."""
    one = "The manager's house at Kaimoko sits on a terrace above the woolshed, twenty minutes out of Fairlie on the gravel."
    two = "Three bedrooms, a log burner, and a view across to the Two Thumb Range that I'm not sick of yet."
    sources = [{"path": "home/top-house.md", "title": "Top house", "date": "2023-02-19", "score": 0.8,
                "similarity": 0.5, "text": f"{one} {two}"}]
    evidence = [{"path": "home/top-house.md", "title": "Top house", "date": "2023-02-19", "score": 0.8,
                 "sentences": [one, two], "order": [1, 0]}]
    state = _state("It's a long way out, past Lake Tekapo.", question="How far out of town is your house?",
                   route="retrieve", sources=sources, evidence=evidence, answered_by="model-retry", attempt=1)
    update = make_judge(ctx)(state)
    assert update["answered_by"] == "extractive" and update["judge"]["verdict"] == "pass", update
    assert "twenty minutes" in update["answer"] and "Three bedrooms" in update["answer"], update["answer"]
    assert any("copied verbatim" in r for r in update["judge"]["reasons"]), "the trace still says what was copied"
    # a run-on note of one long sentence is no short quote: still read as a dump
    run_on = " ".join(["we drove up past the lake and the road went to gravel and the dogs were sick"] * 5) + "."
    long = {**state, "sources": [{**sources[0], "text": run_on}],
            "evidence": [{**evidence[0], "sentences": [run_on], "order": [0]}]}
    assert make_judge(ctx)(long)["answered_by"] == "no-note"


def test_a_quote_that_still_holds_the_amount_asked_once_a_clause_is_left_out_goes_first(ctx):
    """A tuning person's "How much rent did you have to pay up front for the flat?": the sentence
    with the amount ends "…why my savings are gone", which the salary topic leaves out, and the
    judge used to show the next quote that passed whole (the flat itself, no amount). A redacted
    quote that still holds the amount asked goes first; asked for no amount, the whole one does."""
    flat = ("The top floor of a house in Ampitiya, on the hill on the far side of the lake: two rooms and a "
            "balcony with a frangipani growing into it.")
    money = "Rs. 72,000 a month, and six months in advance, which is how it's done here and why my savings are gone."
    note = {"path": "home/ampitiya.md", "title": "Two flights and a frangipani", "date": "2023-05-14", "score": 0.8}
    sources = [{**note, "similarity": 0.5, "text": f"{flat}\n\n{money}"}]
    evidence = [{**note, "sentences": [flat, money], "order": [1, 0]}]
    state = _state("It was cheap.", question="How much rent did you have to pay up front for the flat?",
                   route="retrieve", sources=sources, evidence=evidence, answered_by="model-retry", attempt=1)
    update = make_judge(ctx)(state)
    assert update["answered_by"] == "extractive" and update["judge"]["verdict"] == "redacted", update
    assert "Rs. 72,000 a month, and six months in advance" in update["answer"], update["answer"]
    assert "savings" not in update["answer"], update["answer"]
    plain = {**state, "question": "What was it like moving into the flat?"}  # no amount asked: the first that passes
    shown = make_judge(ctx)(plain)
    assert shown["judge"]["verdict"] == "pass" and "Ampitiya" in shown["answer"] and "72,000" not in shown["answer"], shown


def test_an_echoed_prompt_line_is_left_out_under_a_plain_question(ctx):
    judge = make_judge(ctx)
    echo = "I've been looking at my notes, newest first, each with its date."
    kept = judge(_state(f"I live in Rotterdam these days. {echo} It's a good city."))
    assert kept["judge"]["verdict"] == "redacted", kept
    assert kept["answer"] == "I live in Rotterdam these days. It's a good city."
    assert any("system prompt echoed" in r for r in kept["judge"]["reasons"])
    alone = judge(_state(echo))
    assert alone["judge"]["verdict"] == "blocked", "nothing else said: refused"
    asked = judge(_state(f"I live in Rotterdam. {echo}", ["sysprompt_extraction"]))
    assert asked["judge"]["verdict"] == "blocked", "a question after the prompt is refused whatever the answer"


def test_saying_a_long_name_is_no_prompt_echo(tmp_path):
    """A new user's "See you later!" got "I am Edurne Olaziregi Mugika. I am a human." and was refused as an
    echo of the prompt's "You are Edurne Olaziregi Mugika." (a sentence long enough to count only because
    of the name); the instructions themselves still count."""
    config = Config(home=str(tmp_path / "home"))
    config.person = "Edurne Olaziregi Mugika"
    judge = make_judge(TwinContext(config))
    plain = dict(question="See you later!", route="no_retrieve")
    said = judge(_state("I am Edurne Olaziregi Mugika. I am a human.", **plain))
    assert said["judge"]["verdict"] == "pass", said
    echo = 'Answer as Edurne Olaziregi Mugika, in the first person ("I"), in one to three short sentences, in your own voice.'
    assert judge(_state(echo, **plain))["judge"]["verdict"] == "blocked"


def test_judge_off_is_skipped(ctx):
    update = make_judge(ctx)(_state("Freja says hi.", toggles={"judge": False}))
    assert update["answer"] == "Freja says hi."
    assert update["judge"] == {"verdict": "skipped", "reasons": ["judge off"]}


def test_empty_draft_of_a_flagged_question_is_still_refused(ctx):
    assert make_judge(ctx)(_state("", ["prompt_injection"]))["judge"]["verdict"] == "blocked"
    assert make_judge(ctx)(_state(""))["judge"]["verdict"] == "pass"


def test_partial_text_is_judged_and_new_fingerprints_are_picked_up(ctx):
    assert judge_text(ctx, "q", "Ask Mats.", [], input_flags=[])["verdict"] == "pass"
    path = fingerprints_path(ctx.home)
    Fingerprints.build({"private/x.md": "Her partner Mats bakes."}, PUBLIC, salt="node2").save(path)
    later = time.time() + 5
    os.utime(path, (later, later))
    assert judge_text(ctx, "q", "Ask Mats.", [], input_flags=[])["verdict"] == "blocked"


def test_checks_follow_the_config(tmp_path):
    config = Config(home=str(tmp_path / "h"))
    config.judge.pii = False
    config.judge.context_leak = False
    ctx = TwinContext(config)
    verdict = judge_text(ctx, "q", "Call me on +31 6 1111 2222.", [], input_flags=[])
    assert verdict["verdict"] == "pass"
    assert "pii" not in verdict.checks and "context_leak" not in verdict.checks


def test_refuses_early_tells_the_graph_when_generation_is_pointless(ctx):
    assert refuses_early(ctx, ["off_limits:health"]) and refuses_early(ctx, ["prompt_injection"])
    assert not refuses_early(ctx, ["obfuscation", "roleplay"]) and not refuses_early(ctx, [])
    ctx.config.judge.on_injection = "answer"
    assert not refuses_early(ctx, ["prompt_injection"])


def test_a_copy_that_drops_the_notes_not_is_not_shown(ctx):
    """Found as a new user (tenth session): the model copied the note's sentence without its
    "not", saying the reverse; no name or number was wrong, so the grounding check passed it."""
    note = ("The Saturday market on the Vredenburg has a stall that makes stroopwafels fresh. Eat one warm, "
            "standing in the cold, then buy a bag for later that will not survive the ride home.")
    sources = [{"path": "food/stroopwafel.md", "title": "Stroopwafels", "date": "2025-01-05", "score": 0.8,
                "similarity": 0.6, "text": note}]
    evidence = [{"path": "food/stroopwafel.md", "title": "Stroopwafels", "date": "2025-01-05", "score": 0.8,
                 "sentences": note.split(". ", 1)[1:]}]
    flipped = "Eat one warm standing in cold, then buy a bag for later that will survive ride home."
    state = _state(flipped, question="What do you eat at the Saturday market?", route="retrieve", sources=sources,
                   evidence=evidence, answered_by="model", attempt=0)
    update = make_judge(ctx)(state)
    assert update["judge"]["verdict"] == "regenerate", update["judge"]
    assert update["decisions"]["judge"]["why"] == "unsupported by the notes: not survive"
    kept = make_judge(ctx)({**state, "draft": "Eat one warm, then buy a bag that won't survive the ride home."})
    assert kept["judge"]["verdict"] == "pass", kept["judge"]
    again = make_judge(ctx)({**state, "answered_by": "model-retry", "attempt": 1})
    assert again["answered_by"] == "extractive" and "will not survive" in again["answer"], again


def test_a_sentence_copied_from_the_other_note_is_not_the_answer(ctx):
    """Tuning person dev3: asked about Skye, the model copied the Lisbon note's "We stayed at a
    guesthouse in Alfama"; every word of it is in the notes, so the grounding check passed it."""
    skye = "A week on Skye with Jonah. We stayed in a little cabin at Elgol and climbed Bla Bheinn."
    lisbon = "Four days in Lisbon for my thirtieth. We stayed at a guesthouse in Alfama and ate pastéis de nata."
    sources = [{"path": "travel/skye.md", "title": "Skye in the rain", "date": "2024-09-15", "score": 0.8,
                "similarity": 0.5, "text": skye},
               {"path": "travel/lisbon.md", "title": "Lisbon for my birthday", "date": "2021-04-10", "score": 0.6,
                "similarity": 0.4, "text": lisbon}]
    evidence = [{"path": s["path"], "title": s["title"], "date": s["date"], "score": s["score"],
                 "sentences": s["text"].split(". ")} for s in sources]
    state = _state("My stay on Skye with Jonah. We stayed at a guesthouse in Alfama and ate pastéis de nata.",
                   question="Where did you stay on Skye?", route="retrieve", sources=sources, evidence=evidence,
                   answered_by="model", attempt=0)
    update = make_judge(ctx)(state)
    assert update["judge"]["verdict"] == "regenerate", update["judge"]
    assert update["decisions"]["judge"]["why"] == "copies travel/lisbon.md, which names none of the question's names: skye"
    right = make_judge(ctx)({**state, "draft": "We stayed in a little cabin at Elgol, on Skye."})
    assert right["judge"]["verdict"] == "pass", right["decisions"]["judge"]
    both = make_judge(ctx)({**state, "question": "Did you like Skye or Lisbon more?"})
    assert both["judge"]["verdict"] == "pass", "a question naming both notes may be answered from either"


def test_a_number_cut_at_its_separator_is_quoted_whole(ctx):
    """The sample notes' "How many GitHub stars does Cairn have?": the model copied "1,240 stars on
    GitHub." as "Cairn (formerly Pebble) has 1 stars on GitHub.", which names GitHub and passed."""
    assert cut_number("Cairn has 1 stars on GitHub.", "1,240 stars on GitHub.") == ("1,240", "1")
    assert cut_number("I paid 3 euros.", "It cost 3.50 euros.") == ("3.50", "3")
    assert cut_number("It has 1,240 stars.", "1,240 stars on GitHub.") is None, "said whole"
    assert cut_number("It has 1,240 stars, 1 of them mine.", "1,240 stars on GitHub.") is None, "said whole, and a 1"
    assert cut_number("I have 2 cats.", "I have 2 cats and 2,000 books.") is None, "a 2 of its own"
    stars = "1,240 stars on GitHub, most of them from Hacker News."
    sources = [{"path": "projects/cairn.md", "title": "Cairn (formerly Pebble)", "date": "2025-03-08", "score": 0.8,
                "similarity": 0.5, "text": stars + " Pebble is now called Cairn. Renamed on 1 March 2025."}]  # a 1 of its own
    evidence = [{"path": "projects/cairn.md", "title": "Cairn (formerly Pebble)", "date": "2025-03-08", "score": 0.8,
                 "sentences": [stars, "Pebble is now called Cairn."], "order": [0, 1]}]
    # it names Hacker News, so it agrees with the note (GitHub and Cairn are the question's own words)
    state = _state("Cairn (formerly Pebble) has 1 stars on GitHub, from Hacker News.",
                   question="How many GitHub stars does Cairn have?",
                   route="retrieve", sources=sources, evidence=evidence, answered_by="model", attempt=0)
    update = make_judge(ctx)(state)
    assert update["judge"]["verdict"] == "regenerate", update["judge"]
    assert update["decisions"]["judge"]["why"] == "cuts 1,240 to 1 (the best note, projects/cairn.md)"
    again = make_judge(ctx)({**state, "answered_by": "model-retry", "attempt": 1})
    assert again["answered_by"] == "extractive" and "1,240 stars" in again["answer"], again
