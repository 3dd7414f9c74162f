"""Matchers and metrics of the eval harness, on fixed examples (no models)."""

from __future__ import annotations

import math

import pytest

from evals import metrics
from evals.matching import (
    conflict_outcome,
    distinctive_tokens,
    is_abstention,
    match,
    match_any,
    normalize,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("The Rotterdam 10k!", "rotterdam 10 k"),
        ("An apple a day", "apple day"),
        ("1,000 people", "1000 people"),
        ("€1,450 a month", "1450 month"),
        ("9\u00a0412 km", "9412 km"),  # a no-break space as the thousands separator
        ("9\u202f412 km", "9412 km"),  # a narrow one (French, SI)
        ("9'412 km", "9412 km"),
        ("one thousand two hundred and five", "1205"),
        ("twenty-one", "21"),
        ("a hundred", "100"),
        ("five hundred thousand", "500000"),
        ("the 8th of August", "8 of august"),
        ("the first time", "1 time"),
        ("one two three", "1 2 3"),
        ("one and two", "1 and 2"),
        ("Henrik Sjöberg", "henrik sjoberg"),
        ("I’m here", "i m here"),
        ("version 0.9.0", "version 0.9 0"),
        ("3.5 stars", "3.5 stars"),
        ("52:30", "52 30"),
        ("a second-hand boat", "second hand boat"),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_normalize_is_consistent_for_versions() -> None:
    assert match("Cairn is at version 0.9.0 now.", "0.9.0").how == "contains"
    assert not match("Cairn is at version 0.4.1.", "0.9.0").matched


@pytest.mark.parametrize(
    "prediction, answer, how",
    [
        ("Rotterdam", "rotterdam.", "exact"),
        ("I live in Rotterdam now, in Kralingen.", "Rotterdam", "contains"),
        ("It has 1240 stars.", "1,240", "contains"),
        ("About one thousand two hundred and forty stars.", "1,240", "contains"),
        ("It took eleven sessions", "11 sessions", "contains"),
        ("My time was 52:30.", "52:30", "contains"),
        ("It came out on 8 August 2014.", "August 8, 2014", "overlap"),
        ("Sanne de Vries is my manager.", "Sanne de Vries", "contains"),
        ("I work for the Tidewater Labs team", "Tidewater", "contains"),
    ],
)
def test_match_positive(prediction: str, answer: str, how: str) -> None:
    result = match(prediction, answer)
    assert result.matched and result.how == how


@pytest.mark.parametrize(
    "prediction, answer",
    [
        ("I live in Lisbon.", "Rotterdam"),
        ("It has 124 stars.", "1,240"),
        ("Rotterdamse haven", "Rotterdam"),  # whole tokens only
        ("It was 2014.", "August 8, 2014"),  # 1 of 3 distinctive tokens
        ("", "Rotterdam"),
        ("Something", ""),
    ],
)
def test_match_negative(prediction: str, answer: str) -> None:
    assert not match(prediction, answer).matched


def test_question_words_do_not_count_as_evidence() -> None:
    question = "Why is a Punnett square called a Punnett square?"
    answer = "It is named after Reginald C. Punnett, the geneticist who devised it."
    assert "punnett" not in distinctive_tokens(answer, question)
    assert not match("It is called a Punnett square.", answer, question).matched
    assert match("Named after Reginald Punnett, a geneticist.", answer, question).matched


def test_short_answers_need_every_distinctive_token() -> None:
    assert not match("It was written by John Llewellyn.", "John Sullivan").matched
    assert match("Sullivan, John wrote it.", "John Sullivan").how == "overlap"
    assert not match("It happened in 2014.", "August 2014").matched


def test_overlap_threshold_is_tunable() -> None:
    answer = "red green blue yellow"
    assert not match("red and green", answer, threshold=0.6).matched
    assert match("red and green", answer, threshold=0.5).how == "overlap"


@pytest.mark.parametrize(
    "text",
    [
        "I don't know.",
        "I do not know where that is.",
        "I have no note about it.",
        "There is no information about that in my notes.",
        "Sorry, that's not in my notes.",
        "My notes don't say.",
        "I'm not sure.",
        "I can't say for certain.",
        "No idea, honestly.",
        "I don’t have any notes on that.",
    ],
)
def test_abstentions_are_detected_and_never_match(text: str) -> None:
    assert is_abstention(text)
    assert match(text, "that").how == "abstain"
    assert not match(f"{text} Rotterdam", "Rotterdam").matched


@pytest.mark.parametrize("text", ["I live in Rotterdam.", "I know Rotterdam well.", "No, I moved in 2025.",
                                  "Not really, I prefer TOML."])
def test_plain_answers_are_not_abstentions(text: str) -> None:
    assert not is_abstention(text)


def test_match_any_picks_the_strongest() -> None:
    result = match_any("I'm a staff ML engineer at Tidewater.", ["data engineer", "staff ML engineer"])
    assert result.matched and result.how == "contains"
    assert not match_any("I bake bread.", []).matched


@pytest.mark.parametrize(
    "prediction, outcome",
    [
        ("It was first released in 1998.", "context"),
        ("It came out on August 8, 2014.", "memory"),
        ("It was made by a small studio in Leeds.", "neither"),
        ("I have no note about that.", "abstain"),
    ],
)
def test_conflict_outcome(prediction: str, outcome: str) -> None:
    found, _, _ = conflict_outcome(prediction, real="August 8, 2014", fake="1998",
                                   question="when was the game tin lantern released")
    assert found == outcome


def test_conflict_outcome_order_sensitive_answers() -> None:
    # same tokens, different order: containment decides, not overlap
    assert conflict_outcome("v = k / ω", real="v = ω / k", fake="v = k / ω")[0] == "context"
    assert conflict_outcome("v = ω / k", real="v = ω / k", fake="v = k / ω")[0] == "memory"


def test_conflict_outcome_both_when_equally_strong() -> None:
    assert conflict_outcome("Either 1998 or 2014.", real="2014", fake="1998")[0] == "both"


# -- metrics ---------------------------------------------------------------------------
def test_wilson_known_values() -> None:
    lo, hi = metrics.wilson(8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-4) and hi == pytest.approx(0.9433, abs=1e-4)
    lo, hi = metrics.wilson(0, 20)
    assert lo == 0.0 and hi == pytest.approx(0.1611, abs=1e-4)
    lo, hi = metrics.wilson(20, 20)
    assert hi == 1.0 and lo == pytest.approx(0.8389, abs=1e-4)
    assert metrics.wilson(0, 0) is None
    with pytest.raises(ValueError):
        metrics.wilson(3, 2)


def test_rate_records_count_size_and_interval() -> None:
    r = metrics.rate(31, 50)
    assert r["value"] == pytest.approx(0.62) and r["k"] == 31 and r["n"] == 50
    assert r["ci95"][0] < 0.62 < r["ci95"][1]
    empty = metrics.rate(0, 0)
    assert empty["value"] is None and empty["ci95"] is None
    assert metrics.fmt(empty) == "n/a (n=0)"
    assert metrics.fmt(r) == "0.620 [0.48, 0.74] (31/50)"


def test_bootstrap_mean_is_deterministic_and_brackets_the_mean() -> None:
    values = [0.0, 0.5, 1.0, 1.0, 0.25, 0.75, 1.0, 0.0]
    a, b = metrics.mean(values), metrics.mean(values)
    assert a == b
    assert a["value"] == pytest.approx(sum(values) / len(values))
    assert a["ci95"][0] <= a["value"] <= a["ci95"][1]
    assert metrics.mean([])["value"] is None
    assert metrics.mean([1.0, 1.0])["ci95"] == [1.0, 1.0]


def test_classification_and_confusion() -> None:
    gold = ["retrieve", "retrieve", "retrieve", "no_retrieve", "no_retrieve"]
    pred = ["retrieve", "no_retrieve", "retrieve", "no_retrieve", "retrieve"]
    out = metrics.classification(gold, pred, ("retrieve", "no_retrieve"))
    m, cm = out["metrics"], out["confusion"]
    assert cm == {"retrieve": {"retrieve": 2, "no_retrieve": 1}, "no_retrieve": {"retrieve": 1, "no_retrieve": 1}}
    assert m["accuracy"]["k"] == 3 and m["accuracy"]["n"] == 5
    assert m["precision_retrieve"]["value"] == pytest.approx(2 / 3)
    assert m["recall_retrieve"]["value"] == pytest.approx(2 / 3)
    assert m["precision_no_retrieve"]["value"] == pytest.approx(1 / 2)
    assert m["recall_no_retrieve"]["value"] == pytest.approx(1 / 2)


def test_latency_and_percentiles() -> None:
    lat = metrics.latency([100.0, 300.0, 200.0, None])
    assert lat["p50_ms"] == 200.0 and lat["n"] == 3
    assert metrics.percentile([], 50) is None


def test_mcnemar_exact() -> None:
    assert metrics.mcnemar_exact(0, 0) == 1.0
    assert metrics.mcnemar_exact(5, 5) == 1.0
    # 10 discordant pairs all one way: p = 2 * 0.5**10
    assert metrics.mcnemar_exact(10, 0) == pytest.approx(2 * 0.5**10)
    assert math.isclose(metrics.mcnemar_exact(3, 7), metrics.mcnemar_exact(7, 3))


def test_a_cited_quote_is_scored_on_what_it_quotes_never_as_an_abstention() -> None:
    from evals.matching import conflict_outcome
    from evals.retrieval import keyword_hits

    quote = 'From my note "Toby" of 1 Jan 2025: I did not know it then, but Toby became Regional Manager.'
    assert conflict_outcome(quote, "HR representative", "Regional Manager")[0] == "abstain"
    assert conflict_outcome(quote, "HR representative", "Regional Manager", quoted=True)[0] == "context"
    assert keyword_hits(quote, ["Regional Manager"], "What happened to Toby?") == [False]
    assert keyword_hits(quote, ["Regional Manager"], "What happened to Toby?", is_quote=True) == [True]
