"""Run the service under uvicorn: warm the models, listen, and on SIGTERM/Ctrl-C stop accepting,
let running and queued answers finish (up to ``serve.shutdown_grace_s``), then close the stores."""

from __future__ import annotations

import logging
from typing import Any

from twin.config import Config


def describe(config: Config, service: Any) -> str:
    s = config.serve
    mode = "public (ask endpoints open to anyone)" if s.public else "token required"
    return (f"twin serve: http://{s.host}:{s.port} · {mode} · {s.workers} worker(s), queue {s.queue_size} · "
            f"threads: {service.checkpoints.describe()} · models: {', '.join(sorted(service.profiles))}")


def check_address(host: str, port: int) -> None:
    """Raise OSError with a clear reason when ``host:port`` cannot be listened on (port in use,
    unknown host), before the models are warmed: not a minute later, from uvicorn."""
    import errno
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn binds
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's server does
        try:
            sock.bind((host, port))
        except OSError as exc:
            hint = " (another `twin serve`? pick another --port)" if exc.errno == errno.EADDRINUSE else ""
            raise OSError(f"cannot listen on {host}:{port}: {exc.strerror or exc}{hint}") from exc


def run(config: Config, log_level: str = "info") -> None:
    import uvicorn

    from serve.app import create_app
    from serve.service import Service

    check_address(config.serve.host, config.serve.port)
    service = Service(config)
    try:
        service.warm()
    except BaseException:
        service.close()
        raise
    app = create_app(service)
    server = uvicorn.Server(uvicorn.Config(
        app, host=config.serve.host, port=config.serve.port, log_level=log_level, access_log=False,
        timeout_graceful_shutdown=int(max(1, config.serve.shutdown_grace_s)), lifespan="on",
        server_header=False,
    ))
    logging.getLogger("uvicorn.error").info(describe(config, service))
    server.run()
