"""Beyond one machine: two `twin serve` replicas share the knowledge base (a `chroma run` server)
and the chat threads (LangGraph's Postgres checkpointer on a real PostgreSQL the suite starts).

Each replica has its own data home (a copy of the one that ingested, as a deployment would ship
it: config, private fingerprints); nothing about threads is on either replica's disk.
"""

from __future__ import annotations

import json
import shutil
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.kb_support import PRIVATE_SECRETS
from tests.serve_support import PostgresCluster, ServeProcess, create_token, parse_sse, require_postgres
from tests.test_kb_server import chroma_url  # noqa: F401  (a real `chroma run` server, per module)

pytestmark = pytest.mark.slow  # real chat model, servers or training

TIMEOUT = httpx.Timeout(300.0, connect=10.0)
REPLICA_TOML = """[persona]
max_new_tokens = 16

[retrieval]
chroma_url = "{chroma}"

[serve]
checkpointer = "{postgres}"
tokens_file = "{tokens}"
workers = 1
queue_size = 4
shutdown_grace_s = 120.0
"""


@pytest.fixture(scope="module")
def postgres():
    cluster = PostgresCluster(require_postgres()).start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory, postgres: PostgresCluster, chroma_url: str,  # noqa: F811
             sample_notes: Path):
    from kb.ingest import ingest
    from tests.kb_support import real_embeddings
    from twin.config import load_config

    root = tmp_path_factory.mktemp("replicas")
    tokens = root / "shared" / "tokens.json"
    origin = root / "ingest-home"
    origin.mkdir()
    (origin / "twin.toml").write_text(REPLICA_TOML.format(chroma=chroma_url, postgres=postgres.url, tokens=tokens))
    report = ingest(load_config(None, str(origin)), sample_notes, real_embeddings(), progress=False)
    assert report.added == 22 and not (origin / "chroma").exists()  # the index lives in the Chroma server
    homes = [shutil.copytree(origin, root / name) for name in ("home-a", "home-b")]
    token = create_token(homes[0], "replicas")
    servers = [ServeProcess(f"replica-{n}", home).launch() for n, home in zip("ab", homes)]
    try:
        for server in servers:
            server.wait_ready()
        yield servers[0], servers[1], token
    finally:
        for server in servers:
            server.stop()


def ask(server: ServeProcess, token: str, **body) -> dict:
    response = httpx.post(f"{server.url}/v1/ask", json=body, headers={"Authorization": f"Bearer {token}"},
                          timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()


def history(server: ServeProcess, token: str, thread: str) -> list[dict]:
    response = httpx.get(f"{server.url}/v1/threads/{thread}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()["messages"]


def test_a_thread_started_on_one_replica_continues_on_the_other(replicas) -> None:
    a, b, token = replicas
    for server in (a, b):
        assert httpx.get(f"{server.url}/v1/health").json()["threads"] == "postgres"
    first = ask(a, token, question="What keyboard do you use?", thread_id="shared-thread-1")
    assert first["sources"][0]["path"] == "projects/keyboard.md"  # retrieved from the Chroma server
    second = ask(b, token, question="and what switches?", thread_id="shared-thread-1")
    assert "keyboard" in second["query"].lower()  # replica B rewrote the follow-up with A's turn
    on_b, on_a = history(b, token, "shared-thread-1"), history(a, token, "shared-thread-1")
    assert on_a == on_b
    assert [m["content"] for m in on_b] == ["What keyboard do you use?", first["answer"],
                                            "and what switches?", second["answer"]]
    for server in (a, b):
        assert not (server.home / "threads.sqlite").exists()
    assert not [s for s in PRIVATE_SECRETS if s in json.dumps([first, second])]


def test_turns_of_one_thread_never_interleave_across_replicas(replicas) -> None:
    a, b, token = replicas
    questions = [(a, "Where do you live?"), (b, "Which company do you work for?")]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda sq: ask(sq[0], token, question=sq[1], thread_id="shared-thread-2"), questions))
    messages = history(a, token, "shared-thread-2")
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    pairs = {messages[0]["content"]: messages[1]["content"], messages[2]["content"]: messages[3]["content"]}
    assert pairs == {q: r["answer"] for (_, q), r in zip(questions, results)}  # each answer right after its question


def test_sigterm_finishes_the_running_answer_then_exits(replicas) -> None:
    a, b, token = replicas
    lines: list[str] = []
    first_event = threading.Event()

    def read() -> None:
        with httpx.stream("POST", f"{a.url}/v1/ask", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT,
                          json={"question": "What is your side project called?", "thread_id": "shared-thread-3",
                                "stream": True}) as response:
            for line in response.iter_lines():
                lines.append(line)
                first_event.set()

    reader = threading.Thread(target=read)
    reader.start()
    assert first_event.wait(60), a.log()[-2000:]
    a.terminate()  # SIGTERM while the answer is being computed
    reader.join(180)
    code = a.proc.wait(120)
    events = parse_sse("\n".join(lines) + "\n\n")
    assert events[-1][0] == "result", events  # the answer was finished and delivered in full
    result = json.loads(events[-1][1])
    # uvicorn re-raises the SIGTERM once it has shut down cleanly, so the exit status is the signal's
    assert code in (0, -signal.SIGTERM) and "Application shutdown complete" in a.log()
    with pytest.raises(httpx.ConnectError):  # nothing new is accepted
        httpx.get(f"{a.url}/v1/health")
    saved = history(b, token, "shared-thread-3")  # and it was saved, for the other replica to continue
    assert saved[-1]["content"] == result["answer"]
