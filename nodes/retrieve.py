"""retrieve: semantic search over the notes with recency-aware reranking."""

from __future__ import annotations

from collections.abc import Callable

from nodes.context import TwinContext
from nodes.evidence import lacks_the_kind, ruled_source
from nodes.records import recorded
from nodes.toggles import is_on
from twin.state import Source, TwinState, searched


def rest_of_best_note(ctx: TwinContext, sources: list[Source], query: str) -> list[Source]:
    """The best note's other chunks when its retrieved ones hold no answer of the kind ``query``
    asks for ("## On the scale" for "How heavy is Pambazo now?": kb/retrieve.Retriever.rest_of_note);
    none with ``retrieval.whole_best_note`` off or a stand-in retriever (ConflictNQ's fixed passages)."""
    rest_of = getattr(ctx.retriever, "rest_of_note", None)
    if not ctx.config.retrieval.whole_best_note or rest_of is None or not lacks_the_kind(sources, query):
        return []
    return list(rest_of(sources))


def make_retrieve(ctx: TwinContext) -> Callable[[TwinState], dict]:
    @recorded("retrieve")
    def retrieve(state: TwinState) -> dict:
        rerank = is_on(state, "rerank")
        query = searched(state)
        sources = ctx.retriever.search(query, rerank=rerank)
        notes = list(dict.fromkeys(s["path"] for s in sources))
        decision = {"notes": len(notes), "chunks": len(sources), "rerank": rerank, "top": notes[:3]}
        if rest := rest_of_best_note(ctx, sources, query):
            sources = [*sources, *rest]
            decision["rest_of_note"] = f"{len(rest)} more chunks of {notes[0]}: its retrieved ones hold no answer of the kind asked"
        ruled = ruled_source(sources)
        if ruled is not None:
            decision["why"] = f"{sources[ruled]['path']}: {sources[ruled]['why']}"
        return {"sources": sources, "decisions": {"retrieve": decision}}

    return retrieve
