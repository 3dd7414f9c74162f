"""The judge's per-process state: one Guard, one topic classifier, cached embeddings.

Built once per :class:`nodes.context.TwinContext` (kept in ``ctx.extras["judge"]``), so
judging a partial answer at every sentence boundary costs string work plus, at most,
one embedding per new sentence. Fingerprints are re-read when ingest rewrites them.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import prompts
from backends.decoding import sentences
from kb.fingerprints import Fingerprints, fingerprints_path
from kb.lexical import LexicalError
from nodes.context import TwinContext
from nodes.guards.clauses import without_clauses
from nodes.guards.compose import REFUSAL_KIND, ComposedGuard, GuardOutcome
from nodes.guards.context_leak import ContextLeak, echoed_sentences, prompt_sentences
from nodes.guards.grounding import Grounding
from nodes.guards.injection import SOFT_FLAGS, InjectionGuard, injection_flags
from nodes.guards.off_limits import FLAG_PREFIX, TOPICS_FILE, OffLimits, TopicClassifier, load_topics
from nodes.guards.pii import PiiRedactor
from nodes.guards.private_leak import LeakLimits, PrivateLeak
from nodes.guards.refusals import refusal

REFUSAL_ORDER = ("injection", "off_limits", "context_leak", "private_leak")
EMBED_CACHE = 4096
MIN_KEPT_WORDS = 3  # less than this left after leaving out what said too much: refused
SYSTEM_PROMPTS = ("persona_system", "generate_with_notes")


@dataclass
class Verdict:
    verdict: str  # pass | redacted | blocked | ungrounded (names what no retrieved note names) | dump (a note copied whole)
    answer: str
    reasons: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)  # the grounding check's words

    def result(self) -> dict[str, Any]:
        """The state's ``judge`` entry (twin.state.JudgeResult) plus the final text."""
        return {"verdict": self.verdict, "reasons": list(self.reasons), "answer": self.answer}

    def __getitem__(self, key: str) -> Any:  # JudgeResult-like: verdict["verdict"]
        return self.result()[key]


class CachedEmbed:
    """Embed texts through ``ctx.embeddings`` (loaded on first use), remembering vectors."""

    def __init__(self, model: Callable[[], Any]) -> None:
        self._model = model
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, texts: list[str]) -> Any:
        import numpy as np

        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
            if missing:
                for text, vec in zip(missing, self._model().embed_documents(missing)):
                    self._cache[text] = np.asarray(vec, dtype=np.float32)
                while len(self._cache) > EMBED_CACHE:
                    self._cache.popitem(last=False)
            for t in texts:
                self._cache.move_to_end(t)
            return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, 1), dtype=np.float32)


class FreshFingerprints:
    """``ctx.fingerprints``, reloaded whenever the file on disk changes (re-ingest)."""

    def __init__(self, ctx: TwinContext) -> None:
        self.ctx = ctx
        self.path: Path = fingerprints_path(ctx.home)
        self._stamp = self._mtime()

    def _mtime(self) -> int:
        try:
            return self.path.stat().st_mtime_ns
        except OSError:
            return 0

    def __call__(self) -> Fingerprints:
        stamp = self._mtime()
        if stamp and stamp != self._stamp:
            self.ctx.__dict__["fingerprints"] = Fingerprints.load(self.path)
            self._stamp = stamp
        return self.ctx.fingerprints


def system_prompt_text(person: str) -> str:
    """The static prompt text the generator sees (placeholders empty), for leak checks."""
    return "\n".join(prompts.load(name).replace("{person}", person) for name in SYSTEM_PROMPTS)


