"""Results back into pools, in the real frontend and Chromium, both renderers: a result dragged from the Assets tab
(1.49, 1.58) or the queue (1.27) and dropped on the node, its grid or the Pools tab is added by the server from
ComfyUI's own folder, and core makes nothing of the drop; a run of Add to Image Pool shows on the node what it added
and in every open grid of that pool at once. Needs IMAGE_POOL_COMFYUI; skipped without it."""

import json

import pytest
from playwright.sync_api import expect

from image_pool.pools.pools import Pools

from . import imagegen
from .browser_support import artifact, browser  # noqa: F401 (fixture)
from .comfyui_support import running_comfyui
from .test_comfyui_browser import (DEADLINE_MS, add_pool_node, b64, needs_grid, open_pools_tab, page,  # noqa: F401
                                   renderer, tiles)

pytestmark = [pytest.mark.comfyui, pytest.mark.browser]


@pytest.fixture(scope="module")
def comfy(tmp_path_factory):
    with running_comfyui(tmp_path_factory.mktemp("comfyui-results")) as instance:
        yield instance


def a_preview(comfy, seed: int) -> dict:
    """A temp result, as a PreviewImage run leaves it: {filename, subfolder, type}."""
    prompt = {"1": {"class_type": "EmptyImage", "inputs": {"width": 40, "height": 24, "batch_size": 1,
                                                           "color": seed * 0x010203}},
              "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}}}
    (ref,) = comfy.run(prompt)["outputs"]["2"]["images"]
    return ref


def an_output(comfy, name: str, seed: int) -> dict:
    (comfy.output_dir / "drops").mkdir(exist_ok=True)
    (comfy.output_dir / "drops" / name).write_bytes(imagegen.png(seed=seed))
    return {"filename": name, "subfolder": "drops", "type": "output"}


def view_url(comfy, ref: dict) -> str:
    from urllib.parse import urlencode
    return f"{comfy.url}/api/view?{urlencode({'filename': ref['filename'], 'type': ref['type'], 'subfolder': ref['subfolder']})}"


# The data each frontend puts on the drag of a result: 1.49/1.58's Assets tab card, 1.27's queue <img>.
def assets_tab_drag(comfy, ref: dict) -> dict:
    return {"application/x-comfy-asset-info": json.dumps({**ref, "display_name": ref["filename"]}),
            "text/uri-list": view_url(comfy, ref)}


def queue_image_drag(comfy, ref: dict) -> dict:
    url = view_url(comfy, ref).replace("/api/view", "/view")
    return {"text/uri-list": url, "text/html": f'<img src="{url.replace("&", "&amp;")}">'}


DROP = """([target, data, where]) => {
    const transfer = new DataTransfer();
    for (const [type, value] of Object.entries(data)) transfer.setData(type, value);
    const at = { bubbles: true, cancelable: true, composed: true, clientX: where[0], clientY: where[1],
                 dataTransfer: transfer };
    target.dispatchEvent(new DragEvent("dragenter", at));
    target.dispatchEvent(new DragEvent("dragover", at));
    target.dispatchEvent(new DragEvent("drop", at));
}"""


def drop_at_node_title(page, data: dict) -> None:
    """Drop where the node's title is, on whatever the page has there (the canvas, or Nodes 2.0's node), with the
    node moved clear of the menu bar."""
    move_view(page, [0, 160])
    where = page.evaluate("""() => {
        const element = __poolNode.widgets.find((w) => w.name === "pool").element;
        const vue = element.closest("[data-node-id]");
        if (vue) { const r = vue.getBoundingClientRect(); return [r.left + r.width / 2, r.top + 12]; }
        const r = app.canvas.canvas.getBoundingClientRect();
        const [x, y] = app.canvas.ds.convertOffsetToCanvas([__poolNode.pos[0] + 60, __poolNode.pos[1] - 12]);
        return [r.left + x, r.top + y];
    }""")
    page.evaluate(f"""([data, where]) => ({DROP})([document.elementFromPoint(...where), data, where])""",
                  [data, where])


def move_view(page, offset: list[int]) -> None:
    """Scroll the canvas to `offset`, and wait until the page has drawn it (Nodes 2.0 moves its nodes' elements)."""
    page.evaluate("(offset) => { app.canvas.ds.offset = offset; app.canvas.setDirty(true, true); }", offset)
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


def graph_nodes(page) -> list[str]:
    return page.evaluate("() => app.graph._nodes.map((n) => n.type)")


@pytest.mark.usefixtures("needs_grid")
@pytest.mark.parametrize("drag", [assets_tab_drag, queue_image_drag], ids=["assets-tab", "queue-image"])
def test_a_result_dropped_on_the_grid_or_the_node_is_added_from_comfyuis_folder(page, comfy, drag):
    pool_id, pools = add_pool_node(page, comfy, [imagegen.png(seed=1)])
    nodes = graph_nodes(page)
    preview, output = a_preview(comfy, 5), an_output(comfy, f"{drag.__name__}.png", 6)

    scroller = page.locator("image-pool-grid .scroller")
    box = scroller.bounding_box()
    scroller.evaluate(f"(target, [data, where]) => ({DROP})([target, data, where])",
                      [drag(comfy, preview), [box["x"] + 20, box["y"] + 20]])
    expect(tiles(page)).to_have_count(2, timeout=DEADLINE_MS)
    drop_at_node_title(page, drag(comfy, output))
    expect(tiles(page)).to_have_count(3, timeout=DEADLINE_MS)

    slots = pools.load(pool_id).slots
    assert [s.name for s in slots[1:]] == [preview["filename"], output["filename"]]
    assert pools.objects.path(slots[2].image).read_bytes() == imagegen.png(seed=6), "the file's own bytes"
    assert graph_nodes(page) == nodes, "core made nothing of the drop: no LoadImage node, no workflow loaded"

    drop_at_node_title(page, drag(comfy, output))  # the same result again
    expect(page.get_by_text("in this pool already").first).to_be_visible(timeout=DEADLINE_MS)
    assert pools.load(pool_id).count == 3


@pytest.mark.usefixtures("needs_grid")
def test_a_result_dropped_on_a_pool_in_the_pools_tab(page, comfy):
    pool_id, pools = add_pool_node(page, comfy, [imagegen.png(seed=2)])
    pools.set_name(pool_id, "Keepers")
    listing = open_pools_tab(page)
    row = listing.locator(f'[data-pool-id="{pool_id}"]')
    expect(row).to_contain_text("1 image")
    box = row.bounding_box()
    row.evaluate(f"(target, [data, where]) => ({DROP})([target, data, where])",
                 [assets_tab_drag(comfy, an_output(comfy, "tab.png", 7)), [box["x"] + 10, box["y"] + 10]])
    expect(listing.get_by_role("status")).to_contain_text("Added 1 image to “Keepers”", timeout=DEADLINE_MS)
    expect(row).to_contain_text("2 images")
    expect(tiles(page)).to_have_count(2, timeout=DEADLINE_MS)  # the node's grid heard of it too
    assert pools.load(pool_id).slots[1].name == "tab.png"


@pytest.mark.usefixtures("needs_grid")
def test_a_run_of_add_to_image_pool_shows_what_it_added_and_every_open_grid_follows(page, comfy):
    pool_id, pools = add_pool_node(page, comfy, [imagegen.png(seed=3)])
    page.evaluate("""(poolId) => {
        const source = LiteGraph.createNode("EmptyImage");
        source.pos = [40, 420];
        app.graph.add(source);
        const add = LiteGraph.createNode("ImagePoolAdd");
        add.pos = [360, 420];
        app.graph.add(add);
        source.connect(0, add, 0);
        add.widgets.find((w) => w.name === "pool").value = poolId;
        add.widgets.find((w) => w.name === "label").value = "result {index}";
        source.widgets.find((w) => w.name === "color").value = 0x336699;
        window.__addNode = add;
        for (const node of app.graph._nodes) if (node.type === "PreviewImage") app.graph.remove(node);
        app.canvas.ds.scale = 0.6;
        app.canvas.setDirty(true, true);
    }""", pool_id)
    row = open_pools_tab(page).locator(f'[data-pool-id="{pool_id}"]')
    expect(row).to_contain_text("1 image")
    page.evaluate("() => app.queuePrompt(0)")
    expect(row).to_contain_text("2 images", timeout=DEADLINE_MS)  # the Pools tab heard it too
    # the pool node's grid (the Add node shows a grid of its own, of what it added)
    expect(page.locator("image-pool image-pool-grid .tile")).to_have_count(2, timeout=DEADLINE_MS)
    summary = page.locator("image-pool-grid[readonly] .tile")
    expect(summary).to_have_count(1, timeout=DEADLINE_MS)
    expect(page.get_by_role("status").filter(has_text="Added 1 image to")).to_contain_text("2 in the pool")
    assert pools.load(pool_id).slots[1].label == "result 0"
    page.screenshot(path=artifact(f"comfyui-add-node-{page.renderer}.png"))


def result_list_tab(page) -> str:
    """Where this frontend lists results: the Assets tab (1.49, 1.58), else the queue (1.27)."""
    return page.evaluate("""() => {
        const ids = (app.extensionManager.command.commands ?? []).map((c) => c.id);
        return ids.includes("Workspace.ToggleSidebarTab.assets") ? "assets" : "queue";
    }""")


@pytest.mark.usefixtures("needs_grid")
def test_a_real_drag_from_the_frontends_list_of_results(page, comfy):
    """Chromium's own drag and drop, from the card or image the frontend shows for a SaveImage result."""
    pool_id, pools = add_pool_node(page, comfy, [imagegen.png(seed=8)])
    prefix = f"drag{page.renderer}"
    page.evaluate("""(prefix) => {
        for (const node of app.graph._nodes) if (node.type === "PreviewImage") app.graph.remove(node);
        const source = LiteGraph.createNode("EmptyImage");
        source.pos = [40, 500];
        app.graph.add(source);
        source.widgets.find((w) => w.name === "color").value = 0x8844CC;
        const save = LiteGraph.createNode("SaveImage");
        save.pos = [400, 500];
        app.graph.add(save);
        save.widgets.find((w) => w.name === "filename_prefix").value = prefix;
        source.connect(0, save, 0);
    }""", prefix)
    page.evaluate("() => app.queuePrompt(0)")
    page.wait_for_function("(prefix) => Object.values(app.nodeOutputs ?? {}).some((o) => o?.images?.some("
                           "(i) => i.filename.startsWith(prefix)))", arg=prefix, timeout=DEADLINE_MS)
    page.evaluate(f"() => app.extensionManager.command.execute('Workspace.ToggleSidebarTab.{result_list_tab(page)}')")
    # the list's card, not the SaveImage node's own preview (Nodes 2.0 shows it as an <img> in the node)
    result = page.locator(f"img[src*='filename={prefix}']:not([data-node-id] img)").first
    expect(result).to_be_visible(timeout=DEADLINE_MS)
    move_view(page, [440, 80])
    target = page.locator("image-pool-grid .scroller").first
    expect(target).to_be_in_viewport()
    nodes = graph_nodes(page)
    result.drag_to(target)
    expect(tiles(page)).to_have_count(2, timeout=DEADLINE_MS)
    assert pools.load(pool_id).slots[1].name.startswith(prefix)
    assert graph_nodes(page) == nodes, "core made nothing of the drop"


@pytest.mark.usefixtures("needs_grid")
def test_an_image_copied_to_the_clipboard_is_pasted_into_the_selected_node(page, comfy):
    """What core's "Copy Image" leaves on the clipboard (a PNG), pasted with a real Ctrl+V."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=comfy.url)
    pool_id, pools = add_pool_node(page, comfy, [imagegen.png(seed=9)])
    nodes = graph_nodes(page)
    page.evaluate("""async (data) => {
        const png = new Blob([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], { type: "image/png" });
        await navigator.clipboard.write([new ClipboardItem({ "image/png": png })]);
        app.canvas.deselectAll?.();
        app.canvas.selectNode(__poolNode);
    }""", b64(imagegen.png(seed=10)))
    page.locator("canvas").first.focus()
    page.keyboard.press("Control+V")
    expect(page.locator("image-pool image-pool-grid .tile")).to_have_count(2, timeout=DEADLINE_MS)
    assert graph_nodes(page) == nodes, "core's paste made no LoadImage node"
    assert pools.load(pool_id).count == 2
