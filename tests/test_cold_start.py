"""Issue 14, finding 9: timings that match what users see, and the pieces of the fast cold
start (same results as the slow way, tested against it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from twin import loadtime

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow  # real chat model, servers or training


def test_load_time_is_reported_apart_from_node_time() -> None:
    from nodes.records import recorded
    from twin.state import add_timings

    @recorded("analyze")
    def node(state: dict) -> dict:
        with loadtime.loading("embeddings"):
            with loadtime.loading("model"):  # nested: counted once, under its own name
                time.sleep(0.1)
            time.sleep(0.2)
        time.sleep(0.05)
        return {}

    before = {"load_model": 1000.0}
    out = add_timings(before, node({"timings_ms": before})["timings_ms"])  # the state's reducer merges the update
    assert out["load_embeddings"] >= 200 and out["load_model"] >= 1100, "nested loads are exclusive, and add up"
    assert 50 <= out["analyze"] < 250, "the node's own time excludes the loads"
    assert loadtime.since(loadtime.mark()) == {}


# A cold `twin ask --json` reporting load_* apart from node times: tests/test_cli.py
# test_ask_json_shape_and_cold_load_times (one subprocess checks the shape and the load times).


def test_fast_encoder_gives_the_sentence_transformers_vectors() -> None:
    from sentence_transformers import SentenceTransformer

    from backends.encoder import PooledEncoder, load_encoder, simple_pipeline
    from backends.sources import resolve_embedding_source

    location = resolve_embedding_source("embedded")
    assert simple_pipeline(Path(location)) == {"pooling": "mean", "max_seq_length": 256, "normalize": True}
    fast = load_encoder(location)
    assert isinstance(fast, PooledEncoder)
    texts = ["I moved to Rotterdam in 2025.", "Where do I live now?", "word " * 400, "", "Ünïcödé 🎉", "a"]
    reference = SentenceTransformer(location, device="cpu").encode(texts, batch_size=4, normalize_embeddings=True,
                                                                    convert_to_numpy=True)
    ours = fast.encode(texts, batch_size=4, normalize_embeddings=True)
    assert ours.shape == reference.shape == (6, 384)
    assert np.abs(ours - reference).max() < 1e-5


def test_unusual_pipelines_fall_back_to_sentence_transformers(tmp_path: Path) -> None:
    from backends.encoder import simple_pipeline

    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"},
    ]))
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_mean_tokens": True}))
    assert simple_pipeline(tmp_path) is None, "a Dense layer is not the simple pipeline"
    (tmp_path / "modules.json").write_text("not json")
    assert simple_pipeline(tmp_path) is None


class Counting:
    def __init__(self, inner, identity: str | None) -> None:
        self.inner = inner
        self.cache_identity = identity
        self.texts: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.texts += texts
        return self.inner.embed_documents(texts)


def test_example_vectors_are_cached_on_disk_per_model_and_texts(tmp_path: Path) -> None:
    from backends.factory import embeddings_model
    from backends.vector_cache import embed_bank
    from twin.config import EmbeddingConfig

    real = embeddings_model(EmbeddingConfig())
    assert real.cache_identity and real.cache_identity.endswith(tuple("0123456789"))
    texts = ["How much do you earn?", "What is your salary?", "Tell me about your keyboard."]
    first = Counting(real, real.cache_identity)
    a = embed_bank(first, texts, tmp_path)
    second = Counting(real, real.cache_identity)
    b = embed_bank(second, texts, tmp_path)
    assert first.texts == texts and second.texts == [], "the second process reads the vectors from disk"
    assert np.array_equal(a, b) and np.allclose(a, np.asarray(real.embed_documents(texts)), atol=1e-6)
    other_model = Counting(real, real.cache_identity + "-other")
    embed_bank(other_model, texts, tmp_path)
    changed = Counting(real, real.cache_identity)
    embed_bank(changed, texts[:2], tmp_path)
    assert other_model.texts == texts and changed.texts == texts[:2], "another model or other texts: a new key"
    for path in tmp_path.glob("bank-*.npy"):
        path.write_bytes(b"garbage")
    damaged = Counting(real, real.cache_identity)
    assert np.array_equal(embed_bank(damaged, texts, tmp_path), a) and damaged.texts == texts


def test_router_and_topic_banks_use_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second cold process builds the router and the judge from cached vectors: it embeds
    only what it is asked about. The first build runs here (it only has to fill the cache on
    disk); the second is a new process, as a user's next `twin` command is."""
    from backends.embeddings import SentenceEmbeddings

    calls: list[int] = []
    original = SentenceEmbeddings.embed_documents

    def counting(self, texts):  # noqa: ANN001, ANN202
        calls.append(len(texts))
        return original(self, texts)

    monkeypatch.setattr(SentenceEmbeddings, "embed_documents", counting)
    first = build_router_and_judge(str(tmp_path), calls)
    monkeypatch.undo()
    second = json.loads(subprocess.run([sys.executable, "-c", BANKS_SCRIPT, str(tmp_path)], capture_output=True,
                                       text=True, timeout=300, check=True, cwd=REPO).stdout.strip().splitlines()[-1])
    assert max(first["calls"]) > 50, "the first process embeds the example sets"
    assert second["calls"] == [1, 1], "the second embeds only the two questions"
    assert first["route"] == second["route"] == "retrieve"
    assert first["flags"] == second["flags"] == ["off_limits:salary"]


