"""retrieve: semantic search over the notes with recency-aware reranking."""

from __future__ import annotations

from collections.abc import Callable

from nodes.context import TwinContext
from nodes.evidence import ruled_source
from nodes.records import recorded
from nodes.toggles import is_on
from twin.state import TwinState, searched


def make_retrieve(ctx: TwinContext) -> Callable[[TwinState], dict]:
    @recorded("retrieve")
    def retrieve(state: TwinState) -> dict:
        rerank = is_on(state, "rerank")
        sources = ctx.retriever.search(searched(state), rerank=rerank)
        notes = list(dict.fromkeys(s["path"] for s in sources))
        decision = {"notes": len(notes), "chunks": len(sources), "rerank": rerank, "top": notes[:3]}
        ruled = ruled_source(sources)
        if ruled is not None:
            decision["why"] = f"{sources[ruled]['path']}: {sources[ruled]['why']}"
        return {"sources": sources, "decisions": {"retrieve": decision}}

    return retrieve
