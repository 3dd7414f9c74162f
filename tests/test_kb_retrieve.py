"""Retrieval: sources shape, hybrid fusion, the newer-note rerank and where it stays out
(real model, real Chroma, sample notes)."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from kb.cues import mentions_update
from kb.ingest import ingest
from kb.retrieve import (
    Candidates,
    Retriever,
    asked_year,
    asks_about_a_first,
    asks_about_past,
    asks_about_present_state,
    convex,
    earliest_first,
    newer_first,
    of_the_year,
    rrf,
    rrf_max,
    same_subject_newer,
)
from tests.kb_support import copy_notes, kb_embeddings, make_config  # noqa: F401
from twin.state import Source

TODAY = date(2025, 11, 1)  # pinned so the recency decay does not drift with the clock


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, kb_embeddings):
    root = tmp_path_factory.mktemp("kb-retrieve")
    config = make_config(root / "home")
    ingest(config, copy_notes(root / "notes"), kb_embeddings, progress=False)
    return config


@pytest.fixture(scope="module")
def retriever(index, kb_embeddings) -> Retriever:
    """The rerank's rules on their own: without the where-you-live/work rule (kb/life_state.py),
    which puts Noa's "About me" first for those questions (tested below and in test_life_state.py)."""
    config = dataclasses.replace(index, retrieval=dataclasses.replace(index.retrieval, life_state=False))
    return Retriever(config, kb_embeddings, today=TODAY)


def test_where_she_lives_and_works_now_is_her_newest_note_saying_so(index, kb_embeddings) -> None:
    """Noa's "About me" (10 Jun 2025) says "These days I live in Rotterdam" and "In January 2025 I
    joined Tidewater Labs as a staff ML engineer": newer than "Moving to Rotterdam" (2 Jun) and
    "Tidewater Labs" (15 Jan), so with the rule on it comes first for both questions."""
    retriever = Retriever(index, kb_embeddings, today=TODAY)
    for question, what in (("Where do you live?", "where you live"), ("Which company do you work for?", "where you work")):
        first = retriever.search(question, k=2)[0]
        assert (first["path"], first.get("why")) == ("about-me.md", f"the newest note on {what}"), question


def rank(sources: list[Source], path: str) -> int:
    paths = [s["path"] for s in sources]
    return paths.index(path) if path in paths else len(paths) + 100


def test_sources_have_the_graph_shape_best_first(retriever: Retriever) -> None:
    sources = retriever.search("What keyboard do you use?")
    assert 0 < len({s["path"] for s in sources}) <= 2  # retrieval.k = 2 notes
    # the optional keys only when a rule placed it (why) or the retrieve node added the rest of a note
    assert all(set(s) == set(Source.__annotations__) - {"why", "position", "rest_of_note"} for s in sources)
    assert sources[0]["path"] == "projects/keyboard.md" and sources[0]["title"] == "My keyboard build"
    assert sources[0]["date"] == "2023-11-26" and sources[0]["heading"].startswith("My keyboard build")
    scores = [s["score"] for s in sources]
    assert scores == sorted(scores, reverse=True)
    assert all(-1.0 <= s["similarity"] <= 1.0 and s["text"] for s in sources)
    three = {s["path"] for s in retriever.search("What keyboard do you use?", k=3, rerank=False)}
    assert len(three) == 3  # (with the rerank, a newer note that updates one of them may join)


def test_k_counts_notes_so_one_long_note_does_not_crowd_out_the_next(retriever: Retriever) -> None:
    sources = retriever.search("What keyboard do you use?", k=2)
    paths = [s["path"] for s in sources]
    assert paths.count("projects/keyboard.md") >= 2  # the keyboard note's chunks fill the first places ...
    assert len(set(paths)) == 2 and paths[-1] != "projects/keyboard.md"  # ... and the second note still comes


def test_where_do_you_live_prefers_the_newer_note(retriever: Retriever) -> None:
    reranked = retriever.search("Where do you live?", k=8)
    assert rank(reranked, "life/moving-to-rotterdam.md") < rank(reranked, "life/moving-to-lisbon.md")
    assert reranked[0]["path"] == "life/moving-to-rotterdam.md"


