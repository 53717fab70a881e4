"""The node in the real ComfyUI frontend, in real Chromium (needs IMAGE_POOL_COMFYUI; skipped without it)."""

import base64
import json

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from image_pool.pools import Pools

from . import imagegen
from .browser_support import artifact, browser  # noqa: F401 (fixture)
from .comfyui_support import PROJECT, running_comfyui

pytestmark = [pytest.mark.comfyui, pytest.mark.browser]


@pytest.fixture(scope="module")
def comfy(tmp_path_factory):
    with running_comfyui(tmp_path_factory.mktemp("comfyui-ui")) as instance:
        yield instance


@pytest.fixture
def page(browser, comfy):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(comfy.url)
    page.wait_for_function("() => window.app?.graph && window.LiteGraph?.createNode", timeout=60_000)
    yield page
    context.close()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def add_pool_node(page, comfy, images: list[bytes]):
    """A fresh graph: Image Pool (Grid) -> Preview Image, with `images` added through the API."""
    pool_id = page.evaluate("""() => {
        app.graph.clear();
        const node = LiteGraph.createNode("ImagePoolGrid");
        node.pos = [40, 40];
        app.graph.add(node);
        node.setSize([460, 420]);
        const preview = LiteGraph.createNode("PreviewImage");
        preview.pos = [560, 40];
        app.graph.add(preview);
        node.connect(0, preview, 0);
        window.__poolNode = node;
        return node.widgets.find((w) => w.name === "pool_id").value;
    }""")
    for n, data in enumerate(images):
        page.evaluate("""async ([poolId, data, name]) => {
            const form = new FormData();
            form.append("pool_id", poolId);
            form.append("file", new Blob([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))]), name);
            const response = await fetch("/api/grid_pool/add", { method: "POST", body: form });
            if (!response.ok) throw new Error(await response.text());
        }""", [pool_id, b64(data), f"{n}.png"])
    page.evaluate("() => __poolNode.widgets.find((w) => w.name === 'pool').element.reload()")
    expect(tiles(page)).to_have_count(len(images))
    return pool_id, Pools(comfy.input_dir / "grid_pool")


def tiles(page):
    return page.locator("image-pool-grid .tile")


def tile(page, index):
    return page.locator(f'image-pool-grid .tile[aria-posinset="{index + 1}"]')


def node_widget(page, name):
    return page.evaluate(f"() => __poolNode.widgets.find((w) => w.name === '{name}').value")


def test_grid_renders_in_the_node_and_a_click_selects(page, comfy):
    pool_id, pools = add_pool_node(page, comfy, [imagegen.png(60, 80, seed=s) for s in range(3)])
    assert page.evaluate("() => __poolNode.widgets.filter((w) => ['pool_id', 'slot_id'].includes(w.name))"
                         ".every((w) => w.hidden)"), "pool_id and slot_id are hidden"
    assert page.evaluate("() => __poolNode.widgets.find((w) => w.name === 'control_after_generate').value") == "fixed"
    tile(page, 2).click()
    expect(tile(page, 2)).to_have_attribute("aria-selected", "true")
    slots = pools.load(pool_id).slots
    assert node_widget(page, "slot_id") == slots[2].id, "the node's own selection, sent with the prompt"
    assert pools.load(pool_id).active == slots[2].id
    page.screenshot(path=artifact("comfyui-node.png"))


def test_paste_and_drop_add_images(page, comfy):
    pool_id, pools = add_pool_node(page, comfy, [imagegen.png(seed=1)])
    page.evaluate("""(data) => {
        app.canvas.selectNode(__poolNode);
        const transfer = new DataTransfer();
        transfer.items.add(new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], "pasted.png",
                                    { type: "image/png" }));
        document.querySelector("#graph-canvas").dispatchEvent(
            new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true }));
    }""", b64(imagegen.png(seed=2)))
    expect(tiles(page)).to_have_count(2)
    assert page.evaluate("() => app.graph._nodes.filter((n) => n.type === 'LoadImage').length") == 0, \
        "ComfyUI's own paste handler did not also make a LoadImage node"
    page.locator("image-pool-grid .scroller").evaluate("""(scroller, data) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], "dropped.png",
                                    { type: "image/png" }));
        scroller.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }""", b64(imagegen.png(seed=3)))
    expect(tiles(page)).to_have_count(3)
    assert [s.name for s in pools.load(pool_id).slots] == ["0.png", "pasted.png", "dropped.png"]


def test_the_highlight_follows_index_and_control_after_generate(page, comfy):
    pool_id, pools = add_pool_node(page, comfy, [imagegen.png(seed=s) for s in range(3)])
    page.evaluate("""() => {
        __poolNode.widgets.find((w) => w.name === 'index').value = 1;
        __poolNode.widgets.find((w) => w.name === 'control_after_generate').value = 'increment';
        app.graph.setDirtyCanvas(true, true);
    }""")
    expect(tile(page, 1)).to_have_attribute("aria-selected", "true")
    page.evaluate("() => app.queuePrompt(0, 1)")
    expect(tile(page, 2)).to_have_attribute("aria-selected", "true")  # index walked to 2 after the queue
    assert node_widget(page, "index") == 2


