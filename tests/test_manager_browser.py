"""The manager page in real Chromium against the real server: pools by name, renaming, deleting with a
confirmation, the mask dialog (which image, a preview, then apply), one dismissible error style, and focus that
never looks like the selection."""

import numpy as np
import pytest
from playwright.sync_api import expect

from . import imagegen
from .browser_support import FAKE_FOLDER_DROP, browser, folder_drop_specs, new_pool_id, page, store  # noqa: F401

pytestmark = pytest.mark.browser


def tiles(page):
    return page.locator("image-pool-grid .tile")


@pytest.fixture
def named(store):
    url, pools = store
    pool_id = new_pool_id()
    _, slots = pools.add(pool_id, [imagegen.png(90, 120, seed=s) for s in range(2)], labels=["first", ""],
                         names=["one.png", "two.png"])
    pools.set_name(pool_id, "Holiday")
    return url, pools, pool_id, slots


def open_manager(page, url, pool_id, count):
    page.goto(f"{url}/#{pool_id}")
    expect(tiles(page)).to_have_count(count)


def test_pools_are_listed_by_name_and_renamed_in_place(page, named):
    url, pools, pool_id, _ = named
    open_manager(page, url, pool_id, 2)
    expect(page.locator("aside .pool[aria-current=true] .title")).to_have_text("Holiday")
    name = page.get_by_label("Pool name")
    expect(name).to_have_value("Holiday")
    name.fill("Holiday 2026 <b>")
    name.press("Enter")
    expect(page.locator("aside .pool[aria-current=true] .title")).to_have_text("Holiday 2026 <b>")
    assert pools.load(pool_id).name == "Holiday 2026 <b>", "stored as text"


def test_a_new_pool_is_made_at_once_and_named_in_place(page, named):
    url, pools, pool_id, _ = named
    open_manager(page, url, pool_id, 2)
    page.get_by_role("button", name="+ New pool").click()
    name = page.get_by_label("Pool name")
    expect(name).to_be_focused()
    expect(name).to_have_value("New pool")
    name.fill("Portraits")
    name.press("Enter")
    expect(page.locator("aside .pool .title", has_text="Portraits")).to_have_count(1)
    expect(name).to_be_focused()  # Enter keeps the name and the focus
    assert [m.count for m in pools.manifests() if m.name == "Portraits"] == [0], "made on the server, empty"
    page.reload()
    expect(page.locator("aside .pool .title", has_text="Portraits")).to_have_count(1)


def test_escape_puts_the_saved_name_back(page, named):
    url, pools, pool_id, _ = named
    open_manager(page, url, pool_id, 2)
    name = page.get_by_label("Pool name")
    name.fill("Not this")
    name.press("Escape")
    expect(name).to_have_value("Holiday")
    name.blur()
    expect(page.locator("aside .pool[aria-current=true] .title")).to_have_text("Holiday")
    assert pools.load(pool_id).name == "Holiday"


def test_pools_are_listed_in_name_order_with_a_copy_beside_its_original(page, named):
    url, pools, pool_id, _ = named
    for name in ("zebra", "Apples", ""):
        pools.set_name(new_pool_id(), name)
    open_manager(page, url, pool_id, 2)
    page.get_by_role("button", name="Detach (copy)").click()
    expect(page.locator("aside .pool .title", has_text="Holiday (copy)")).to_have_count(1)
    shown = page.locator("aside .pool .title").all_inner_texts()
    assert shown == sorted(shown, key=lambda t: (t == "Untitled pool", t.casefold())), "by name, the untitled last"
    assert {"Apples", "zebra", "Untitled pool"} <= set(shown)
    assert shown.index("Holiday (copy)") == len(shown) - shown[::-1].index("Holiday"), "beside its original"


def test_delete_asks_first_and_cancel_keeps_the_pool(page, named):
    url, pools, pool_id, _ = named
    open_manager(page, url, pool_id, 2)
    page.get_by_role("button", name="Delete…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Delete “Holiday”?")
    expect(dialog).to_contain_text("2 images")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert pools.exists(pool_id)
    page.get_by_role("button", name="Delete…").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete pool").click()
    expect(page.locator(f'aside .pool[title="{pool_id}"]')).to_have_count(0)
    assert not pools.exists(pool_id)


def test_the_mask_dialog_names_the_image_previews_and_applies(page, named, tmp_path):
    url, pools, pool_id, (first, second) = named
    open_manager(page, url, pool_id, 2)
    tiles(page).nth(1).click()
    page.keyboard.press("m")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading")).to_have_text("Mask of “two.png” (image 2, 120 × 90)")
    expect(dialog).to_contain_text("No mask yet")
    expect(dialog.get_by_role("button", name="Apply")).to_be_disabled()
    picture = np.zeros((90, 120), np.uint8)
    picture[10:40, 10:60] = 255
    (tmp_path / "mask.png").write_bytes(imagegen.encode(__import__("PIL.Image").Image.fromarray(picture), "PNG"))
    dialog.get_by_label("Mask picture").set_input_files(str(tmp_path / "mask.png"))
    preview = dialog.locator("[part=mask-new] img")
    expect(preview).to_have_js_property("complete", True)
    assert preview.evaluate("i => i.naturalWidth") == 120, "the chosen picture is shown before it is applied"
    assert pools.load(pool_id).slot(second).mask is None, "nothing applied yet"
    expect(dialog).to_contain_text("120 × 90")
    dialog.get_by_role("button", name="Apply").click()
    expect(dialog).to_have_count(0)
    expect(tiles(page).nth(1).locator(".mask-dot")).to_be_visible()
    assert pools.load(pool_id).slot(second).mask is not None

    tiles(page).nth(1).click()
    page.keyboard.press("m")
    expect(page.get_by_role("dialog")).to_contain_text("Its mask now")
    expect(page.get_by_role("dialog").locator("[part=mask-current] .overlay")).to_have_count(1)


