"""Real Chromium (Debian's, never downloaded) driven by Playwright, against the real standalone server."""

import os
import shutil
import uuid
from pathlib import Path

import pytest

from image_pool.pools.pools import Pools

from .server_process import running_server

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def chromium_path() -> str | None:
    return os.environ.get("IMAGE_POOL_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def required_chromium() -> str:
    """Chromium's path: a failure in CI without one, elsewhere a skip that says how to get it."""
    path = chromium_path()
    if not path:
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium (.ci/run installs Debian's chromium package)")
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module. Not per session: Playwright's sync API keeps an event loop running in this thread
    while it is open, and the asyncio tests of other modules cannot run beside it."""
    path = required_chromium()
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


# A drop of folders as the browser hands it over (DataTransferItem.webkitGetAsEntry), built in the page from
# [path, base64, type] triples: a synthetic DragEvent cannot carry real directory entries.
FAKE_FOLDER_DROP = """(specs) => {
    const root = new Map();
    for (const [path, data, type] of specs) {
        const parts = path.split("/");
        let folder = root;
        for (const part of parts.slice(0, -1)) {
            if (!folder.has(part)) folder.set(part, new Map());
            folder = folder.get(part);
        }
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        folder.set(parts.at(-1), new File([bytes], parts.at(-1), { type }));
    }
    const entry = (name, node, path) => node instanceof File
        ? { isFile: true, isDirectory: false, name, fullPath: path, file: (ok) => ok(node) }
        : { isFile: false, isDirectory: true, name, fullPath: path, createReader() {
              const list = [...node].map(([n, child]) => entry(n, child, `${path}/${n}`));
              let given = false;
              return { readEntries(ok) { ok(given ? [] : (given = true, list)); } };
          } };
    const top = [...root].map(([name, child]) => entry(name, child, `/${name}`));
    return { items: top.map((e) => ({ kind: "file", webkitGetAsEntry: () => e })), files: [], types: ["Files"] };
}"""


def folder_drop_specs(images: int, others: list[tuple[str, str]]):
    """`images` PNGs spread over two subfolders of "set", and other files: [path, base64, type]; and the image names
    in the order a drop must add them."""
    import base64

    from . import imagegen
    specs = [[f"set/{'a' if i % 2 else 'b'}/img{i:02}.png", base64.b64encode(imagegen.png(seed=i)).decode(),
              "image/png"] for i in range(images)]
    specs += [[path, base64.b64encode(b"not a picture").decode(), kind] for path, kind in others]
    return specs, [path.rsplit("/", 1)[1] for path, _, kind in sorted(specs) if kind == "image/png"]


def boxes_apart(one: dict, other: dict) -> bool:
    """Two bounding boxes (Playwright's) that do not overlap."""
    return (one["x"] + one["width"] <= other["x"] or other["x"] + other["width"] <= one["x"]
            or one["y"] + one["height"] <= other["y"] or other["y"] + other["height"] <= one["y"])
