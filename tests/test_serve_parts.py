"""The service's parts on their own (no model): tokens, rate limits, the model gate, the OpenAI
message format, the [serve] config and the `twin serve token` commands."""

from __future__ import annotations

import asyncio
import json
import stat
import threading
import time
from pathlib import Path

import httpx
import pytest

from serve.limits import Busy, ModelGate, RateLimiter
from serve.openai_compat import BadMessages, split_messages
from serve.service import Principal
from serve.tokens import TokenError, TokenStore
from tests.serve_support import twin
from twin.config import ConfigError, config_from_dict


# -- tokens -------------------------------------------------------------------------------
def test_tokens_are_stored_hashed_and_revocable(tmp_path) -> None:
    store = TokenStore(tmp_path / "tokens.json")
    record, token = store.create("blog")
    assert token.startswith(f"twin_{record.id}_") and len(token) > 40
    on_disk = (tmp_path / "tokens.json").read_text()
    assert token not in on_disk and token.split("_", 2)[2] not in on_disk and record.sha256 in on_disk
    assert stat.S_IMODE((tmp_path / "tokens.json").stat().st_mode) == 0o600
    server_view = TokenStore(tmp_path / "tokens.json")  # a running server, reading the same file
    assert server_view.verify(token).name == "blog"
    assert server_view.verify(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert server_view.verify("twin_" + record.id) is None and server_view.verify("Bearer x") is None
    with pytest.raises(TokenError, match="exists"):
        store.create("blog")
    store.revoke("blog")
    assert server_view.verify(token) is None  # noticed without a restart
    with pytest.raises(TokenError, match="no token with id or name 'blog'"):
        store.revoke("blog")


def test_a_broken_tokens_file_is_a_clear_error(tmp_path) -> None:
    (tmp_path / "tokens.json").write_text("{not json")
    with pytest.raises(TokenError, match="not a valid tokens file"):
        TokenStore(tmp_path / "tokens.json").records()


def test_token_commands(tmp_path) -> None:
    created = twin("serve", "token", "create", "open-webui", "--rate", "5", "--home", str(tmp_path))
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("twin_") and "shown only now" in created.stderr
    listed = twin("serve", "token", "list", "--json", "--home", str(tmp_path))
    rows = json.loads(listed.stdout)
    assert rows[0]["name"] == "open-webui" and rows[0]["rate_limit_per_minute"] == 5 and token not in listed.stdout
    assert twin("serve", "token", "revoke", rows[0]["id"], "--home", str(tmp_path)).returncode == 0
    again = twin("serve", "token", "revoke", rows[0]["id"], "--home", str(tmp_path))
    assert again.returncode == 2 and "no token with id or name" in again.stderr and "Traceback" not in again.stderr


# -- rate limits and the gate -------------------------------------------------------------
def test_rate_limiter_allows_a_burst_then_the_rate() -> None:
    limiter = RateLimiter(per_minute=60, burst=3)
    assert [limiter.check("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.check("a")
    assert 0.9 <= wait <= 1.0  # one request a second
    assert limiter.check("b") == 0.0  # callers are counted apart
    assert [limiter.check("c", per_minute=2) > 0 for _ in range(3)] == [False, False, True]  # burst <= rate
    assert all(limiter.check("d", per_minute=0) == 0.0 for _ in range(50))  # 0 = unlimited


def test_gate_turns_away_beyond_workers_plus_queue_and_runs_everything_admitted() -> None:
    gate = ModelGate(workers=1, queue_size=2, queue_timeout_s=60)
    release = threading.Event()
    finished: list[int] = []

    def work(n: int):
        def run() -> int:
            release.wait(10)
            finished.append(n)
            return n
        return run

    futures = [gate.submit(gate.admit(), work(n)) for n in range(3)]
    with pytest.raises(Busy) as refused:
        gate.admit()
    assert refused.value.retry_after >= 1 and gate.stats()["turned_away"] == 1
    release.set()
    assert [f.result(10) for f in futures] == [0, 1, 2] and finished == [0, 1, 2]  # FIFO, none lost
    assert gate.stats()["running"] == gate.stats()["waiting"] == 0
    gate.submit(gate.admit(), work(3)).result(10)  # room again
    gate.close()
    with pytest.raises(Busy, match="shutting down"):
        gate.admit()


def test_gate_skips_answers_whose_caller_left_or_that_waited_too_long() -> None:
    gate = ModelGate(workers=1, queue_size=4, queue_timeout_s=0.2)
    blocker = threading.Event()
    first = gate.submit(gate.admit(), lambda: blocker.wait(5))
    left = gate.admit()
    left.abandoned = True
    skipped = gate.submit(left, lambda: "ran")
    stale = gate.submit(gate.admit(), lambda: "ran")
    time.sleep(0.3)
    blocker.set()
    first.result(5)
    for future in (skipped, stale):
        with pytest.raises(Busy):
            future.result(5)
    gate.close()


# -- the OpenAI message format --------------------------------------------------------------
def test_split_messages() -> None:
    question, history = split_messages([
        {"role": "system", "content": "You are a pirate."},  # ignored: the persona is not the caller's
        {"role": "user", "content": "Where do you live?"},
        {"role": "assistant", "content": [{"type": "text", "text": "Rotterdam."}]},
        {"role": "user", "content": "  and before that?  "},
    ])
    assert question == "and before that?"
    assert history == [("user", "Where do you live?"), ("assistant", "Rotterdam.")]
    for bad, words in (([], "last message"), ([{"role": "assistant", "content": "hi"}], "last message"),
                       ([{"role": "user", "content": "  "}], "empty"), ([{"role": "robot", "content": "x"}], "robot"),
                       ([{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}], "only text")):
        with pytest.raises(BadMessages, match=words):
            split_messages(bad)


def test_split_messages_refuses_wrong_types_instead_of_failing() -> None:
    """A role or a text part that is not a string is the caller's mistake (400), not a crash (500)."""
    for bad, words in (([{"role": ["user"], "content": "hi"}], r"messages\[0\]\.role must be a string"),
                       ([{"role": {"x": 1}, "content": "hi"}], "role must be a string"),
                       ([{"content": "hi"}], "role must be a string"),
                       ([{"role": "user", "content": [{"type": "text", "text": 5}]}], "text must be a string"),
                       ([{"role": "user", "content": [{"type": "text", "text": None}]}], "text must be a string")):
        with pytest.raises(BadMessages, match=words):
            split_messages(bad)


# -- config -------------------------------------------------------------------------------
def test_serve_config_is_validated() -> None:
    config = config_from_dict({"serve": {"workers": 2, "cors_origins": ["https://noa.example"],
                                         "profiles": {"short": {"max_new_tokens": 32, "off": ["rerank"]}}}})
    assert config.serve.workers == 2 and config.serve.profiles["short"].off == ["rerank"]
    for bad, words in (
        ({"workers": 0}, "serve.workers = 0 is too small"),
        ({"checkpointer": "mysql://x"}, "serve.checkpointer"),
        ({"toggleable": ["judges"]}, "unknown node 'judges'"),
        ({"cors_origins": ["noa.example"]}, "must be an origin"),
        ({"port": 70000}, "serve.port = 70000 is too large"),
        ({"profiles": {"twin": {}}}, "profile name"),
        ({"profiles": {"x": {"bogus": 1}}}, "unknown config key 'serve.profiles.x.bogus'"),
        ({"profiles": {"x": {"backend": "magic"}}}, "serve.profiles.x.backend"),
    ):
        with pytest.raises(ConfigError, match=words):
            config_from_dict({"serve": bad})


def test_serve_flags_override_the_config(tmp_path) -> None:
    proc = twin("serve", "--home", str(tmp_path), "--workers", "0")
    assert proc.returncode == 2 and "serve.workers = 0 is too small" in proc.stderr and "Traceback" not in proc.stderr
    proc = twin("serve", "--home", str(tmp_path), "--checkpointer", "postgres://nobody@127.0.0.1:1/none")
    assert proc.returncode == 2 and "cannot reach PostgreSQL" in proc.stderr and "Traceback" not in proc.stderr


def test_a_visitor_sees_what_the_judge_found_never_the_words_it_withheld() -> None:
    """The judge's reasons list words of the draft it withheld ("not in the notes: Freja, 1111");
    the service returns each reason without them (a private-only name must not reach a visitor
    through the reason that blocked it)."""
    from serve.turns import public_result

    raw = {"answer": "I'd rather not say.", "route": "retrieve", "query": "q", "sources": [], "toggles": {},
           "timings_ms": {}, "input_flags": [],
           "judge": {"verdict": "blocked", "reasons": ["private_leak: 1 private-only term(s) in view(s) plain",
                                                       "grounding: not in the notes: Freja, 1111, 2222"]}}
    out = public_result(raw)
    assert out["judge"] == {"verdict": "blocked", "reasons": ["private_leak: 1 private-only term(s) in view(s) plain",
                                                              "grounding: not in the notes"]}
    assert "Freja" not in str(out)


# -- the app in process (no model: routes that fail before a turn starts) --------------------
def asgi_app(home, **serve):
    """The HTTP app over a real :class:`Service` in ``home``; no engine is built unless a turn runs."""
    from serve.app import create_app
    from serve.service import Service

    service = Service(config_from_dict({"home": str(home), "serve": serve}))
    return service, create_app(service)


def call(app, method: str, path: str, **kwargs) -> httpx.Response:
    """One request through the ASGI app; an exception in it comes back as the 500 a client would see."""
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://twin.test") as client:
            return await client.request(method, path, **kwargs)
    return asyncio.run(go())


def test_a_broken_tokens_file_stops_the_start_not_every_request(tmp_path) -> None:
    (tmp_path / "serve_tokens.json").write_text('{"tokens": [{"id": "x"}]}')
    proc = twin("serve", "--home", str(tmp_path))
    assert proc.returncode == 2 and "not a valid tokens file" in proc.stderr and "Traceback" not in proc.stderr
    (tmp_path / "serve_tokens.json").unlink()
    service, app = asgi_app(tmp_path)
    _, token = service.tokens.create("blog")
    (tmp_path / "serve_tokens.json").write_text("{broken while the server runs")
    response = call(app, "GET", "/v1/models", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 500 and response.json()["error"]["code"] == "tokens_file_invalid"
    assert str(tmp_path) not in response.text  # the operator's paths stay on the server
    service.close()


def test_an_unexpected_failure_is_a_json_500(tmp_path) -> None:
    """Every error is one JSON object in OpenAI's shape (docs/serve.md), a bug's 500 included."""
    service, app = asgi_app(tmp_path)

    def broken() -> dict:
        raise RuntimeError("a bug with /secret/paths in it")

    service.health = broken
    response = call(app, "GET", "/v1/health")
    assert response.status_code == 500 and response.headers["content-type"] == "application/json"
    assert response.json()["error"] == {"message": "internal server error", "type": "server_error",
                                        "code": "internal_error", "param": None}
    assert "secret" not in response.text
    service.close()


def test_a_500_carries_the_cors_headers_of_an_allowed_origin(tmp_path) -> None:
    """A bug's 500 was answered outside the CORS middleware: without Access-Control-Allow-Origin
    the browser hid it, and the widget said "Cannot reach the twin" instead of the error."""
    service, app = asgi_app(tmp_path, cors_origins=["https://noa.example"])

    def broken() -> dict:
        raise RuntimeError("a bug")

    service.health = broken
    allowed = call(app, "GET", "/v1/health", headers={"Origin": "https://noa.example"})
    assert allowed.status_code == 500 and allowed.json()["error"]["code"] == "internal_error"
    assert allowed.headers["access-control-allow-origin"] == "https://noa.example"
    assert allowed.headers["access-control-expose-headers"] == "Retry-After"
    other = call(app, "GET", "/v1/health", headers={"Origin": "https://evil.example"})
    assert other.status_code == 500 and "access-control-allow-origin" not in other.headers
    service.close()


def test_the_openai_client_retrieves_a_model(tmp_path) -> None:
    """`client.models.retrieve("twin")` got a 404: there was no GET /v1/models/{id}."""
    import openai

    service, app = asgi_app(tmp_path, public=True, profiles={"raw": {"description": "no adapter"}})
    _, token = service.tokens.create("blog")

    async def retrieve(model: str, key: str) -> openai.types.Model:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport) as http:
            client = openai.AsyncOpenAI(base_url="http://twin.test/v1", api_key=key, http_client=http, max_retries=0)
            return await client.models.retrieve(model)

    twin_model = asyncio.run(retrieve("twin", token))
    assert (twin_model.id, twin_model.object, twin_model.owned_by) == ("twin", "model", "twin")
    assert asyncio.run(retrieve("raw", token)).model_extra["description"] == "no adapter"
    with pytest.raises(openai.NotFoundError) as missing:
        asyncio.run(retrieve("gpt-4o", token))
    assert missing.value.body == {"message": "no model 'gpt-4o'; GET /v1/models lists them",
                                  "type": "invalid_request_error", "code": "model_not_found", "param": None}
    anonymous = call(app, "GET", "/v1/models/raw")  # not public: as unknown to a visitor as a missing one
    assert anonymous.status_code == 404 and anonymous.json()["error"]["code"] == "model_not_found"
    assert call(app, "GET", "/v1/models/twin").json()["id"] == "twin"
    service.close()


def test_a_port_in_use_fails_at_once_before_the_models_load(tmp_path) -> None:
    """Not after a minute of warming up, as a log line from uvicorn: at once, one clear line, exit 2."""
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        started = time.monotonic()
        proc = twin("serve", "--home", str(tmp_path), "--port", str(port))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use (another" in proc.stderr
    assert time.monotonic() - started < 20  # the models were never loaded
    proc = twin("serve", "--home", str(tmp_path), "--host", "no-such-host.invalid")
    assert proc.returncode == 2 and "cannot listen on no-such-host.invalid:8321" in proc.stderr
    assert "another" not in proc.stderr  # the port hint only where the port is the problem


def test_an_unreadable_body_is_a_400_that_says_what_is_wrong(tmp_path) -> None:
    """`curl -d '{...}'` without the JSON content type, a stray comma, an empty body: each 400 says
    what to fix (they read "Input should be a valid dictionary…", "1: JSON decode error", "Field required")."""
    service, app = asgi_app(tmp_path, public=True)
    json_type = {"content-type": "application/json"}
    for content, headers, words in (
        (b'{"question": "hi"}', {"content-type": "application/x-www-form-urlencoded"},
         "the body was not read as JSON: send it with Content-Type: application/json"),
        (b'{"question": "hi",}', json_type, "the body is not valid JSON (Expecting property name enclosed in double quotes at character 18)"),
        (b"", json_type, "the body is empty: send a JSON object"),
        (b'["hi"]', json_type, "the body must be a JSON object"),
        (b'{"question": 5}', json_type, "question: Input should be a valid string"),
    ):
        response = call(app, "POST", "/v1/ask", content=content, headers=headers)
        assert response.status_code == 400 and words in response.json()["error"]["message"], content
    response = call(app, "POST", "/v1/chat/completions", content=b'{"messages": []}')  # no content type
    assert response.status_code == 400 and "Content-Type: application/json" in response.json()["error"]["message"]
    service.close()


def test_health_and_the_open_pages_answer_head(tmp_path) -> None:
    """Uptime monitors and load balancers often check with HEAD (`curl -I`): it was a 405."""
    service, app = asgi_app(tmp_path)
    for path in ("/v1/health", "/widget.js", "/"):
        assert call(app, "HEAD", path).status_code == 200, path
    assert call(app, "HEAD", "/v1/models").status_code == 405  # the others stay as they were
    service.close()


def test_a_thread_id_with_a_trailing_newline_is_refused(tmp_path) -> None:
    """The documented thread id (1-128 letters, digits, '_', '.', ':', '-') was checked with a "$"
    that lets a final newline in, so "t-…\\n" became a thread no URL or `twin ask --thread` could name."""
    service, app = asgi_app(tmp_path, public=True)
    for good in ("t-0123456789abcdef", "a" * 128):
        assert service.check_thread_id(Principal("anonymous", "1.2.3.4"), good) is None
    for bad in ("t-0123456789abcdef\n", "a" * 129, "-t0123456789abcdef", "t 0123456789abcdef"):
        assert "thread_id must be" in service.check_thread_id(Principal("anonymous", "1.2.3.4"), bad), repr(bad)
    response = call(app, "POST", "/v1/ask", json={"question": "hi", "thread_id": "t-0123456789abcdef\n"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_thread_id"
    service.close()


def test_a_failed_turn_tells_the_caller_it_failed_and_the_log_why(tmp_path, caplog) -> None:
    """A model's error names files and hosts ("/home/me/models/x.gguf", an Ollama URL): the caller,
    maybe a public visitor of the widget, is told the turn failed; the operator's log has the reason."""
    service, app = asgi_app(tmp_path, public=True)

    def broken(profile):  # noqa: ARG001 - the engine a turn asks for
        raise RuntimeError("cannot load /home/me/secret-models/x.gguf")

    service.engine = broken
    with caplog.at_level("ERROR", logger="twin.serve"):
        whole = call(app, "POST", "/v1/ask", json={"question": "Where do you live?"})
        streamed = call(app, "POST", "/v1/chat/completions",
                        json={"messages": [{"role": "user", "content": "Where do you live?"}], "stream": True})
    assert whole.status_code == 502 and whole.json()["error"]["code"] == "turn_failed"
    assert "turn_failed" in streamed.text
    assert "secret-models" not in whole.text and "secret-models" not in streamed.text
    assert "secret-models" in caplog.text
    service.close()


def test_a_turn_that_ends_without_a_result_ends_its_stream_with_an_error(tmp_path) -> None:
    """A turn whose runner stops early (the server shutting down) ends without a result: /v1/ask's
    stream just stopped, and the chat stream sent [DONE] with no finish_reason, so a client could
    not tell a cut-off answer from a whole one."""
    from serve.turns import TurnEvent

    class Stopped:
        def stream(self, *_: object):
            yield TurnEvent("token", text="I live in")

    service, app = asgi_app(tmp_path, public=True)
    service.engine = lambda profile: Stopped()  # noqa: ARG005 - the engine a turn asks for
    failed = {"error": {"message": "the turn ended without a result", "type": "server_error",
                        "code": "turn_failed", "param": None}}
    asked = call(app, "POST", "/v1/ask", json={"question": "Where do you live?", "stream": True})
    events = [block.split("\n") for block in asked.text.strip().split("\n\n")]
    assert [lines[0] for lines in events][-2:] == ["event: token", "event: error"]
    assert json.loads(events[-1][1].removeprefix("data: ")) == failed
    chat = call(app, "POST", "/v1/chat/completions",
                json={"messages": [{"role": "user", "content": "Where do you live?"}], "stream": True})
    data = [block.removeprefix("data: ") for block in chat.text.strip().split("\n\n")]
    assert data[-1] == "[DONE]" and json.loads(data[-2]) == failed
    assert json.loads(data[-3])["choices"][0]["delta"] == {"content": "I live in"}
    whole = call(app, "POST", "/v1/ask", json={"question": "Where do you live?"})
    assert whole.status_code == 502 and whole.json() == failed
    service.close()


class Answering:
    """An engine that answers "I live in Rotterdam." and counts a token per word (or cannot count)."""

    def __init__(self, counts: bool = True) -> None:
        self.counts = counts

    def stream(self, *_: object):
        from serve.turns import TurnEvent

        yield TurnEvent("token", text="I live ")
        yield TurnEvent("token", text="in Rotterdam.")
        yield TurnEvent("result", data={"answer": "I live in Rotterdam.", "route": "retrieve", "sources": []})

    def count_tokens(self, texts: list[str]) -> list[int] | None:
        return [len(text.split()) for text in texts] if self.counts else None


def test_chat_completions_report_usage(tmp_path) -> None:
    """OpenAI clients and proxies read `usage`; it was missing, and `stream_options.include_usage`
    was ignored. Counted in the persona's tokens: the caller's messages and the answer."""
    from openai.types.chat import ChatCompletion, ChatCompletionChunk

    service, app = asgi_app(tmp_path, public=True)
    service.engine = lambda profile: Answering()  # noqa: ARG005 - the engine a turn asks for
    messages = [{"role": "system", "content": "Not counted: the persona is not the caller's."},
                {"role": "user", "content": "Where do you live?"}, {"role": "assistant", "content": "Rotterdam."},
                {"role": "user", "content": "since when?"}]
    whole = ChatCompletion.model_validate(call(app, "POST", "/v1/chat/completions", json={"messages": messages}).json())
    assert whole.usage.model_dump(exclude_none=True) == {"prompt_tokens": 2 + 1 + 4, "completion_tokens": 4,
                                                         "total_tokens": 11}

    def chunks(**extra) -> list[dict]:
        response = call(app, "POST", "/v1/chat/completions", json={"messages": messages, "stream": True, **extra})
        data = [block.removeprefix("data: ") for block in response.text.strip().split("\n\n")]
        assert data[-1] == "[DONE]"
        return [json.loads(d) for d in data[:-1]]

    streamed = chunks(stream_options={"include_usage": True})
    assert all(ChatCompletionChunk.model_validate(c) for c in streamed)
    assert streamed[-2]["choices"][0]["finish_reason"] == "stop" and streamed[-2]["usage"] is None
    assert streamed[-1]["choices"] == [] and streamed[-1]["usage"] == whole.usage.model_dump(exclude_none=True)
    assert all("usage" in c for c in streamed)  # null on every chunk but the last, as OpenAI sends it
    assert not any("usage" in c for c in chunks())  # not asked for: no usage chunk, no usage fields
    service.engine = lambda profile: Answering(counts=False)  # noqa: ARG005 - no tokenizer at hand
    assert "usage" not in call(app, "POST", "/v1/chat/completions", json={"messages": messages}).json()
    assert chunks(stream_options={"include_usage": True})[-1]["choices"][0]["finish_reason"] == "stop"
    service.close()


def test_tokens_are_counted_only_with_a_tokenizer_already_loaded() -> None:
    """The count is the persona tokenizer's; a model whose weights are not loaded (or that has no
    local tokenizer: Ollama) is not loaded to count, and nothing is guessed."""
    from transformers import AutoTokenizer

    from backends.local import LocalChatModel
    from backends.sources import EMBEDDED_EMBED_PACKAGE, WeightsSource, package_dir
    from serve.turns import TokenCounter

    tokenizer = AutoTokenizer.from_pretrained(str(package_dir(EMBEDDED_EMBED_PACKAGE) / "model"))

    class Loaded:
        def loaded_tokenizer(self):
            return tokenizer

    class NotLoaded:
        def loaded_tokenizer(self):
            return None

    assert TokenCounter().count(NotLoaded(), ["Where do you live?"]) is None
    unloaded = LocalChatModel(source=WeightsSource("/no/such/model"), home=Path("/no/such/home"))
    assert TokenCounter().count(unloaded, ["Where do you live?"]) is None  # loading would have raised
    assert TokenCounter().count(object(), ["Where do you live?"]) is None  # no local tokenizer at all
    counter = TokenCounter()
    words = ["Where do you live?", "", "I live in Rotterdam."]
    assert counter.count(Loaded(), words) == [len(tokenizer.encode(w, add_special_tokens=False)) for w in words]
    assert counter.count(Loaded(), words)[0] == 5 and counter._tokenizer is not tokenizer  # its own copy


def test_a_failed_token_count_leaves_usage_out_not_the_answer(tmp_path) -> None:
    """Counting tokens for ``usage`` is a courtesy: a tokenizer that fails costs the count, not the answer."""
    service, _ = asgi_app(tmp_path)

    class Broken:
        def count_tokens(self, texts):
            raise RuntimeError("tokenizer gone")

    service.engine = lambda profile: Broken()  # noqa: ARG005 - the engine a turn asks for
    assert service.usage(next(iter(service.profiles.values())), ["hi"], "hello") is None
    service.close()