def test_a_mask_picture_of_the_wrong_size_is_refused_before_apply(page, named, tmp_path):
    url, pools, pool_id, (first, _) = named
    open_manager(page, url, pool_id, 2)
    tiles(page).nth(0).click()
    page.keyboard.press("m")
    (tmp_path / "small.png").write_bytes(imagegen.png(10, 10, seed=3))
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Mask picture").set_input_files(str(tmp_path / "small.png"))
    expect(dialog.get_by_role("alert")).to_contain_text("10 × 10; the image is 120 × 90")
    expect(dialog.get_by_role("button", name="Apply")).to_be_disabled()
    expect(dialog).to_be_visible()
    assert pools.load(pool_id).slot(first).mask is None


def test_errors_look_alike_sit_over_the_grid_and_can_be_dismissed(page, named, tmp_path):
    url, pools, pool_id, (first, _) = named
    open_manager(page, url, pool_id, 2)
    grid_top = page.locator("image-pool-grid").bounding_box()["y"]
    pools.delete(pool_id)  # deleted elsewhere (the CLI, another page) while this page shows it
    page.get_by_role("button", name="Detach (copy)").click()
    page_error = page.locator("main .notes > .error-note")
    expect(page_error).to_contain_text("does not exist")
    assert page.locator("image-pool-grid").bounding_box()["y"] == grid_top, "the note does not push the grid down"
    page.locator("image-pool-grid .scroller").evaluate(
        """(scroller) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File(["plain text"], "notes.txt", { type: "text/plain" }));
            scroller.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
        }""")
    upload_error = page.locator("image-pool .error-note")
    expect(upload_error).to_contain_text("not an image: notes.txt")
    style = "e => { const s = getComputedStyle(e); return [s.backgroundColor, s.color, s.borderRadius]; }"
    assert page_error.evaluate(style) == upload_error.first.evaluate(style), "one error style"
    page_error.get_by_role("button").click()
    expect(page_error).to_have_count(0)
    upload_error.first.get_by_role("button").click()
    expect(upload_error).to_have_count(0)


def test_a_refused_file_says_so_once(page, named):
    url, pools, pool_id, _ = named
    open_manager(page, url, pool_id, 2)
    page.locator("image-pool").evaluate("""async (pool) => {
        await pool.addFiles([new File(["not a picture"], "fake.png", { type: "image/png" })]);
    }""")
    notes = page.locator("image-pool .error-note")
    expect(notes).to_have_count(1)
    expect(notes).to_contain_text("fake.png")
    assert notes.first.inner_text().count("fake.png") == 1
    assert pools.load(pool_id).count == 2


def test_keyboard_focus_does_not_look_like_the_selection(page, named):
    url, pools, pool_id, _ = named
    open_manager(page, url, pool_id, 2)
    tiles(page).nth(0).click()
    page.keyboard.press("ArrowRight")  # focus moves; the selection stays on the first tile
    focused, selected = tiles(page).nth(1), tiles(page).nth(0)
    expect(focused).to_be_focused()
    expect(selected).to_have_attribute("aria-selected", "true")
    look = "e => { const s = getComputedStyle(e); return [s.outlineStyle, s.outlineColor, s.boxShadow, s.borderColor]; }"
    focus_outline, focus_outline_color, focus_shadow, _ = focused.evaluate(look)
    _, _, selected_shadow, selected_border = selected.evaluate(look)
    assert focus_outline == "dashed" and focus_shadow == "none"
    assert selected_shadow != "none" and focus_outline_color not in selected_shadow


def test_a_dropped_folder_adds_its_images_in_name_order_and_says_what_it_skipped(page, store):
    url, pools = store
    pool_id = new_pool_id()
    pools.set_name(pool_id, "Folder drop")
    open_manager(page, url, pool_id, 0)
    specs, expected = folder_drop_specs(40, [("set/readme.txt", "text/plain"), ("set/a/meta.json", "application/json"),
                                             ("set/b/logo.svg", "image/svg+xml")])
    page.locator("image-pool-grid .scroller").evaluate(f"""(scroller, specs) => {{
        const transfer = ({FAKE_FOLDER_DROP})(specs);
        const drop = new DragEvent("drop", {{ bubbles: true, cancelable: true }});
        Object.defineProperty(drop, "dataTransfer", {{ value: transfer }});
        scroller.dispatchEvent(drop);
    }}""", specs)
    page.locator("image-pool").evaluate("""(pool) => new Promise((done) => {
        const check = () => (pool.manifest.slots.length === 40 ? done() : setTimeout(check, 50));
        check();
    })""")
    assert [s.name for s in pools.load(pool_id).slots] == expected  # the grid shows only the tiles in view
    expect(page.locator("image-pool .error-note")).to_contain_text("3 files of the folder skipped")


def test_a_change_made_by_another_process_shows_without_a_reload(page, named):
    """ComfyUI's Add to Image Pool node, or the CLI, changes the store from another process: the page looks at the
    pools' revisions while it is visible."""
    url, pools, pool_id, _ = named
    open_manager(page, url, pool_id, 2)
    pools.add(pool_id, [imagegen.png(seed=77)], labels=["from the node"])
    expect(tiles(page)).to_have_count(3, timeout=30_000)
    expect(page.get_by_text("from the node")).to_be_visible()
    expect(page.locator("aside .pool[aria-current=true]")).to_contain_text("3")
