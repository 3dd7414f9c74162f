"""Search over the notes: hybrid (vectors + BM25, their scores fused) with a rerank
that lets a newer note outrank an older one only where they speak of the same thing.

``retrieval.mode = "hybrid"`` (default):

1. the ``retrieval.fetch_k`` nearest chunks by cosine (Chroma) and the ``fetch_k`` best by
   BM25 (kb/lexical.py, SQLite FTS5);
2. fused (``retrieval.fuse``): ``"convex"`` (default, :func:`convex`) weighs the cosine,
   scaled from -1 to the best candidate's, by ``retrieval.convex_vector_weight`` (0.85) and
   BM25, scaled from 0 to the best hit's, by the rest (0 outside the BM25 list); ``"chunks"``
   / ``"notes"``: weighted reciprocal rank, ``sum(w / (rrf_k + rank))`` over the two lists
   (``retrieval.rrf_k``, ``retrieval.lexical_weight``; the vector list has weight 1). Either
   is reported as a score in 0..1 (1 = first in both lists);
3. with ``rerank`` on, a newer note outranks an older one only where they speak of the same
   thing, among the best ``retrieval.rerank_window`` notes (10, whatever ``k`` is): two chunks
   of different notes that are one text edited (cosine >= ``retrieval.conflict_similarity``,
   query similarity within ``retrieval.conflict_margin``, and at least
   ``retrieval.answer_min_similarity`` for the one lifted);
   a newer note that says it updates an older top note ("Pebble is now called Cairn", "I left
   Fernwood"), put right above it; and, for a question about the person's present state
   (:func:`asks_about_present_state`), an age decay (``retrieval.state_recency_weight``, for
   chunks within ``retrieval.state_recency_margin`` of the best similarity), the edited-text
   rule with a looser likeness (``retrieval.state_conflict_similarity``, within the same
   margin) and the newest note sharing a ranked note's subject word. Nothing else moves: the global age
   decay ``retrieval.recency_weight`` is 0 by default; questions about the past get none of it;
4. sources whose cosine similarity is below ``retrieval.min_score`` are dropped unless they
   name a rare word of the question (a dropped chunk takes no place), and the chunks of the best ``k`` *notes* are returned (down to the
   first chunk of a ``k+1``-th): a note with several good chunks does not crowd out the next.

``mode = "vector"`` skips the lexical list (step 2 is plain similarity). ``rerank=False``
(the ``rerank`` node off) skips step 3. Everything after the two lookups runs on the ~40
candidates, well under a millisecond.

Chroma is asked only for the nearest ids and their distances: every candidate's text,
metadata and vector come from the lexical index's rows (one indexed SQLite lookup, the
lexical hits carry theirs already), which is most of a query's cost saved
(bench/bench_kb_query.py). A chunk whose row is missing or from before vectors were kept
there is read from Chroma, as before. The rerank's "does a newer note say it updates this
one?" first asks the index's cue words (kb/cues.py, one indexed lookup); only a subject that
some newer sentence names next to an update cue costs a BM25 search. The BM25 search runs in
the retriever's own thread while the question is embedded and Chroma answers (``_both``): beside
the Chroma lookup alone it measured no faster on two cores in the eleventh session; beside the
embedding too, and at 10x the notes, it does (docs/kb.md, "Query latency").
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from kb.cues import MIN_SUBJECT_LENGTH, behind_words, holds_update_cue, mentions_update
from kb.evidence import is_rare, is_uncommon_name, note_evidence
from kb.lexical import STOPWORDS, LexicalIndex, LexRow, stacked_vectors, terms, vector_bytes, vectors_of
from kb.life_state import LifeTopic, topic_of
from kb.store import EPOCH, NoteStore
from twin.config import Config
from twin.state import Source

UPDATES_CACHE = 4096  # subjects whose update lookups a retriever remembers (until the index changes)


@dataclass
class Candidates:
    """The chunks a search considers, as parallel arrays (index i = one chunk)."""

    ids: list[str]
    docs: list[str]
    metas: list[dict[str, Any]]
    vectors: np.ndarray  # (n, dim), unit length
    sims: np.ndarray  # cosine similarity to the query
    base: np.ndarray  # score before the rerank (fused rank score, or the similarity)
    query: np.ndarray | None = None  # the query vector (to score chunks added by the rerank)

    @cached_property
    def days(self) -> np.ndarray:
        """Each chunk's date in days (read once: the rules ask several times a query)."""
        return np.asarray([float(m.get("date_days", 0) or 0) for m in self.metas])


