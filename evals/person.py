"""An invented person, end to end: are the answers the notes' facts, in voice, never invented?

A person folder (``evals/data/people/<name>/``) holds ``notes/``, ``questions.jsonl`` and
``person.toml`` (``person = "Full Name"``). The notes are ingested into a temporary home and
every question runs through the whole graph as ``twin ask`` would. Outcomes per kind:

- ``update`` (a fact changed): ``fresh`` (the newer fact), ``stale`` (the older one and not
  the newer), ``abstain``, ``neither``;
- ``everyday`` / ``named`` (the answer is in one note): ``answered``, ``abstain``, ``wrong``;
- ``unanswerable`` (no note answers): ``declined`` (an abstention), ``answered``;
- ``general`` (greetings, general knowledge): ``ok``, ``refused`` (told "no note").

Every shown answer is also checked for **unsupported** content words: numbers, names and
rare words that appear in none of the person's public notes, in the question or in the
person's name (:func:`nodes.guards.grounding.unsupported_words` against all the notes, not
just the retrieved ones, so it is a different check from the judge's). Over-refusal is the
share of answerable questions (update, everyday, named) met with an abstention or a refusal;
``over_refusal_outside_off_limits`` leaves out the questions refused because they ask about one
of the user's off-limits topics (``judge.off_limits_topics``: health, salary and family by
default), which is the setting doing its job, not the twin failing to answer.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals import metrics
from evals.datasets import DataError, PersonCase
from evals.graph_cases import ask
from evals.matching import declines, match_any
from evals.suite import Scored, counts, latency_of, quoted
from evals.updates import update_outcome

ANSWERABLE = ("update", "everyday", "named")


def person_name(folder: Path) -> str:
    path = folder / "person.toml"
    try:
        name = tomllib.loads(path.read_text(encoding="utf-8")).get("person", "")
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DataError(f"{path}: cannot read the person's name ({exc})") from exc
    if not isinstance(name, str) or not name.strip():
        raise DataError(f"{path}: needs person = \"Full Name\"")
    return name.strip()


def public_vocabulary(notes_dir: Path) -> frozenset[str]:
    """Every word of the person's public notes (what an answer may name)."""
    from kb.notes import read_notes
    from nodes.guards.grounding import support
    from twin.config import KBConfig

    notes, _ = read_notes(notes_dir, KBConfig())
    public = [n for n in notes if not n.private]
    return support([f"{n.title}\n{n.body}" for n in public], [n.date for n in public])


def outcome(case: PersonCase, answer: str, is_quote: bool = False, refusal: bool = False) -> str:
    """The case's outcome for ``answer`` (``is_quote``: a cited quote of the notes, never an abstention;
    ``refusal``: the judge refused or blocked it, which declines whatever its words: "my health is
    something I keep to myself" invents nothing, and was scored as an answer to an unanswerable question)."""
    kind = case["kind"]
    if kind == "update":
        if refusal:
            return "abstain"
        return update_outcome(answer, {"text": case["text"], "expect_any": case["expect_any"],
                                       "stale": case["stale"], "id": case["id"], "history": []}, is_quote)
    declined = refusal or declines(answer, is_quote)
    if kind == "unanswerable":
        return "declined" if declined else "answered"
    if kind == "general":
        return "refused" if declined else "ok"
    if declined:
        return "abstain"
    return "answered" if match_any(answer, case["expect_any"], case["text"], quoted=is_quote).matched else "wrong"


CORRECT = {"fresh", "answered", "declined", "ok"}


def is_correct(kind: str, found: str) -> bool:
    """Whether outcome ``found`` is the right one for a case of ``kind``: an unanswerable question
    answered is wrong (the same word is right for an everyday or named question)."""
    return found in CORRECT and not (kind == "unanswerable" and found == "answered")


def refusal_reason(record: dict[str, Any]) -> str:
    """Why an answer was refused: ``off-limits topic`` (a topic of ``judge.off_limits_topics``,
    the user's setting: refusing is by design), ``no note`` (nothing in the notes was close
    enough) or ``other`` (the model declined, or another check blocked it)."""
    if any(str(reason).startswith("off_limits") for reason in record.get("judge_reasons") or []):
        return "off-limits topic"
    return "no note" if record.get("answered_by") == "no-note" else "other"


def refused(record: dict[str, Any]) -> bool:
    """Declined or refused ("I have no note", an off-limits refusal, a blocked answer); a cited
    quote of the notes is neither, whatever it says."""
    return declines(record["answer"], quoted(record)) or record.get("judge") == "blocked" or \
        record.get("answered_by") in ("no-note", "refusal")


