"""judge: the last node. Every answer passes the guardrails before anyone sees it.

Verdicts: ``pass`` (the draft as is), ``redacted`` (PII masked), ``blocked`` (an in-voice
refusal from ``prompts/refusal.md`` instead), ``skipped`` (judge node switched off). A plain
question answered by copying a retrieved note whole (``dump``) is answered again and then
quoted, like an unsupported answer, not refused.

Grounding: an answer to a question that went to the notes may only name what the retrieved
notes name (:mod:`nodes.guards.grounding`); a model answer must also say something the notes
say (one of its own words in them, not just the question's) and agree with the best note's
sentence closest to the question (the quoted note's, or the best-scored note's when the quote comes
from one that holds the amount asked: :func:`agreeing_notes`; name one of its names or numbers; asked for an amount, a
number or a date that sentence holds, say one: :func:`nodes.answer_kind.left_unsaid`; asked why,
with the note's "Why…" section shown, say a word of its reason), and not join
two shown notes in one sentence (:mod:`nodes.guards.joins`). An answer that fails
is sent back to the generator once (verdict ``regenerate``); a second failure is replaced by
a cited quote of the best note (:mod:`nodes.extractive`), or "I have no note about that". A model
answer to a notes question blocked for what it said, on a question with no input flag (a private-only
term, a line of the prompt; not an off-limits topic), is replaced by that quote too, judged like any
answer, not refused (:meth:`JudgeNode.quotes_blocked_draft`). The
trace's ``answered_by`` says which path answered: model, model-retry, extractive, no-note,
refusal, small-talk (a fixed reply, nodes/small_talk.py). An answer to a question the analyzer sent past the notes that states a fact about the
person (verdict ``reroute``) is withheld and the question goes to the notes after all, once.
The checks are guardrails-ai validators composed in one Guard (see
:mod:`nodes.guards.runtime`); each is switched by ``config.judge``.

:func:`judge_text` judges a partial answer too: the runner streams sentence by sentence
behind it and releases only text that passes, so a blocked answer is never shown.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from typing import Any

from nodes import answer_kind
from nodes.context import TwinContext
from nodes.evidence import group_by_note
from nodes.extractive import (
    PEER_SCORE_MARGIN,
    QUOTE_WORDS,
    extractive_answers,
    quote_words,
    quoted_note,
    quoted_sentences,
    quoted_text,
)
from nodes.generate import goes_to_notes
from nodes.guards.copies import copied_from_elsewhere, word_for_word
from nodes.guards.grounding import agrees_with, content_words, says_nothing_from
from nodes.guards.joins import joined_across
from nodes.guards.refusals import refusal
from nodes.guards.runtime import Judge, Verdict, judge_for
from nodes.records import recorded
from nodes.routing import NO_RETRIEVE, RETRIEVE
from nodes.toggles import is_on
from twin.state import EvidenceNote, TwinState, reason_kind, searched

__all__ = ["Judge", "Verdict", "after_judge", "judge_text", "make_judge", "refuses_early", "skipped_notes",
           "wants_notes", "wants_regeneration"]

REGENERATE = "regenerate"  # the judge's verdict that sends an unsupported answer back once
REROUTE = "reroute"  # ...that sends a question the analyzer sent past the notes to them after all
REQUOTE = ("ungrounded", "dump")  # verdicts answered again, then by a quote
KIND_WORDS = {answer_kind.MONEY: "amount", answer_kind.NUMBER: "number", answer_kind.WHEN: "date or time"}


def judge_text(ctx: TwinContext, question: str, text: str, sources: Sequence[dict[str, Any]] | None = None,
               input_flags: list[str] | None = None, grounded: bool = False, skipped_notes: bool = False,
               note_similarity: float = 0.0) -> Verdict:
    """Judge ``text`` (a whole or partial answer). ``result["verdict"]`` is pass|redacted|blocked|
    ungrounded; ``.answer`` is what may be shown. Input flags are computed (and cached) when not
    given. ``grounded``: the question went to the notes, so the answer is held to ``sources``;
    ``skipped_notes``: the analyzer sent it past the notes, so it may state no fact about the person;
    ``note_similarity``: how close the best note was to the question the analyzer sent past them."""
    return judge_for(ctx).check(question, text, sources, input_flags, grounded, skipped_notes, note_similarity)


def skipped_notes(state: TwinState) -> bool:
    """The analyzer sent the question past the notes (it judged it general): its answer is not
    held to notes, but may not state facts about the person either."""
    return state.get("route") == NO_RETRIEVE


def refuses_early(ctx: TwinContext, input_flags: list[str]) -> bool:
    """True when the judge will refuse whatever is generated (a blocking input flag under the
    config): the graph may skip generation and go straight to the judge."""
    from nodes.guards.injection import blocking
    from nodes.guards.off_limits import topic_flags

    cfg = ctx.config.judge
    return bool(cfg.off_limits and topic_flags(input_flags)) or bool(
        cfg.injection and cfg.on_injection == "refuse" and blocking(input_flags))


def _skipped(state: TwinState) -> dict:
    result = {"verdict": "skipped", "reasons": ["judge off"]}
    return {"answer": state.get("draft", ""), "judge": result, "decisions": {"judge": result}}


def off_the_notes(state: TwinState, draft: str, quote_copies: bool = False) -> str:
    """Why a grounded model answer to a notes question still is not an answer ("" when it is):
    it says nothing the notes say, or names nothing of the best note's closest sentence; with
    ``quote_copies``, it is the notes word for word (:func:`copies_instead_of_quote`)."""
    if not goes_to_notes(state):
        return ""
    question = state.get("question", "")
    if not draft.strip() or says_nothing_from(draft, [str(s.get("text", "")) for s in state.get("sources", [])],
                                              question):
        return "says nothing the notes say"
    evidence = state.get("evidence", [])
    best = quoted_note(evidence, searched(state))
    shown = shown_texts(state)
    if best is not None and not any(agrees_with_note(draft, note, shown, question)
                                    for note in agreeing_notes(evidence, best, searched(state))):
        return f"names nothing of the best note ({best['path']}, {best['date']})"
    passage = " ".join(quoted_sentences(best)) if best is not None else ""
    if best is not None and (cut := cut_number(draft, passage)):
        return f"cuts {cut[0]} to {cut[1]} (the best note, {best['path']})"
    if best is not None and (kind := answer_kind.left_unsaid(question, draft, passage)):
        return f"says no {KIND_WORDS[kind]}, which was asked for (the best note, {best['path']}, says one)"
    if best is not None and best.get("reason") and answer_kind.reason_unsaid(question, draft, passage):
        return f"gives none of the reasons the best note gives ({best['path']}, its \"Why\" section)"
    names = [w.lower() for w in content_words(question)]
    elsewhere = copied_from_elsewhere(draft, shown, names)
    if elsewhere:
        return f"copies {elsewhere}, which names none of the question's names: {', '.join(names)}"
    if joined := joined_across(draft, shown, question):
        (one, first), (other, second) = joined
        return f"joins {one} ({first}) and {other} ({second}) in one sentence"
    if quote_copies and best is not None and copies_instead_of_quote(draft, shown, best, passage, question):
        return "copies its notes word for word: the quote says it with its source"
    return ""


def copies_instead_of_quote(draft: str, shown: dict[str, str], best: EvidenceNote, passage: str, question: str) -> bool:
    """The draft is the shown notes word for word (nodes/guards/copies.word_for_word), and not the
    line that holds the amount, number or date asked for when the quote's sentences (``passage``)
    hold none ("…54 hours in all…" copied for "How long was the possession?" stays the model's)."""
    if not word_for_word(draft, list(shown.values())):
        return False
    gives_what_quote_lacks = bool(answer_kind.holding(question, draft, best["sentences"])) and not answer_kind.holds(
        answer_kind.wanted(question), passage, question)
    return not gives_what_quote_lacks


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def cut_number(draft: str, passage: str) -> tuple[str, str] | None:
    """A number of ``passage`` the draft says only the start of ("1,240 stars on GitHub." →
    "Cairn has 1 stars on GitHub."): the small model stops copying at a thousands separator or a
    decimal point. ``(whole, cut)``, or None when every such number is said whole (or the cut
    part is a number of the passage too)."""
    numbers = list(dict.fromkeys(_NUMBER.findall(passage)))
    drafted = set(_NUMBER.findall(draft))
    said = drafted - set(numbers)  # "2 cats and 2,000 books": a 2 of its own is no cut
    for whole in numbers:
        if whole in drafted:
            continue
        cut = next((n for n in said if whole.startswith(n) and whole[len(n):len(n) + 1] in (",", ".")), None)
        if cut is not None:
            return whole, cut
    return None


def agrees_with_note(draft: str, note: EvidenceNote, shown: dict[str, str], question: str = "") -> bool:
    """The draft names something of ``note``'s quoted sentences that the other ``shown`` notes do not;
    or, saying the amount, number or date ``question`` asks for, something of a sentence of the note
    that holds one ("How long was the possession…?" → "…54 hours in all…", from the note's third
    closest sentence: :func:`nodes.answer_kind.holding`). The question's own names count only
    when the draft names something else of the note's shown sentences ("My manager at Tidewater
    Labs is Sanne de Vries." beside the quote's "Tidewater Labs is a 45-person company…"); an
    answer whose only tie to the note is the question's words does not agree."""
    others = [text for path, text in shown.items() if path != note["path"]]
    passage = " ".join(quoted_sentences(note))
    echo = question if not agrees_with(draft, " ".join(note["sentences"]), others, question) else ""
    if agrees_with(draft, passage, others, echo) and (content_words(passage)
                                                      or answer_kind.says_beyond(question, draft, passage)):
        return True  # a passage that names nothing: a word of it beyond the question's (lower-case notes, reasons)
    held = answer_kind.holding(question, draft, note["sentences"])  # apart: its names must not crowd out the quote's
    return bool(held) and agrees_with(draft, " ".join(held), others, echo)


def agreeing_notes(evidence: Sequence[EvidenceNote], best: EvidenceNote, question: str) -> list[EvidenceNote]:
    """The notes a model answer may agree with: the quote's (``best``), its equal peers, and the
    best-scored note when the quote's is another one that holds the amount or number asked for
    (nodes/extractive._holding_kind): an answer from the best-scored note is no worse for it."""
    top = quoted_note(list(evidence), question, by_kind=False)
    return [best, *equal_peers(evidence, best), *([top] if top is not None and top is not best else [])]


def equal_peers(notes: Sequence[EvidenceNote], best: EvidenceNote) -> list[EvidenceNote]:
    """The shown notes as good as ``best``: dated the same day and scored within
    ``PEER_SCORE_MARGIN``. An answer that agrees with one of them is as grounded as one that
    agrees with the best (ConflictNQ: several passages of one date support the same answer, and
    the model's answer from the second was replaced by a quote of the first that names no
    answer). An older note, or one ranked clearly lower, is not: copying it is what the check
    is for."""
    return [n for n in notes if n is not best and n["sentences"] and n["date"] == best["date"]
            and n["score"] >= best["score"] - PEER_SCORE_MARGIN]


def shown_texts(state: TwinState) -> dict[str, str]:
    """``{path: title and text}`` of the notes the generator was shown (all their retrieved chunks)."""
    sources = state.get("sources", [])
    shown = {n["path"] for n in state.get("evidence", [])}
    return {n["path"]: "\n".join([n["title"], *n["sentences"]]) for n in group_by_note(sources, len(sources))
            if n["path"] in shown}


def holds_asked(question: str, quote: str) -> bool:
    """A (redacted) quote whose words, its citation aside, still hold the amount, number or date
    the question asks for: "…: Rs. 72,000 a month, and six months in advance, which is how it's
    done here …" for "How much rent did you pay up front?" once "why my savings are gone" is left
    out (a tuning person's case). It goes before a later quote that passes whole but holds none. A
    name is not checked (:data:`answer_kind.CHECKED`): any capitalised word would count, and a
    redacted "I grew up in Gore …" went before the whole "These days I live in Rotterdam …"."""
    kind = answer_kind.wanted(question)
    return kind in answer_kind.CHECKED and answer_kind.holds(kind, quoted_text(quote), question)


def blocked_why(reasons: Sequence[str]) -> str:
    """Why a blocked model answer was quoted instead: the checks first ("the model's answer was
    blocked by private_leak, grounding", what the trace's short form keeps), then each reason
    without the words it lists of the withheld draft."""
    checks = ", ".join(dict.fromkeys(r.split(":")[0] for r in reasons))
    return f"the model's answer was blocked by {checks}: {'; '.join(reason_kind(r) for r in reasons)}"


def may_regenerate(ctx: TwinContext, state: TwinState) -> bool:
    """The first model answer gets one more try (the second goes to the extractive answer)."""
    return ctx.config.judge.regenerate and state.get("answered_by") == "model" and not state.get("attempt", 0)


class JudgeNode:
    """Judge the draft; an unsupported one is regenerated once, then replaced by a quote."""

    def __init__(self, ctx: TwinContext) -> None:
        self.ctx = ctx

    def check(self, state: TwinState, text: str) -> Verdict:
        flags = state.get("input_flags")
        return judge_text(self.ctx, state.get("question", ""), text, state.get("sources", []),
                          flags if flags is not None else None, grounded=goes_to_notes(state),
                          skipped_notes=skipped_notes(state), note_similarity=state.get("note_similarity", 0.0))

    def __call__(self, state: TwinState) -> dict:
        if not is_on(state, "judge"):
            return _skipped(state)
        draft = state.get("draft", "")
        verdict = self.check(state, draft)
        if verdict.verdict == "ungrounded" and skipped_notes(state):
            return self._reroute(verdict)
        answered_by = state.get("answered_by", "")
        why = ""
        shown = verdict.verdict in ("pass", "redacted") and answered_by.startswith("model")
        off = off_the_notes(state, verdict.answer, self.ctx.config.judge.quote_copies) if shown else ""  # after a redaction: what is left
        if self.quotes_blocked_draft(state, verdict):
            why = blocked_why(verdict.reasons)
            verdict, answered_by = self._extractive(state)
        elif verdict.verdict in REQUOTE or off:
            why = off or (f"unsupported by the notes: {', '.join(verdict.unsupported)}" if verdict.unsupported
                          else "copied a retrieved note whole")
            if may_regenerate(self.ctx, state):
                return self._again(verdict, why)
            verdict, answered_by = self._extractive(state)
        if verdict.verdict == "blocked":
            answered_by = "refusal"
        first = (state.get("decisions") or {}).get("judge", {}).get("why", "") if state.get("attempt") else ""
        decision = {"verdict": verdict.verdict, "reasons": verdict.reasons, "input_flags": verdict.flags,
                    "checks": verdict.checks, "answered_by": answered_by, **({"why": why} if why else {}),
                    **({"retried_for": first} if first else {}),
                    **({"rerouted": state["rerouted"]} if state.get("rerouted") else {})}
        return {"answer": verdict.answer, "answered_by": answered_by,
                "judge": {"verdict": verdict.verdict, "reasons": verdict.reasons},
                "decisions": {"judge": decision}}

    def quotes_blocked_draft(self, state: TwinState, verdict: Verdict) -> bool:
        """A model answer to a notes question was blocked for what it said (a private-only term,
        a line of the prompt), not for what was asked: the question gets the cited quote of its
        best note, judged like any answer, rather than a refusal it did not earn (a refusal also
        tells the asker that something private is there). A question with any input flag (an
        off-limits topic, an injection, a request to encode or to play a role) is still refused,
        and so is an answer that was all about an off-limits topic ("Who's Maame Dokua?" answered
        "my grandmother…"): the question is about it after all."""
        return (verdict.verdict == "blocked" and state.get("answered_by", "").startswith("model")
                and goes_to_notes(state) and bool(state.get("evidence")) and not verdict.flags
                and not any(r.startswith("off_limits") for r in verdict.reasons))

    def _again(self, verdict: Verdict, why: str) -> dict:
        decision = {"verdict": REGENERATE, "reasons": verdict.reasons, "why": why}
        return {"attempt": 1, "judge": {"verdict": REGENERATE, "reasons": verdict.reasons},
                "decisions": {"judge": decision}}

    def _reroute(self, verdict: Verdict) -> dict:
        """The answer to a question the analyzer judged general speaks of the person ("I'm
        5'10\"", "my dog Luna"): withhold it and send the question to the notes after all."""
        why = f"the answer said of me what no note was read for: {', '.join(verdict.unsupported)}"
        decision = {"verdict": REROUTE, "reasons": verdict.reasons, "why": why}
        return {"route": RETRIEVE, "rerouted": why, "judge": {"verdict": REROUTE, "reasons": verdict.reasons},
                "decisions": {"judge": decision}}

    def _extractive(self, state: TwinState) -> tuple[Verdict, str]:
        """The cited quote from the best note, judged like any answer (PII, leaks, off-limits):
        the first quote that passes as it is, from the note's closest sentences down, or that
        still holds the amount, number or date asked once what said too much is left out
        (:func:`holds_asked`); failing that, the first that can be shown redacted; when every one
        is refused, the first refusal."""
        redacted: Verdict | None = None
        refused: Verdict | None = None
        for quote in extractive_answers(state.get("evidence", []), searched(state)):
            verdict = self.check(state, quote)
            if verdict.verdict == "pass":
                return verdict, "extractive"
            if verdict.verdict == "dump" and quote_words(quote) <= QUOTE_WORDS:  # a short note quoted nearly whole
                verdict = dataclasses.replace(verdict, verdict="redacted" if verdict.answer != quote else "pass")
                if verdict.verdict == "pass":
                    return verdict, "extractive"
            if verdict.verdict == "redacted" and holds_asked(state.get("question", ""), verdict.answer):
                return verdict, "extractive"
            if verdict.verdict == "blocked":
                refused = refused or verdict
            elif verdict.verdict not in REQUOTE:
                redacted = redacted or verdict
        if (shown := redacted or refused) is not None:
            return shown, "extractive"
        return self.check(state, refusal("no_note", state.get("question", ""), self.ctx.config.person)), "no-note"


def make_judge(ctx: TwinContext) -> Callable[[TwinState], dict]:
    return recorded("judge")(JudgeNode(ctx))


def wants_regeneration(state: TwinState) -> bool:
    """The judge sent the turn back to the generator."""
    return state.get("judge", {}).get("verdict") == REGENERATE


def wants_notes(state: TwinState) -> bool:
    """The judge sent the turn to the notes (an answer spoke of the person without them)."""
    return state.get("judge", {}).get("verdict") == REROUTE


def after_judge(state: TwinState) -> str:
    """Where a judged turn goes: back to the generator, to the notes, or to the end."""
    if wants_regeneration(state):
        return "generate"
    return "retrieve" if wants_notes(state) else "end"
