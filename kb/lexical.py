"""The lexical index: SQLite FTS5 (BM25) over the same chunks as the vector store.

Chosen by measurement over rank-bm25 and bm25s (``bench/bench_kb_lexical.py``, docs/kb.md):
same quality on the til notes, sub-millisecond queries, and incremental, transactional
updates (a changed note rewrites its own rows; the others rebuild the whole index).

One file per collection: ``<home>/lexical-<collection>.sqlite``. ``chunks`` holds each
chunk's id, source, path, title, heading path, date, text and vector (float32, the one
stored in Chroma), so a lexical hit is a complete, citable, scorable source and the
retriever reads every candidate's text, metadata and vector here in one indexed lookup
instead of asking Chroma for them; ``fts`` is an external-content FTS5 table over title,
heading (with the tags) and body (porter stemming), kept in step by triggers; ``cues``
holds, per chunk, the words of its sentences that carry an update cue ("I left Fernwood":
kb/cues.py), so the notes that may update a subject are one indexed lookup (schema 3; an
older file gets them computed from its rows on open). A file from
schema 1 (no vectors) gains the columns on open; its rows count as stale until the next
ingest rewrites them (no embedding: the vectors come from Chroma), and readers fall back
to Chroma for rows without a vector. Every write is one SQLite
transaction, so a killed process leaves the file as of the last committed batch; ingest
then reconciles it with the notes like it does the vectors (see kb/ingest.py).
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kb.cues import CUES_VERSION, cue_words

SCHEMA_VERSION = "3"
PAGE = 500  # ids per IN (...) statement
CACHE_KIB = 65536  # SQLite page cache per connection (filled as pages are read; the til index is ~11 MB)
MMAP_BYTES = 256 * 1024 * 1024  # memory-mapped reads up to this much of the file

# Column weights for bm25(): title, heading path, body (tuned on the dev half of the til
# questions, bench/bench_kb_lexical.py).
WEIGHTS = (2.0, 1.0, 1.0)

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
STOPWORDS = frozenset(
    """a about above after again against all am an and any are aren't as at be because been before being
    below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down
    during each few for from further had hadn't has hasn't have haven't having he her here hers herself
    him himself his how i if in into is isn't it it's its itself just let's me more most my myself no nor
    not of off on once only or other ought our ours ourselves out over own same she should so some such
    than that that's the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you your
    yours yourself yourselves get got use used using way ways tell know like want make made thing things
    one also still really even""".split()
)


@dataclass
class LexRow:
    """One chunk as the lexical index stores it."""

    id: str
    source: str
    path: str
    title: str
    heading: str
    date: str
    date_days: int
    position: int
    meta: str  # hash of everything stored here (a changed row is rewritten)
    text: str
    heading_path: str | None = None  # the heading path alone ("A > B"; ``heading`` adds the tags)
    vector: bytes | None = None  # float32, as stored in the vector store (None: schema 1 row)


@dataclass
class LexHit:
    row: LexRow
    score: float  # BM25 (higher is better)


def vector_bytes(vector: Any) -> bytes:
    """A vector as the lexical index stores it (float32, as the vector store keeps it)."""
    return np.asarray(vector, dtype=np.float32).tobytes()


def vectors_of(rows: list[LexRow]) -> np.ndarray:
    """The rows' vectors as one ``(n, dim)`` float64 array (every row must have one)."""
    return stacked_vectors([r.vector or b"" for r in rows])


def stacked_vectors(blobs: Sequence[bytes]) -> np.ndarray:
    """Vectors stored as float32 bytes (:func:`vector_bytes`) as one ``(n, dim)`` float64 array, read at once."""
    if not blobs:
        return np.zeros((0, 0))
    return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1).astype(float)


def terms(text: str) -> list[str]:
    """Lower-cased words of ``text`` without stop words, in order, each once."""
    words = (w.lower() for w in _WORD.findall(text))
    return list(dict.fromkeys(w for w in words if w not in STOPWORDS and (len(w) > 1 or w.isdigit())))


# when a question is asked, not what it is about: "Where do you live these days?" matched
# "Five days on the coast" and "The Biscuit lives (for now)" before the note on moving
_WHEN_ASKED = re.compile(r"\b(?:these days|nowadays|right now|now|at the moment|at present|currently|lately|any ?more)\b"
                         r"(?!\.\w)", re.I)  # "now", not "now.json"


def match_expression(query: str) -> str:
    """An FTS5 query matching any of the query's terms (each quoted: no operator injection),
    without the words that only say the question is about the present ("these days")."""
    return any_of(terms(_WHEN_ASKED.sub(" ", query)))


