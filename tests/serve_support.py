"""Real `twin serve` processes, a real PostgreSQL cluster, and the system Chromium, for the serve tests.

Servers run as ``python -m twin_cli serve`` subprocesses on free loopback ports (the command a
user runs), log to ``.test-artifacts/serve/``, and are stopped with SIGTERM (graceful shutdown).
PostgreSQL is Debian's: a throwaway cluster made with ``initdb`` in a temp dir and started with
``pg_ctl`` (as ``nobody`` when the suite runs as root, which PostgreSQL refuses).
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parent.parent
LOGS = REPO / ".test-artifacts" / "serve"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

SERVE_TOML = """# the serve tests' configuration: short answers keep them fast on 2 CPU cores
[persona]
max_new_tokens = 16

[serve]
public = true
workers = 1
queue_size = 2
rate_limit_per_minute = 600
rate_limit_burst = 100
toggleable = ["rerank"]
cors_origins = ["http://127.0.0.1:{site_port}"]

[serve.profiles.quick]
description = "very short answers"
max_new_tokens = 8
public = true

[serve.profiles.raw]
description = "no adapter, no rerank (token holders only)"
off = ["adapter", "rerank"]
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def twin(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "twin_cli", *args], capture_output=True, text=True, timeout=timeout)


def create_token(home: Path, name: str, *extra: str) -> str:
    proc = twin("serve", "token", "create", name, "--home", str(home), *extra)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@dataclass
class ServeProcess:
    """One `twin serve` subprocess on a loopback port."""

    name: str
    home: Path
    args: list[str] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return LOGS / f"{self.name}.log"

    def start(self, timeout: float = 240.0) -> ServeProcess:
        return self.launch().wait_ready(timeout)

    def launch(self) -> ServeProcess:
        LOGS.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "twin_cli", "serve", "--home", str(self.home), "--port", str(self.port),
                 *self.args],
                stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
            )
        return self

    def wait_ready(self, timeout: float = 240.0) -> ServeProcess:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"twin serve {self.name} exited early:\n{self.log()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=2).json().get("status") == "ok":
                    return self
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"twin serve {self.name} not healthy in {timeout:.0f} s:\n{self.log()[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def terminate(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 120.0) -> int | None:
        if self.proc is None:
            return None
        self.terminate()
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(timeout=30)


# -- PostgreSQL ------------------------------------------------------------------------
def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def require_postgres() -> Path:
    bindir = postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (Debian package `postgresql`; .ci/run installs it)")
    return bindir


@dataclass
class PostgresCluster:
    """A throwaway cluster in a temp dir, listening on a loopback port, trust auth."""

    bindir: Path
    port: int = field(default_factory=free_port)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="twin-pg-")))

    @property
    def url(self) -> str:
        return f"postgresql://twin@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []
        return subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120)

    def start(self) -> PostgresCluster:
        data = self.root / "data"
        if os.geteuid() == 0:  # PostgreSQL will not run as root: hand the dir to nobody
            os.chmod(self.root, 0o755)
            shutil.chown(self.root, "nobody", "nogroup")
        done = self._run(str(self.bindir / "initdb"), "-D", str(data), "-U", "twin", "--auth=trust",
                         "-E", "UTF8", "--no-instructions")
        if done.returncode:
            raise RuntimeError(f"initdb failed: {done.stderr[-2000:]}")
        done = self._run(str(self.bindir / "pg_ctl"), "-D", str(data), "-l", str(self.root / "log"), "-w", "-t", "60",
                         "-o", f"-p {self.port} -h 127.0.0.1 -k {self.root} -c fsync=off", "start")
        if done.returncode:
            raise RuntimeError(f"pg_ctl start failed: {done.stderr[-2000:]} {self.log()[-2000:]}")
        return self

    def log(self) -> str:
        path = self.root / "log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


# -- Chromium --------------------------------------------------------------------------
def require_chromium() -> str:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (Debian package `chromium`; .ci/run installs it)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        pytest.skip("the playwright package is missing (pip install -e '.[test]')")
    return CHROMIUM


# -- SSE -------------------------------------------------------------------------------
def parse_sse(text: str) -> list[tuple[str, str]]:
    """(event name, data) pairs of a server-sent-events body (comments skipped)."""
    events = []
    for block in text.split("\n\n"):
        name, data = "message", []
        for line in block.splitlines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
        if data:
            events.append((name, "\n".join(data)))
    return events


# -- fixtures (imported by tests/conftest.py so every module shares one server) -------------
@pytest.fixture(scope="session")
def serve_site_port() -> int:
    """The port of the test web page that embeds the widget (an allowed CORS origin)."""
    return free_port()


@pytest.fixture(scope="session")
def serve_home(tmp_path_factory: pytest.TempPathFactory, sample_notes: Path, serve_site_port: int) -> Path:
    """A data home with the sample notes ingested (real Chroma, real embeddings) and the serve config."""
    from kb.ingest import ingest
    from tests.kb_support import real_embeddings
    from twin.config import load_config

    home = tmp_path_factory.mktemp("serve-home")
    (home / "twin.toml").write_text(SERVE_TOML.format(site_port=serve_site_port))
    ingest(load_config(None, str(home)), sample_notes, real_embeddings(), progress=False)
    return home


@pytest.fixture(scope="session")
def serve_token(serve_home: Path) -> str:
    return create_token(serve_home, "tests")


@pytest.fixture(scope="session")
def twin_server(serve_home: Path, serve_token: str):
    """`twin serve` in public mode (see SERVE_TOML), shared by the API and widget tests."""
    server = ServeProcess("main", serve_home).start()
    yield server
    server.stop()