class Judge:
    def __init__(self, ctx: TwinContext) -> None:
        cfg = ctx.config.judge
        self.ctx = ctx
        self.person = ctx.config.person
        self.fingerprints = FreshFingerprints(ctx)
        self.embed = CachedEmbed(lambda: ctx.embeddings)
        topics, benign = load_topics(cfg.off_limits_topics, cfg.topics_file or TOPICS_FILE)
        self.topics = TopicClassifier(topics, benign, embed=self.embed, threshold=cfg.topic_similarity,
                                      embed_bank=lambda texts: _embed_bank(ctx, texts), person=self.person)
        self.prompt_lines = prompt_sentences(system_prompt_text(self.person), self.person)
        self.guard = ComposedGuard(self._validators())
        self._screened: OrderedDict[str, tuple[list[str], dict[str, list[str]]]] = OrderedDict()

    def _validators(self) -> list[Any]:
        cfg = self.ctx.config.judge
        validators: list[Any] = []
        if cfg.private_leak:
            limits = LeakLimits(similarity=cfg.leak_similarity)
            validators.append(PrivateLeak(self.fingerprints, self.embed if cfg.semantic_leak else None,
                                          limits, on_fail="noop"))
        if cfg.off_limits and self.topics.topics:
            validators.append(OffLimits(self.topics, on_fail="noop"))
        if cfg.context_leak:
            prompt = system_prompt_text(self.person)
            validators.append(ContextLeak(prompt, self.person, on_fail="noop"))
            from guardrails_ai.detect_system_prompt_leakage import DetectSystemPromptLeakage

            system = prompts.load("persona_system").replace("{person}", self.person)
            validators.append(DetectSystemPromptLeakage(system_prompt=system, threshold=60, on_fail="noop"))
        if cfg.injection:
            validators.append(InjectionGuard(refuse_flagged=cfg.on_injection == "refuse", on_fail="noop"))
        if cfg.pii:
            validators.append(PiiRedactor(self.fingerprints, on_fail="fix"))
        if cfg.grounding:
            validators.append(Grounding(near_note=cfg.reroute_similarity, on_fail="noop"))
        return validators

    @property
    def checks(self) -> list[str]:
        return sorted({name.split("/")[-1] for name in self.guard.names})

    # -- input side ---------------------------------------------------------------
    def screen(self, question: str) -> list[str]:
        """Input flags for a question (cached: the streamer asks again per sentence)."""
        if (screened := self._screened.get(question)) is not None:
            flags, named = screened
            return flags + self._unnamed(named)
        cfg = self.ctx.config.judge
        flags = injection_flags(question) if cfg.injection else []
        named: dict[str, list[str]] = {}
        if cfg.off_limits:
            topics, named = self.topics.by_name(question)
            flags += [FLAG_PREFIX + t for t in topics]
        self._screened[question] = (flags, named)
        while len(self._screened) > 256:
            self._screened.popitem(last=False)
        return flags + self._unnamed(named)

    def _unnamed(self, named: dict[str, list[str]]) -> list[str]:
        """Flags for the topics asked about by someone's name that the notes do not name (looked
        up on every call: a note saved since may name them)."""
        return [FLAG_PREFIX + t for t, names in named.items() if not self._in_notes(names)]

    def _in_notes(self, names: list[str]) -> bool:
        """Whether the indexed notes (public ones only: private notes are never indexed) name
        every one of ``names`` as the question does ("Dr Haldane", a phrase); False without an index."""
        try:
            lexical = getattr(self.ctx.retriever, "lexical", None)  # a stand-in retriever may have none
            found = lexical.document_frequency([n.lower() for n in names]) if lexical is not None else {}
        except (OSError, sqlite3.Error, LexicalError):  # the index cannot be read: keep the refusal
            return False
        return bool(found) and all(count > 0 for count in found.values())

    # -- output side --------------------------------------------------------------
    def check(self, question: str, text: str, sources: Sequence[dict[str, Any]] | None = None,
              flags: list[str] | None = None, grounded: bool = False, skipped_notes: bool = False,
              note_similarity: float = 0.0) -> Verdict:
        """``grounded``: the question went to the notes, so the answer is held to ``sources``;
        ``skipped_notes``: the analyzer sent it past them, so the answer may say nothing of the
        person that the question does not (:class:`nodes.guards.grounding.Grounding`)."""
        flags = self.screen(question) if flags is None else list(flags)
        sources = sources or []
        metadata = {
            "question": question,
            "input_flags": flags,
            "source_texts": [str(s.get("text", "")) for s in sources],
            "source_titles": [str(s.get("title", "")) for s in sources],
            "source_headings": [str(s.get("heading", "")) for s in sources],  # shown with their sentences
            "source_dates": [str(s.get("date", "")) for s in sources],
            "person": self.person,
            "grounded": grounded,
            "skipped_notes": skipped_notes,
            "note_similarity": note_similarity,
            "suspicious": any(f in SOFT_FLAGS for f in flags),
        }
        try:
            outcome = self.guard.run(text, metadata)
            outcome, reasons = self._trimmed(outcome, metadata)
        except Exception as exc:  # noqa: BLE001 - fail closed: never release an unjudged answer
            return Verdict("blocked", refusal("error", question, self.person),
                           [f"judge error: {type(exc).__name__}: {exc}"], flags, self.checks)
        return self._verdict(question, text, outcome, flags, reasons)

    def _trimmed(self, outcome: GuardOutcome, metadata: dict[str, Any]) -> tuple[GuardOutcome, list[str]]:
        """An answer that only said too much (a sentence disclosing an off-limits topic nobody
        asked about, a line of the prompt echoed under a plain question) loses those sentences,
        or only their clauses that say it (:meth:`_safe_part`), and is judged again; it stays refused when too little is left or the rest fails too.
        Returns the outcome to go by and the reasons to report."""
        reasons = [f.reason for f in outcome.findings]
        if not outcome.blocking or not all(f.meta.get("droppable") for f in outcome.blocking):
            return outcome, reasons
        kept = " ".join(k for s in sentences(outcome.text) if (k := self._safe_part(s)))
        if len(kept.split()) < MIN_KEPT_WORDS:
            return outcome, reasons
        again = self.guard.run(kept, metadata)
        if again.blocking:
            return outcome, reasons
        return again, [*reasons, "left out what said too much", *(f.reason for f in again.findings)]

    def _safe_part(self, sentence: str) -> str:
        """``sentence`` as it may be shown: whole, less a clause that says too much
        (nodes/guards/clauses.py), or "" (left out)."""
        if not sentence.strip() or not self._says_too_much(sentence):
            return sentence.strip()
        return without_clauses(sentence, self._says_too_much, self._touches_topic)

    def _touches_topic(self, text: str) -> bool:
        """An off-limits topic in any wording a question could use ("about the migraines")."""
        return bool(self.topics.by_pattern(text))

    def _says_too_much(self, sentence: str) -> bool:
        return bool(self.topics.disclosed(sentence) or echoed_sentences(sentence, self.prompt_lines))

    def _verdict(self, question: str, text: str, outcome: GuardOutcome, flags: list[str],
                 reasons: list[str]) -> Verdict:
        blocking, shown = outcome.blocking, outcome.text
        if blocking:
            first = min(blocking, key=lambda f: REFUSAL_ORDER.index(f.check) if f.check in REFUSAL_ORDER else 99)
            kind = first.meta.get("kind") or REFUSAL_KIND.get(first.check, "error")
            topic = self.topics.phrase(first.meta["topic"]) if first.meta.get("topic") else "that"
            return Verdict("blocked", refusal(kind, question, self.person, topic), reasons, flags, self.checks)
        if outcome.unsupported:
            return Verdict("ungrounded", shown, reasons, flags, self.checks, outcome.unsupported)
        if outcome.requote:
            return Verdict("dump", shown, reasons, flags, self.checks)
        if reasons:  # PII masked, or sentences left out
            return Verdict("redacted", shown, reasons, flags, self.checks)
        return Verdict("pass", text, [], flags, self.checks)


def _embed_bank(ctx: TwinContext, texts: list[str]) -> Any:
    """The topic examples' vectors, cached on disk per embedding model (backends.vector_cache)."""
    from backends.vector_cache import embed_bank

    return embed_bank(ctx.embeddings, texts, ctx.home / "cache" / "vectors")


def judge_for(ctx: TwinContext) -> Judge:
    """The context's judge, built on first use."""
    judge = ctx.extras.get("judge")
    if not isinstance(judge, Judge):
        from twin.loadtime import loading

        with loading("judge"):
            judge = ctx.extras["judge"] = Judge(ctx)
    return judge


def timed(fn: Callable[[], Verdict]) -> tuple[Verdict, float]:
    start = time.perf_counter()
    verdict = fn()
    return verdict, round((time.perf_counter() - start) * 1000, 1)