def test_rerank_off_is_plain_order(index, kb_embeddings, retriever: Retriever) -> None:
    vector = Retriever(make_config(Path(index.home), mode="vector"), kb_embeddings, today=TODAY)
    plain = vector.search("Tell me about Pebble", k=6, rerank=False)
    assert [s["score"] for s in plain] == [s["similarity"] for s in plain], "vector mode: score = cosine"
    assert [s["similarity"] for s in plain] == sorted((s["similarity"] for s in plain), reverse=True)
    fused = retriever.search("Tell me about Pebble", k=6, rerank=False)
    assert [s["score"] for s in fused] == sorted((s["score"] for s in fused), reverse=True)
    assert all(0.0 < s["score"] <= 1.0 for s in fused), "hybrid: fused score in (0, 1]"
    reranked = retriever.search("Tell me about Pebble", k=6)
    assert rank(reranked, "projects/cairn.md") < rank(fused, "projects/cairn.md"), "the note that renames Pebble moves up"
    assert reranked[0]["path"] == "projects/cairn.md"


def test_questions_about_the_past_keep_the_older_note(retriever: Retriever) -> None:
    assert retriever.search("What was Pebble?", k=3)[0]["path"] == "projects/pebble.md"
    assert retriever.search("Why did you move to Lisbon?", k=3)[0]["path"] == "life/moving-to-lisbon.md"
    assert retriever.search("Where do you work?", k=3)[0]["path"] == "work/tidewater-labs.md"
    assert asks_about_past("What did you do at Fernwood?") and not asks_about_past("Where do you work?")
    assert not asks_about_past("Did you live in Lisbon? And where do you live now?"), "a present marker wins"
    assert asks_about_present_state("What was your lambing percentage last season?")  # the newest one
    assert asks_about_present_state("How many kilos of potatoes did you dig last season?")  # no "your" needed
    for past in ("Where did you work last year?", "What did you work on the last time you were at Fernwood?",
                 "Who did you play for last season, before you moved to Fernwood?"):
        assert asks_about_past(past), past  # another year; that time, not the newest; a past word besides the tense
    for past in ("Who helped you with the move out of Lisbon?", "What happened to your old van?"):
        assert asks_about_past(past), past  # the wh-word is the subject, the verb is past
    for now in ("What seed do you sow first?", "What speed do you ride at?", "Who shed the most weight?",
                "Who helped? And who helps you now?", "What hosted email service do you use?",
                "What distributed database does your team use?", "What related projects are you working on?"):
        assert not asks_about_past(now), now


def test_asked_about_a_first_the_oldest_note_about_as_relevant_goes_first(tmp_path: Path, kb_embeddings) -> None:
    """A tuning person's "What did you pay for your first car?" was answered from the newer note
    on selling it (2023) over the 2019 note on buying the Vitz; asked about a first, the oldest
    note within ``first_margin`` of the first-ranked one goes above it. Not a part, a rank, a
    routine or an order of work."""
    for first in ("What did you pay for your first car?", "Who sold you your first sea kayak?",
                  "Where did you first play the nyatiti in front of people?", "What kind of honey was that first harvest?",
                  "What was the first Munro you ever climbed?", "Where did you give your very first talk?",
                  "What was your first day of school like?", "When did you first meet Ana?"):
        assert asks_about_a_first(first), first
    for other in ("What's your usual first drink of the day?", "How fast did you run the first kilometre of the 10k?",
                  "Who came first in the race?", "Who won first place?", "Why do you write tests first?",
                  "What's your opinion on local-first software?", "What's the first thing you do in the morning?",
                  "How do you make a jest mock return a value only on its first call?",
                  "What was your first job and where do you work now?",
                  # a review's cases: an order of asking, a kind of thing that is no first, a part
                  "Can you first tell me who your team lead is?", "Thank you first of all. Who is your team lead?",
                  "Could you first tell me what you do for work?", "When was your first aid course?",
                  "What's your first name?", "How did the first half go?", "What's your first priority this week?",
                  "What did you do in the first week in your new job?", "What is the first step in making bread?"):
        assert not asks_about_a_first(other), other
    metas = [{"path": p} for p in ("sold.md", "vitz.md", "about-me.md", "sold.md")]
    days, sims = np.array([400.0, 100.0, 10.0, 400.0]), np.array([0.60, 0.57, 0.40, 0.5])
    assert earliest_first([0, 3, 1, 2], metas, days, sims, 0.05) == [1, 0, 3, 2]  # about-me is older but far less alike
    assert earliest_first([0, 1, 2], metas, days, sims, 0.01) == [0, 1, 2]
    assert earliest_first([], metas, days, sims, 0.05) == []

    on, off = first_with_and_without(tmp_path, kb_embeddings, "dev4", "What did you pay for your first car?",
                                     first_margin=-1.0)
    assert on == "home/the-vitz.md" and off == "home/sold-the-red-one.md"


