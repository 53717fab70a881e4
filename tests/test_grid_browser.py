"""The grid in real Chromium against the real standalone server: what the user sees, and what the server stored."""

import base64
import time

import numpy as np
import pytest
from playwright.sync_api import expect

from . import imagegen
from .browser_support import artifact, boxes_apart, browser, new_pool_id, page, store  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def tiles(page):
    return page.locator("image-pool-grid .tile")


def tile(page, index: int):
    return page.locator(f'image-pool-grid .tile[aria-posinset="{index + 1}"]')


def open_pool(page, url, pool_id, count):
    page.goto(f"{url}/#{pool_id}")
    expect(tiles(page)).to_have_count(count)


@pytest.fixture
def pool(store):
    """A pool of three images labelled a, b, c (made through the library on the server's store)."""
    url, pools = store
    pool_id = new_pool_id()
    _, slots = pools.add(pool_id, [imagegen.png(90, 120, seed=s) for s in range(3)], labels=["a", "b", "c"])
    return url, pools, pool_id, slots


def order(pools, pool_id):
    return [s.id for s in pools.load(pool_id).slots]


def wait_until(condition, what: str, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_click_selects_and_the_server_stores_it(page, pool):
    url, pools, pool_id, (a, b, c) = pool
    open_pool(page, url, pool_id, 3)
    expect(tile(page, 0)).to_have_attribute("aria-selected", "true")
    tile(page, 2).click()
    expect(tile(page, 2)).to_have_attribute("aria-selected", "true")
    expect(tile(page, 0)).to_have_attribute("aria-selected", "false")
    assert pools.load(pool_id).active == c


def test_label_edit_persists_and_escape_cancels(page, pool):
    url, pools, pool_id, (a, b, c) = pool
    open_pool(page, url, pool_id, 3)
    tile(page, 1).locator(".label").click()
    field = tile(page, 1).locator(".label-input")
    expect(field).to_be_focused()
    field.fill("<b>kitty</b>")
    field.press("Enter")
    expect(tile(page, 1).locator(".label")).to_have_text("<b>kitty</b>")  # shown as text, not markup
    assert pools.load(pool_id).slot(b).label == "<b>kitty</b>"

    tile(page, 1).locator(".label").click()
    tile(page, 1).locator(".label-input").fill("discard me")
    tile(page, 1).locator(".label-input").press("Escape")
    expect(tile(page, 1).locator(".label-input")).to_have_count(0)
    expect(tile(page, 1).locator(".label")).to_have_text("<b>kitty</b>")
    assert pools.load(pool_id).slot(b).label == "<b>kitty</b>"


def test_remove_button_removes(page, pool):
    url, pools, pool_id, (a, b, c) = pool
    open_pool(page, url, pool_id, 3)
    tile(page, 1).hover()
    tile(page, 1).locator(".remove").click()
    expect(tiles(page)).to_have_count(2)
    expect(tile(page, 1).locator(".label")).to_have_text("c")
    assert order(pools, pool_id) == [a, c]


def test_drag_and_drop_reorder_persists(page, pool):
    url, pools, pool_id, (a, b, c) = pool
    open_pool(page, url, pool_id, 3)
    box = tile(page, 2).bounding_box()
    tile(page, 0).drag_to(tile(page, 2), target_position={"x": box["width"] * 0.8, "y": box["height"] / 2})
    expect(tile(page, 2).locator(".label")).to_have_text("a")
    assert order(pools, pool_id) == [b, c, a]
    box = tile(page, 0).bounding_box()
    tile(page, 2).drag_to(tile(page, 0), target_position={"x": box["width"] * 0.2, "y": box["height"] / 2})
    expect(tile(page, 0).locator(".label")).to_have_text("a")
    assert order(pools, pool_id) == [a, b, c]


def test_alt_arrow_reorder_persists(page, pool):
    url, pools, pool_id, (a, b, c) = pool
    open_pool(page, url, pool_id, 3)
    tile(page, 0).click()
    page.keyboard.press("Alt+ArrowRight")
    expect(tile(page, 1).locator(".label")).to_have_text("a")
    assert order(pools, pool_id) == [b, a, c]
    expect(tile(page, 1)).to_be_focused()  # focus follows the moved tile
    page.keyboard.press("Alt+End")
    expect(tile(page, 2).locator(".label")).to_have_text("a")
    assert order(pools, pool_id) == [b, c, a]


def test_upload_button_adds_with_progress_shown(page, pool, tmp_path):
    url, pools, pool_id, _ = pool
    open_pool(page, url, pool_id, 3)
    files = []
    for name, data in (("one.png", imagegen.png(seed=11)), ("two.jpg", imagegen.jpeg(seed=12))):
        (tmp_path / name).write_bytes(data)
        files.append(str(tmp_path / name))
    held = []

    def hold_first(route):  # hold the first upload, so it can be seen in flight
        if held:
            route.continue_()
        else:
            held.append(route)
    page.route("**/grid_pool/add", hold_first)
    page.locator("image-pool-grid input[type=file]").set_input_files(files)
    progress = page.locator("image-pool .upload progress")
    expect(progress).to_have_count(2)
    expect(page.locator("image-pool .upload").first).to_contain_text("one.png")
    wait_until(lambda: held, "the first upload")
    held[0].continue_()
    expect(tiles(page)).to_have_count(5)
    expect(page.locator("image-pool .upload")).to_have_count(0)
    assert [s.name for s in pools.load(pool_id).slots][-2:] == ["one.png", "two.jpg"]


def drop_files(page, files: list[tuple[str, str, bytes]]):
    page.locator("image-pool-grid .scroller").evaluate(
        """(scroller, files) => {
            const transfer = new DataTransfer();
            for (const [name, type, b64] of files) {
                const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], name, { type }));
            }
            scroller.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
        }""",
        [[name, kind, base64.b64encode(data).decode()] for name, kind, data in files])


def test_dropped_files_are_added(page, pool):
    url, pools, pool_id, _ = pool
    open_pool(page, url, pool_id, 3)
    drop_files(page, [("dropped.png", "image/png", imagegen.png(seed=21)),
                      ("dropped.webp", "image/webp", imagegen.encode(
                          __import__("PIL.Image", fromlist=["Image"]).fromarray(imagegen.noise(20, 20, 3)), "WEBP"))])
    expect(tiles(page)).to_have_count(5)
    assert [s.name for s in pools.load(pool_id).slots][-2:] == ["dropped.png", "dropped.webp"]


def test_many_files_go_in_one_request_in_order_with_a_progress_bar_each(page, pool):
    url, pools, pool_id, _ = pool
    open_pool(page, url, pool_id, 3)
    requests = []
    page.on("request", lambda r: requests.append(r) if r.url.endswith("/grid_pool/add") else None)
    names = [f"batch-{i}.png" for i in range(12)]
    drop_files(page, [(name, "image/png", imagegen.png(seed=100 + i)) for i, name in enumerate(names)])
    expect(tiles(page)).to_have_count(15)
    expect(page.locator("image-pool .upload")).to_have_count(0)
    assert len(requests) == 1, "one request, one manifest write, for twelve files"
    manifest = pools.load(pool_id)
    assert [s.name for s in manifest.slots][3:] == names
    assert manifest.revision == 2, "the pool was written once for the whole batch"


def test_a_bad_file_in_a_batch_fails_alone_and_the_others_are_added(page, pool):
    url, pools, pool_id, _ = pool
    open_pool(page, url, pool_id, 3)
    drop_files(page, [("good-1.png", "image/png", imagegen.png(seed=31)),
                      ("broken.png", "image/png", b"\x89PNG\r\n\x1a\n not really a picture"),
                      ("good-2.png", "image/png", imagegen.png(seed=32))])
    expect(tiles(page)).to_have_count(5)
    failed = page.locator("image-pool .error-note")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("broken.png")
    assert [s.name for s in pools.load(pool_id).slots][3:] == ["good-1.png", "good-2.png"]


def test_pasted_image_is_added(page, pool):
    url, pools, pool_id, _ = pool
    open_pool(page, url, pool_id, 3)
    tile(page, 0).focus()
    tile(page, 0).evaluate(
        """(tile, b64) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], "image.png",
                                        { type: "image/png" }));
            tile.dispatchEvent(new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, composed: true }));
        }""", base64.b64encode(imagegen.png(seed=41)).decode())
    expect(tiles(page)).to_have_count(4)
    assert pools.load(pool_id).count == 4


def test_a_dropped_non_image_is_refused_with_a_message(page, pool):
    url, pools, pool_id, _ = pool
    open_pool(page, url, pool_id, 3)
    revision = pools.load(pool_id).revision
    drop_files(page, [("notes.txt", "text/plain", b"hello")])
    expect(page.locator("image-pool [role=alert]")).to_contain_text("not an image: notes.txt")
    expect(tiles(page)).to_have_count(3)
    assert pools.load(pool_id).revision == revision


def test_a_server_error_is_shown_and_the_grid_shows_what_the_server_has(page, pool):
    url, pools, pool_id, (a, b, c) = pool
    open_pool(page, url, pool_id, 3)
    pools.remove(pool_id, b)  # another window removed it; this page still shows it
    tile(page, 1).hover()
    tile(page, 1).locator(".remove").click()
    expect(page.locator("image-pool [role=alert]")).to_contain_text(f"has no slot {b}")
    expect(tiles(page)).to_have_count(2)
    expect(tile(page, 1).locator(".label")).to_have_text("c")
    page.locator("image-pool [part=error-dismiss]").click()
    expect(page.locator("image-pool [role=alert]")).to_have_count(0)


def wait_in_page(page, condition, what: str, timeout_ms: int = 10_000):
    """Poll a Python-side condition while letting Playwright deliver events, with a deadline."""
    for _ in range(timeout_ms // 50):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"timed out waiting for {what}")


def test_every_action_by_keyboard_alone(page, pool, tmp_path):
    url, pools, pool_id, (a, b, c) = pool
    choosers = []
    # Listening before the page loads turns on file-chooser interception up front; expect_file_chooser() turns it on
    # lazily and can miss a chooser opened right away.
    page.on("filechooser", lambda chooser: choosers.append(chooser))
    open_pool(page, url, pool_id, 3)
    for _ in range(20):  # Tab until the grid's roving focus is reached
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement?.tagName") == "IMAGE-POOL-MANAGER" and \
                tile(page, 0).evaluate("t => t.matches(':focus')"):
            break
    expect(tile(page, 0)).to_be_focused()

    page.keyboard.press("ArrowRight")
    expect(tile(page, 1)).to_be_focused()
    page.keyboard.press("Enter")  # select
    expect(tile(page, 1)).to_have_attribute("aria-selected", "true")
    assert pools.load(pool_id).active == b

    page.keyboard.press("F2")  # label
    expect(tile(page, 1).locator(".label-input")).to_be_focused()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("typed")
    page.keyboard.press("Enter")
    expect(tile(page, 1).locator(".label")).to_have_text("typed")
    assert pools.load(pool_id).slot(b).label == "typed"
    expect(tile(page, 1)).to_be_focused()

    page.keyboard.press("Alt+ArrowLeft")  # reorder
    expect(tile(page, 0).locator(".label")).to_have_text("typed")
    assert order(pools, pool_id) == [b, a, c]

    page.keyboard.press("m")  # mask request: the manager offers a picture or clearing
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)

    tile(page, 0).focus()
    page.keyboard.press("Delete")  # remove
    expect(tiles(page)).to_have_count(2)
    assert order(pools, pool_id) == [a, c]

    (tmp_path / "k.png").write_bytes(imagegen.png(seed=31))
    page.locator("image-pool-grid [part=upload-button]").focus()
    page.keyboard.press("Enter")  # the upload button
    wait_in_page(page, lambda: choosers, "the file chooser")
    choosers[0].set_files(str(tmp_path / "k.png"))
    expect(tiles(page)).to_have_count(3)
    assert pools.load(pool_id).slots[-1].name == "k.png"


def test_masks_show_as_overlay_and_badge(page, pool):
    url, pools, pool_id, (a, b, c) = pool
    mask = np.zeros((90, 120), bool)
    mask[20:60, 30:90] = True
    pools.set_mask(pool_id, b, mask)
    open_pool(page, url, pool_id, 3)
    expect(tile(page, 1).locator(".mask-overlay")).to_have_count(1)
    expect(tile(page, 1).locator(".mask-dot")).to_be_visible()
    expect(tile(page, 0).locator(".mask-dot")).to_have_count(0)
    page.get_by_label("Show masks").uncheck()
    expect(page.locator("image-pool-grid .mask-overlay")).to_have_count(0)
    expect(tile(page, 1).locator(".mask-dot")).to_be_visible()


def test_a_thousand_slots_keep_the_dom_small_and_scroll_to_the_end(page, store):
    url, pools = store
    pool_id = new_pool_id()
    stored = [pools.objects.put_bytes(imagegen.png(16, 16, seed=1000 + i)) for i in range(1000)]
    pools.add_objects(pool_id, stored, labels=[f"#{i}" for i in range(1000)])
    keys = {s.key.split(".")[0] for s in stored}
    fetched = []
    page.on("request", lambda r: fetched.append(r.url.split("/thumb/")[1].split(".")[0])
            if "/grid_pool/thumb/" in r.url else None)
    page.goto(f"{url}/#{pool_id}")
    expect(tile(page, 0)).to_be_visible()
    expect(page.locator("image-pool-grid [part=count]")).to_have_text("1000 images")
    rendered = tiles(page).count()
    assert 0 < rendered <= 200, rendered
    tile(page, 0).click()
    page.keyboard.press("End")
    last = tile(page, 999)
    expect(last).to_be_visible()
    expect(last).to_be_focused()
    expect(last.locator(".label")).to_have_text("#999")
    expect(last.locator("img")).to_have_js_property("complete", True)
    assert tiles(page).count() <= 200
    ours = [k for k in fetched if k in keys]
    assert stored[999].key.split(".")[0] in ours, "the last tile's thumbnail loaded once it came into view"
    assert len(ours) <= 2 * 200, f"only thumbnails near the viewport load, not all 1000 ({len(ours)})"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshot_of_the_manager_page(browser, pool, scheme):
    url, pools, pool_id, (a, b, c) = pool
    pools.set_mask(pool_id, a, np.pad(np.ones((40, 50), bool), ((25, 25), (35, 35))))
    pools.set_label(pool_id, c, "a labelled one")
    context = browser.new_context(viewport={"width": 1000, "height": 520}, color_scheme=scheme)
    page = context.new_page()
    try:
        open_pool(page, url, pool_id, 3)
        expect(tile(page, 2).locator("img")).to_have_js_property("complete", True)
        page.wait_for_function("() => [...document.querySelector('image-pool-manager').shadowRoot"
                               ".querySelector('image-pool').shadowRoot.querySelector('image-pool-grid')"
                               ".shadowRoot.querySelectorAll('img')].every(i => i.complete && i.naturalWidth > 0)")
        page.screenshot(path=artifact(f"manager-{scheme}.png"))
        background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        dark = scheme == "dark"
        channels = [int(x) for x in background[background.index("(") + 1:background.index(")")].split(",")[:3]]
        assert (sum(channels) < 200) == dark, f"{scheme} page has background {background}"
    finally:
        context.close()


def test_in_choose_mode_a_click_or_a_key_toggles_a_slot_and_changes_nothing_on_the_server(page, pool):
    """Image Pool (List)'s grid: the host sets `chosen`; the grid marks those slots and reports toggles."""
    url, pools, pool_id, (a, b, c) = pool
    open_pool(page, url, pool_id, 3)
    page.locator("image-pool").first.evaluate("""(element) => {
        window.__toggles = [];
        element.chosen = [];
        element.addEventListener("pool-toggle", (e) => {
            window.__toggles.push(e.detail);
            element.chosen = e.detail.chosen ? [...element.chosen, e.detail.slot]
                                             : element.chosen.filter((s) => s !== e.detail.slot);
        });
    }""")
    expect(page.locator("image-pool-grid .count")).to_have_text("3 images, all run (click to choose)")
    expect(page.locator('image-pool-grid [role="listbox"]')).to_have_attribute("aria-multiselectable", "true")
    tile(page, 2).click()
    expect(tile(page, 2)).to_have_attribute("aria-selected", "true")
    expect(tile(page, 2).locator(".check")).to_be_visible()
    expect(tile(page, 0)).to_have_attribute("aria-selected", "false")
    tile(page, 0).focus()
    page.keyboard.press("Space")
    expect(tile(page, 0)).to_have_attribute("aria-selected", "true")
    expect(page.locator("image-pool-grid .count")).to_have_text("3 images, 2 chosen")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    expect(tile(page, 2)).to_have_attribute("aria-selected", "false")
    assert page.evaluate("window.__toggles") == [{"slot": c, "index": 2, "chosen": True},
                                                 {"slot": a, "index": 0, "chosen": True},
                                                 {"slot": c, "index": 2, "chosen": False}]
    assert pools.load(pool_id).active == a, "a toggle is the host's to keep, not the pool's"


def test_the_grid_follows_its_size_after_it_is_moved_in_the_page(page, pool):
    """ComfyUI takes a node's DOM widget out of the page and puts it back (switching workflows, subgraphs or
    renderers): the grid must still lay its tiles out for the width it has."""
    url, pools, pool_id, _ = pool
    open_pool(page, url, pool_id, 3)
    page.locator("image-pool").first.evaluate("""(element) => {
        const box = document.createElement("div");
        box.id = "moved";
        box.style.cssText = "position: fixed; top: 0; left: 0; width: 600px; height: 400px; z-index: 10;";
        document.body.append(box);
        element.remove();
        box.append(element);
    }""")

    def rows():
        return len({round(tile(page, i).bounding_box()["y"]) for i in range(3)})
    wait_until(lambda: rows() == 1, "three tiles in one row at 600 px")
    page.evaluate("() => { document.getElementById('moved').style.width = '300px'; }")
    wait_until(lambda: rows() == 2, "the tiles re-laid out for 300 px")
    right = max(tile(page, i).bounding_box()["x"] + tile(page, i).bounding_box()["width"] for i in range(3))
    assert right <= 300, f"a tile reaches {right} px in a 300 px grid"


@pytest.mark.parametrize("tile_size", [64, 80, 120])
def test_the_mask_dot_never_covers_a_button(page, pool, tile_size):
    """However small the tiles (the Pools tab shows a small grid), on a hovered tile the has-mask dot, the brush and
    the remove button are apart."""
    url, pools, pool_id, (a, b, c) = pool
    pools.set_mask(pool_id, a, np.ones((90, 120), bool))
    open_pool(page, url, pool_id, 3)
    page.locator("image-pool").first.evaluate(f"(element) => {{ element.tileSize = {tile_size}; }}")
    page.locator("image-pool").first.evaluate("(element) => { element.style.width = '300px'; }")
    tile(page, 0).hover()
    boxes = [tile(page, 0).locator(part).bounding_box() for part in (".mask-dot", ".tile-button.mask",
                                                                    ".tile-button.remove")]
    assert boxes_apart(boxes[0], boxes[1]) and boxes_apart(boxes[0], boxes[2]), boxes


def test_editing_a_mask_selects_its_image_however_the_editor_is_asked_for(page, pool):
    """The brush, M and a double-click behave alike: the image whose mask is edited is the one the next run uses (a
    double-click's first click selects it anyway). In choose mode none of them changes the choice."""
    url, pools, pool_id, (a, b, c) = pool
    open_pool(page, url, pool_id, 3)
    page.locator("image-pool").first.evaluate("""(element) => {
        window.__asked = [];
        for (const type of ["pool-select", "pool-mask-request", "pool-toggle"])
            element.addEventListener(type, (e) => window.__asked.push([type, e.detail.slot]));
    }""")
    tile(page, 2).hover()
    tile(page, 2).locator(".tile-button.mask").click()
    expect(tile(page, 2)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Escape")  # the manager's mask dialog
    tile(page, 1).dblclick()
    expect(tile(page, 1)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Escape")
    asked = page.evaluate("window.__asked")  # a double-click is two clicks, then the double-click
    assert [e for i, e in enumerate(asked) if i == 0 or e != asked[i - 1]] == [
        ["pool-select", c], ["pool-mask-request", c], ["pool-select", b], ["pool-mask-request", b]]
    wait_until(lambda: pools.load(pool_id).active == b, "the selection stored")

    page.locator("image-pool").first.evaluate("(element) => { element.chosen = []; window.__asked = []; }")
    tile(page, 0).hover()
    tile(page, 0).locator(".tile-button.mask").click()
    page.keyboard.press("Escape")
    assert page.evaluate("window.__asked") == [["pool-mask-request", a]], "choose mode: the choice stays"
