"""Keep ``<home>/private_fingerprints.json`` in step with the notes, off the indexing path.

Building fingerprints reads every note (seconds on a 2,000-note folder), so it runs in a
background thread: a full ingest overlaps it with embedding and waits for it at the end;
watch mode never waits (the index is searchable first; fingerprints follow once saves
pause for ``kb.ingest.FINGERPRINT_DELAY_S``). Requests coalesce: while one build runs,
only the newest pending snapshot is built next. A build is skipped when the notes it
derives from are unchanged (digest in ``private_fingerprints.json.digest``), so an
unchanged re-ingest does no work here.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from langchain_core.embeddings import Embeddings

from kb.fingerprints import VERSION, Fingerprints, fingerprints_path

log = logging.getLogger(__name__)


class MemoEmbeddings(Embeddings):
    """Remembers vectors per text, so repeated builds embed only new sentences."""

    def __init__(self, inner: Embeddings):
        self.inner = inner
        self.memo: dict[str, list[float]] = {}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if missing:
            self.memo.update(zip(missing, self.inner.embed_documents(missing)))
        return [self.memo[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def digest_of(private: dict[str, str], public: dict[str, str], semantic: bool) -> str:
    h = hashlib.sha1(f"v{VERSION}|{semantic}".encode())
    for kind, texts in (("private", private), ("public", public)):
        for path in sorted(texts):
            h.update(f"\x00{kind}\x00{path}\x00{texts[path]}".encode())
    return h.hexdigest()


def digest_path(home: Path) -> Path:
    path = fingerprints_path(home)
    return path.with_name(path.name + ".digest")


def saved_digest(home: Path) -> str:
    try:
        return digest_path(home).read_text(encoding="utf-8").strip() if fingerprints_path(home).is_file() else ""
    except OSError:
        return ""


def build_and_save(home: Path, private: dict[str, str], public: dict[str, str], embeddings: Embeddings | None) -> None:
    """Build fingerprints (keeping the existing salt) and save them, then their digest."""
    path = fingerprints_path(home)
    try:
        salt = Fingerprints.load(path).salt if path.is_file() else None
    except (OSError, ValueError, TypeError):
        salt = None
    fp = Fingerprints.build(private=private, public=public, salt=salt, embeddings=embeddings if private else None)
    fp.save(path)
    tmp = digest_path(home).with_name(digest_path(home).name + f".tmp-{os.getpid()}")
    tmp.write_text(digest_of(private, public, embeddings is not None), encoding="utf-8")
    os.replace(tmp, digest_path(home))


class FingerprintSync:
    """A single-flight, coalescing background writer of the fingerprints file."""

    def __init__(self, home: Path, embeddings: Embeddings | None, on_error: Callable[[Exception], None] | None = None):
        self.home = Path(home)
        self.embeddings = MemoEmbeddings(embeddings) if embeddings is not None else None
        self.on_error = on_error
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._pending: tuple[dict[str, str], dict[str, str]] | None = None
        self._done_digest = ""  # saved most recently
        self._inflight = ""  # being built now
        self._not_before = 0.0  # monotonic time before which the pending build must not start
        self.error: Exception | None = None  # the last build's failure (None after a success)

    def submit(self, private: dict[str, str], public: dict[str, str], delay: float = 0.0) -> None:
        """Ask for fingerprints of this snapshot (returns at once). With ``delay``, the build
        waits until no newer snapshot arrived for that many seconds (bursts of saves in
        watch mode build once, and never compete with indexing for the CPU)."""
        digest = digest_of(private, public, self.embeddings is not None)
        with self._lock:
            if self._pending is None and digest == self._inflight:
                return
            if self._pending is None and self._idle.is_set() and digest in (self._done_digest, saved_digest(self.home)):
                self._done_digest = digest
                return
            start = self._pending is None and self._idle.is_set()
            self._pending = (dict(private), dict(public))
            self._not_before = time.monotonic() + delay
            if start:
                self._idle.clear()
                threading.Thread(target=self._work, name="twin-fingerprints", daemon=True).start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every submitted snapshot is saved; False on timeout."""
        return self._idle.wait(timeout)

    def _work(self) -> None:
        while True:
            while (wait := self._not_before - time.monotonic()) > 0:
                time.sleep(min(wait, 0.25))
            with self._lock:
                job, self._pending = self._pending, None
                if job is None:
                    self._inflight = ""
                    self._idle.set()
                    return
                self._inflight = digest_of(job[0], job[1], self.embeddings is not None)
            try:
                build_and_save(self.home, job[0], job[1], self.embeddings)
                self._done_digest, self.error = self._inflight, None
            except Exception as exc:  # keep the worker alive; the next submit retries
                self.error = exc
                if self.on_error is not None:
                    self.on_error(exc)
                else:
                    log.warning("saving private fingerprints failed: %s", exc)
