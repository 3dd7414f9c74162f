"""The scale-out path: a real `chroma run` server started here, used through retrieval.chroma_url."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kb.ingest import ingest
from kb.retrieve import Retriever
from kb.state import load_state
from kb.store import NoteStore, StoreError
from tests.kb_support import PRIVATE_SECRETS, copy_notes, kb_embeddings, make_config  # noqa: F401

pytestmark = pytest.mark.slow  # real chat model, servers or training


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def chroma_exe() -> str:
    exe = Path(sys.executable).with_name("chroma")
    return str(exe) if exe.exists() else (shutil.which("chroma") or "chroma")


def wait_for_heartbeat(url: str, proc: subprocess.Popen, timeout: float = 90.0) -> None:
    import chromadb
    from chromadb import Settings

    host, port = url.removeprefix("http://").split(":")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chroma server exited early: {proc.stderr.read()[-2000:]}")
        try:
            chromadb.HttpClient(host=host, port=int(port), settings=Settings(anonymized_telemetry=False)).heartbeat()
            return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError(f"chroma server at {url} did not answer its heartbeat in {timeout:.0f} s")


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory):
    port = free_port()
    proc = subprocess.Popen(
        [chroma_exe(), "run", "--path", str(tmp_path_factory.mktemp("chroma-server")),
         "--port", str(port), "--host", "127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_heartbeat(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def test_ingest_and_search_through_a_chroma_server(tmp_path: Path, chroma_url: str, kb_embeddings) -> None:
    config = make_config(tmp_path / "home", chroma_url=chroma_url)
    notes = copy_notes(tmp_path / "notes")
    report = ingest(config, notes, kb_embeddings, progress=False)
    assert (report.added, report.private) == (22, 4)
    assert not (tmp_path / "home" / "chroma").exists(), "nothing was written to the embedded store"
    assert load_state(config.home_path)["store"] == chroma_url
    docs = "\n".join(NoteStore.from_config(config).documents())
    assert "Rotterdam" in docs and not [s for s in PRIVATE_SECRETS if s in docs]
    sources = Retriever(config, kb_embeddings).search("Where do you live?")
    assert sources and sources[0]["path"] == "about-me.md"  # "These days I live in Rotterdam" (10 Jun 2025)
    (notes / "talks.md").unlink()
    again = ingest(config, notes, kb_embeddings, progress=False)
    assert (again.deleted, again.chunks_embedded, again.unchanged) == (1, 0, 21)


def test_unreachable_server_is_a_clear_error(tmp_path: Path, kb_embeddings) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreError, match=f"cannot reach the Chroma server at {url}"):
        NoteStore.from_config(make_config(tmp_path / "home", chroma_url=url))
