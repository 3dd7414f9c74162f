"""Analyzer strategies: decide RETRIEVE / NO_RETRIEVE for a question.

A 135M model cannot route by free-form generation, so the strategies are:
- ``embedding``: logistic regression on sentence embeddings of labelled examples we ship
  (``nodes/data/routing_examples.jsonl``, or ``analyzer.examples``); trained in ~1 s on first use.
- ``score``: retrieve when the best note's cosine similarity clears ``analyzer.min_similarity``.
- ``llm``: the base model picks a label: structured JSON output on Ollama, label
  log-probabilities on local models.
- ``always``: always retrieve.

With ``analyzer.note_evidence`` (default on) every strategy but ``always`` also looks at
the notes (:class:`NoteAwareRouter`, kb/evidence.py): a question that names something
only the notes know, names a note's title, or on which vector and keyword search agree
is retrieved for, whatever the classifier thought of its form. Small talk ("Evening! How are
you doing?", nodes/small_talk.py) is not retrieved for, by every strategy but ``always``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from langchain_core.messages import HumanMessage, SystemMessage

import prompts
from backends.vector_cache import embed_bank
from nodes.small_talk import is_small_talk
from twin.config import ConfigError
from twin.jsonl import iter_jsonl

RETRIEVE, NO_RETRIEVE = "retrieve", "no_retrieve"
DEFAULT_EXAMPLES = Path(__file__).parent / "data" / "routing_examples.jsonl"


@dataclass
class RouteDecision:
    route: str  # retrieve | no_retrieve
    score: float  # confidence that retrieval is needed, 0..1
    strategy: str
    note_similarity: float = 0.0  # best cosine of any note to the question, when the notes were looked at


class Router(Protocol):
    name: str

    def route(self, text: str) -> RouteDecision: ...


def load_examples(path: Path) -> tuple[list[str], np.ndarray]:
    texts, labels = [], []
    for n, row in iter_jsonl(path, error=ConfigError):
        if row.get("label") not in (RETRIEVE, NO_RETRIEVE):
            raise ConfigError(f"{path}:{n}: label must be 'retrieve' or 'no_retrieve'")
        texts.append(row["text"])
        labels.append(1.0 if row["label"] == RETRIEVE else 0.0)
    if len(set(labels)) < 2:
        raise ConfigError(f"{path}: routing examples need both labels")
    return texts, np.array(labels)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2, steps: int = 500, lr: float = 2.0) -> np.ndarray:
    """Plain batch gradient descent; x already has a bias column. Deterministic."""
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        grad = x.T @ (p - y) / len(y) + l2 * w
        w -= lr * grad
    return w


class EmbeddingRouter:
    name = "embedding"

    def __init__(self, embeddings: Any, examples: Path, threshold: float, cache_dir: Path | None = None) -> None:
        self.embeddings = embeddings
        self.threshold = threshold
        texts, labels = load_examples(examples)

        self.weights = fit_logistic(self._with_bias(embed_bank(embeddings, texts, cache_dir)), labels)

    def _features(self, texts: list[str]) -> np.ndarray:
        return self._with_bias(np.array(self.embeddings.embed_documents(texts)))

    @staticmethod
    def _with_bias(vectors: np.ndarray) -> np.ndarray:
        return np.hstack([np.asarray(vectors, dtype=float), np.ones((len(vectors), 1))])

    def probability(self, text: str) -> float:
        x = self._features([text])[0]
        return float(1.0 / (1.0 + np.exp(-(x @ self.weights))))

    def route(self, text: str) -> RouteDecision:
        p = self.probability(text)
        return RouteDecision(RETRIEVE if p >= self.threshold else NO_RETRIEVE, p, self.name)


class ScoreRouter:
    name = "score"

    def __init__(self, retriever: Any, min_similarity: float) -> None:
        self.retriever = retriever
        self.min_similarity = min_similarity

    def route(self, text: str) -> RouteDecision:
        best = float(self.retriever.best_similarity(text))
        return RouteDecision(RETRIEVE if best >= self.min_similarity else NO_RETRIEVE, best, self.name)


class LLMRouter:
    name = "llm"
    labels = ["RETRIEVE", "NO_RETRIEVE"]

    def __init__(self, model: Any, person: str) -> None:
        self.model = model
        self.system = prompts.render("analyze_route", person=person)

    def route(self, text: str) -> RouteDecision:
        messages = [SystemMessage(self.system), HumanMessage(text)]
        if hasattr(self.model, "choose"):
            label = self.model.choose(messages, self.labels)
            score = 1.0 if label == "RETRIEVE" else 0.0
        else:
            logp = self.model.label_logprobs(messages, self.labels)
            score = float(1.0 / (1.0 + np.exp(logp["NO_RETRIEVE"] - logp["RETRIEVE"])))
        return RouteDecision(RETRIEVE if score >= 0.5 else NO_RETRIEVE, score, self.name)


class NoteAwareRouter:
    """A strategy plus the index's evidence: NO_RETRIEVE becomes RETRIEVE when the notes
    clearly hold the question's subject (never the other way)."""

    def __init__(self, inner: Router, retriever: Any) -> None:
        self.inner = inner
        self.retriever = retriever
        self.name = inner.name

    def route(self, text: str) -> RouteDecision:
        decision = self.inner.route(text)
        if decision.route == RETRIEVE:
            return decision
        evidence_of = getattr(self.retriever, "evidence", None)  # a stand-in retriever may have none
        if evidence_of is None:
            return decision
        evidence = evidence_of(text)
        if not evidence.strong:
            return dataclasses.replace(decision, note_similarity=evidence.best_similarity)
        return RouteDecision(RETRIEVE, max(decision.score, 0.5), f"{decision.strategy}+notes: {evidence.reason}",
                             evidence.best_similarity)


class SmallTalkRouter:
    """A strategy, but a greeting or a "how are you" with nothing else in it is never retrieved
    for (nodes/small_talk.py), whatever the classifier or the notes' evidence say."""

    def __init__(self, inner: Router) -> None:
        self.inner = inner
        self.name = inner.name

    def route(self, text: str) -> RouteDecision:
        if is_small_talk(text):
            return RouteDecision(NO_RETRIEVE, 0.0, f"{self.inner.name}+small talk")
        return self.inner.route(text)


class AlwaysRouter:
    name = "always"

    def route(self, text: str) -> RouteDecision:
        return RouteDecision(RETRIEVE, 1.0, self.name)


def build_router(strategy: str, ctx: Any) -> Router:
    router = _base_router(strategy, ctx)
    if strategy == "always":
        return router
    if ctx.config.analyzer.note_evidence:
        router = NoteAwareRouter(router, ctx.retriever)
    return SmallTalkRouter(router)


def _base_router(strategy: str, ctx: Any) -> Router:
    cfg = ctx.config.analyzer
    if strategy == "embedding":
        examples = Path(cfg.examples) if cfg.examples else DEFAULT_EXAMPLES
        return EmbeddingRouter(ctx.embeddings, examples, cfg.threshold, ctx.home / "cache" / "vectors")
    if strategy == "score":
        return ScoreRouter(ctx.retriever, cfg.min_similarity)
    if strategy == "llm":
        return LLMRouter(ctx.base_model, ctx.config.person)
    if strategy == "always":
        return AlwaysRouter()
    raise ConfigError(f"analyzer.strategy = {strategy!r}; choose one of: embedding, score, llm, always")