def build_router_and_judge(home: str, calls: list[int]) -> dict:
    """Build the embedding router and the judge for ``home``, route one question and screen one
    (BANKS_SCRIPT does the same in a new process)."""
    from nodes.context import TwinContext
    from nodes.guards.runtime import judge_for
    from nodes.routing import build_router
    from twin.config import Config

    ctx = TwinContext(Config(home=home))
    decision = build_router("embedding", ctx).route("Where do you live?")
    flags = judge_for(ctx).screen("What is your salary?")
    return {"calls": calls, "route": decision.route, "flags": flags}


BANKS_SCRIPT = r"""
import json, sys
from twin import offline; offline.apply()
from backends.embeddings import SentenceEmbeddings
from tests.test_cold_start import build_router_and_judge
calls = []
original = SentenceEmbeddings.embed_documents
def counting(self, texts):
    calls.append(len(texts)); return original(self, texts)
SentenceEmbeddings.embed_documents = counting
print(json.dumps(build_router_and_judge(sys.argv[1], calls)))
"""


def test_rfc3987_stand_in_keeps_iri_checks_real() -> None:
    script = r"""
import sys
from twin import offline; offline.apply()
import jsonschema
stub = sys.modules["rfc3987_syntax"]
assert getattr(stub, "__twin_stub__", False), "jsonschema got the lazy stand-in"
assert "rfc3987_syntax.syntax_helpers" not in sys.modules, "the grammars were not compiled at import"
check = jsonschema.Draft202012Validator({"format": "iri"}, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
assert list(check.iter_errors("http://a b")) and not list(check.iter_errors("http://example.com/é"))
assert not getattr(sys.modules["rfc3987_syntax"], "__twin_stub__", False), "the real module took over"
print("ok")
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() == "ok", proc.stderr


def test_openmp_threads_wait_passively_unless_told_otherwise() -> None:
    code = "import os; from twin import offline; offline.apply(); print(os.environ.get('OMP_WAIT_POLICY'))"
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")}
    run = lambda extra: subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,  # noqa: E731
                                       env={**env, **extra}, timeout=60).stdout.strip()
    assert run({}) == "PASSIVE"
    assert run({"OMP_WAIT_POLICY": "ACTIVE"}) == "ACTIVE"
    assert run({"GOMP_SPINCOUNT": "1000"}) == "None"


def test_streamed_answer_trailer_says_where_the_time_went() -> None:
    from twin_cli.main import _trailer

    result = {"route": "retrieve", "judge": {"verdict": "pass"},
              "sources": [{"path": "projects/keyboard.md", "date": "2023-11-26"}] * 2,  # two chunks, one note
              "timings_ms": {"analyze": 50.0, "generate": 4000.0, "load_model": 900.0, "load_embeddings": 2050.0}}
    assert _trailer(result).strip() == ("— route: retrieve · judge: pass · sources: projects/keyboard.md (2023-11-26) · "
                                        "7.0 s, 3.0 s of it loading")
    warm = {**result, "timings_ms": {"analyze": 50.0, "generate": 4000.0}}
    assert _trailer(warm).endswith("· 4.0 s")
    quoted = {**warm, "answered_by": "extractive", "why": "names nothing of the best note (projects/keyboard.md, 2023-11-26)"}
    assert "· judge: pass · answered by extractive (names nothing of the best note (projects/keyboard.md, " \
           "2023-11-26)) · sources:" in _trailer(quoted)
    assert "answered by" not in _trailer({**warm, "answered_by": "model", "why": "a note shown at 0.52"})