@dataclass
class PersonSuite:
    notes_dir: Path
    person: str
    name: str = "person"
    headline: str = "fresh_rate"
    ablate_metrics: tuple[str, ...] = ("fresh_rate", "stale_rate", "everyday_rate", "unsupported_rate")
    no_effect: tuple[str, ...] = ()
    vocabulary: frozenset[str] = field(default_factory=frozenset)

    def attach(self, env: Any) -> None:
        self.vocabulary = public_vocabulary(self.notes_dir)

    def run_case(self, env: Any, case: PersonCase, toggles: dict[str, bool]) -> dict[str, Any]:
        result = ask(env, case["text"], toggles)
        return self.rescore({"id": case["id"], "kind": case["kind"], "question": case["text"],
                             "expect_any": case["expect_any"], "stale": case["stale"], "note": case["note"],
                             **result})

    def _invented(self, answer: str, question: str, vocab: frozenset[str]) -> list[str]:
        """The answer's words no public note and no word of the question supports, and a word of
        the question that the answer claims of the person while no note names it ("I've been to
        Japan a few times" to "Have you ever been to Japan?": the judge's rule, nodes/guards/grounding.py)."""
        from nodes.guards.grounding import asked_not_noted, unsupported_words

        if not self.vocabulary:
            return []
        found = unsupported_words(answer, vocab)
        return found + [w for w in asked_not_noted(answer, self.vocabulary, question) if w not in found]

    def rescore(self, record: dict[str, Any]) -> dict[str, Any]:
        from nodes.guards.grounding import support

        case = PersonCase(id=record["id"], kind=record["kind"], text=record["question"],
                          expect_any=record["expect_any"], stale=record["stale"], note=record["note"])
        found = outcome(case, record["answer"], quoted(record), refused(record))
        # the question's and the name's words as the judge reads them ("Japan?" supports "Japan")
        vocab = self.vocabulary | support([record["question"], self.person])
        invented = self._invented(record["answer"], record["question"], vocab)
        top = record["sources"][0]["path"] if record.get("sources") else ""
        return {**record, "outcome": found, "correct": is_correct(case["kind"], found), "unsupported": invented,
                "note_first": bool(case["note"]) and top == case["note"]}

    def score(self, records: list[dict[str, Any]]) -> Scored:
        by_kind = {k: [r for r in records if r["kind"] == k] for k in ("update", "everyday", "named",
                                                                         "unanswerable", "general")}
        answerable = [r for r in records if r["kind"] in ANSWERABLE]
        # the answerable questions the user's off-limits topics (judge.off_limits_topics) do not refuse by design
        open_ones = [r for r in answerable if not (refused(r) and refusal_reason(r) == "off-limits topic")]
        shown = [r for r in records if r["kind"] != "general"]

        def rate(rows: list[dict[str, Any]], outcome_name: str) -> dict[str, Any]:
            return metrics.rate(sum(r["outcome"] == outcome_name for r in rows), len(rows))

        found = {
            "fresh_rate": rate(by_kind["update"], "fresh"),
            "stale_rate": rate(by_kind["update"], "stale"),
            "everyday_rate": rate(by_kind["everyday"], "answered"),
            "named_rate": rate(by_kind["named"], "answered"),
            "declined_rate": rate(by_kind["unanswerable"], "declined"),
            "general_ok_rate": rate(by_kind["general"], "ok"),
            "over_refusal": metrics.rate(sum(refused(r) for r in answerable), len(answerable)),
            "over_refusal_outside_off_limits": metrics.rate(sum(refused(r) for r in open_ones), len(open_ones)),
            "unsupported_rate": metrics.rate(sum(bool(r["unsupported"]) for r in shown), len(shown)),
            "newer_note_first": metrics.rate(sum(r["note_first"] for r in by_kind["update"]), len(by_kind["update"])),
            "latency": latency_of(records),
        }
        extras = {"outcomes": {k: counts(v, "outcome") for k, v in by_kind.items() if v},
                  "answered_by": counts(records, "answered_by"), "routes": counts(records, "route"),
                  "rerouted": sum(bool(r.get("rerouted")) for r in records),
                  "over_refusal_by": dict(Counter(refusal_reason(r) for r in answerable if refused(r))),
                  "judge": counts(records, "judge"), "person": self.person}
        return Scored(found, extras)
