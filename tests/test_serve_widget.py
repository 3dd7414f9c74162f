"""The chat widget in a real headless Chromium (Debian's), embedded in a page on another origin.

A small static site on its own loopback port carries the one `<script>` tag; the widget talks to
the shared `twin serve` (public mode, the site's origin allowed by CORS). Driven by keyboard
only. Screenshots land in `.test-artifacts/widget/`.
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest

from tests.kb_support import PRIVATE_SECRETS
from tests.serve_support import CHROMIUM_ARGS, REPO, require_chromium

pytestmark = pytest.mark.slow  # real chat model, servers or training

SHOTS = REPO / ".test-artifacts" / "widget"
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Noa's blog</title></head>
<body><h1>Noa's blog</h1><p><a href="#posts">Posts</a></p>
<script src="{api}/widget.js" defer data-title="Ask Noa" data-greeting="Hi! Ask me about my projects."
        data-source-url="https://noa.example/notes/{{path}}"></script>
</body></html>
"""
IN_WIDGET = "document.querySelector('#twin-widget').shadowRoot"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, twin_server, serve_site_port: int):
    """The person's own site: a static page on another origin that embeds the widget."""
    root = tmp_path_factory.mktemp("site")
    (root / "index.html").write_text(PAGE.format(api=twin_server.url))

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", serve_site_port),
                                             functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{serve_site_port}/index.html"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def focused(page) -> str:
    """The id or class of the focused element inside the widget ('' when focus is elsewhere)."""
    return page.evaluate(f"(() => {{ const a = {IN_WIDGET}.activeElement; "
                         "return a ? (a.id || a.className) : ''; })()")


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def test_widget_chats_with_sources_by_keyboard(browser, site) -> None:
    page = browser.new_page(viewport={"width": 1024, "height": 760})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(site)
    page.wait_for_selector("#twin-widget", state="attached")
    assert shot(page, "1-closed").stat().st_size > 0
    launcher = page.locator("#twin-widget .launcher")
    assert launcher.get_attribute("aria-expanded") == "false"

    # focus order: the page's link, then the launcher; Enter opens and focuses the question box
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert focused(page) == "launcher"
    page.keyboard.press("Enter")
    assert launcher.get_attribute("aria-expanded") == "true"
    assert focused(page) == "twin-q"
    log = page.locator("#twin-widget .log")
    assert log.get_attribute("role") == "log" and log.get_attribute("aria-live") == "polite"
    assert page.locator("#twin-widget label[for=twin-q]").inner_text() == "Your question"

    page.keyboard.type("What keyboard do you use?")
    page.keyboard.press("Enter")  # Enter sends
    answer = page.locator("#twin-widget .msg.twin").last
    answer.wait_for(state="attached")
    page.wait_for_function(f"{IN_WIDGET}.querySelector('.msg.twin:last-child').dataset.state !== 'waiting'",
                           timeout=180_000)  # text is streaming (or already done)
    page.wait_for_function(f"['done','error'].includes({IN_WIDGET}.querySelector('.msg.twin:last-child').dataset.state)",
                           timeout=180_000)
    shot(page, "2-answered")
    assert answer.get_attribute("data-state") == "done", answer.inner_text()
    assert log.get_attribute("aria-busy") == "false"
    text = answer.locator(".answer").inner_text()
    assert text.strip()
    source = answer.locator(".sources a").first
    assert source.inner_text() == "My keyboard build (2023-11-26)"
    assert source.get_attribute("href") == "https://noa.example/notes/projects/keyboard.md"
    thread = page.evaluate("Object.entries(sessionStorage).find(([k]) => k.startsWith('twin-thread:'))[1]")
    assert thread.startswith("t-")

    # the follow-up goes to the same thread; Shift+Enter is a new line, not a send
    page.keyboard.type("and what switches?")
    page.keyboard.press("Shift+Enter")
    assert page.locator("#twin-widget .msg.me").count() == 1
    page.keyboard.press("Backspace")
    page.keyboard.press("Enter")
    page.wait_for_function(f"{IN_WIDGET}.querySelectorAll('.msg.twin[data-state=done]').length == 2",
                           timeout=180_000)
    shot(page, "3-follow-up")
    body = page.evaluate(f"{IN_WIDGET}.querySelector('.log').innerText")
    assert not [s for s in PRIVATE_SECRETS if s.lower() in body.lower()]

    # Tab moves from the question box to Send; Escape closes and gives focus back to the launcher
    page.keyboard.press("Tab")
    assert focused(page) == "send"
    page.keyboard.press("Escape")
    assert launcher.get_attribute("aria-expanded") == "false" and focused(page) == "launcher"
    shot(page, "4-closed-again")
    assert not errors, errors
    page.close()


def test_widget_shows_a_refusal_readably(browser, site, twin_server) -> None:
    """A refused request (here: a question over the server's length limit) shows a readable error."""
    page = browser.new_page(viewport={"width": 800, "height": 700})
    page.goto(site)
    page.wait_for_selector("#twin-widget", state="attached")
    page.locator("#twin-widget .launcher").click()
    page.evaluate(f"(() => {{ const q = {IN_WIDGET}.querySelector('#twin-q'); q.removeAttribute('maxlength'); "
                  "q.value = 'x'.repeat(2500); })()")
    page.keyboard.press("Enter")
    page.wait_for_function(f"{IN_WIDGET}.querySelector('.msg.twin:last-child').dataset.state === 'error'",
                           timeout=30_000)
    message = page.locator("#twin-widget .msg.twin .error").last.inner_text()
    assert "max_question_chars" in message
    shot(page, "5-error")
    page.close()