def any_of(words: Iterable[str]) -> str:
    """An FTS5 query matching any of ``words`` (each quoted: no operator injection)."""
    return " OR ".join(f'"{w}"' for w in words)


def index_path(home: Path, collection: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", collection) or "notes"
    return Path(home) / f"lexical-{safe}.sqlite"


_SCHEMA = """
create table if not exists info (key text primary key, value text);
create table if not exists chunks (
    rowid integer primary key, id text unique not null, source text not null, path text not null,
    title text not null, heading text not null, date text not null, date_days integer not null,
    position integer not null, meta text not null, body text not null, heading_path text, vector blob
);
create index if not exists chunks_by_path on chunks (source, path);
create virtual table if not exists fts using fts5 (
    title, heading, body, content='chunks', content_rowid='rowid',
    tokenize='porter unicode61 remove_diacritics 2'
);
create table if not exists cues (chunk integer not null, word text not null);
create index if not exists cues_by_word on cues (word, chunk);
create trigger if not exists chunks_cues_ad after delete on chunks begin
    delete from cues where chunk = old.rowid;
end;
create trigger if not exists chunks_ai after insert on chunks begin
    insert into fts (rowid, title, heading, body) values (new.rowid, new.title, new.heading, new.body);
end;
create trigger if not exists chunks_ad after delete on chunks begin
    insert into fts (fts, rowid, title, heading, body) values ('delete', old.rowid, old.title, old.heading, old.body);
end;
create trigger if not exists chunks_au after update on chunks begin
    insert into fts (fts, rowid, title, heading, body) values ('delete', old.rowid, old.title, old.heading, old.body);
    insert into fts (rowid, title, heading, body) values (new.rowid, new.title, new.heading, new.body);
end;
"""

_COLUMNS = "id, source, path, title, heading, date, date_days, position, meta, body, heading_path, vector"
_C_COLUMNS = ", ".join("c." + c.strip() for c in _COLUMNS.split(","))
_ADDED = (("heading_path", "text"), ("vector", "blob"))  # columns schema 2 added to ``chunks``


class LexicalError(RuntimeError):
    """The lexical index file cannot be opened or used; the message says what to do."""


class LexicalIndex:
    """FTS5 over note chunks. Thread-safe (one connection behind a lock); readers in
    other processes see each committed batch (WAL)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        try:
            self.db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30.0)
            self.db.execute("pragma journal_mode=wal")
            self.db.execute("pragma synchronous=normal")
            # the whole index in memory once read (SQLite's default 2 MB cache re-read pages from
            # the OS for every query: half of the rerank's lookup time at til size)
            self.db.execute(f"pragma cache_size=-{CACHE_KIB}")
            self.db.execute(f"pragma mmap_size={MMAP_BYTES}")
            with self.db:
                self.db.executescript(_SCHEMA)
                self._migrate()
                self.db.execute("insert or replace into info values ('schema', ?)", (SCHEMA_VERSION,))
        except sqlite3.DatabaseError as exc:
            raise LexicalError(
                f"cannot open the lexical index {self.path} ({exc}); delete the file and run "
                "`twin ingest` again to rebuild it from your notes"
            ) from exc

    def _migrate(self) -> None:
        """Add the columns a schema 1 file lacks (its rows stay stale until rewritten)."""
        have = {rec[1] for rec in self.db.execute("pragma table_info(chunks)")}
        for name, kind in _ADDED:
            if name not in have:
                self.db.execute(f"alter table chunks add column {name} {kind}")
        found = self.db.execute("select value from info where key = 'schema'").fetchone()
        cues = self.db.execute("select value from info where key = 'cues'").fetchone()
        # schema 3 keeps each chunk's cue words, as of the cue patterns they were computed with
        if found is not None and (int(found[0]) < 3 or cues is None or cues[0] != CUES_VERSION):
            self.db.execute("delete from cues")
            self._add_cues(self.db.execute("select rowid, heading, body from chunks").fetchall())
        self.db.execute("insert or replace into info values ('cues', ?)", (CUES_VERSION,))

    def _add_cues(self, chunks: list[tuple[int, str, str]]) -> None:
        """Record the cue words (kb/cues.py) of ``(rowid, heading, body)`` chunks."""
        self.db.executemany("insert into cues (chunk, word) values (?, ?)",
                            [(rowid, word) for rowid, heading, body in chunks
                             for word in sorted(cue_words(f"{heading}\n{body}"))])

    @classmethod
    def from_config(cls, config: Any) -> LexicalIndex:
        return cls(index_path(config.home_path, config.retrieval.collection))

    def close(self) -> None:
        with self._lock:
            self.db.close()

    # -- reading ------------------------------------------------------------------
    def version(self) -> tuple[int, int]:
        """Changes whenever the index does: a commit by another connection or process
        (SQLite's ``data_version``) or a write through this one (``total_changes``)."""
        with self._lock:
            return int(self.db.execute("pragma data_version").fetchone()[0]), self.db.total_changes

    def count(self, source: str | None = None) -> int:
        sql, args = ("select count(*) from chunks", ()) if source is None else (
            "select count(*) from chunks where source = ?", (source,))
        with self._lock:
            return int(self.db.execute(sql, args).fetchone()[0])

    def manifest(self, source: str | None = None, paths: Iterable[str] | None = None) -> dict[str, str]:
        """``{chunk id: meta hash}`` (of one source, optionally only these note paths); a
        row without its vector or heading path (schema 1) reports ``""``: stale."""
        meta = "case when vector is null or heading_path is null then '' else meta end"
        with self._lock:
            if source is None:
                return dict(self.db.execute(f"select id, {meta} from chunks"))
            if paths is None:
                return dict(self.db.execute(f"select id, {meta} from chunks where source = ?", (source,)))
            out: dict[str, str] = {}
            for part in _pages(sorted(set(paths))):
                marks = ",".join("?" * len(part))
                out.update(self.db.execute(
                    f"select id, {meta} from chunks where source = ? and path in ({marks})", (source, *part)))
            return out

    def rows(self, ids: Iterable[str]) -> dict[str, LexRow]:
        out: dict[str, LexRow] = {}
        with self._lock:
            for part in _pages(list(dict.fromkeys(ids))):
                marks = ",".join("?" * len(part))
                for rec in self.db.execute(f"select {_COLUMNS} from chunks where id in ({marks})", part):
                    out[rec[0]] = LexRow(*rec)
        return out

    def note_rows(self, source: str, path: str) -> list[LexRow]:
        """Every chunk of one note (``source``, ``path``), in note order, without their vectors."""
        columns = _COLUMNS.replace(", vector", ", null")
        sql = f"select {columns} from chunks where source = ? and path = ? order by position"
        with self._lock:
            return [LexRow(*rec) for rec in self.db.execute(sql, (source, path))]

    def sources(self) -> dict[str, tuple[int, int]]:
        """``{source: (notes, chunks)}``."""
        with self._lock:
            found = self.db.execute("select source, count(distinct path), count(*) from chunks group by source")
            return {s: (int(n), int(c)) for s, n, c in found}

    def search(self, query: str, limit: int) -> list[LexHit]:
        """The best ``limit`` chunks for ``query`` by BM25 (any of its terms), best first."""
        expression = match_expression(query)
        if not expression:
            return []
        w = WEIGHTS
        # rank inside FTS5 first, then read only the ``limit`` winning rows (joining before
        # the LIMIT read every matching row's text: 3x slower, same rows in the same order)
        sql = (
            f"select {_C_COLUMNS}, s.score from (select rowid as rid, bm25(fts, {w[0]}, {w[1]}, {w[2]}) as score "
            "from fts where fts match ? order by score limit ?) s join chunks c on c.rowid = s.rid order by s.score"
        )
        with self._lock:
            found = self.db.execute(sql, (expression, limit)).fetchall()
        return [LexHit(LexRow(*rec[:-1]), -float(rec[-1])) for rec in found]

    def cue_rows(self, words: list[str], newer_than: int) -> list[LexRow]:
        """Chunks dated after ``newer_than`` (days since 1970) with an update cue in a sentence
        that names one of ``words`` (kb/cues.py ``cue_words``; lower-case): where a later note
        may say it updates an older one. In index order, without their vectors (``vector``
        None: read the few kept with :meth:`rows`)."""
        if not words:
            return []
        columns = _C_COLUMNS.replace(", c.vector", ", null")
        marks = ",".join("?" * len(words))
        sql = (f"select {columns} from chunks c where c.date_days > ? and c.rowid in "
               f"(select chunk from cues where word in ({marks})) order by c.rowid")
        with self._lock:
            return [LexRow(*rec) for rec in self.db.execute(sql, (newer_than, *words))]

    def mentions(self, words: list[str], newer_than: int, limit: int = 20) -> list[LexRow]:
        """Chunks dated after ``newer_than`` (days since 1970) that contain any of ``words``,
        best BM25 first. The rows come without their vectors (``vector`` None; few are kept:
        read those with :meth:`rows`)."""
        expression = any_of(words)
        if not expression:
            return []
        columns = _C_COLUMNS.replace(", c.vector", ", null")
        sql = (  # rank first, then read the winning rows' text (as in search)
            f"select {columns} from (select c.rowid as rid, bm25(fts) as score from fts "
            "join chunks c on c.rowid = fts.rowid where fts match ? and c.date_days > ? order by score limit ?) s "
            "join chunks c on c.rowid = s.rid order by s.score"
        )
        with self._lock:
            return [LexRow(*rec) for rec in self.db.execute(sql, (expression, newer_than, limit))]

    def newest_where(self, words: Iterable[str], test: Callable[[LexRow], bool], batch: int = 64) -> LexRow | None:
        """The newest chunk that contains one of ``words`` and passes ``test`` (read newest
        first, ``batch`` rows at a time, until one passes); None when none does. Rows come
        without their vectors."""
        expression = any_of(words)
        if not expression:
            return None
        columns = _C_COLUMNS.replace(", c.vector", ", null")
        sql = (f"select {columns} from chunks c where c.rowid in (select rowid from fts where fts match ?) "
               "order by c.date_days desc, c.rowid")
        with self._lock:
            cursor = self.db.execute(sql, (expression,))
            while records := cursor.fetchmany(batch):
                for rec in records:
                    row = LexRow(*rec)
                    if test(row):
                        cursor.close()
                        return row
        return None

    def document_frequency(self, words: list[str], columns: str = "") -> dict[str, int]:
        """How many chunks contain each word, or each phrase of words ("dr haldane"), after the
        index's stemming; 0 when none. ``columns`` ("title heading") looks only there."""
        scope = f"{{{columns}}} : " if columns else ""
        out: dict[str, int] = {}
        with self._lock:
            for word in words:
                expression = scope + '"' + word.replace('"', '""') + '"'  # one string to FTS5, whatever it holds
                out[word] = int(self.db.execute(
                    "select count(*) from fts where fts match ?", (expression,)).fetchone()[0])
        return out

    def named_in_headings(self, words: list[str]) -> list[str]:
        """Those of ``words`` that some note's title, heading or tags hold (after the index's
        stemming): what the notes are *about*, not every word they use."""
        return [w for w, n in self.document_frequency(words, "title heading").items() if n]

    def titles(self) -> dict[tuple[str, str], str]:
        """``{(source, path): title}`` of every indexed note."""
        with self._lock:
            return {(s, p): t for s, p, t in self.db.execute("select distinct source, path, title from chunks")}

    # -- writing ------------------------------------------------------------------
    def upsert(self, rows: list[LexRow]) -> None:
        """Insert or rewrite rows (one transaction). A rewritten row keeps its place (rowid),
        so rewriting rows never reorders equal BM25 scores."""
        if not rows:
            return
        names = [c.strip() for c in _COLUMNS.split(",")]
        updates = ", ".join(f"{c} = excluded.{c}" for c in names[1:])
        with self._lock, self.db:
            self.db.executemany(
                f"insert into chunks ({_COLUMNS}) values ({', '.join('?' * len(names))}) "
                f"on conflict (id) do update set {updates}",
                [(r.id, r.source, r.path, r.title, r.heading, r.date, r.date_days, r.position, r.meta, r.text,
                  r.heading_path, r.vector) for r in rows],
            )
            rowids = dict(self._rowids([r.id for r in rows]))
            self.db.executemany("delete from cues where chunk = ?", [(rowids[r.id],) for r in rows])
            self._add_cues([(rowids[r.id], r.heading, r.text) for r in rows])

    def _rowids(self, ids: list[str]) -> list[tuple[str, int]]:
        out: list[tuple[str, int]] = []
        for part in _pages(ids):
            marks = ",".join("?" * len(part))
            out += self.db.execute(f"select id, rowid from chunks where id in ({marks})", part).fetchall()
        return out

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        if not ids:
            return
        with self._lock, self.db:
            for part in _pages(ids):
                marks = ",".join("?" * len(part))
                self.db.execute(f"delete from chunks where id in ({marks})", part)

    def delete_source(self, source: str) -> int:
        with self._lock, self.db:
            return self.db.execute("delete from chunks where source = ?", (source,)).rowcount

    def optimize(self) -> None:
        """Merge the full-text index's segments into one (each write batch adds one): a
        query then reads one posting list per term instead of many (til, 2,323 chunks: the
        BM25 search 1.13 -> 0.89 ms, the same results; the merge took 25 ms)."""
        with self._lock, self.db:
            self.db.execute("insert into fts (fts) values ('optimize')")


def _pages(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), PAGE):
        yield items[start : start + PAGE]
