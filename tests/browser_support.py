"""Real Chromium (Debian's, never downloaded) driven by Playwright, against the real standalone server."""

import os
import shutil
import uuid
from pathlib import Path

import pytest

from image_pool.pools import Pools

from .server_process import running_server

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def chromium_path() -> str | None:
    return os.environ.get("IMAGE_POOL_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module. Not per session: Playwright's sync API keeps an event loop running in this thread
    while it is open, and the asyncio tests of other modules cannot run beside it."""
    path = chromium_path()
    if not path:
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium (.ci/run installs Debian's chromium package)")
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A standalone server on a temp store, shared by a module's tests (each test uses its own pool)."""
    root = tmp_path_factory.mktemp("browser-store")
    with running_server(root) as (url, _, _):
        yield url, Pools(root)


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1100, "height": 700})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def new_pool_id() -> str:
    return str(uuid.uuid4())


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name
