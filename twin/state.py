"""Typed state that flows through the Twin graph."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, NotRequired, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.channels.delta import DeltaChannel
from langgraph.graph.message import Messages, add_messages
from langgraph.types import Overwrite


class Source(TypedDict):
    """One retrieved chunk, enough to cite it."""

    path: str  # relative to the notes folder
    title: str
    date: str  # ISO date of the note (updated > date > git > mtime)
    heading: str  # heading path inside the note, "A > B"
    score: float  # final (reranked) score
    similarity: float  # raw cosine similarity
    text: str  # the chunk text handed to the generator
    source: str  # label of the notes folder it came from (`twin kb list`); "" in old indexes
    why: NotRequired[str]  # set when a rule, not likeness, put it here ("the newest note on where you live")
    position: NotRequired[int]  # where the chunk sits among the evidence's chunks (rest_of_note chunks only)
    rest_of_note: NotRequired[bool]  # not retrieved: another chunk of the best note (kb/retrieve.rest_of_note)


class JudgeResult(TypedDict):
    verdict: str  # pass | redacted | blocked | skipped
    reasons: list[str]


def reason_kind(reason: str) -> str:
    """A judge reason without the words it lists of the withheld text ("grounding: not in the
    notes: Freja, 1111" → "grounding: not in the notes"): what a check found, not what it hid."""
    return ": ".join(reason.split(": ")[:2])


class EvidenceNote(TypedDict):
    """What the generator was shown of one retrieved note (nodes.evidence)."""

    path: str
    title: str
    date: str
    sentences: list[str]  # the note's sentences that best answer the question, in note order
    score: float  # the note's best retrieval score
    order: NotRequired[list[int]]  # indices in ``sentences``, closest to the question first (absent: note order)
    quote_only: NotRequired[list[int]]  # indices in ``sentences`` kept for the quote, not shown to the model
    passage: NotRequired[list[int]]  # indexes in ``sentences`` of the closest one's short paragraph, quoted whole
    runner_passage: NotRequired[list[int]]  # indexes of the second-closest one's short paragraph, when it is short
    rank: NotRequired[int]  # the note's place among the retrieved notes (0: the retriever's first)
    reason: NotRequired[bool]  # asked why, its closest sentence opens the note's "Why…" section
    stated: NotRequired[bool]  # its closest sentence says what was asked on its own (quoted as itself, not whole)


def merge_records(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """Reducer of ``decisions``: a node returns only its own entry; a node that runs twice in a turn
    (generate after the judge's retry) replaces its entry."""
    return {**(left or {}), **(right or {})}


def add_timings(left: dict[str, float] | None, right: dict[str, float] | None) -> dict[str, float]:
    """Reducer of ``timings_ms``: a node returns only its own entries (its wall time, ``load_<what>``);
    a node that runs twice in a turn has its times summed (rounded to 0.1 ms)."""
    merged = dict(left or {})
    for name, ms in (right or {}).items():
        merged[name] = round(merged.get(name, 0.0) + ms, 1)
    return merged


def add_message_batches(left: list[AnyMessage], writes: Sequence[Messages]) -> list[AnyMessage]:
    """Reducer of ``messages``: LangGraph's ``add_messages`` folded over a batch of writes, the form a
    ``DeltaChannel`` replays. A checkpoint then stores a turn's new messages, not the whole chat again:
    a saved thread grows by its turns, where a full copy per checkpoint (six a turn) grew with their square."""
    for write in writes:
        left = add_messages(left, write)
    return left


class TwinState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], DeltaChannel(add_message_batches)]  # chat history (persisted)
    question: str  # this turn's user message
    toggles: dict[str, bool]  # node switches for this turn
    route: str  # retrieve | no_retrieve | forced (analyze off) | off (retrieve off)
    route_score: float  # the analyzer's confidence for "retrieve"
    note_similarity: float  # the best note's cosine to the question, when the analyzer looked (0.0: it did not)
    query: str  # search query (rewritten or the question)
    sources: list[Source]
    evidence: list[EvidenceNote]  # the best sentences of the top notes, newest first
    attempt: int  # 0 = first answer; 1 = regenerated after the judge found it unsupported
    rerouted: str  # why the judge sent a question the analyzer sent past the notes to them ("" = not)
    answered_by: str  # model | model-retry | extractive | no-note | refusal | model-ungated
    draft: str  # the generator's raw answer (never shown before the judge)
    answer: str  # what the user sees
    judge: JudgeResult
    input_flags: list[str]  # input-side findings (e.g. prompt injection)
    decisions: Annotated[dict[str, Any], merge_records]  # per-node decision record for the trace
    timings_ms: Annotated[dict[str, float], add_timings]  # per-node wall time


# A turn's input: clears last turn's per-turn fields (the reducers' records are replaced, not merged).
TURN_RESET: dict[str, Any] = {
    "route": "",
    "route_score": 0.0,
    "note_similarity": 0.0,
    "query": "",
    "sources": [],
    "evidence": [],
    "attempt": 0,
    "rerouted": "",
    "answered_by": "",
    "draft": "",
    "answer": "",
    "judge": {"verdict": "skipped", "reasons": []},
    "input_flags": [],
    "decisions": Overwrite({}),
    "timings_ms": Overwrite({}),
}


def searched(state: TwinState) -> str:
    """The question as searched (a follow-up rewritten by the analyzer to stand alone), else as asked."""
    return state.get("query") or state.get("question", "")