def test_asked_about_a_year_a_note_of_that_year_about_as_relevant_goes_first(tmp_path: Path, kb_embeddings) -> None:
    """A tuning person's "After the 2017 earthquake, where did you end up staying?" was answered
    from a 2023 trip and a 2020 flat: the 2017 note on the quake never says "earthquake" ("the
    shelves started walking"). Asked about one year, the best note dated that year (or titled
    with it) within ``year_margin`` of the first-ranked one goes above it; not a year counted from
    or to, a decade, a date or two years."""
    for asked, year in (("After the 2017 earthquake, where did you end up staying?", "2017"),
                        ("What did you bring your mum when you went home for Christmas in 2021?", "2021"),
                        ("How did your team do at the 2019 nationals?", "2019"),
                        ("What was your best bird of 2017?", "2017")):
        assert asked_year(asked) == year, asked
    for other in ("Where have you lived since 2019?", "What did you do before 2020?", "What did you do in the 1990s?",
                  "What happened between 2019 and 2021?", "What happened on 2019-05-02?", "How was the 2021/22 season?",
                  "Where do you live?", "What did you do after 2015?",
                  # a review's cases: spaces that hid the "since", amounts and measures
                  "Where have you lived since  2019?", "Where did you live prior to 2019?", "Was it $2000?",
                  "How was the 2000 km ride?", "Did you finish the 2000-piece puzzle?", "mid-2019, where were you?"):
        assert asked_year(other) == "", other
    metas = [{"path": "flat.md", "date": "2020-02-09", "title": "A dome"}, {"path": "trip.md", "date": "2023-12-28", "title": "Rain"},
             {"path": "quake.md", "date": "2017-09-24", "title": "Nineteenth"}, {"path": "list.md", "date": "2018-01-02", "title": "The 2017 list"}]
    docs = ["Two rooms and a balcony.", "Christmas in Chiapas.", "The shelves started walking.", "Secretarybird."]
    sims = np.array([0.35, 0.33, 0.30, 0.10])
    assert of_the_year([0, 1, 2, 3], metas, docs, sims, "2017", 0.1) == [2, 0, 1, 3]
    assert of_the_year([0, 1, 2, 3], metas, docs, sims, "2017", 0.01) == [0, 1, 2, 3]  # too far below the first
    assert of_the_year([0, 1, 3], metas, docs, np.array([0.35, 0.33, 0.30, 0.30]), "2017", 0.1) == [3, 0, 1]  # its title names the year
    assert of_the_year([2, 0], metas, docs, sims, "2017", 0.1) == [2, 0]
    assert of_the_year([], metas, docs, sims, "2017", 0.1) == []
    logged = ["2017-11-02 — tick fever, a week of doxycycline.", *docs[1:]]  # the first-ranked chunk names the year
    assert of_the_year([0, 1, 2, 3], metas, logged, sims, "2017", 0.1) == [0, 1, 2, 3]
    invoice = [{**metas[0], "title": "Invoice 120170"}, *metas[1:]]  # a longer number is no year
    assert of_the_year([1, 0], invoice, docs, sims, "2017", 0.1) == [1, 0]

    on, off = first_with_and_without(tmp_path, kb_embeddings, "dev7",
                                     "After the 2017 earthquake, where did you end up staying?", year_margin=-1.0)
    assert on == "home/quake.md" and off != "home/quake.md"


def first_with_and_without(tmp_path: Path, embeddings, person: str, question: str, **off: float) -> tuple[str, str]:
    """The first source for ``question`` over a tuning person's notes, with the default retrieval
    and with the ``off`` settings (a rule switched off)."""
    config = make_config(tmp_path / "home")
    people = Path(__file__).resolve().parent.parent / "evals" / "data" / "people" / person / "notes"
    ingest(config, shutil.copytree(people, tmp_path / "notes"), embeddings, progress=False)
    switched = dataclasses.replace(config, retrieval=dataclasses.replace(config.retrieval, **off))
    return (Retriever(config, embeddings).search(question)[0]["path"],
            Retriever(switched, embeddings).search(question)[0]["path"])


