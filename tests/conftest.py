"""Shared fixtures: one model cache, one ingested sample home, one runner per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.serve_support import serve_home, serve_site_port, serve_token, twin_server  # noqa: F401  (serve fixtures)
from twin import offline

REPO = Path(__file__).resolve().parent.parent
SAMPLE_NOTES = REPO / "examples" / "notes"
ARTIFACTS = REPO / ".test-artifacts"

# The fast tier (`make test-fast`, `pytest -m "not slow"`) leaves out every test marked slow: the ones
# that generate with the real chat model, ingest the sample notes, or start servers. A test that
# requests one of these fixtures is marked here; whole modules carry `pytestmark = pytest.mark.slow`.
SLOW_FIXTURES = frozenset({"runner", "ingested", "local", "fake_ollama", "serve_home", "twin_server", "serve_token"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


# The de-quantized embedded model is cached once for every home the tests create.
os.environ.setdefault("TWIN_MODEL_CACHE", str(ARTIFACTS / "model-cache"))
offline.apply()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def sample_notes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the bundled notes (tests may not edit the repo's)."""
    target = tmp_path_factory.mktemp("notes") / "notes"
    shutil.copytree(SAMPLE_NOTES, target)
    return target


# Short answers keep the suite fast on 2 CPU cores. No test of the session runner depends on the
# answer's length (they check routes, sources, verdicts, streaming and that an answer exists).
TEST_CONFIG = """# short answers keep the suite fast on 2 CPU cores
[persona]
max_new_tokens = 32
"""


@pytest.fixture(scope="session")
def session_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    (home / "twin.toml").write_text(TEST_CONFIG)
    return home


@pytest.fixture(scope="session")
def base_config(session_home: Path):
    from twin.config import load_config

    return load_config(None, str(session_home))


@pytest.fixture(scope="session")
def ingested(base_config, sample_notes: Path):
    """The sample notes ingested into the session home (real Chroma, real embeddings; the
    session's memo of the real model, so the other homes that ingest these notes reuse the vectors)."""
    from kb.ingest import ingest
    from tests.kb_support import real_embeddings

    return ingest(base_config, sample_notes, real_embeddings(), progress=False)


@pytest.fixture(scope="session")
def runner(base_config, ingested):
    from graph.runner import TwinRunner

    runner = TwinRunner(base_config)
    yield runner
    runner.close()