def open_editor_on(page, index, how="brush"):
    if how == "brush":  # the brush button opens the editor without selecting the tile
        tile(page, index).hover()
        tile(page, index).locator(".tile-button.mask").click()
    else:
        tile(page, index).dblclick()
    expect(page.locator("#maskCanvas")).to_be_visible(timeout=15_000)


def draw_stroke(page):
    box = page.locator("#maskCanvas").bounding_box()
    x, y = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x + box["width"] * 0.04 * step, y, steps=2)
    page.mouse.up()


def test_mask_editor_round_trip_stores_the_mask_for_the_right_slot(page, comfy):
    pool_id, pools = add_pool_node(page, comfy, [imagegen.png(120, 160, seed=s) for s in range(3)])
    tile(page, 0).click()  # another slot is selected: the mask must still go to the one the editor opened on
    expect(tile(page, 0)).to_have_attribute("aria-selected", "true")

    open_editor_on(page, 2)
    draw_stroke(page)
    page.locator("#maskEditor_topBarCancelButton").click()
    expect(page.locator("#maskCanvas")).to_be_hidden()
    assert all(s.mask is None for s in pools.load(pool_id).slots), "cancel stores nothing"

    open_editor_on(page, 2)
    draw_stroke(page)
    page.locator("#maskEditor_topBarSaveButton").click()
    expect(tile(page, 2).locator(".mask-dot")).to_be_visible(timeout=15_000)
    slots = pools.load(pool_id).slots
    assert slots[0].mask is None and slots[1].mask is None and slots[2].mask is not None
    mask = np.asarray(Image.open(pools.objects.path(slots[2].mask)))
    assert mask.shape == (120, 160) and (mask > 0).sum() > 100, "the stroke is in the stored mask"
    assert mask[60, 60] > 0 and mask[10, 150] == 0
    assert tile(page, 0).get_attribute("aria-selected") == "true", "the selection did not change"

    open_editor_on(page, 2, how="double-click")  # the editor shows the mask the slot already has
    painted = page.locator("#maskCanvas").evaluate(
        "c => c.getContext('2d').getImageData(0, 0, c.width, c.height).data.filter((v, i) => i % 4 === 3 && v > 0)"
        ".length")
    assert painted > 100
    page.locator("#maskEditor_topBarCancelButton").click()


def test_example_workflow_loads_keeps_its_pool_clone_shares_and_detach_splits(page, comfy):
    workflow = (PROJECT / "workflows" / "image_pool_example.json").read_text()
    saved_id = json.loads(workflow)["nodes"][0]["widgets_values"][2]
    pools = Pools(comfy.input_dir / "grid_pool")
    pools.add(saved_id, [imagegen.png(seed=71), imagegen.png(seed=72)])
    page.evaluate("async (wf) => { await app.loadGraphData(JSON.parse(wf)); "
                  "window.__poolNode = app.graph._nodes.find((n) => n.type === 'ImagePoolGrid'); }", workflow)
    assert node_widget(page, "pool_id") == saved_id, "a loaded workflow keeps its pool"
    assert page.get_by_text("Invalid workflow").count() == 0, "the example passes the frontend's schema"
    expect(tiles(page)).to_have_count(2)

    page.evaluate("""() => {
        const clone = __poolNode.clone();
        clone.pos = [40, 580];
        app.graph.add(clone);
        window.__clone = clone;
        app.canvas.ds.offset = [0, 0];
        app.canvas.ds.scale = 0.6;  // both nodes on screen
        app.canvas.setDirty(true, true);
    }""")
    assert page.evaluate("() => __clone.widgets.find((w) => w.name === 'pool_id').value") == saved_id
    expect(tiles(page)).to_have_count(4)  # both nodes show the shared pool
    clone_grid = page.locator("image-pool-grid").nth(1)
    clone_grid.locator('.tile[aria-posinset="2"]').click()
    second = pools.load(saved_id).slots[1].id
    assert page.evaluate("() => __clone.widgets.find((w) => w.name === 'slot_id').value") == second
    assert node_widget(page, "slot_id") != second, "each node keeps its own selection"

    page.evaluate("""async () => {
        const options = [];
        __poolNode.getExtraMenuOptions(app.canvas, options);
        await options.find((o) => o?.content === "Detach pool (new id)").callback();
    }""")
    new_id = node_widget(page, "pool_id")
    assert new_id != saved_id
    assert page.evaluate("() => __clone.widgets.find((w) => w.name === 'pool_id').value") == saved_id
    assert [s.image for s in pools.load(new_id).slots] == [s.image for s in pools.load(saved_id).slots]


def test_a_server_error_becomes_a_comfyui_toast(page, comfy):
    pool_id, pools = add_pool_node(page, comfy, [imagegen.png(seed=81), imagegen.png(seed=82)])
    gone = pools.load(pool_id).slots[1].id
    pools.remove(pool_id, gone)  # removed elsewhere (another node, the manager page) while this grid shows it
    tile(page, 1).hover()
    tile(page, 1).locator(".tile-button.remove").click()
    expect(page.locator(".p-toast-message").filter(has_text=f"has no slot {gone}")).to_be_visible()
    expect(tiles(page)).to_have_count(1)  # and the grid shows what the server has