def test_an_update_found_outside_the_candidates_is_brought_in(retriever: Retriever) -> None:
    """"I left Fernwood" resembles no question about work; the lexical index finds it by the
    older note's subject words, so the newer note still outranks the stale one."""
    sources = retriever.search("Which company do you work for?", k=2)
    assert sources[0]["path"] == "work/tidewater-labs.md"
    assert rank(sources, "work/tidewater-labs.md") < rank(sources, "work/fernwood-analytics.md")


def test_searches_from_many_threads_get_what_one_thread_gets(index, kb_embeddings) -> None:
    """`twin serve` asks one retriever from many threads at once (Chroma and the lexical index's
    one connection behind a lock): each must get its own question's sources."""
    from concurrent.futures import ThreadPoolExecutor

    questions = ["What keyboard do you use?", "Where do you live?", "What did you do at Fernwood?",
                 "What is your habit tracker side project called?"] * 3
    expected = {q: [s["path"] for s in Retriever(index, kb_embeddings, today=TODAY).search(q)] for q in questions}
    shared = Retriever(index, kb_embeddings, today=TODAY)
    with ThreadPoolExecutor(max_workers=6) as pool:
        got = list(pool.map(lambda q: (q, [s["path"] for s in shared.search(q)]), questions))
    assert all(paths == expected[q] and paths for q, paths in got)


def test_the_bm25_query_runs_beside_the_vector_query_and_its_errors_reach_the_caller(index, kb_embeddings,
                                                                                   monkeypatch) -> None:
    """The lexical query runs in the retriever's own thread while the question is embedded and
    Chroma answers; the sources are those of the same search given the vector, and a failing
    lexical index fails the search (never an answer from half the indexes)."""
    import sqlite3
    import threading

    question = "What keyboard do you use?"
    retriever = Retriever(index, kb_embeddings, today=TODAY)
    given = [s["path"] for s in retriever.search_hybrid(question, retriever.embed(question))]
    threads: list[str] = []
    real = retriever.lexical.search

    def spy(query: str, n: int):
        threads.append(threading.current_thread().name)
        return real(query, n)

    monkeypatch.setattr(retriever.lexical, "search", spy)
    assert [s["path"] for s in retriever.search(question)] == given and given
    assert threads and threads[0].startswith("twin-bm25")

    def broken(query: str, n: int):
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(retriever.lexical, "search", broken)
    with pytest.raises(sqlite3.DatabaseError, match="malformed"):
        retriever.search(question)

    def down(text: str):
        raise RuntimeError("embedding backend down")

    monkeypatch.setattr(retriever, "embed", down)  # both fail: the first cause is the one raised
    with pytest.raises(RuntimeError, match="embedding backend down"):
        retriever.search("Which keyboard again?")
    retriever.close()
    assert retriever._beside is None


def test_update_cues_must_name_the_subject() -> None:
    assert mentions_update("I left Fernwood Analytics in December 2024.", {"fernwood"})
    assert mentions_update("As of 24 May 2025, I no longer live in Lisbon.", {"lisbon"})
    assert mentions_update("Pebble is now called Cairn.", {"pebble"})
    assert mentions_update("## What happened to Curlew\nShe stayed in Ireland.", {"curlew"})
    assert not mentions_update("Open the buffer on the left side.", {"buffer"}), "a stray 'left' is no cue"
    assert not mentions_update("I left early. Lisbon was sunny.", {"lisbon"}), "cue and subject in separate sentences"


def test_reciprocal_rank_fusion() -> None:
    fused = rrf([["a", "b", "c"], ["c", "a", "d"]], [1.0, 1.0], 60.0)
    assert list(fused) == ["a", "c", "b", "d"], "in both lists beats first in one"
    assert fused["a"] == pytest.approx(1 / 61 + 1 / 62) and fused["d"] == pytest.approx(1 / 63)
    assert list(rrf([["a", "b"], ["b"]], [1.0, 0.0], 60.0)) == ["a", "b"], "weight 0 ignores a list"
    assert list(rrf([["a", "a", "b"]], [1.0], 60.0)) == ["a", "b"] and rrf([[]], [1.0], 60.0) == {}
    assert rrf_max([1.0, 1.0], 60.0) == pytest.approx(2 / 61)


