"""Server-sent events: the wire format of every streamed answer."""

from __future__ import annotations

import json
from typing import Any

HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # no proxy buffering of streams


def event(data: Any, name: str | None = None) -> bytes:
    body = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {body}\n\n".encode()


def comment(text: str) -> bytes:
    """A line clients ignore: keeps idle connections (proxies, load balancers) open."""
    return f": {text}\n\n".encode()
