"""generate: the persona model answers in the person's voice, from the evidence in its notes.

For a question that went to the notes, the generator sees the best sentences of the top
notes, each with its date, newest first (:mod:`nodes.evidence`), and decodes so that it can
copy them: no penalty on the prompt's tokens and, on the local backend, context-aware
decoding against the same chat without the notes (the ``cad`` switch). Answers stop after
``persona.max_sentences`` sentences. A question that went to the notes but found no note
close enough gets "I have no note about that" without generating anything.

When the judge finds an answer unsupported by the notes it sends the turn back here once
(``attempt`` 1): the second try sees only the best note and leans on it harder.

Tokens go out through LangGraph's custom stream (``{"token": ...}``; ``{"restart": True}``
before a second try); the runner decides what the user may see (nothing unjudged when the
judge is on). The raw answer is kept in ``draft``; only the judge writes ``answer``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langgraph.config import get_stream_writer

import prompts
from backends.decoding import trim_to_sentences, without_repeats
from kb.evidence import said_as_mine
from kb.life_state import topic_of
from kb.retrieve import asks_about_present_state
from nodes import evidence as evidence_mod
from nodes.cancel import cancel_option
from nodes.context import TwinContext
from nodes.extractive import extractive_answer, introduction_note, quoted_note
from nodes.guards.frame import FrameFilter, wrap_evidence
from nodes.guards.grounding import without_pleasantries
from nodes.guards.invented import without_invented
from nodes.guards.refusals import refusal
from nodes.guards.respell import respelled
from nodes.guards.restore import restored_copies
from nodes.introductions import asked_name, introducing
from nodes.records import recorded
from nodes.small_talk import is_small_talk, small_talk_reply
from nodes.toggles import is_on
from twin.state import EvidenceNote, TwinState, searched

HISTORY_TURNS = 3  # earlier exchanges shown to the generator
RETRY_EXTRA_WEIGHT = 1.0  # the second try leans this much harder on its notes (α + 1)


def history_messages(state: TwinState) -> list[BaseMessage]:
    """Earlier user/assistant turns (the current question is the last message)."""
    past = [m for m in state.get("messages", [])[:-1] if isinstance(m, (HumanMessage, AIMessage))]
    return past[-2 * HISTORY_TURNS :]


def build_messages(person: str, question: str, notes: Sequence[EvidenceNote], history: list[BaseMessage]) -> list[BaseMessage]:
    """The generator's prompt: persona + the notes' evidence as the system turn, then the chat.

    Persona training builds its context-faithful examples with this same function; with no
    notes it is also the no-notes twin that context-aware decoding contrasts against.
    """
    system = prompts.render("persona_system", person=person)
    if notes:
        system += "\n\n" + prompts.render("generate_with_notes", notes=wrap_evidence(notes))
    return [SystemMessage(system), *history, HumanMessage(question)]


def evidence_texts(notes: Sequence[EvidenceNote], question: str, person: str = "") -> list[str]:
    """What the model read: each shown note's title and sentences, the question and the person's name."""
    return [*(f"{n['title']}\n" + " ".join(n["sentences"]) for n in notes), question, person]


def tidied(said: str, notes: Sequence[EvidenceNote], question: str, person: str = "") -> tuple[str, dict[str, list[str]]]:
    """The model's reply as the judge reads it: no repeated sentence or pleasantry; a name it
    garbled in copying the notes spelt as they spell it (``respelled``); a note sentence it
    copied but dropped a name of, put back whole (``restored``); a sentence it made up, left out
    (``invented``). The second value says what was changed, for the trace."""
    draft = without_pleasantries(without_repeats(said))
    if not notes:
        return draft, {}
    shown = evidence_texts(notes, question, person)
    draft, respelt = respelled(draft, shown)
    draft, put_back = restored_copies(draft, [s for n in notes for s in n["sentences"]])
    draft, made_up = without_invented(draft, shown, [n["date"] for n in notes], question)
    if respelt or put_back:  # a garbled copy mended into a sentence the reply already says is a repeat now
        draft = without_repeats(draft)
    changes = (("respelled", respelt), ("restored", put_back), ("invented", made_up))
    return draft, {k: v for k, v in changes if v}


def goes_to_notes(state: TwinState) -> bool:
    """The question was sent to the notes (so its answer is held to them)."""
    return state.get("route") in ("retrieve", "forced")


def notes_hold(sources: Sequence[dict[str, Any]], query: str, retriever: Any, threshold: float) -> str:
    """Why the retrieved notes may answer ``query``; "" when nothing in them is close enough
    (the answer is then "I have no note about that").

    A shown note at cosine >= ``threshold``; a shown note that says the thing asked with "my"
    ("She is my boss" for "Who's your boss now?", a long chunk at 0.2: kb/evidence.said_as_mine);
    or a rare word of the question that the notes contain (the analyzer's note terms,
    kb/evidence.py, read only when the first two fail): a
    name is barely like the note that names it ("Who is Dr Haldane?" at 0.21). Not counted:
    a closer note elsewhere in the index. On short notes that turned a "no note" for "Where
    do you work?" into an answer from the wrong note (docs/grounding.md).
    """
    if not sources:
        return ""
    ruled = evidence_mod.ruled_source(sources)
    if ruled is not None:  # the retriever put it there by what it says, not by likeness (kb/life_state.py)
        return str(sources[ruled]["why"])
    best = max(s.get("similarity", 0.0) for s in sources)
    if best >= threshold:
        return f"a note shown at {best:.2f}"
    if mine := said_as_mine(query, [str(s.get("text", "")) for s in sources]):
        return f'a shown note says "my {mine}"'
    evidence_of = getattr(retriever, "evidence", None)  # a stand-in retriever may have none
    found = evidence_of(query) if evidence_of is not None else None
    if found is not None and found.note_terms:
        return "notes mention " + ", ".join(found.note_terms)
    return ""


def said_nothing(draft: str, state: TwinState) -> bool:
    """The model's tidied reply is blank and no later node makes an answer of it: a blank answer
    went out as it was ("" on the screen, in the thread and in `twin ask --json`). Only the judge
    mends one, for a question that went to the notes (it quotes the best note instead)."""
    return not draft.strip() and not (goes_to_notes(state) and is_on(state, "judge"))


@dataclass
class Reply:
    """What one generation attempt needs: prompts, decoding overrides, and the trace."""

    messages: list[BaseMessage]
    negative: list[BaseMessage] | None
    overrides: dict[str, Any]
    decision: dict[str, Any] = field(default_factory=dict)


class Generator:
    def __init__(self, ctx: TwinContext) -> None:
        self.ctx = ctx

    def evidence_for(self, state: TwinState) -> tuple[list[EvidenceNote], str]:
        """The evidence for this attempt (gathered fresh on the first, the best note on a
        retry) and why the notes may answer ("" when none is close enough)."""
        if state.get("attempt", 0) > 0:  # the note the judge holds the answer to (the introducing one, asked who a name is)
            best = quoted_note(state.get("evidence", []), searched(state))
            return ([best], "retry: the best note") if best else ([], "")
        sources = state.get("sources", [])
        r = self.ctx.config.retrieval
        query = searched(state)
        why = notes_hold(sources, query, self.ctx.retriever, r.answer_min_similarity)
        return (self.gather(sources, query), why) if why else ([], "")

    def gather(self, sources: list[Any], query: str) -> list[EvidenceNote]:
        r = self.ctx.config.retrieval
        now = asks_about_present_state(query) and r.same_subject_similarity < 1.0
        topic = topic_of(query)
        ruled = topic if topic is not None and evidence_mod.ruled_source(sources) is not None else None
        stating = ruled.stated_or_plain if ruled is not None else introducing(query)
        return evidence_mod.gather(evidence_mod.stated_evidence(sources, topic), self.ctx.retriever.embed(query),
                                   self.ctx.embeddings.embed_documents, r.k, r.evidence_sentences,
                                   same_subject=r.same_subject_similarity if now else None,
                                   stating=stating, question=query)

    def plan(self, state: TwinState, notes: list[EvidenceNote], model: Any) -> Reply:
        person, question = self.ctx.config.person, state["question"]
        history = history_messages(state)
        messages = build_messages(person, question, notes, history)
        weight = self.ctx.config.persona.context_weight + (RETRY_EXTRA_WEIGHT if state.get("attempt") else 0.0)
        cad = is_on(state, "cad") and bool(notes) and weight > 0
        decision: dict[str, Any] = {"cad": "off"}
        if cad and not getattr(model, "supports_context_weight", False):
            decision["cad"] = f"unavailable on {getattr(model, '_llm_type', 'this backend')}: needs the local backend"
            cad = False
        elif cad:
            decision["cad"] = f"alpha={weight:g}"
        negative = build_messages(person, question, [], history) if cad else None
        return Reply(messages, negative, {"context_weight": weight if cad else 0.0}, decision)

    def stream(self, model: Any, reply: Reply) -> str:
        """Stream the reply (frame bits the model copied from its notes filtered out); return it."""
        write = get_stream_writer()
        clean = FrameFilter()
        kwargs: dict[str, Any] = {**reply.overrides, **cancel_option()}
        if reply.negative is not None:
            kwargs["negative_messages"] = reply.negative
        for chunk in model.stream(reply.messages, **kwargs):
            if piece := clean.feed(str(chunk.content)):
                write({"token": piece})
        if rest := clean.finish():
            write({"token": rest})
        return clean.text

    def __call__(self, state: TwinState) -> dict:
        attempt = state.get("attempt", 0)
        if attempt or state.get("rerouted"):
            get_stream_writer()({"restart": True})
        if not goes_to_notes(state) and self.ctx.config.persona.small_talk_replies and is_small_talk(state["question"]):
            reply = small_talk_reply(state["question"], self.ctx.config.person)
            return self._fixed(reply, "small-talk", "small talk: a fixed reply (prompts/small_talk.md)")
        notes, why = self.evidence_for(state) if goes_to_notes(state) else ([], "")
        if goes_to_notes(state) and not notes:
            gate = self.ctx.config.retrieval.answer_min_similarity
            why = why or f"no shown note at cosine >= {gate:g}, no rare word of the question in the notes"
            return self._fixed(refusal("no_note", state["question"], self.ctx.config.person), "no-note", why)
        if notes and (quoted := self.quoted_sentence(state, notes)):
            return self._fixed(extractive_answer(notes, searched(state)), "extractive", f"{why}: {quoted}, quoted", notes)
        use_adapter = is_on(state, "adapter")
        model = self.ctx.persona_model if use_adapter else self.ctx.persona_bare
        reply = self.plan(state, notes, model)
        said = trim_to_sentences(self.stream(model, reply), self.ctx.config.persona.max_sentences)
        draft, mended = tidied(said, notes, state["question"], self.ctx.config.person)
        if said_nothing(draft, state):
            why = "the model said nothing (only whitespace, pleasantries or copied note frames)"
            return self._fixed(refusal("error", state["question"], self.ctx.config.person), "refusal", why)
        decision = {"model": getattr(model, "name_for_trace", type(model).__name__),
                    "adapter": use_adapter and bool(self.ctx.config.persona.adapters),
                    "notes": [n["path"] for n in notes], "attempt": attempt, **reply.decision, **mended}
        if why:
            decision["why_notes"] = why
        update: dict[str, Any] = {"draft": draft, "answered_by": "model-retry" if attempt else "model",
                                  "decisions": {"generate": decision}}
        if not attempt:
            update["evidence"] = notes
        return update

    def quoted_sentence(self, state: TwinState, notes: list[EvidenceNote]) -> str:
        """What the answer quotes instead of asking the model ("" = nothing): asked where the
        person lives or works now, or their best so far, with the newest note that says so found
        (kb/life_state.py), "its sentence" (the embedded model, shown "I left Spoke & Chain and
        opened my own workshop, Cog Cottage", answered that Spoke & Chain is a construction
        company: tuning person dev3); asked who or what a name is, with a shown note introducing
        it (nodes/introductions.py), that sentence (shown it among others, the model copied
        "Goiburu honey, it says, which makes it sound like a brand": dev5). ``persona.quote_stated
        = false`` lets the model answer (a capable model through Ollama)."""
        if not self.ctx.config.persona.quote_stated or state.get("attempt", 0):
            return ""
        if evidence_mod.ruled_source(state.get("sources", [])) is not None:
            return "its sentence"
        query = searched(state)
        return f"the sentence introducing {asked_name(query)}" if introduction_note(notes, query) is not None else ""

    def _fixed(self, text: str, how: str, why: str, notes: list[EvidenceNote] | None = None) -> dict:
        get_stream_writer()({"token": text})
        decision = {"answered_by": how, "notes": [n["path"] for n in notes or []], "why": why}
        return {"draft": text, "answered_by": how, "evidence": notes or [],
                "decisions": {"generate": decision}}


def make_generate(ctx: TwinContext) -> Callable[[TwinState], dict]:
    return recorded("generate")(Generator(ctx))