def test_convex_fusion_weighs_scores_scaled_to_the_best_of_each_list() -> None:
    sims = {"a": 0.6, "b": 0.5, "c": 0.2}
    bm25 = {"c": 12.0, "b": 3.0}
    fused = convex(sims, bm25, 0.85)
    assert fused["a"] == pytest.approx(0.85), "the best cosine, no BM25 hit: the vector weight"
    assert fused["b"] == pytest.approx(0.85 * 1.5 / 1.6 + 0.15 * 3 / 12)
    assert fused["c"] == pytest.approx(0.85 * 1.2 / 1.6 + 0.15), "cosine scaled from -1, BM25 from 0"
    assert list(fused) == ["a", "b", "c"], "best first"
    assert list(convex(sims, bm25, 1.0)) == ["a", "b", "c"] and list(convex(sims, bm25, 0.0))[:2] == ["c", "b"]
    assert list(convex(sims, {}, 0.85)) == ["a", "b", "c"], "no BM25 hit: the cosine order"
    assert convex({}, {}, 0.85) == {}
    close = convex({"x": 0.30, "y": 0.29}, {"y": 9.0, "x": 1.0}, 0.85)
    assert list(close) == ["y", "x"], "a near tie on cosine goes to the clear BM25 winner"


def test_a_name_only_bm25_finds_in_a_long_note_comes_first(tmp_path: Path, kb_embeddings) -> None:
    """A tuning person's "Who's Don Crispín Bautista?": he is named once, in a long note on a
    trip to Oaxaca, which BM25 ranks first and the vectors do not fetch at all. Reciprocal rank
    fusion counts only that it is first in one list, and notes close to the question's shape
    in both lists won ("Seven of us", a marimba band); the convex fusion keeps BM25's margin."""
    notes = Path(__file__).resolve().parents[1] / "evals/data/people/dev7/notes"
    config = make_config(tmp_path / "home")
    ingest(config, notes, kb_embeddings, progress=False)
    question = "Who's Don Crispín Bautista?"
    first = Retriever(config, kb_embeddings, today=TODAY).search(question, k=2)[0]["path"]
    assert first == "travel/oaxaca.md"
    by_rank = dataclasses.replace(config, retrieval=dataclasses.replace(config.retrieval, fuse="chunks"))
    assert Retriever(by_rank, kb_embeddings, today=TODAY).search(question, k=2)[0]["path"] != first


def test_same_subject_newer_note_moves_up_only_when_about_as_relevant() -> None:
    metas = [{"title": "Skua (formerly Loggerhead)", "path": "p/skua.md"},
             {"title": "Skua 3.4.2 is out", "path": "p/skua-3.md"},
             {"title": "Sourdough", "path": "life/sourdough.md"}]
    days = np.array([100.0, 200.0, 300.0])
    assert same_subject_newer([0, 2], metas, days, np.array([0.5, 0.45, 0.4]), 0.1) == [1, 0], "brought in, last dropped"
    assert same_subject_newer([0, 2], metas, days, np.array([0.5, 0.3, 0.4]), 0.1) == [0, 2], "much less relevant"
    assert same_subject_newer([2, 0], metas, days, np.array([0.5, 0.45, 0.6]), 0.1) == [2, 1], "no shared subject: stays"
    common = [{"title": "The big house", "path": "work/the-big-house.md"},
              {"title": "Top house", "path": "home/top-house.md"}]
    assert same_subject_newer([0], common, days[:2], np.array([0.3, 0.28]), 0.1) == [0], "a common word is no subject"
    versions = [{"title": "Python 3.12 upgrade", "path": "til/python-312.md"},
                {"title": "Python 3.13 upgrade", "path": "til/python-313.md"}]
    assert same_subject_newer([0], versions, days[:2], np.array([0.3, 0.28]), 0.1) == [1], "a product's name is one"


def test_min_score_and_best_similarity(index, kb_embeddings) -> None:
    strict = make_config(Path(index.home), min_score=0.99)
    assert Retriever(strict, kb_embeddings, today=TODAY).search("What keyboard do you use?") == []
    retriever = Retriever(index, kb_embeddings, today=TODAY)
    best = retriever.best_similarity("What keyboard do you use?")
    top = retriever.search("What keyboard do you use?", rerank=False)[0]["similarity"]
    assert best == pytest.approx(top, abs=1e-3)
    assert best > retriever.best_similarity("What is the boiling point of tungsten?")


def test_empty_index_returns_nothing(tmp_path: Path, kb_embeddings) -> None:
    retriever = Retriever(make_config(tmp_path / "home"), kb_embeddings)
    assert retriever.search("anything") == [] and retriever.best_similarity("anything") == 0.0


