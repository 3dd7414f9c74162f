"""A small HTTP server that speaks Ollama's wire format, backed by the local model.

It implements ``GET /api/tags``, ``GET /api/version`` and ``POST /api/chat`` (NDJSON
streaming and single-object replies, ``options.num_predict``/``temperature``/``seed``,
and ``format`` with a JSON schema whose single property is an enum: the label is then
chosen by the local model's label log-probabilities, like constrained decoding).
Tests use it to drive Twin's real ``ollama`` client path without an Ollama install.

``fault`` makes it misbehave like a broken host (``FAULTS``): a server that is not Ollama,
one that never answers, a reply that is not JSON, an error line or a hang-up mid-answer.
"""

from __future__ import annotations

import json
import threading
import time
from contextlib import closing
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _to_messages(rows: list[dict[str, str]]) -> list[BaseMessage]:
    kinds = {"system": SystemMessage, "assistant": AIMessage}
    return [kinds.get(r.get("role", "user"), HumanMessage)(r.get("content", "")) for r in rows]


def _enum_schema(fmt: Any) -> tuple[str, list[str]] | None:
    if not isinstance(fmt, dict):
        return None
    for name, prop in fmt.get("properties", {}).items():
        if isinstance(prop, dict) and prop.get("enum"):
            return name, list(prop["enum"])
    return None


FAULTS = {
    "": "a healthy Ollama",
    "not_ollama": "another web server: 404 (HTML) for every path",
    "hang": "accepts connections, never answers (until the server stops)",
    "bad_json": "/api/chat streams one good line, then a line that is not JSON",
    "error_line": "/api/chat streams one good line, then Ollama's {\"error\": ...} line",
    "cut": "/api/chat streams one good line, then hangs up without the final done line",
}


class FakeOllama:
    """Serve ``model_name`` from ``chat`` (a LocalChatModel) on 127.0.0.1:port; ``fault`` (one
    of ``FAULTS``) makes it misbehave (``chat`` may then be None)."""

    def __init__(self, chat: Any, model_name: str = "twin-test", port: int = 0, fault: str = "") -> None:
        assert fault in FAULTS, fault
        self.chat = chat
        self.model_name = model_name
        self.fault = fault
        self.stopping = threading.Event()  # ends the "hang" fault's waits
        self.requests: list[dict[str, Any]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeOllama:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def known(self, name: str) -> bool:
        return name in (self.model_name, f"{self.model_name}:latest")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _json(self, code: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _faulty(self) -> bool:
                """Answer as the ``fault`` says before any real work; True when done."""
                if fake.fault == "hang":
                    fake.stopping.wait(60)
                    return True
                if fake.fault == "not_ollama":
                    page = b"<html><body>Not Found</body></html>"
                    self.send_response(404)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(page)))
                    self.end_headers()
                    self.wfile.write(page)
                    return True
                return False

            def do_GET(self) -> None:
                if self._faulty():
                    return
                if self.path == "/api/tags":
                    name = f"{fake.model_name}:latest"
                    model = {"name": name, "model": name, "modified_at": _now(), "size": 1, "digest": "0" * 64,
                             "details": {"format": "gguf", "family": "llama", "parameter_size": "135M",
                                         "quantization_level": "Q4_1"}}
                    self._json(200, {"models": [model]})
                elif self.path == "/api/version":
                    self._json(200, {"version": "0.0.0-twin-test"})
                else:
                    self._json(404, {"error": "not found"})

            def do_POST(self) -> None:
                if self._faulty():
                    return
                if self.path != "/api/chat":
                    self._json(404, {"error": "not found"})
                    return
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                fake.requests.append(body)
                if not fake.known(body.get("model", "")):
                    self._json(404, {"error": f"model '{body.get('model')}' not found"})
                    return
                messages = _to_messages(body.get("messages", []))
                options = body.get("options") or {}
                kwargs = {"max_new_tokens": options["num_predict"]} if options.get("num_predict") else {}
                enum = _enum_schema(body.get("format"))
                if fake.fault:
                    self._reply_broken(body)
                elif enum:
                    self._reply_structured(body, messages, *enum)
                elif body.get("stream", True):
                    self._reply_stream(body, messages, kwargs)
                else:
                    text = str(fake.chat.invoke(messages, **kwargs).content)
                    self._json(200, self._final(body, text))

            def _final(self, body: dict[str, Any], text: str) -> dict[str, Any]:
                return {"model": body["model"], "created_at": _now(),
                        "message": {"role": "assistant", "content": text}, "done": True, "done_reason": "stop",
                        "total_duration": 1, "eval_count": max(1, len(text.split()))}

            def _reply_structured(self, body: dict[str, Any], messages: list[BaseMessage], key: str,
                                  labels: list[str]) -> None:
                scores = fake.chat.label_logprobs(messages, labels)
                text = json.dumps({key: max(scores, key=scores.get)})
                if body.get("stream", True):
                    self._start_stream()
                    self._line(self._final(body, text))
                else:
                    self._json(200, self._final(body, text))

            def _start_stream(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.send_header("Connection", "close")
                self.end_headers()

            def _line(self, obj: dict[str, Any]) -> None:
                self.wfile.write(json.dumps(obj).encode() + b"\n")
                self.wfile.flush()

            def _reply_broken(self, body: dict[str, Any]) -> None:
                """A stream that starts well and then breaks as ``fake.fault`` says."""
                self._start_stream()
                self.close_connection = True
                self._line({"model": body["model"], "created_at": _now(), "done": False,
                            "message": {"role": "assistant", "content": "Hello"}})
                if fake.fault == "bad_json":
                    self.wfile.write(b"{this is not json\n")
                elif fake.fault == "error_line":
                    self._line({"error": "an error was encountered while running the model: out of memory"})

            def _reply_stream(self, body: dict[str, Any], messages: list[BaseMessage], kwargs: dict[str, Any]) -> None:
                self._start_stream()
                self.close_connection = True
                try:
                    with closing(fake.chat.stream(messages, **kwargs)) as chunks:  # closed: generation stops
                        for chunk in chunks:
                            self._line({"model": body["model"], "created_at": _now(), "done": False,
                                        "message": {"role": "assistant", "content": str(chunk.content)}})
                    self._line(self._final(body, ""))
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client hung up: like Ollama, stop generating

        return Handler


def wait_for(url: str, timeout: float = 10.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/api/version", timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise TimeoutError(url)
