"""The embedding example of widget/README.md, as shipped in web/, works against the standalone server."""

import pytest
from playwright.sync_api import expect

from . import imagegen
from .browser_support import browser, page, store  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
EXAMPLE_POOL = "5b0c0c1e-1111-4111-8111-111111111111"  # the pool id the example names


def test_embedding_example_shows_the_pool_and_reports_selection(page, store):
    url, pools = store
    _, (a, b) = pools.add(EXAMPLE_POOL, [imagegen.png(seed=61), imagegen.png(seed=62)], labels=["first", "second"])
    page.goto(f"{url}/web/embed-example.html")
    tiles = page.locator("image-pool image-pool-grid .tile")
    expect(tiles).to_have_count(2)
    tiles.nth(1).click()
    expect(page.locator("#selected")).to_have_text(b)
    expect(tiles.nth(1)).to_have_attribute("aria-selected", "true")
    assert pools.load(EXAMPLE_POOL).active == b
    weight = tiles.nth(0).locator(".label").evaluate("e => getComputedStyle(e).fontWeight")
    assert weight == "600", "::part styling from the page reaches inside the grid"


def test_the_library_exports_its_elements_and_client_and_nothing_of_the_glue(page, store):
    url, _ = store
    page.goto(f"{url}/web/embed-example.html")
    exported = page.evaluate("async () => Object.keys(await import('/web/image-pool.js')).sort()")
    assert exported == ["ImagePoolElement", "ImagePoolGridElement", "PoolApiError", "PoolClient"]
    defined = page.evaluate("() => ['image-pool', 'image-pool-grid', 'image-pool-manager']"
                            ".map((name) => !!customElements.get(name))")
    assert defined == [True, True, False], "the library defines its two elements, not the manager page"