def test_recency_decay_halves_per_half_life(index, kb_embeddings) -> None:
    config = make_config(Path(index.home), recency_weight=1.0, half_life_days=100.0)
    retriever = Retriever(config, kb_embeddings, today=date(2025, 1, 1))
    days = (date(2025, 1, 1) - date(1970, 1, 1)).days
    scores = retriever.recency_scores(np.zeros(3), np.array([days, days - 100, days - 200], dtype=float), 1.0)
    assert scores == pytest.approx([1.0, 0.5, 0.25])


def test_newer_conflicting_note_ranks_first() -> None:
    same_topic = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]])  # 0·1 = 0.8 (conflict), 0·2 = 0
    days = np.array([100.0, 200.0, 300.0])
    assert newer_first([0, 1, 2], same_topic, days, threshold=0.7) == [1, 0, 2]
    assert newer_first([0, 1, 2], same_topic, days, threshold=0.9) == [0, 1, 2]
    assert newer_first([1, 0, 2], same_topic, days, threshold=0.7) == [1, 0, 2], "older never jumps ahead"
    sims = np.array([0.60, 0.58, 0.50])
    assert newer_first([0, 1, 2], same_topic, days, 0.7, sims, margin=0.03) == [1, 0, 2]
    assert newer_first([0, 1, 2], same_topic, days, 0.7, sims, margin=0.01) == [0, 1, 2], "much less relevant"


SILENT = {  # the newer home note never says it replaces the older one
    "home/harbour-street-flat.md": ("2019-03-02", "Harbour Street flat",
                                    "I rent a one-bedroom flat on Harbour Street in Leith. The rent is £700 a month, "
                                    "and I pay it to a letting agent who never answers the phone."),
    "home/orchard-cottage.md": ("2024-05-20", "Orchard Cottage",
                                "We have been at Orchard Cottage in Kinross for a month. The rent is £900 a month, "
                                "and I pay it to the farmer. Two bedrooms, a garden and a wood burner."),
    "bees/swarm.md": ("2025-06-01", "A swarm in June", "I caught a swarm from the lamp post outside the bakery "
                      "and put it in the empty hive at the allotment."),
}


@pytest.fixture(scope="module")
def silent_home(tmp_path_factory: pytest.TempPathFactory, kb_embeddings) -> Path:
    root = tmp_path_factory.mktemp("kb-silent")
    for rel, (day, title, body) in SILENT.items():
        path = root / "notes" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\ntitle: {title}\ndate: {day}\ntags: [home]\n---\n# {title}\n\n{body}\n")
    ingest(make_config(root / "home"), root / "notes", kb_embeddings, progress=False)
    return root / "home"


def test_a_question_about_the_present_state_prefers_the_newer_note(silent_home, kb_embeddings) -> None:
    def first(question: str, weight: float) -> str:
        config = make_config(silent_home, state_recency_weight=weight)
        return Retriever(config, kb_embeddings, today=TODAY).search(question, k=2)[0]["path"]

    question = "How much rent do you pay a month?"
    assert first(question, 0.0) == "home/harbour-street-flat.md", "by relevance alone the older note wins"
    assert first(question, 0.2) == "home/orchard-cottage.md"
    assert first("How much rent did you pay in Leith?", 0.2) == "home/harbour-street-flat.md", "the past"


def test_asked_about_now_a_newer_chunk_on_the_same_subject_ranks_above(silent_home, kb_embeddings) -> None:
    """Without any age decay: the two home notes' chunks are alike (cosine 0.41) and about as
    relevant to "Where do you live?" (0.24 and 0.23), so at a threshold under 0.41 the newer
    home comes first; the past and a threshold above leave relevance alone. Both are under the
    default "no note" floor (0.3), which no chunk is lifted from; the test lowers it to 0.2."""
    def first(question: str, threshold: float, floor: float = 0.2) -> str:
        config = make_config(silent_home, state_recency_weight=0.0, state_conflict_similarity=threshold,
                             answer_min_similarity=floor)
        return Retriever(config, kb_embeddings, today=TODAY).search(question, k=2)[0]["path"]

    assert first("Where do you live?", 1.0) == "home/harbour-street-flat.md"
    assert first("Where do you live?", 0.4) == "home/orchard-cottage.md"
    assert first("Where did you live in Leith?", 0.4) == "home/harbour-street-flat.md", "the past"
    assert first("Where do you live?", 0.5) == "home/harbour-street-flat.md", "not alike enough"
    assert first("Where do you live?", 0.4, floor=0.3) == "home/harbour-street-flat.md", "too far from the question"


