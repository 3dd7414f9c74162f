"""ASGI middleware: request body limits (size and time), and a bug's JSON 500 sent inside CORS."""

from __future__ import annotations

import asyncio
import json
from typing import Any

BODY_TIMEOUT_S = 30.0  # a client that trickles its body slower than this is cut off (408)


class BodyLimit:
    """Read the body up front: over ``max_bytes`` → 413, slower than ``BODY_TIMEOUT_S`` → 408.

    Bodies here are small JSON requests, so buffering them costs nothing and covers both a
    declared Content-Length and a chunked upload that never declared one.
    """

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send, 413, f"request body over serve.max_body_bytes = {self.max_bytes}")
            return
        try:
            messages = await asyncio.wait_for(self._read(receive), BODY_TIMEOUT_S)
        except TimeoutError:
            await self._reject(send, 408, f"request body not received within {BODY_TIMEOUT_S:g} s")
            return
        if messages is None:
            await self._reject(send, 413, f"request body over serve.max_body_bytes = {self.max_bytes}")
            return
        replay = iter(messages)

        async def replayed() -> dict:
            try:
                return next(replay)
            except StopIteration:
                return await receive()  # after the body: the disconnect notice, when it comes

        await self.app(scope, replayed, send)

    async def _read(self, receive: Any) -> list[dict] | None:
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                return None
            if not message.get("more_body", False):
                return messages

    @staticmethod
    async def _reject(send: Any, status: int, message: str) -> None:
        body = json.dumps({"error": {"message": message, "type": "invalid_request_error",
                                     "code": "request_too_large" if status == 413 else "request_timeout",
                                     "param": None}}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


class InternalErrors:
    """A bug's 500 as ``body`` (JSON), sent from inside the CORS middleware.

    Starlette answers an unhandled exception in its outermost layer, outside CORS, so a browser
    got a 500 without ``Access-Control-Allow-Origin`` and the widget could only say it could not
    reach the twin. Sent here, the 500 passes through CORS like any other response. The exception
    is raised again afterwards, so the server still logs its traceback (the client never sees it).
    """

    def __init__(self, app: Any, body: dict[str, Any]) -> None:
        self.app = app
        self.body = json.dumps(body).encode()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            if not started:  # after the status went out there is nothing left to answer with
                await send({"type": "http.response.start", "status": 500,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(self.body)).encode())]})
                await send({"type": "http.response.body", "body": self.body})
            raise