class Retriever:
    def __init__(self, config: Config, embeddings: Embeddings, today: date | None = None):
        self.config = config
        self.embeddings = embeddings
        self.today = today  # None = the real today (tests and benchmarks pin it)
        self._store: NoteStore | None = None
        self._lexical: LexicalIndex | None = None
        self._titles: tuple[int, list[str]] = (-1, [])
        self._updates: dict[tuple[tuple[str, ...], int], tuple[tuple[int, int], list[LexRow]]] = {}
        self._beside: ThreadPoolExecutor | None = None  # runs the BM25 query while Chroma answers

    def close(self) -> None:
        """Stop the thread the lexical queries run in (started by the first hybrid search)."""
        if self._beside is not None:
            self._beside.shutdown(wait=True)
            self._beside = None

    @property
    def store(self) -> NoteStore:
        if self._store is None:
            from twin.loadtime import loading

            with loading("store"):
                self._store = NoteStore.from_config(self.config)
        return self._store

    @property
    def lexical(self) -> LexicalIndex:
        if self._lexical is None:
            self._lexical = LexicalIndex.from_config(self.config)
        return self._lexical

    # -- public API -----------------------------------------------------------------
    def search(self, query: str, k: int | None = None, rerank: bool = True) -> list[Source]:
        """The chunks of the ``k`` best notes for ``query``, best first, as citable sources."""
        if self.config.retrieval.mode == "vector":
            return self.search_vector(self.embed(query), k, rerank, query)
        return self.search_hybrid(query, None, k, rerank)  # embedded while the BM25 query runs

    def best_similarity(self, query: str) -> float:
        """Top raw cosine similarity between ``query`` and any chunk (0.0 on an empty index)."""
        found = self.store.collection.query(
            query_embeddings=[self.embed(query)], n_results=1, include=["distances"]
        )
        distances = found["distances"][0] if found["distances"] else []
        return float(1.0 - distances[0]) if distances else 0.0

    def evidence(self, query: str) -> Any:
        """What the indexes say about ``query`` (kb/evidence.py): for the analyzer and the no-note gate."""
        return note_evidence(self, query)

    def rest_of_note(self, sources: list[Source]) -> list[Source]:
        """The chunks of the first source's note that ``sources`` lack, in note order, each marked
        ``rest_of_note`` and placed after every retrieved chunk (``position``). A long note's answer
        often sits in a section that shares no word with the question ("## On the scale" holds
        "He's 164 g now" for "How heavy is Pambazo now?") and ranks below the floor."""
        if not sources:
            return []
        first = sources[0]
        have = {(s.get("heading", ""), s.get("text", "")) for s in sources if _same_note(s, first)}
        out: list[Source] = []
        for row in self.lexical.note_rows(str(first.get("source", "")), str(first.get("path", ""))):
            if (row.heading_path or "", row.text) in have:
                continue
            meta = {"path": row.path, "title": row.title, "date": row.date, "heading": row.heading_path or "",
                    "source": row.source}
            extra = _source(row.text, meta, 0.0, 0.0)
            extra["position"] = len(sources) + row.position
            extra["rest_of_note"] = True
            out.append(extra)
        return out

    def note_titles(self) -> list[str]:
        """Every indexed note's title (re-read when the lexical index changes size)."""
        count = self.lexical.count()
        if self._titles[0] != count:
            self._titles = (count, sorted(set(self.lexical.titles().values())))
        return self._titles[1]

    def embed(self, query: str) -> list[float]:
        """The query's vector (the embeddings backend remembers it: one embedding per
        question per turn, however many steps ask; backends/embeddings.py)."""
        return self.embeddings.embed_query(query)

    def search_vector(self, vector: list[float], k: int | None = None, rerank: bool = True,
                      query: str = "") -> list[Source]:
        """Vector search alone (``mode = "vector"``); ``query`` (optional) lets the rerank
        read the question's tense."""
        r = self.config.retrieval
        k = k or r.k
        found = self._dense(vector, max(k, r.fetch_k))  # k counts notes: a note may fill several places
        if found is None:
            return []
        return self._rank(found, k, rerank, query)

    def search_hybrid(self, query: str, vector: list[float] | None, k: int | None = None,
                      rerank: bool = True) -> list[Source]:
        """Vectors and BM25 fused (``mode = "hybrid"``; ``retrieval.fuse``: their scores, or
        their reciprocal ranks); ``vector`` None: the query's, embedded here."""
        r = self.config.retrieval
        k = k or r.k
        fetch = max(k, r.fetch_k)
        hits, vector, (ids, distances) = self._both(query, vector, fetch)  # lexical rows come with text and vector
        dense = self._candidates(ids, distances, vector, {h.row.id: h.row for h in hits})
        if dense is None and not hits:
            return []
        found = self._complete(dense, [h.row for h in hits], vector)
        note_of = {cid: _note_key(m) for cid, m in zip(found.ids, found.metas)}
        lexical = [h for h in hits if h.row.id in note_of]
        if r.fuse == "convex":
            fused = convex(dict(zip(found.ids, found.sims.tolist())), {h.row.id: h.score for h in lexical},
                           r.convex_vector_weight)
        else:
            fused = self._reciprocal(dense.ids if dense is not None else [], [h.row.id for h in lexical], note_of)
        order = {cid: i for i, cid in enumerate(found.ids)}
        keep = [order[cid] for cid in sorted(fused, key=lambda c: -fused[c]) if cid in order]
        found = _subset(found, keep)
        found.base = np.asarray([fused[cid] for cid in found.ids])
        return self._rank(found, k, rerank, query)

    def _reciprocal(self, dense_ids: list[str], lexical_ids: list[str], note_of: dict[str, Any]) -> dict[str, float]:
        """Weighted reciprocal rank fusion of the two lists (``fuse = "chunks"``; ``"notes"``
        ranks notes, a note's many chunks counting once), scaled to 0..1 (1 = first in both)."""
        r = self.config.retrieval
        weights = [1.0, r.lexical_weight]
        if r.fuse == "notes":
            by_note = rrf([[note_of[c] for c in dense_ids], [note_of[c] for c in lexical_ids]], weights, r.rrf_k)
            chunk = rrf([dense_ids, lexical_ids], weights, r.rrf_k)
            fused = {cid: by_note[note_of[cid]] + 1e-6 * chunk.get(cid, 0.0) for cid in note_of if note_of[cid] in by_note}
        else:
            fused = rrf([dense_ids, lexical_ids], weights, r.rrf_k)
        top = rrf_max(weights, r.rrf_k)
        return {cid: score / top for cid, score in fused.items()}

    # -- candidates -----------------------------------------------------------------
    def _both(self, query: str, vector: list[float] | None, n: int,
              ) -> tuple[list[Any], list[float], tuple[list[str], list[float]]]:
        """The best ``n`` chunks by BM25 and, meanwhile, the query's vector (``vector`` None:
        embedded now) and its ``n`` nearest chunks by Chroma. SQLite, the embedding model and
        Chroma's Rust core all let go of the GIL: the BM25 query (about a millisecond at til
        size) costs no time beside them (bench/bench_kb_query.py)."""
        lexical, beside = self.lexical, self._beside
        if beside is None:
            beside = self._beside = ThreadPoolExecutor(max_workers=1, thread_name_prefix="twin-bm25")
        pending = beside.submit(lexical.search, query, n)
        try:
            vector = self.embed(query) if vector is None else vector
            nearest = self._nearest(vector, n)
        except BaseException:
            wait([pending])  # the embedding's or Chroma's error is the one raised, not the lexical one
            raise
        return pending.result(), vector, nearest

    def _dense(self, vector: list[float], n: int, known: dict[str, LexRow] | None = None) -> Candidates | None:
        """The ``n`` nearest chunks (:meth:`_candidates`)."""
        ids, distances = self._nearest(vector, n)
        return self._candidates(ids, distances, vector, known)

    def _candidates(self, ids: list[str], distances: list[float], vector: list[float],
                    known: dict[str, LexRow] | None = None) -> Candidates | None:
        """Chunks ``ids`` (Chroma's, with their cosine ``distances``) as candidates: text,
        metadata and vector from the lexical rows (those already read, ``known``, are not read
        again), or from Chroma."""
        chunks = self._chunks(ids, known or {})
        keep = [i for i, cid in enumerate(ids) if cid in chunks]
        if not keep:
            return None
        ids = [ids[i] for i in keep]
        sims = 1.0 - np.asarray(distances, dtype=float)[keep]
        docs, metas, vectors = zip(*(chunks[cid] for cid in ids))
        return Candidates(ids, list(docs), list(metas), stacked_vectors(vectors), sims, sims.copy(),
                          np.asarray(vector, dtype=float))

    def _nearest(self, vector: list[float], n: int) -> tuple[list[str], list[float]]:
        """Ids and cosine distances of the ``n`` nearest chunks (Chroma)."""
        found = self.store.collection.query(query_embeddings=[vector], n_results=n, include=["distances"])
        if not found["ids"] or not found["ids"][0]:
            return [], []
        return list(found["ids"][0]), list(found["distances"][0])

    def _chunks(self, ids: list[str], known: dict[str, LexRow]) -> dict[str, tuple[str, dict[str, Any], bytes]]:
        """``{id: (text, metadata, vector as float32 bytes)}`` from the lexical rows (``known`` ones, the others
        read); ids without a complete row (a crash between the two writes, or a row from
        before rows held vectors) from Chroma."""
        rows = {cid: known[cid] for cid in ids if cid in known}
        rows.update(self.lexical.rows([cid for cid in ids if cid not in known]))
        out = {cid: (r.text, _row_meta(r), r.vector or b"") for cid, r in rows.items() if _complete_row(r)}
        missing = [cid for cid in ids if cid not in out]
        if missing:
            got = self.store.collection.get(ids=missing, include=["documents", "metadatas", "embeddings"])
            out.update({cid: (d or "", m, vector_bytes(v))
                        for cid, d, m, v in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"])})
        return out

    def _complete(self, dense: Candidates | None, rows: list[LexRow], vector: list[float]) -> Candidates:
        """The dense candidates plus the lexical-only ones (their text, metadata and vector
        from their rows, their similarity computed here). A lexical row whose vector is
        missing from Chroma too (a crash between the two writes) is left out; ingest repairs it."""
        have = set(dense.ids) if dense is not None else set()
        more = self._from_rows([row for row in rows if row.id not in have], np.asarray(vector, dtype=float))
        if dense is None:
            return more
        return _concat(dense, more) if more.ids else dense

    def _from_rows(self, rows: list[LexRow], query: np.ndarray) -> Candidates:
        """Chunks from their lexical rows (in the given order), with their similarity to
        ``query``; rows without a vector (schema 1) are read from Chroma, after the others."""
        ready = [r for r in rows if _complete_row(r)]
        old = [r.id for r in rows if not _complete_row(r)]
        out = _scored([r.id for r in ready], [r.text for r in ready], [_row_meta(r) for r in ready],
                      vectors_of(ready), query) if ready else _empty(query)
        return _concat(out, self._fetch(old, query)) if old else out

    def _fetch(self, ids: list[str], query: np.ndarray) -> Candidates:
        """Chunks by id from the vector store, with their similarity to ``query``."""
        if not ids:
            return _empty(query)
        got = self.store.collection.get(ids=ids, include=["documents", "metadatas", "embeddings"])
        if not got["ids"]:
            return _empty(query)
        return _scored(list(got["ids"]), [d or "" for d in got["documents"]], list(got["metadatas"]),
                       np.asarray(got["embeddings"], dtype=float), query)

    # -- ranking --------------------------------------------------------------------
    def _rank(self, found: Candidates, k: int, rerank: bool, query: str = "") -> list[Source]:
        r = self.config.retrieval
        stated: int | None = None
        topic: LifeTopic | None = None
        present = asks_about_present_state(query)
        scores = self._aged(found, present) if rerank else found.base
        window = max(k, r.rerank_window) if rerank else k  # the rerank orders the same notes whatever k is
        kept = kept_by_floor(found, query, r.min_score)
        order = _top_notes(np.where(kept, scores, -np.inf), found.metas, window)  # dropped ones take no place
        if rerank and not asks_about_past(query):
            # asked about now, "the same text, edited" is read loosely: alike, and as relevant within the state margin
            loose = present and r.state_conflict_similarity < r.conflict_similarity
            alike, margin = ((r.state_conflict_similarity, r.state_recency_margin) if loose
                             else (r.conflict_similarity, r.conflict_margin))
            topic = topic_of(query) if r.life_state else None
            if topic is not None and topic.near is None and not present:
                topic = None  # where you live or work *now*; a best so far is asked in any tense but the past
            if topic is not None:  # a newer edit of it, or a note that says it updates it, still goes above it (next)
                found, scores, order, stated = self._stated_first(found, scores, order, topic)
            order = newer_first(order, found.vectors, found.days, alike, found.sims, margin, r.answer_min_similarity)
            found, scores = self._with_updates(found, order, scores)
            order = superseded_by_newer(order, found.docs, found.metas, found.days, found.sims, r.min_score,
                                        asked_names(query))
            if present and r.subject_margin >= 0 and stated is None:
                order = same_subject_newer(order, found.metas, found.days, found.sims, r.subject_margin)
            if stated is not None and topic is not None and topic.near is not None:
                order = _put_first(order, stated)  # a newer run that beat it would say so too
            scores = _lift(scores, order)
        if rerank and r.first_margin >= 0 and asks_about_a_first(query):
            order = earliest_first(order, found.metas, found.days, found.sims, r.first_margin)
            scores = _lift(scores, order)
        if rerank and r.year_margin >= 0 and not present and stated is None and (year := asked_year(query)):
            order = of_the_year(order, found.metas, found.docs, found.sims, year, r.year_margin)
            scores = _lift(scores, order)
        if len(found.ids) > len(kept):  # the rules added candidates: read only those
            kept = np.concatenate([kept, kept_by_floor(_subset(found, list(range(len(kept), len(found.ids)))),
                                                       query, r.min_score)])
        tag = topic.tagged(meta_tags(found.metas[stated])) if stated is not None and topic is not None else ""
        if stated is not None and topic is not None and topic.near is None and (
                tag or topic.stated_by_name_in(found.docs[stated])):
            kept[stated] = True  # it says it by name, or its tags say so, however unlike the question ("I start with Stavanger Port")
        order = _first_notes([i for i in order if kept[i]], found.metas, k)
        why = ({stated: f"the newest note on {topic.what}" + (f" (tagged {tag})" if tag else "")}
               if topic is not None and stated is not None else {})
        return [_source(found.docs[i], found.metas[i], scores[i], found.sims[i], why.get(i, "")) for i in order]

    def _stated_first(self, found: Candidates, scores: np.ndarray, order: list[int],
                      topic: LifeTopic) -> tuple[Candidates, np.ndarray, list[int], int | None]:
        """Asked where the person lives or works now, the newest chunk that says so
        (kb/life_state.py; found in the lexical index, wherever it ranked) goes first; asked
        for their best so far, the newest candidate that says it beat the old best, among those
        at most ``topic.near`` below the best match."""
        if topic.near is not None:
            stated = newest_stating(found, topic, self.config.retrieval.min_score)
            return found, scores, order if stated is None else _put_first(order, stated), stated
        row = self.lexical.newest_where(topic.words, lambda row: self._states(topic, row))
        vouched = row is not None and (topic.stated_in(row.text) or topic.tagged(row_tags(row)))
        if row is None or (not vouched and not self._is_best_match(row, found, order)):
            return found, scores, order, None  # the plain form only vouches for the best match
        if row.id not in found.ids:
            if found.query is None:
                return found, scores, order, None
            more = self._from_rows(list(self.lexical.rows([row.id]).values()), found.query)
            if not more.ids:
                return found, scores, order, None
            found, scores = _concat(found, more), np.concatenate([scores, more.base])
        stated = found.ids.index(row.id)
        return found, scores, _put_first(order, stated), stated

    def _states(self, topic: LifeTopic, row: LexRow) -> bool:
        """``row`` says what ``topic`` asks: in so many words, or in the plain form in a note that
        speaks of it elsewhere (kb/life_state.LifeTopic.plain: "A small house in Tlalpan" under "##
        The street", "The rent is…" under "## Paper"). A note found by the plain form alone is ruled
        first only when it already is the best match (at cosine 0.26, under the no-note gate, for
        tuning person dev7): the form says nothing of being the newest, and an older home said that
        way is not where a person lives whose newer note the forms miss (dev6's "About me" of 2016,
        "A two-bedroom flat in North East Valley…", against "The manager's house at Kaimoko sits on
        a terrace"; dev5's "A second-floor flat in Azkoitia" against "Goiburu is a baserri above
        Urrestilla"). The newest such row ends the search either way: an older note saying it in
        so many words is not ruled over a newer home that is only described."""
        if topic.stated_in(row.text) or topic.tagged(row_tags(row)):
            return True
        if not topic.said_plainly_in(row.text):
            return False
        return topic.cued_in("\n".join(r.text for r in self.lexical.note_rows(row.source, row.path)))

    @staticmethod
    def _is_best_match(row: LexRow, found: Candidates, order: list[int]) -> bool:
        return bool(order) and _note_key(found.metas[order[0]]) == (row.source, row.path)

    def _with_updates(self, found: Candidates, order: list[int], scores: np.ndarray) -> tuple[Candidates, np.ndarray]:
        """Add the chunks of newer notes that say they update one of the ranked notes, found
        by their subject words in the lexical index (the update rarely resembles the
        question: "I left Fernwood" is no answer to "Where do you work?" on its own)."""
        days = found.days
        have = set(found.ids)
        extra: list[LexRow] = []
        version = self.lexical.version()
        for old in order:
            terms = subject_terms(found.metas[old], found.docs[old])
            if not terms:
                continue
            for row in self._updates_of(tuple(sorted(terms)), int(days[old]), version):
                if (row.id not in have and row.path != found.metas[old].get("path")
                        and mentions_update(f"{row.heading}\n{row.text}", terms)):
                    have.add(row.id)
                    extra.append(row)
        if not extra or found.query is None:
            return found, scores
        complete = self.lexical.rows([row.id for row in extra])  # with their vectors
        more = self._from_rows([complete.get(row.id, row) for row in extra], found.query)
        return _concat(found, more), np.concatenate([scores, more.base])

    def _updates_of(self, terms: tuple[str, ...], newer_than: int, version: tuple[int, int]) -> list[LexRow]:
        """:meth:`_updating_rows`, remembered until the index changes (a note's chunks, and the
        next questions about the same notes, ask the same)."""
        key = (terms, newer_than)
        cached = self._updates.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
        if len(self._updates) >= UPDATES_CACHE:
            self._updates.clear()
        rows = self._updating_rows(list(terms), newer_than)
        self._updates[key] = (version, rows)
        return rows

    def _updating_rows(self, terms: list[str], newer_than: int) -> list[LexRow]:
        """The best 10 chunks by BM25, dated after ``newer_than``, that name one of ``terms``
        (where a later note says it updates an older one; the cap keeps chunks that are about
        the subject: uncapped, til how-tos lost 4 of 95 first places to passing mentions).
        Most subjects have no update cue anywhere (one indexed lookup of the chunks with a cue
        next to these words says so, kb/cues.py): then the BM25 search is skipped."""
        wanted = set(terms)
        if not any(mentions_update(f"{row.heading}\n{row.text}", wanted)
                   for row in self.lexical.cue_rows(terms, newer_than)):
            return []
        return self.lexical.mentions(terms, newer_than, limit=10)

    def _aged(self, found: Candidates, present: bool) -> np.ndarray:
        """The fused scores with note age counted: for a question about the present state, the
        ``state_recency_weight`` decay on the chunks about as similar to the question as the
        best (``state_recency_margin``: "About me", newest and loosely about everything, stays
        below the note asked about); otherwise the global ``recency_weight`` decay (0: none)."""
        r = self.config.retrieval
        if present and r.state_recency_weight > r.recency_weight and len(found.sims):
            lifted = found.sims >= found.sims.max() - r.state_recency_margin
            if r.state_recency_alike > 0:  # on the subject of the first by fused score
                best = int(np.argmax(found.base))
                lifted &= found.vectors @ found.vectors[best] >= r.state_recency_alike
            return self.recency_scores(found.base, found.days, r.state_recency_weight, lifted)
        if r.recency_weight > 0:
            return self.recency_scores(found.base, found.days, r.recency_weight)
        return found.base

    def recency_scores(self, sims: np.ndarray, days: np.ndarray, weight: float,
                       lifted: np.ndarray | None = None) -> np.ndarray:
        """The age decay: ``(1 - w) * score + w * 0.5 ** (age / half_life)``; a candidate outside
        ``lifted`` (a mask; None = every one) gets no age term."""
        age = np.clip(self._today_days() - days, 0.0, None)
        fresh = np.power(0.5, age / self.config.retrieval.half_life_days)
        return (1.0 - weight) * sims + weight * (fresh if lifted is None else np.where(lifted, fresh, 0.0))

    def _today_days(self) -> float:
        return float(((self.today or date.today()) - EPOCH).days)


def rrf(rankings: list[list[str]], weights: list[float], k: float) -> dict[str, float]:
    """Weighted reciprocal rank fusion: ``{id: sum(w / (k + rank))}``, best first (ties keep
    the order of first appearance, the vector list first)."""
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, cid in enumerate(dict.fromkeys(ranking), 1):
            fused[cid] = fused.get(cid, 0.0) + weight / (k + rank)
    return dict(sorted(fused.items(), key=lambda kv: -kv[1]))


def convex(sims: dict[str, float], bm25: dict[str, float], vector_weight: float) -> dict[str, float]:
    """Convex combination of normalised scores (Bruch et al. 2023, "An analysis of fusion
    functions for hybrid retrieval"): ``w·cos' + (1-w)·bm25'``, each scaled from its
    theoretical minimum (cosine -1, BM25 0) to the best score in its list; a chunk outside the
    BM25 list scores 0 there. Best first. Unlike reciprocal ranks it keeps how far apart two
    scores are: a name that only one note holds wins by the margin BM25 gives it."""
    top_cos = max(sims.values(), default=1.0)
    top_bm25 = max(bm25.values(), default=0.0)
    fused = {}
    for cid, cos in sims.items():
        dense = (cos + 1.0) / (top_cos + 1.0) if top_cos > -1.0 else 0.0
        lexical = bm25.get(cid, 0.0) / top_bm25 if top_bm25 > 0 else 0.0
        fused[cid] = vector_weight * dense + (1.0 - vector_weight) * lexical
    return dict(sorted(fused.items(), key=lambda kv: -kv[1]))


def rrf_max(weights: list[float], k: float) -> float:
    return sum(w / (k + 1) for w in weights)


def _complete_row(row: LexRow | None) -> bool:
    """A row that holds everything a candidate needs (schema 2: its vector and heading path)."""
    return row is not None and row.vector is not None and row.heading_path is not None


def _row_meta(row: LexRow) -> dict[str, Any]:
    """The metadata the ranking and the citations read, as Chroma stores it for the chunk."""
    return {"path": row.path, "title": row.title, "date": row.date, "date_days": row.date_days,
            "heading": row.heading_path, "position": row.position, "source": row.source,
            "tags": ",".join(row_tags(row))}


def row_tags(row: LexRow) -> list[str]:
    """The note's tags, as the lexical index keeps them: after the heading path in its heading
    column (kb/ingest.py); none for a schema-1 row, which has no separate heading path."""
    if row.heading_path is None or not row.heading.startswith(row.heading_path):
        return []
    return row.heading[len(row.heading_path):].split()


def meta_tags(meta: dict[str, Any]) -> list[str]:
    """The note's tags from a chunk's metadata (comma-joined, as the vector store keeps them)."""
    return [t for t in str(meta.get("tags") or "").split(",") if t]


def _scored(ids: list[str], docs: list[str], metas: list[dict[str, Any]], vectors: np.ndarray,
            query: np.ndarray) -> Candidates:
    """Candidates outside the dense list: similarity computed here, no fused score yet."""
    sims = vectors @ query / (np.linalg.norm(vectors, axis=1) * (np.linalg.norm(query) or 1.0) + 1e-12)
    return Candidates(ids, docs, metas, vectors, sims, np.full(len(sims), -np.inf), query)


def _empty(query: np.ndarray | None = None) -> Candidates:
    return Candidates([], [], [], np.zeros((0, 0)), np.zeros(0), np.zeros(0), query)


def _subset(c: Candidates, idx: list[int]) -> Candidates:
    return Candidates([c.ids[i] for i in idx], [c.docs[i] for i in idx], [c.metas[i] for i in idx],
                      c.vectors[idx], c.sims[idx], c.base[idx], c.query)


def _concat(a: Candidates, b: Candidates) -> Candidates:
    if not b.ids:
        return a
    if not a.ids:
        return b
    return Candidates(a.ids + b.ids, a.docs + b.docs, a.metas + b.metas, np.vstack([a.vectors, b.vectors]),
                      np.concatenate([a.sims, b.sims]), np.concatenate([a.base, b.base]), a.query)


def _top_notes(scores: np.ndarray, metas: list[dict[str, Any]], k: int) -> list[int]:
    """The best chunks, best first, down to the first chunk of a ``k+1``-th note: ``k`` counts
    notes, not chunks (two chunks of one note must not push the second note out)."""
    return _first_notes([int(i) for i in np.argsort(-scores, kind="stable")], metas, k)


def _first_notes(order: list[int], metas: list[dict[str, Any]], k: int) -> list[int]:
    """``order`` down to the first chunk of its ``k+1``-th note."""
    seen: set[tuple[str, str]] = set()
    out: list[int] = []
    for i in order:
        key = _note_key(metas[i])
        if key not in seen and len(seen) >= k:
            break
        seen.add(key)
        out.append(i)
    return out


def newer_first(
    order: list[int], vectors: np.ndarray, days: np.ndarray, threshold: float,
    sims: np.ndarray | None = None, margin: float = 1.0, floor: float = -1.0,
) -> list[int]:
    """Move each chunk above the highest-ranked older chunk it conflicts with: same topic
    (vectors' cosine >= ``threshold``) and about as relevant (query similarity at most
    ``margin`` lower, and at least ``floor``: a chunk too far from the question to answer it
    is not lifted above one that can)."""
    result: list[int] = []
    for idx in order:
        place = len(result)
        for pos, other in enumerate(result):
            close = sims is None or (sims[idx] >= sims[other] - margin and sims[idx] >= floor)
            if days[idx] > days[other] and close and float(vectors[idx] @ vectors[other]) >= threshold:
                place = pos
                break
        result.insert(place, idx)
    return result


_GENERIC = frozenset(
    "about after before being first local moving notes things working where which while years formerly "
    "previously update updated updates new next last part using guide note starting".split()
)


def subject_terms(meta: dict[str, Any], text: str = "") -> frozenset[str]:
    """Distinctive words of a note's title and file name ("Working at Fernwood Analytics" →
    fernwood, analytics), the words a later note uses when it updates this one: what the note
    is about; with ``text`` (one of its chunks) also the chunk's rare words, the names of the
    things it is about ("I use a Fairphone 3": a later "I switched from the Fairphone 3" names
    the phone, not the title "My phone"). Its tags are not counted: a shared tag ("home",
    "job") promoted unrelated newer notes (dev person: newer note first 15/20 -> 14/20).
    A word the note itself says is behind it ("We moved from Rathmines to Phibsborough") is not
    what it holds now: a later "I no longer sing with the Rathmines choir" does not update it."""
    title = str(meta.get("title", ""))
    return _current_terms(title, str(meta.get("path", "")), text)


@lru_cache(maxsize=8192)
def _current_terms(title: str, path: str, text: str) -> frozenset[str]:
    words = _subject_terms(title, path) | _rare_words(text) if text else _subject_terms(title, path)
    return words - behind_words(f"{title}\n{text}")


@lru_cache(maxsize=8192)
def _rare_words(text: str) -> frozenset[str]:
    """The rare words ``text`` capitalises: names of products, places, firms ("Fairphone",
    "Dawes"); a how-to's lower-case jargon ("tmux", "psql") is not what an update names."""
    words = (w.lower() for w in re.findall(r"\b[A-Z][A-Za-z0-9]+", text))
    return frozenset(w for w in words if len(w) >= MIN_SUBJECT_LENGTH and w not in STOPWORDS and is_rare(w))


@lru_cache(maxsize=8192)
def _subject_terms(title: str, path: str) -> frozenset[str]:
    words = re.findall(r"[a-z][a-z0-9]+", f"{title} {Path(path).stem}".lower())
    return frozenset(w for w in words if len(w) >= MIN_SUBJECT_LENGTH and w not in _GENERIC and w not in STOPWORDS)


_PROCEDURAL = re.compile(r"\bhow (do|does|can|could|would|should|to)\b", re.I)
# "How do you get to work these days?" asks for a habit of now, not a how-to; "the current branch",
# "now that…", and the same words in a question not put to the person are no such marker ("How do I
# find the current git branch?", "How can I see what is running at the moment?")
_HABIT_NOW = re.compile(r"\b(these days|nowadays|at the moment|currently)\b", re.I)


_TO_YOU = re.compile(r"\b(do|are|have) you\b|\byour\b|\byou(?:'re|’re|'ve|’ve)\b", re.I)
# a measure of one of the person's named things, in the present: "How much does Tattie weigh?" (a
# measure changes; "What does Tattie look like?" is answered by the note that introduces her)
_NAMED_NOW = re.compile(r"\b(?i:how (?:much|many|old|big|long|far|fast|heavy|tall))\b.*\b(?i:does|has|is)\s+"
                        r"(?-i:[A-Z][a-z][\w'’-]*)\b")


def asks_about_present_state(question: str) -> bool:
    """A question about how the person's things stand now ("What camera do you shoot on?",
    "How many stars does your logger have?", "How much rent are you paying now?"), not a how-to
    ("How do you squash commits?") and not the past, or one that asks for the newest of something
    ("How many kilos of potatoes did you dig last season?"): for these, a newer note on the same
    subject describes the current state, and note age counts (``state_recency_weight``)."""
    asked = (_TO_YOU.search(question) or _PRESENT.search(question) or _NAMED_NOW.search(question)
             or _NEWEST.search(question))
    how_to = _PROCEDURAL.search(question) and not (_HABIT_NOW.search(question) and _TO_YOU.search(question))
    return bool(asked) and not how_to and not asks_about_past(question)


SUBJECT_RANK = 5000  # a title word among this many commonest words is no subject of its own ("house" 164, "dog" 1903)


def same_subject_newer(order: list[int], metas: list[dict[str, Any]], days: np.ndarray, sims: np.ndarray,
                       margin: float) -> list[int]:
    """Put the newest note about the same subject as a ranked older one (a shared distinctive
    title or file-name word outside the ``SUBJECT_RANK`` commonest English words ("Skua
    (formerly Loggerhead)" and "Skua 3.4.2 is out", "Python 3.12" and "Python 3.13") right above
    it, when about as relevant (similarity at most ``margin`` lower); keeps ``len(order)``. A
    shared common word is no subject: "Top house" (a move) is not an update of "The big house"
    (the employer's), nor "Top dog" of either."""
    result = list(order)
    for old in list(order):
        subject = subject_terms(metas[old])
        if old not in result or not subject:
            continue
        candidates = [
            j for j in range(len(metas))
            if days[j] > days[old] and not _same_note(metas[j], metas[old])
            and sims[j] >= sims[old] - margin and any(is_uncommon_name(w, SUBJECT_RANK) for w in subject & subject_terms(metas[j]))
        ]
        if candidates:
            _place_above(result, max(candidates, key=lambda j: (days[j], sims[j])), old)
    return result


_PAST = re.compile(r"\b(was|were|did|didn't|had|used to|back then|before|previously|formerly|originally|ago)\b", re.I)
# "Who helped you with the move?", "What happened to the van?": the question's subject is its
# wh-word and its verb is in the past ("-ed", not "need", "seed", "red")
_PAST_VERB = re.compile(r"^\W*(?:who|what)\s+\w{2,}[^e\W]ed\b"
                        r"(?!.*\b(?:do|does|are|is|am|can|will|would|should)\s+(?:you|your|i|we|they|he|she|it)\b)",
                        re.I)  # "What hosted email service do you use?": an adjective, the wh-word its object
_PRESENT = re.compile(r"\b(now|currently|current|these days|nowadays|today|at the moment|still|anymore|latest"
                      r"|so far|most recently)\b(?!\.\w)", re.I)  # "now", not "now.json"
# "last season": the newest one ("What was your lambing percentage last season?"), when nothing but the
# tense of "was"/"did" says past ("…last season, before you moved to Fernwood?" is past); not "the last
# time you were at Fernwood", which asks for that time, not the newest note
_NEWEST = re.compile(r"\blast season\b(?![-\w])", re.I)
_TENSE_ONLY = re.compile(r"\b(?:was|were|did)\b", re.I)


# the first of the person's things or doings: "your first car", "your very first bees", "that first
# harvest", "the first Munro you ever climbed", "did you first play", "your first day of school"; not
# a routine ("your first drink of the day"), a part of something ("the first kilometre of the 10k",
# "the first week in your new job"), a kind of thing that is no first ("your first name", "first aid",
# "your first priority"), a rank ("first place", "came first"), an order of asking ("Can you first
# tell me…", "first of all"), of work ("write tests first", "local-first") or a thing's own ("its first call")
_NOT_A_FIRST = (r"(?:place|prize|things?|of|and|aid|names?|half|round|heat|draft|steps?|priority|priorities"
                r"|thoughts?|class|choice|language|person|line)\b")
_ROUTINE = r"\s+of\s+(?:the|each|every|a)\s+(?:day|week|month|year|morning|evening|night|season|match|game)\b"
_FIRST = re.compile(
    rf"\b(?:(?:your|that)\s+(?:very\s+)?first\s+(?!{_NOT_A_FIRST})[^\W\d_][\w'-]*(?![\w'-])(?!{_ROUTINE})"
    rf"|the\s+(?:very\s+)?first\s+(?!{_NOT_A_FIRST})[^\W\d_][\w'-]*(?:\s+[^\W\d_][\w'-]*)?\s+(?:you|that you)\b"
    rf"|(?:did|do|when|where|since|have|had)\s+you\s+(?:ever\s+)?first\s+(?!{_NOT_A_FIRST})[^\W\d_])", re.I)


def asks_about_a_first(question: str) -> bool:
    """A question about the first of something ("What did you pay for your first car?", "Where did
    you first play the nyatiti?"): the oldest note about it answers, not the newest."""
    return bool(_FIRST.search(question)) and not _PRESENT.search(question)


def earliest_first(order: list[int], metas: list[dict[str, Any]], days: np.ndarray, sims: np.ndarray,
                   margin: float) -> list[int]:
    """Asked about a first: the oldest note about as relevant as the first-ranked one (similarity
    at most ``margin`` lower) goes above it ("the first car" is the 2019 note on the Vitz, not the
    2023 one on selling it); keeps ``len(order)``."""
    if not order:
        return order
    top = order[0]
    older = [j for j in order if days[j] < days[top] and not _same_note(metas[j], metas[top])
             and sims[j] >= sims[top] - margin]
    if not older:
        return order
    result = list(order)
    _place_above(result, min(older, key=lambda j: (days[j], -sims[j])), top)
    return result


# a year the question is about ("Christmas in 2021", "the 2017 earthquake"), not one it counts from
# or to, an amount ("$2000"), a measure ("2000 km", "a 2000-piece puzzle") or part of a date
_YEAR = re.compile(r"(?<!\bsince )(?<!\bbefore )(?<!\bafter )(?<!\buntil )(?<!\btill )(?<!\bfrom )(?<!\bby )"
                   r"(?<!\bprior to )(?<!\bup to )(?<!\bas of )(?<![\d/.\-$£€¥])\b((?:19|20)\d\d)\b(?![\d/.\-]|s\b)"
                   r"(?!\s?(?:km|kg|mi|ml|ft|m|g|l|miles|metres|meters|dollars|euros|pounds|quid|words|steps|pieces|people|calories)\b)",
                   re.I)


def asked_year(question: str) -> str:
    """The one year ``question`` asks about ("What did you bring your mum for Christmas in 2021?",
    "After the 2017 earthquake, where did you stay?"); "" when it names none, two, or counts
    from or to one ("since 2019", "before 2020", "the 1990s")."""
    plain = re.sub(r"\s+", " ", question)
    years = set(_YEAR.findall(plain))
    return years.pop() if len(years) == 1 and set(re.findall(r"\b(?:19|20)\d\d\b", plain)) == years else ""


def of_the_year(order: list[int], metas: list[dict[str, Any]], docs: list[str], sims: np.ndarray, year: str,
                margin: float) -> list[int]:
    """Asked about ``year``: the best note dated that year, or whose title names it, goes above
    the first-ranked one when its similarity is at most ``margin`` lower (the 2017 note on the
    earthquake, which never says "earthquake", over a 2020 one on the flat it led to); not over
    a first-ranked chunk that names the year itself (a 2022 vet log's "2021-11-02 — tick fever"
    for "What was the dog ill with in 2021?"). Keeps ``len(order)``."""
    if not order or _of_year(metas[order[0]], year) or _names_year(docs[order[0]], year):
        return order
    top = order[0]
    dated = [j for j in order if _of_year(metas[j], year) and sims[j] >= sims[top] - margin]
    if not dated:
        return order
    result = list(order)
    _place_above(result, dated[0], top)
    return result


def _of_year(meta: dict[str, Any], year: str) -> bool:
    """A note dated ``year`` or whose title names it."""
    return str(meta.get("date", "")).startswith(year) or _names_year(str(meta.get("title", "")), year)


def _names_year(text: str, year: str) -> bool:
    return re.search(rf"(?<!\d){year}(?!\d)", text) is not None


def asks_about_past(question: str) -> bool:
    """A question about how things were ("What was Pebble?", "Why did you move to Lisbon?"):
    the older note is the answer, so the newer-note rerank stays out of it. A present
    marker wins ("Did you live in Lisbon? And where do you live now?"), and "last season" does
    when only the tense of "was"/"did" says past."""
    if _PRESENT.search(question):
        return False
    if _NEWEST.search(question) and not _PAST_VERB.search(question):
        return any(not _TENSE_ONLY.fullmatch(m.group(0)) for m in _PAST.finditer(question))
    return bool(_PAST.search(question) or _PAST_VERB.search(question))


def newest_stating(found: Candidates, topic: LifeTopic, min_sim: float) -> int | None:
    """The newest candidate whose text ``topic`` holds stated ("the fastest I've ever done it"),
    of those at most ``topic.near`` below the best similarity (and not under ``min_sim``) and at
    least ``topic.alike`` alike to the best match's chunk."""
    if not len(found.sims) or topic.near is None:
        return None
    best = int(np.argmax(found.sims))
    floor = max(float(found.sims[best]) - topic.near, min_sim)
    alike = found.vectors @ found.vectors[best]  # on the best match's subject, not only near the question
    days = found.days
    near = [i for i in range(len(found.ids))
            if found.sims[i] >= floor and alike[i] >= topic.alike and topic.stated_in(found.docs[i] or "")]
    return max(near, key=lambda i: (days[i], found.sims[i])) if near else None


def _put_first(order: list[int], first: int) -> list[int]:
    """``order`` with ``first`` moved (or brought) to the front."""
    return [first] + [i for i in order if i != first]


def _note_key(meta: dict[str, Any]) -> tuple[str, str]:
    return str(meta.get("source", "")), str(meta.get("path", ""))


def _same_note(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return _note_key(a) == _note_key(b)


@lru_cache(maxsize=4096)
def _words(text: str) -> frozenset[str]:
    return frozenset(terms(text))


def kept_by_floor(found: Candidates, question: str, floor: float) -> np.ndarray:
    """Per candidate: at or above ``floor`` in cosine, or naming a rare word of ``question`` (a
    name, a product, jargon) in its title, heading or text. Such a chunk is about what was asked
    even under the floor: a never-seen user's "Who is Priya Raman?" was at 0.10 to the only note
    naming her ("My manager, Priya Raman, lets me swap shifts"), and the note was dropped. Only the
    chunks under the floor are read (most questions have none)."""
    kept = found.sims >= floor
    low = np.flatnonzero(~kept)
    rare = rare_terms(question) if low.size else ()
    if rare:
        pattern = _naming_pattern(rare)
        for i in low:
            meta = found.metas[i]
            kept[i] = bool(pattern.search(f"{meta.get('title', '')}\n{meta.get('heading', '')}\n{found.docs[i] or ''}"))
    return kept


@lru_cache(maxsize=1024)
def _naming_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.I)


def asked_names(question: str) -> frozenset[str]:
    """The rare words a question asks about ("olmos" in "Who is J. P. Olmos?", "fernwood"); none
    when it asks whether they still hold ("Is Priya Raman still your manager?": the update is
    the answer)."""
    return frozenset() if _PRESENT.search(question) else frozenset(rare_terms(question))


@lru_cache(maxsize=1024)
def rare_terms(question: str) -> tuple[str, ...]:
    """The question's words that are rare in general English (names, products, jargon), in order."""
    return tuple(w for w in terms(question) if is_rare(w))


def superseded_by_newer(order: list[int], docs: list[str], metas: list[dict[str, Any]], days: np.ndarray,
                        sims: np.ndarray, min_sim: float, asked: frozenset[str] = frozenset()) -> list[int]:
    """Put a newer note that says it updates an older top note ("Pebble is now called Cairn",
    "I left Fernwood", "I no longer live in Lisbon") right above it, keeping ``len(order)``;
    the newer note's chunk most similar to the question represents it.

    Similarity alone misses these updates: the old note matches the question's words best,
    while the note that replaces it talks about the new name, employer or city. A question
    about something the older chunk names and the newer note does not (``asked``: "Who is J. P.
    Olmos?", the first client, named in the old workshop's note only) is about the older note.
    """
    result = list(order)
    keys = [_note_key(m) for m in metas]
    texts = {j: text for j in range(len(docs))  # the chunks that can say they update anything
             if holds_update_cue(text := f"{metas[j].get('heading', '')}\n{docs[j] or ''}")}
    if not texts:
        return result
    for old in list(order):
        terms = subject_terms(metas[old], docs[old])
        if old not in result or not terms:
            continue
        updating = {
            keys[j] for j, text in texts.items()
            if keys[j] != keys[old] and days[j] > days[old] and mentions_update(text, terms)
        }
        if not updating:
            continue
        named = asked & _words(docs[old] or "") if asked else asked
        if named:  # keep only the updates that name it too
            updating = {key for key in updating
                        if any(named & _words(docs[j] or "") for j in range(len(docs)) if keys[j] == key)}
        # the updating note's chunk most relevant to the question stands in for it
        candidates = [j for j in range(len(docs)) if keys[j] in updating and sims[j] >= min_sim]
        if not candidates:
            continue
        _place_above(result, max(candidates, key=lambda j: sims[j]), old)
    return result


def _place_above(result: list[int], best: int, old: int) -> None:
    """Move (or bring) ``best`` right above ``old`` in ``result``, keeping its length (a
    newcomer pushes the last chunk out, which may be ``old`` itself)."""
    if best in result:
        if result.index(best) < result.index(old):
            return
        result.remove(best)
        result.insert(result.index(old), best)
        return
    size = len(result)
    result.insert(result.index(old), best)
    del result[size:]


def _lift(scores: np.ndarray, order: list[int]) -> np.ndarray:
    """Keep reported scores monotone: a promoted chunk takes the best score ranked below it."""
    lifted = scores.copy()
    best = -np.inf
    for idx in reversed(order):
        best = max(best, float(scores[idx]))
        lifted[idx] = best
    return lifted


def _source(text: str, meta: dict[str, Any], score: float, sim: float, why: str = "") -> Source:
    source = Source(
        path=str(meta.get("path", "")), title=str(meta.get("title", "")), date=str(meta.get("date", "")),
        heading=str(meta.get("heading", "")), score=round(float(score), 4),
        similarity=round(float(sim), 4), text=text or "", source=str(meta.get("source", "")),
    )
    if why:
        source["why"] = why
    return source