def test_the_best_k_notes_do_not_depend_on_k(retriever: Retriever) -> None:
    """The rerank orders the same window of notes (retrieval.rerank_window) whatever k is, so
    the graph's two sources are the first two of a ten-note search."""
    for question in ("Where do you work?", "What is your job title?", "Can your habit tracker sync between devices?",
                     "Where do you live?", "What keyboard do you use?"):
        two = list(dict.fromkeys(s["path"] for s in retriever.search(question, k=2)))
        ten = list(dict.fromkeys(s["path"] for s in retriever.search(question, k=10)))
        assert len(two) == 2 and two == ten[:2], question


def test_an_update_indexed_after_a_search_is_found_by_the_same_retriever(tmp_path, kb_embeddings,
                                                                        monkeypatch) -> None:
    """The rerank remembers each subject's update lookups, until the index changes."""
    config = make_config(tmp_path / "home")
    notes = copy_notes(tmp_path / "notes")
    ingest(config, notes, kb_embeddings, progress=False)
    retriever = Retriever(config, kb_embeddings, today=TODAY)
    lookups: list[list[str]] = []
    looked_up = retriever._updating_rows
    monkeypatch.setattr(retriever, "_updating_rows", lambda terms, newer: lookups.append(terms) or looked_up(terms, newer))
    question = "Which company do you work for?"
    first = retriever.search(question, k=3)
    assert lookups and "work/kelp-works.md" not in [s["path"] for s in first]
    asked = len(lookups)
    assert retriever.search(question, k=3) == first and len(lookups) == asked, "remembered: no lookup again"
    (notes / "work" / "kelp-works.md").write_text(
        "---\ntitle: Kelp Works\ndate: 2025-10-01\n---\n# Kelp Works\n\n"
        "I left Tidewater Labs in September. I now build buoy firmware at Kelp Works in Scheveningen.\n")
    ingest(config, notes, kb_embeddings, progress=False)
    assert retriever.search(question, k=3)[0]["path"] == "work/kelp-works.md"
    again = {tuple(t) for t in lookups[:asked]} & {tuple(t) for t in lookups[asked:]}
    assert again, "the index changed: the same subjects looked up again"


def test_a_chunk_under_the_similarity_floor_takes_no_place(silent_home, kb_embeddings) -> None:
    """The decay lifts the newer rent note (cosine ~0.33) above the older one (~0.49); under a
    floor of 0.4 it is dropped, and the older note fills the one place instead of nothing."""
    config = make_config(silent_home, min_score=0.4)
    found = Retriever(config, kb_embeddings, today=TODAY).search("How much rent do you pay a month?", k=1)
    assert [s["path"] for s in found] == ["home/harbour-street-flat.md"]


def test_which_questions_ask_about_the_present_state() -> None:
    assert asks_about_present_state("What camera do you shoot film on?")
    assert asks_about_present_state("How much rent are you paying now?")
    assert asks_about_present_state("Which resignalling job did you work on most recently?")
    assert not asks_about_present_state("How do you squash commits in git?"), "a how-to"
    # "you've" is "have you": a best so far is the newest note's (tuning person dev9's kites)
    assert asks_about_present_state("What's the biggest kite you've ever built?")
    assert asks_about_present_state("What's the deepest you’ve ever freedived?")
    assert asks_about_present_state("How do you get to work these days?"), "a habit of now, not a how-to"
    assert not asks_about_present_state("How do I find the current git branch?"), "a thing's current, a how-to"
    assert not asks_about_present_state("How can I see what is running at the moment?"), "not put to the person"
    assert not asks_about_present_state("What did you do at Fernwood?"), "the past"
    assert not asks_about_present_state("Should my Vercel config be called now.json?"), "a file name, not 'now'"
    # a measure of a named thing of the person's, in the present (a tuning person's cat)
    assert asks_about_present_state("How much does Tattie weigh?")
    assert asks_about_present_state("How old is Bod?")
    assert not asks_about_present_state("What does Tattie look like?"), "the note that introduces her answers"
    assert not asks_about_present_state("How much did Tattie weigh as a kitten?"), "the past"
    assert not asks_about_present_state("Who is Eirik Bratsberg?"), "who someone is"
    assert not asks_about_present_state("What does HTTP stand for?"), "an acronym"


def test_the_present_state_decay_lifts_only_notes_about_as_relevant(index, kb_embeddings) -> None:
    """"About me" is the newest note and loosely about everything; it must not jump above the
    note on the side project asked about (cosine 0.45 against the best chunk's 0.65)."""
    def first(margin: float) -> str:
        config = make_config(Path(index.home), state_recency_margin=margin)
        found = Retriever(config, kb_embeddings, today=TODAY).search("What is your habit tracker side project called?")
        return found[0]["path"]

    assert first(1.0) == "about-me.md", "every candidate lifted: the newest broad note wins"
    assert first(0.15) == "projects/cairn.md"


def test_the_present_state_decay_lifts_only_notes_on_the_best_matchs_subject(tmp_path) -> None:
    """A newer note about as relevant as the best match but about something else (a tuning
    person's axolotl tank, 2025, for "What do you drink first thing in the morning nowadays?",
    against the 2024 note on mate) gets no age term; a newer note alike to the best match
    (cosine 0.6: the same subject) still does."""
    def unit(*xs: float) -> np.ndarray:
        v = np.asarray(xs, dtype=float)
        return v / np.linalg.norm(v)

    vectors = np.stack([unit(1, 0, 0), unit(0.6, 0.8, 0), unit(0.1, 0, 0.995)])  # best, alike, other subject
    days = [(date(2024, 10, 6) - date(1970, 1, 1)).days, (date(2025, 9, 1) - date(1970, 1, 1)).days,
            (date(2025, 9, 7) - date(1970, 1, 1)).days]
    found = Candidates(ids=["mate", "mate-again", "tank"], docs=["", "", ""],
                       metas=[{"path": p, "date_days": d} for p, d in zip(["a.md", "b.md", "c.md"], days)],
                       vectors=vectors, sims=np.array([0.35, 0.30, 0.30]), base=np.array([1.0, 0.95, 0.95]))

    def aged(alike: float) -> np.ndarray:
        config = make_config(tmp_path / "home", state_recency_alike=alike)
        return Retriever(config, None, today=TODAY)._aged(found, present=True)  # type: ignore[arg-type]

    anything, on_subject = aged(0.0), aged(0.3)
    assert anything[2] > anything[0], "any note within the margin: the newer tank note goes above the mate note"
    assert on_subject[2] < on_subject[0], "the tank note is no newer word on what the person drinks"
    assert on_subject[1] > on_subject[0], "a newer note alike to the best match still counts its age"
    assert anything[1] == on_subject[1]
    assert np.array_equal(Retriever(make_config(tmp_path / "home", state_recency_alike=0.3), None,  # type: ignore[arg-type]
                                    today=TODAY)._aged(found, present=False), found.base), "not asked about now"


WORKSHOPS = {
    "workshop/old-workshop.md": ("2019-04-07", "The room on Calle Durazno",
                                 "My first proper workshop: a back room behind a shoe repairer in Barrio Sur.\n\n"
                                 "## The first commission\n\nA classical guitar for a music student, J. P. Olmos, "
                                 "cedar top and Indian rosewood back and sides."),
    "workshop/new-workshop.md": ("2024-09-15", "More light, fewer shoes",
                                 "We left Calle Durazno in August. The new shop is in an old bakery in Cordón, on "
                                 "Calle Gaboto, with two benches and a spray booth."),
}


def test_a_question_about_what_only_the_older_note_names_keeps_it_first(tmp_path, kb_embeddings) -> None:
    """A new user's "Who is J. P. Olmos?" (her first client, named in the old workshop's note) got the note
    saying she left that workshop first, and its quote: the newer note updates the workshop, not him."""
    for rel, (day, title, body) in WORKSHOPS.items():
        path = tmp_path / "notes" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\ntitle: {title}\ndate: {day}\n---\n# {title}\n\n{body}\n")
    config = make_config(tmp_path / "home")
    ingest(config, tmp_path / "notes", kb_embeddings, progress=False)
    retriever = Retriever(config, kb_embeddings, today=TODAY)
    assert retriever.search("Who is J. P. Olmos?", k=2)[0]["path"] == "workshop/old-workshop.md"
    assert retriever.search("Where is your workshop now?", k=2)[0]["path"] == "workshop/new-workshop.md"
    # asked whether it still holds, the update is the answer (found by review)
    assert retriever.search("Is J. P. Olmos still your client?", k=2)[0]["path"] == "workshop/new-workshop.md"
