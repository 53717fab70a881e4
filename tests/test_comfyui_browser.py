"""The node in the real ComfyUI frontend, in real Chromium, in both renderers (the classic canvas and Nodes 2.0), on
the frontend of the ComfyUI under test (or IMAGE_POOL_COMFYUI_FRONTEND). Things are found through `window.app` and
our element's API, never through the frontend's CSS classes or ids. Needs IMAGE_POOL_COMFYUI; skipped without it."""

import base64
import json
import re

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from image_pool.pools.pools import Pools
from image_pool.store import ids

from . import imagegen
from .browser_support import FAKE_FOLDER_DROP, artifact, boxes_apart, browser, folder_drop_specs  # noqa: F401 (fixture)
from .comfyui_support import PROJECT, running_comfyui

pytestmark = [pytest.mark.comfyui, pytest.mark.browser]
DEADLINE_MS = 30_000


@pytest.fixture(scope="module")
def comfy(tmp_path_factory):
    with running_comfyui(tmp_path_factory.mktemp("comfyui-ui")) as instance:
        yield instance


@pytest.fixture(params=["classic", "vue"])
def renderer(request):
    return request.param


@pytest.fixture
def page(browser, comfy, renderer):
    comfy.use_renderer(renderer == "vue")
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.console = []
    page.on("console", lambda m: page.console.append((m.type, m.text)))
    page.goto(comfy.url)
    page.wait_for_function("() => window.app?.graph && window.LiteGraph?.createNode && app.extensionManager",
                           timeout=60_000)
    settle(page)
    page.renderer = renderer
    page.hosts_grid = hosts_grid(page)
    yield page
    context.close()


def settle(page) -> None:
    """Until the frontend's start-up is done with the graph (it loads a first workflow after the app exists): the
    same graph with the same nodes for ten polls in a row."""
    page.wait_for_function("""() => {
        const now = `${app.graph?.id ?? ""}|${app.graph?._nodes?.length ?? -1}|${document.readyState}`;
        const seen = window.__settle ?? (window.__settle = { last: "", same: 0 });
        seen.same = now === seen.last && document.readyState === "complete" ? seen.same + 1 : 0;
        seen.last = now;
        return seen.same >= 10;
    }""", polling=100, timeout=60_000)


@pytest.fixture
def needs_grid(page):
    """Skips where this frontend's renderer cannot host the grid: 1.27's early Nodes 2.0, where
    test_early_nodes_2_says_in_the_node_that_it_cannot_host_the_grid checks the node's notice instead."""
    if not page.hosts_grid:
        pytest.skip("this frontend's early Nodes 2.0 mounts no DOM widget; the node says so instead (docs/node.md)")


def hosts_grid(page) -> bool:
    """Whether this frontend's renderer can host a DOM widget (1.27's early Nodes 2.0 could not)."""
    return page.evaluate("""() => {
        const [major, minor] = String(window.__COMFYUI_FRONTEND_VERSION__ ?? "0.0").split(".").map(Number);
        return !(LiteGraph.vueNodesMode && major === 1 && minor < 28);
    }""")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def add_pool_node(page, comfy, images: list[bytes], node_class: str = "ImagePoolGrid"):
    """A fresh graph: Image Pool (Grid) (or `node_class`) -> Preview Image, with `images` added through the node's
    element."""
    pool_id = page.evaluate("""(nodeClass) => {
        app.graph.clear();
        const node = LiteGraph.createNode(nodeClass);
        node.pos = [40, 40];
        app.graph.add(node);
        const preview = LiteGraph.createNode("PreviewImage");
        preview.pos = [620, 40];
        app.graph.add(preview);
        node.connect(0, preview, 0);
        window.__poolNode = node;
        app.canvas.ds.offset = [0, 0];  // on screen: Nodes 2.0 mounts only the nodes in view
        app.canvas.ds.scale = 1;
        app.canvas.setDirty(true, true);
        return node.widgets.find((w) => w.name === "pool_id").value;
    }""", node_class)
    page.wait_for_function("() => __poolNode.graph === app.graph"
                           " && __poolNode.widgets.find((w) => w.name === 'pool').element.isConnected")
    if images:
        page.evaluate("""async (files) => {
            const element = __poolNode.widgets.find((w) => w.name === "pool").element;
            await element.addFiles(files.map(([data, name]) =>
                new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], name, { type: "image/png" })));
        }""", [[b64(data), f"{n}.png"] for n, data in enumerate(images)])
    expect(tiles(page)).to_have_count(len(images))
    return pool_id, Pools(comfy.input_dir / ".grid_pool")


def tiles(page):
    return page.locator("image-pool-grid .tile")


def tile(page, index):
    return page.locator(f'image-pool-grid .tile[aria-posinset="{index + 1}"]')


def node_widget(page, name, node="__poolNode"):
    return page.evaluate(f"() => {node}.widgets.find((w) => w.name === '{name}').value")


def save_and_reload(page, node_class: str) -> None:
    """Serialize the graph as a saved workflow does, load it back, and point __poolNode at the reloaded node."""
    page.evaluate("""async (nodeClass) => {
        const saved = JSON.stringify(app.graph.serialize());
        app.graph.clear();
        await app.loadGraphData(JSON.parse(saved));
        window.__poolNode = app.graph._nodes.find((n) => n.type === nodeClass);
    }""", node_class)


def queued_slot_id(page) -> str:
    """What the prompt ComfyUI would queue now carries for the node's slot_id."""
    return page.evaluate("""async () => {
        const { output } = await app.graphToPrompt();
        return output[String(__poolNode.id)].inputs.slot_id;
    }""")


@pytest.mark.usefixtures("needs_grid")
def test_a_new_node_shows_a_usable_grid_and_a_click_selects(page, comfy):
    pool_id, pools = add_pool_node(page, comfy, [imagegen.png(60, 80, seed=s) for s in range(3)])
    box = page.locator("image-pool").bounding_box()
    assert box["height"] >= 200 and box["width"] >= 300, f"a usable grid without resizing: {box}"
    assert page.evaluate("() => __poolNode.widgets.filter((w) => ['pool_id', 'slot_id'].includes(w.name))"
                         ".every((w) => w.hidden && w.options?.hidden)"), "pool_id and slot_id are hidden everywhere"
    assert node_widget(page, "control_after_generate") == "fixed"
    tile(page, 2).click()
    expect(tile(page, 2)).to_have_attribute("aria-selected", "true")
    slots = pools.load(pool_id).slots
    assert node_widget(page, "slot_id") == slots[2].id
    assert queued_slot_id(page) == slots[2].id, "the queued prompt carries the clicked slot"
    page.screenshot(path=artifact(f"comfyui-node-{page.renderer}.png"))


@pytest.mark.usefixtures("needs_grid")
def test_in_nodes_2_the_grid_follows_the_index_row_with_no_empty_band(page, comfy):
    if page.renderer != "vue":
        pytest.skip("the classic canvas draws its widgets on the canvas")
    add_pool_node(page, comfy, [imagegen.png(seed=1)])
    gap = page.evaluate("""() => {
        const grid = document.querySelector("image-pool");
        const node = grid.closest("[data-node-id]");
        const grid_top = grid.getBoundingClientRect().top;
        const labels = [...node.querySelectorAll("*")].filter((e) => e.childElementCount === 0
            && e.textContent.trim() === "index" && e.getBoundingClientRect().bottom <= grid_top);
        return grid_top - Math.max(...labels.map((e) => e.getBoundingClientRect().bottom));
    }""")
    assert 0 <= gap < 24, f"{gap}px between the index row and the grid: the hidden widgets take no row"


@pytest.mark.usefixtures("needs_grid")
def test_paste_drop_and_add_images(page, comfy):
    pool_id, pools = add_pool_node(page, comfy, [imagegen.png(seed=1)])
    page.evaluate("""(data) => {
        app.canvas.selectNode(__poolNode);
        const transfer = new DataTransfer();
        transfer.items.add(new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], "pasted.png",
                                    { type: "image/png" }));
        document.dispatchEvent(new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true,
                                                             cancelable: true }));
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
    with page.expect_file_chooser() as chooser:
        node_menu(page, "Add images…")
    chooser.value.set_files([{"name": "chosen.png", "mimeType": "image/png", "buffer": imagegen.png(seed=4)}])
    expect(tiles(page)).to_have_count(4)
    assert [s.name for s in pools.load(pool_id).slots] == ["0.png", "pasted.png", "dropped.png", "chosen.png"]


@pytest.mark.usefixtures("needs_grid")
def test_the_highlight_follows_index_and_control_after_generate(page, comfy):
    add_pool_node(page, comfy, [imagegen.png(seed=s) for s in range(3)])
    page.evaluate("""() => {
        const index = __poolNode.widgets.find((w) => w.name === 'index');
        index.value = 1;
        index.callback?.(1);
        __poolNode.widgets.find((w) => w.name === 'control_after_generate').value = 'increment';
    }""")
    expect(tile(page, 1)).to_have_attribute("aria-selected", "true")
    page.evaluate("() => app.queuePrompt(0, 1)")
    expect(tile(page, 2)).to_have_attribute("aria-selected", "true", timeout=DEADLINE_MS)
    assert node_widget(page, "index") == 2


def editor_canvas(page):
    """The MaskEditor's drawing surface: the largest visible canvas that is neither the graph's nor inside a node."""
    handle = page.wait_for_function("""() => {
        const graph = app.canvas?.canvas;
        const candidates = [...document.querySelectorAll("canvas")].filter((c) => {
            const box = c.getBoundingClientRect();
            return c !== graph && box.width > 50 && box.height > 50 && !c.closest("image-pool")
                && getComputedStyle(c).visibility !== "hidden" && c.checkVisibility?.() !== false;
        });
        candidates.sort((a, b) => b.getBoundingClientRect().width * b.getBoundingClientRect().height
                                  - a.getBoundingClientRect().width * a.getBoundingClientRect().height);
        return candidates[0] ?? null;
    }""", timeout=DEADLINE_MS)
    return handle.as_element()


def editor_button(page, name: str):
    return page.get_by_role("button", name=re.compile(rf"(^|[^\w ]|\s){name}\s*$", re.I)).last


def editor_is_open(page) -> bool:
    return editor_button(page, "save").is_visible()


def editor_copy_name(page, slot_id: str) -> str:
    return page.evaluate("""async (slot) => {
        const element = __poolNode.widgets.find((w) => w.name === 'pool').element;
        return (await element.editorImage(slot)).filename;
    }""", slot_id)


def open_editor_on(page, index, how):
    """Open ComfyUI's MaskEditor on a tile the way a user does, and wait until it has loaded the slot's picture."""
    if how == "brush":  # the brush button opens the editor without selecting the tile
        tile(page, index).hover()
        tile(page, index).locator(".tile-button.mask").click()
    elif how == "double-click":
        tile(page, index).dblclick()
    else:  # the node's menu, on the selected tile
        tile(page, index).click()
        expect(tile(page, index)).to_have_attribute("aria-selected", "true")
        node_menu(page, "Edit mask of the selected image")
    expect(editor_button(page, "save")).to_be_visible(timeout=DEADLINE_MS)
    # The editor shows first and loads its layers after; a stroke before that is lost. It has loaded the picture
    # when one of its canvases shows it (the test pictures are opaque), and the page has drawn twice since.
    page.wait_for_function("""() => [...document.querySelectorAll("canvas")].some((c) => {
        const box = c.getBoundingClientRect();
        if (c === app.canvas?.canvas || c.closest("image-pool") || !c.width || box.width < 50) return false;
        const context = c.getContext("2d", { willReadFrequently: true });
        return !!context && context.getImageData(c.width >> 1, c.height >> 1, 1, 1).data[3] > 0;
    })""", timeout=DEADLINE_MS)
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    return editor_canvas(page)


def draw_stroke(page, canvas):
    box = canvas.bounding_box()
    x, y = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x + box["width"] * 0.04 * step, y, steps=2)
    page.mouse.up()


def save_editor(page, slot_index):
    editor_button(page, "save").click()
    expect(editor_button(page, "save")).to_be_hidden(timeout=DEADLINE_MS)
    expect(tile(page, slot_index).locator(".mask-dot")).to_be_visible(timeout=DEADLINE_MS)


def cancel_editor(page):
    editor_button(page, "cancel").click()
    expect(editor_button(page, "save")).to_be_hidden(timeout=DEADLINE_MS)


def stored_mask(pools, pool_id, index):
    slot = pools.load(pool_id).slots[index]
    return None if slot.mask is None else np.asarray(Image.open(pools.objects.path(slot.mask)))


def node_shows_only_the_grid(page) -> dict:
    return page.evaluate("""() => ({
        imgs: __poolNode.imgs?.length ?? 0, images: __poolNode.images?.length ?? 0,
        outputs: Object.keys(app.nodeOutputs ?? {}).filter((k) => k === String(__poolNode.id)).length,
        core: (""" + MENU_ITEMS + """)(__poolNode).filter((x) => /mask ?editor|open image|copy image|save image/i.test(
            x.content ?? "") && !x.content.startsWith("Edit mask")).length,
        foreign: [...document.querySelectorAll("img")].filter((i) => i.src.includes("clipspace")
                                                        && i.getBoundingClientRect().width > 0).length,
    })""")


SESSION_ORDERS = {
    # (how the editor opens, on which slot, how the session ends); each order starts on a new node
    "save in the first session": [("brush", 2, "save")],
    "cancel, then save": [("double-click", 1, "cancel"), ("double-click", 1, "save")],
    "save on one slot, then on another": [("menu", 0, "save"), ("menu", 2, "save")],
    "cancel on one slot, then save on another": [("brush", 0, "cancel"), ("double-click", 2, "save")],
}


@pytest.mark.usefixtures("needs_grid")
@pytest.mark.parametrize("order", SESSION_ORDERS.values(), ids=SESSION_ORDERS.keys())
def test_every_mask_editor_save_lands_on_its_slot(page, comfy, order):
    pool_id, pools = add_pool_node(page, comfy, [imagegen.png(120, 160, seed=s) for s in range(3)])
    tile(page, 1 if order[0][1] != 1 else 0).click()  # a slot other than the first one edited is selected
    selected = node_widget(page, "slot_id")
    saved = set()
    for how, index, ending in order:
        draw_stroke(page, open_editor_on(page, index, how))
        if ending == "cancel":
            cancel_editor(page)
            assert (stored_mask(pools, pool_id, index) is None) == (index not in saved), "cancel stores nothing"
            continue
        save_editor(page, index)
        saved.add(index)
        mask = stored_mask(pools, pool_id, index)
        assert mask is not None and mask.shape == (120, 160) and (mask > 0).sum() > 100, \
            f"the stroke is in the mask stored for slot {index}"
        page.wait_for_function("() => !__poolNode.imgs?.length && !__poolNode.images?.length", timeout=DEADLINE_MS)
        assert node_shows_only_the_grid(page) == {"imgs": 0, "images": 0, "outputs": 0, "core": 0, "foreign": 0}, \
            "after a save nothing but the grid shows in the node, and core offers no editor of its own"
    for index in range(3):
        assert (stored_mask(pools, pool_id, index) is not None) == (index in saved), f"slot {index}"
    last = order[-1][1]
    assert node_widget(page, "slot_id") == pools.load(pool_id).slots[last].id != selected, \
        "editing a mask selects its image, whichever way the editor was opened"


@pytest.mark.usefixtures("needs_grid")
def test_the_editor_opens_on_the_slots_current_mask(page, comfy):
    pool_id, pools = add_pool_node(page, comfy, [imagegen.png(120, 160, seed=s) for s in range(2)])
    stored = np.zeros((120, 160), np.uint8)
    stored[10:40, 20:90] = 255
    pools.set_mask(pool_id, pools.load(pool_id).slots[1].id, stored)
    page.evaluate("() => document.querySelector('image-pool').reload()")
    expect(tile(page, 1).locator(".mask-dot")).to_be_visible(timeout=DEADLINE_MS)
    open_editor_on(page, 1, "double-click")
    name = editor_copy_name(page, pools.load(pool_id).slots[1].id)  # the picture the editor was given
    assert page.evaluate("() => __poolNode.images?.[0]?.filename") == name
    copy = np.asarray(Image.open(next((comfy.input_dir / ".grid_pool" / "cache").rglob(name))))
    assert copy.shape[2] == 4 and np.array_equal(copy[..., 3] < 128, stored > 127), "the copy carries the mask"
    cancel_editor(page)
    assert np.array_equal(stored_mask(pools, pool_id, 1) > 127, stored > 127), "cancel left the mask as it was"


@pytest.mark.usefixtures("needs_grid")
def test_a_save_that_names_no_slot_is_an_error_toast(page, comfy):
    """The frontend hands a save back by setting the node's images; one the node cannot place is said, not lost."""
    pool_id, pools = add_pool_node(page, comfy, [imagegen.png(seed=91)])
    page.evaluate("""() => {
        window.__toasts = [];
        const toaster = app.extensionManager.toast;
        const add = toaster.add.bind(toaster);
        toaster.add = (message) => { __toasts.push(message); return add(message); };
        __poolNode.images = [{ filename: "clipspace-mask-123.png", subfolder: "clipspace", type: "input" }];
    }""")
    page.wait_for_function("() => __toasts.some((t) => t.severity === 'error' && /not stored/.test(t.detail))",
                           timeout=DEADLINE_MS)
    assert pools.load(pool_id).slots[0].mask is None


def close_error_dialog(page) -> None:
    """1.27 shows a failed run in a modal dialog (1.49 and 1.58 in a panel that blocks nothing): close it."""
    if page.evaluate("() => String(window.__COMFYUI_FRONTEND_VERSION__ ?? '').startsWith('1.27.')"):
        dialog = page.get_by_role("dialog")
        expect(dialog.first).to_be_visible(timeout=DEADLINE_MS)
        page.keyboard.press("Escape")
        expect(dialog).to_have_count(0, timeout=DEADLINE_MS)


def node_within_its_node(page) -> bool:
    """Whether the node's element ends inside the node (classic: the node's bounds on the canvas; Nodes 2.0: the
    node's element), to the pixel."""
    return page.evaluate("""() => {
        const element = __poolNode.widgets.find((w) => w.name === "pool").element.getBoundingClientRect();
        const vue = document.querySelector("image-pool").closest("[data-node-id]");
        if (vue) return element.bottom <= vue.getBoundingClientRect().bottom + 1;
        const canvas = app.canvas.canvas.getBoundingClientRect();
        const [, bottom] = app.canvas.ds.convertOffsetToCanvas([0, __poolNode.pos[1] + __poolNode.size[1]]);
        return element.bottom <= canvas.top + bottom + 1;
    }""")


# A node's context menu as the frontend builds it: the node's getExtraMenuOptions, then (1.49 and later) the items
# extensions give through getNodeMenuItems.
MENU_ITEMS = """(node) => {
    const options = [];
    node.getExtraMenuOptions?.(app.canvas, options);
    if (typeof app.collectNodeMenuItems === "function") options.push(...app.collectNodeMenuItems(node));
    return options.filter(Boolean);
}"""


def node_menu(page, content: str):
    """Click the node's menu item `content` (awaits what it starts)."""
    return page.evaluate(f"""async (content) => {{
        await ({MENU_ITEMS})(__poolNode).find((o) => o.content === content).callback();
    }}""", content)


@pytest.mark.usefixtures("needs_grid")
def test_a_workflow_whose_pool_is_not_here_names_it_and_imports_it_back_in_place(page, comfy, tmp_path):
    pool_id, pools = add_pool_node(page, comfy, [imagegen.png(60, 80, seed=s) for s in range(2)])
    stored = np.zeros((60, 80), np.uint8)
    stored[5:25, 10:40] = 255
    pools.set_mask(pool_id, pools.load(pool_id).slots[1].id, stored)
    pools.set_name(pool_id, "Trip")
    page.evaluate("() => document.querySelector('image-pool').reload()")
    expect(tile(page, 1).locator(".mask-dot")).to_be_visible(timeout=DEADLINE_MS)
    before = pools.load(pool_id)
    with page.expect_download() as download:
        node_menu(page, "Export pool")
    archive = tmp_path / "trip.tar"
    download.value.save_as(archive)
    assert "Trip" in download.value.suggested_filename
    saved = page.evaluate("() => JSON.stringify(app.graph.serialize())")

    pools.delete(pool_id)  # the workflow travels to a ComfyUI that does not have its pool
    page.evaluate("""async (saved) => {
        app.graph.clear();
        await app.loadGraphData(JSON.parse(saved));
        window.__poolNode = app.graph._nodes.find((n) => n.type === 'ImagePoolGrid');
    }""", saved)
    notice = page.locator("image-pool [part=missing-pool]")
    expect(notice).to_contain_text("“Trip” (2 images)", timeout=DEADLINE_MS)
    expect(notice).to_contain_text("not in this store")
    assert node_within_its_node(page), "the notice takes no height: the grid stays inside the node"
    page.screenshot(path=artifact(f"comfyui-missing-pool-{page.renderer}.png"))
    history = comfy.history_ids()
    page.evaluate("() => app.queuePrompt(0, 1)")  # queued anyway: the run stops and says why
    entry = comfy.wait_for_new_history(history)
    error = next(data for kind, data in entry["status"]["messages"] if kind == "execution_error")
    assert "“Trip” (2 images)" in error["exception_message"] and "Import its archive" in error["exception_message"]
    close_error_dialog(page)
    with page.expect_file_chooser() as chooser:
        notice.get_by_role("button", name="Import its archive…").click()
    chooser.value.set_files(str(archive))
    expect(tiles(page)).to_have_count(2, timeout=DEADLINE_MS)
    expect(notice).to_have_count(0)
    assert node_widget(page, "pool_id") == pool_id, "filled in place: the same pool, no rewiring"
    after = pools.load(pool_id)
    assert (after.name, after.slots, after.active) == (before.name, before.slots, before.active)
    history = comfy.history_ids()
    page.evaluate("() => app.queuePrompt(0, 1)")
    assert comfy.wait_for_new_history(history)["status"]["status_str"] == "success"


@pytest.mark.usefixtures("needs_grid")
def test_an_archive_or_a_folder_dropped_on_the_node(page, comfy, tmp_path):
    source = Pools(tmp_path / "elsewhere")
    other = ids.new_pool_id()
    source.add(other, [imagegen.png(seed=60)])
    source.set_name(other, "From elsewhere")
    from image_pool.pools.archive import export_pool
    archive = tmp_path / "elsewhere.tar"
    export_pool(source, other, archive)

    pool_id, pools = add_pool_node(page, comfy, [imagegen.png(seed=61)])
    specs, expected = folder_drop_specs(5, [("set/readme.txt", "text/plain")])
    page.evaluate(f"""(specs) => {{
        const transfer = ({FAKE_FOLDER_DROP})(specs);
        __poolNode.onDragDrop({{ dataTransfer: transfer }});
    }}""", specs)
    expect(tiles(page)).to_have_count(6, timeout=DEADLINE_MS)
    assert [s.name for s in pools.load(pool_id).slots][1:] == expected

    page.evaluate("""(data) => {
        const file = new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], "elsewhere.tar",
                              { type: "application/x-tar" });
        __poolNode.onDragDrop({ dataTransfer: { items: [], files: [file], types: ["Files"] } });
    }""", b64(archive.read_bytes()))
    expect(tiles(page)).to_have_count(1, timeout=DEADLINE_MS)
    assert node_widget(page, "pool_id") == other and pools.load(other).name == "From elsewhere"


def open_pools_tab(page):
    page.evaluate("() => app.extensionManager.command.execute('Workspace.ToggleSidebarTab.image-pool-pools')")
    listing = page.locator("image-pool-list")
    expect(listing).to_be_visible(timeout=DEADLINE_MS)
    return listing


ROW_LOOK = """(row) => {
    const actions = [...row.querySelectorAll('.actions button, .actions a')];
    const look = (el) => { const s = getComputedStyle(el);
      return [s.textDecorationLine, s.borderTopStyle, s.fontSize, s.color, s.backgroundColor].join(' '); };
    const boxes = actions.map((el) => el.getBoundingClientRect());
    return { lines: 1 + new Set(boxes.filter((b) => b.top >= boxes[0].bottom - 1).map((b) => Math.round(b.top))).size,
             names: actions.map((el) => el.getAttribute('aria-label')), looks: new Set(actions.map(look)).size,
             rowBorder: getComputedStyle(row).borderTopStyle };
}"""


def test_the_pools_tab_looks_like_comfyuis_own_tabs(page, comfy):
    """Issue 25, row 5: a header with the title and icon buttons, a search field, flat rows; a row's actions are
    buttons alike (Export no underlined link among bordered buttons) on one line at the panel's width."""
    pools = Pools(comfy.input_dir / ".grid_pool")
    pool_id = ids.new_pool_id()
    pools.add(pool_id, [imagegen.png(seed=75)])
    pools.set_name(pool_id, "A pool with a rather long name for the panel")
    listing = open_pools_tab(page)
    row = listing.locator(f'[data-pool-id="{pool_id}"]')
    expect(row).to_be_visible(timeout=DEADLINE_MS)
    expect(listing.get_by_role("heading", name="Image pools")).to_be_visible()
    expect(listing.get_by_role("button", name="Import…")).to_be_visible()
    expect(listing.get_by_role("searchbox", name="Search pools")).to_be_visible()
    row.hover()
    look = row.evaluate(ROW_LOOK)
    assert look["names"] == ["Rename", "Detach", "Export", "Delete…"]
    assert look["lines"] == 1, f"the actions wrap onto {look['lines']} lines"
    assert look["looks"] == 1, "every action looks like the others"
    assert look["rowBorder"] == "none", "rows are flat, as ComfyUI's"
    panel, row_box = page.evaluate("() => document.querySelector('image-pool-list').getBoundingClientRect().width"), \
        row.bounding_box()
    assert row_box["width"] <= panel


def test_in_the_pools_tabs_small_grid_the_mask_dot_covers_no_button(page, comfy):
    """Issue 25, row 3: on a hovered, selected tile of the tab's grid the has-mask dot, the brush and the remove button
    are apart, in this frontend's panel."""
    pools = Pools(comfy.input_dir / ".grid_pool")
    pool_id = ids.new_pool_id()
    _, (first, _) = pools.add(pool_id, [imagegen.png(60, 80, seed=s) for s in (76, 77)])
    pools.set_mask(pool_id, first, np.ones((60, 80), bool))
    listing = open_pools_tab(page)
    row = listing.locator(f'[data-pool-id="{pool_id}"]')
    row.get_by_role("button", name="Show the images").click()
    masked = row.locator("image-pool-grid .tile").first
    expect(masked.locator(".mask-dot")).to_be_visible(timeout=DEADLINE_MS)
    masked.click()
    masked.hover()
    expect(masked.locator(".tile-button.mask")).to_be_visible()
    dot, brush, remove = (masked.locator(part).bounding_box() for part in (".mask-dot", ".tile-button.mask",
                                                                          ".tile-button.remove"))
    assert boxes_apart(dot, brush) and boxes_apart(dot, remove), (dot, brush, remove)


@pytest.mark.usefixtures("needs_grid")
def test_the_pools_tab_lists_renames_deletes_and_hands_a_pool_to_a_node(page, comfy):
    pool_id, pools = add_pool_node(page, comfy, [imagegen.png(seed=70)])
    other = ids.new_pool_id()
    pools.add(other, [imagegen.png(seed=s) for s in range(71, 74)])
    pools.set_name(other, "Portraits")
    doomed = ids.new_pool_id()
    pools.set_name(doomed, "Old drafts")
    listing = open_pools_tab(page)
    row = listing.locator(f'[data-pool-id="{other}"]')
    expect(row).to_contain_text("Portraits")
    expect(row).to_contain_text("3 images")

    row.get_by_role("button", name="Rename").click()
    name = listing.get_by_label("Pool name")
    name.fill("Faces")
    name.press("Enter")
    expect(row).to_contain_text("Faces")
    assert pools.load(other).name == "Faces"
    row.get_by_role("button", name="Show the images").click()
    expect(row.locator("image-pool-grid .tile")).to_have_count(3, timeout=DEADLINE_MS)  # the pool's own grid
    row.get_by_role("button", name="Hide the images").click()

    search = listing.get_by_role("searchbox", name="Search pools")
    every = listing.locator(".pool").count()
    search.fill("FAC")
    expect(listing.locator(f'[data-pool-id="{doomed}"]')).to_have_count(0)
    expect(row).to_be_visible()
    assert all("fac" in title.lower() for title in listing.locator(".pool .title").all_inner_texts())
    search.fill("")
    expect(listing.locator(".pool")).to_have_count(every)

    listing.locator(f'[data-pool-id="{doomed}"]').get_by_role("button", name="Delete…").click()
    listing.locator(f'[data-pool-id="{doomed}"]').get_by_role("button", name="Delete", exact=True).click()
    expect(listing.locator(f'[data-pool-id="{doomed}"]')).to_have_count(0)
    assert not pools.exists(doomed)

    page.evaluate("() => { app.canvas.deselectAll?.(); app.canvas.selectNode(__poolNode); }")
    row.locator(".choose").click()
    expect(tiles(page)).to_have_count(3, timeout=DEADLINE_MS)
    assert node_widget(page, "pool_id") == other, "the selected node now shows the chosen pool"

    page.evaluate("() => app.canvas.deselectAll?.()")
    before = page.evaluate("() => app.graph._nodes.filter((n) => n.type === 'ImagePoolGrid').length")
    listing.locator(f'[data-pool-id="{pool_id}"] .choose').click()
    page.wait_for_function("(n) => app.graph._nodes.filter((x) => x.type === 'ImagePoolGrid').length === n + 1",
                           arg=before, timeout=DEADLINE_MS)
    assert page.evaluate("""(id) => app.graph._nodes.some((n) => n.type === 'ImagePoolGrid'
        && n.widgets.find((w) => w.name === 'pool_id').value === id && n !== __poolNode)""", pool_id), \
        "with no node selected, a new node is bound to the chosen pool"

    specs, expected = folder_drop_specs(5, [("set/readme.txt", "text/plain")])
    known = set(pools.pool_ids())
    listing.evaluate(f"""(list, specs) => {{
        const transfer = ({FAKE_FOLDER_DROP})(specs);
        const drop = new DragEvent("drop", {{ bubbles: true, cancelable: true }});
        Object.defineProperty(drop, "dataTransfer", {{ value: transfer }});
        list.dispatchEvent(drop);
    }}""", specs)
    expect(listing.get_by_role("status")).to_contain_text("5 images; 1 other file skipped", timeout=DEADLINE_MS)
    (made,) = set(pools.pool_ids()) - known
    assert pools.load(made).name == "set" and [s.name for s in pools.load(made).slots] == expected, \
        "a folder dropped on the tab is a new pool of its name"


@pytest.mark.usefixtures("needs_grid")
def test_save_and_reload_keep_every_value(page, comfy):
    pool_id, pools = add_pool_node(page, comfy, [imagegen.png(seed=s) for s in range(2)])
    tile(page, 1).click()
    expect(tile(page, 1)).to_have_attribute("aria-selected", "true")
    page.evaluate("""() => {
        __poolNode.widgets.find((w) => w.name === 'index').value = 0;
        __poolNode.widgets.find((w) => w.name === 'control_after_generate').value = 'increment';
    }""")
    before = page.evaluate("() => Object.fromEntries(__poolNode.widgets.filter((w) => w.name !== 'pool')"
                           ".map((w) => [w.name, w.value]))")
    save_and_reload(page, "ImagePoolGrid")
    after = page.evaluate("() => Object.fromEntries(__poolNode.widgets.filter((w) => w.name !== 'pool')"
                          ".map((w) => [w.name, w.value]))")
    assert after == before and after["pool_id"] == pool_id
    expect(tiles(page)).to_have_count(2)
    expect(tile(page, 0)).to_have_attribute("aria-selected", "true")  # index 0 forces the first slot


@pytest.mark.usefixtures("needs_grid")
def test_a_list_node_runs_the_slots_toggled_in_its_grid_and_keeps_them_in_the_workflow(page, comfy):
    from .test_comfyui_list import previews
    heights = [30, 40, 50]
    pool_id, pools = add_pool_node(page, comfy, [imagegen.png(h, 40, seed=h) for h in heights], "ImagePoolList")
    assert page.evaluate("() => __poolNode.widgets.filter((w) => ['pool_id', 'chosen'].includes(w.name))"
                         ".every((w) => w.hidden && w.options?.hidden)"), "pool_id and chosen are hidden everywhere"
    slots = [s.id for s in pools.load(pool_id).slots]
    expect(page.locator("image-pool-grid .count")).to_have_text("3 images, all run (click to choose)")
    tile(page, 2).click()
    tile(page, 0).click()
    expect(tile(page, 0)).to_have_attribute("aria-selected", "true")
    expect(tile(page, 1)).to_have_attribute("aria-selected", "false")
    assert node_widget(page, "chosen") == f"{slots[0]},{slots[2]}", "in pool order, whatever the clicks' order"
    before = comfy.history_ids()
    page.evaluate("() => app.queuePrompt(0, 1)")
    entry = comfy.wait_for_new_history(before)
    preview = page.evaluate("() => String(app.graph._nodes.find((n) => n.type === 'PreviewImage').id)")
    assert [p.shape[0] for p in previews(comfy, entry, preview)] == [30, 50], "only the chosen, in pool order"
    tile(page, 2).focus()
    page.keyboard.press("Space")  # the keyboard toggles too
    expect(tile(page, 2)).to_have_attribute("aria-selected", "false")
    assert node_widget(page, "chosen") == slots[0]
    save_and_reload(page, "ImagePoolList")
    expect(tiles(page)).to_have_count(3)
    expect(tile(page, 0)).to_have_attribute("aria-selected", "true")
    expect(tile(page, 2)).to_have_attribute("aria-selected", "false")
    assert node_widget(page, "chosen") == slots[0] and node_widget(page, "pool_id") == pool_id

    other = ids.new_pool_id()
    pools.add(other, [imagegen.png(seed=s) for s in range(81, 83)])
    pools.set_name(other, "Handed over")
    listing = open_pools_tab(page)
    page.evaluate("() => { app.canvas.deselectAll?.(); app.canvas.selectNode(__poolNode); }")
    listing.locator(f'[data-pool-id="{other}"] .choose').click()
    expect(tiles(page)).to_have_count(2, timeout=DEADLINE_MS)
    assert node_widget(page, "pool_id") == other and node_widget(page, "chosen") == "", \
        "the Pools tab hands a pool to the selected list node, with nothing chosen in it"


@pytest.mark.usefixtures("needs_grid")
def test_example_workflow_loads_runs_clone_shares_and_detach_splits(page, comfy):
    workflow = (PROJECT / "workflows" / "image_pool_example.json").read_text()
    assert json.loads(workflow)["nodes"][0]["widgets_values"][2] == "", "the example names no pool of its own"
    load = ("async (wf) => { await app.loadGraphData(JSON.parse(wf)); "
            "window.__poolNode = app.graph._nodes.find((n) => n.type === 'ImagePoolGrid'); }")
    page.evaluate(load, workflow)
    first_id = node_widget(page, "pool_id")
    page.evaluate(load, workflow)
    saved_id = node_widget(page, "pool_id")
    assert ids.is_pool_id(saved_id) and ids.is_pool_id(first_id) and saved_id != first_id, \
        "each opening of the example makes its own pool"
    pools = Pools(comfy.input_dir / ".grid_pool")
    pools.add(saved_id, [imagegen.png(seed=71), imagegen.png(seed=72)])
    page.evaluate("() => document.querySelector('image-pool').reload()")
    expect(tiles(page)).to_have_count(2)
    page.evaluate(load, json.dumps(page.evaluate("() => app.graph.serialize()")))
    assert node_widget(page, "pool_id") == saved_id, "a saved workflow keeps its pool"
    expect(tiles(page)).to_have_count(2)
    before = comfy.history_ids()
    page.evaluate("() => app.queuePrompt(0, 1)")
    history = comfy.wait_for_new_history(before)
    assert history["status"]["status_str"] == "success", history["status"]

    page.evaluate("""() => {
        const clone = __poolNode.clone();
        clone.pos = [40, 620];
        app.graph.add(clone);
        window.__clone = clone;
        app.canvas.ds.offset = [0, 0];
        app.canvas.ds.scale = 0.6;  // both nodes on screen
        app.canvas.setDirty(true, true);
    }""")
    assert node_widget(page, "pool_id", "__clone") == saved_id
    expect(tiles(page)).to_have_count(4)  # both nodes show the shared pool
    clone_grid = page.locator("image-pool-grid").nth(1)
    clone_grid.locator('.tile[aria-posinset="2"]').click()
    second = pools.load(saved_id).slots[1].id
    expect(clone_grid.locator('.tile[aria-posinset="2"]')).to_have_attribute("aria-selected", "true")
    assert node_widget(page, "slot_id", "__clone") == second
    assert node_widget(page, "slot_id") != second, "each node keeps its own selection"

    node_menu(page, "Detach pool (new id)")
    new_id = node_widget(page, "pool_id")
    assert new_id != saved_id and node_widget(page, "pool_id", "__clone") == saved_id
    assert [s.image for s in pools.load(new_id).slots] == [s.image for s in pools.load(saved_id).slots]


@pytest.mark.usefixtures("needs_grid")
def test_a_server_error_becomes_a_comfyui_toast(page, comfy):
    pool_id, pools = add_pool_node(page, comfy, [imagegen.png(seed=81), imagegen.png(seed=82)])
    page.evaluate("""() => {
        window.__toasts = [];
        const toaster = app.extensionManager.toast;
        const add = toaster.add.bind(toaster);
        toaster.add = (message) => { __toasts.push(message); return add(message); };
    }""")
    gone = pools.load(pool_id).slots[1].id
    pools.remove(pool_id, gone)  # removed elsewhere (another node, the manager page) while this grid shows it
    tile(page, 1).hover()
    tile(page, 1).locator(".tile-button.remove").click()
    page.wait_for_function("(gone) => __toasts.some((t) => t.severity === 'error' && t.detail.includes(gone))", arg=gone,
                           timeout=DEADLINE_MS)
    expect(tiles(page)).to_have_count(1)  # and the grid shows what the server has


def test_early_nodes_2_says_in_the_node_that_it_cannot_host_the_grid(page, comfy):
    if page.hosts_grid:
        pytest.skip("this frontend hosts the grid in this renderer")
    page.evaluate("""() => {
        app.graph.clear();
        const node = LiteGraph.createNode("ImagePoolGrid");
        app.graph.add(node);
        window.__poolNode = node;
    }""")
    expect(page.get_by_text("needs the classic canvas", exact=False).first).to_be_visible(timeout=DEADLINE_MS)
    button = page.get_by_role("button", name="Switch to the classic canvas")
    expect(button).to_be_visible()  # a button with its text (it was an empty blue button)
    page.screenshot(path=artifact("comfyui-early-nodes-2-notice.png"))
    button.click()
    page.wait_for_function("() => !LiteGraph.vueNodesMode", timeout=DEADLINE_MS)
    assert page.evaluate("() => app.extensionManager.setting.get('Comfy.VueNodes.Enabled')") is False


@pytest.mark.usefixtures("needs_grid")
def test_our_code_triggers_no_deprecation_warning(page, comfy):
    page.wait_for_timeout(1000)
    before = len(page.console)
    pool_id, _ = add_pool_node(page, comfy, [imagegen.png(seed=s) for s in range(2)])
    tile(page, 1).click()
    page.evaluate("""() => {
        app.canvas.selectNode(__poolNode);
        const transfer = new DataTransfer();
        document.dispatchEvent(new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true }));
    }""")
    open_editor_on(page, 0, "brush")
    cancel_editor(page)
    ours = [text for kind, text in page.console[before:] if kind == "warning" and
            re.search(r"selected_nodes|checkState|open_maskeditor|copyToClipspace|clipspace", text)]
    assert not ours, ours


def test_the_properties_panel_lists_no_hidden_widget(browser, comfy, renderer):  # noqa: F811
    """Where the frontend has a properties panel (1.5x), it shows `index` and not pool_id or slot_id."""
    comfy.use_renderer(renderer == "vue")
    comfy.post_json("/api/settings/Comfy.RightSidePanel.IsOpen", True)
    context = browser.new_context(viewport={"width": 1400, "height": 860})
    try:
        page = context.new_page()
        page.goto(comfy.url)
        page.wait_for_function("() => window.app?.graph && window.LiteGraph?.createNode && app.extensionManager",
                               timeout=60_000)
        settle(page)
        page.evaluate("""() => {
            app.graph.clear();
            const node = LiteGraph.createNode("ImagePoolGrid");
            node.pos = [300, 150];
            app.graph.add(node);
            app.canvas.ds.offset = [0, 0];
            app.canvas.selectNode(node);
            app.canvas.setDirty(true, true);
        }""")
        try:  # until a panel lists the node's widgets; a frontend without one lists none in the page
            page.wait_for_function("""() => [...document.querySelectorAll("*")].some(
                (e) => e.childElementCount === 0 && e.textContent.trim() === "index")""", timeout=10_000)
        except PlaywrightTimeout:
            assert not page.evaluate("() => !!window.app.extensionManager?.setting?.get?.('Comfy.RightSidePanel.IsOpen')"
                                     " && LiteGraph.vueNodesMode"), "a panel or Nodes 2.0 lists widgets in the page"
        for hidden in ("pool_id", "slot_id"):
            assert page.get_by_text(hidden, exact=True).count() == 0, f"{hidden} is shown"
    finally:
        comfy.post_json("/api/settings/Comfy.RightSidePanel.IsOpen", False)
        context.close()


@pytest.mark.usefixtures("needs_grid")
def test_a_pool_chosen_with_no_node_selected_lands_in_view_beside_the_panel_on_nothing(page, comfy):
    pool_id, pools = add_pool_node(page, comfy, [imagegen.png(seed=80)])
    other = ids.new_pool_id()
    pools.add(other, [imagegen.png(seed=81)])
    pools.set_name(other, "Landing")
    listing = open_pools_tab(page)
    page.evaluate("""() => {  // nodes where a new node used to land, and right of the panel
        const panel = document.querySelector("image-pool-list").getBoundingClientRect();
        const canvas = app.canvas.canvas.getBoundingClientRect();
        for (const x of [80, panel.right - canvas.left + 40]) {
            const node = LiteGraph.createNode("EmptyImage");
            app.graph.add(node);
            node.pos = app.canvas.ds.convertCanvasToOffset([x, 120]);
        }
        app.canvas.deselectAll?.();
        app.canvas.setDirty(true, true);
    }""")
    listing.locator(f'[data-pool-id="{other}"] .choose').click()
    page.wait_for_function("(id) => app.graph._nodes.some((n) => n.type === 'ImagePoolGrid'"
                           " && n.widgets.find((w) => w.name === 'pool_id').value === id)", arg=other,
                           timeout=DEADLINE_MS)
    placed = page.evaluate("""(id) => {
        const canvas = app.canvas.canvas.getBoundingClientRect();
        const title = LiteGraph.NODE_TITLE_HEIGHT;
        const box = (n) => {
            const [x, y] = app.canvas.ds.convertOffsetToCanvas([n.pos[0], n.pos[1] - title]);
            const s = app.canvas.ds.scale;
            return { left: canvas.left + x, top: canvas.top + y, right: canvas.left + x + n.size[0] * s,
                     bottom: canvas.top + y + (n.size[1] + title) * s };
        };
        const node = app.graph._nodes.find((n) => n.type === "ImagePoolGrid"
            && n.widgets.find((w) => w.name === "pool_id").value === id);
        const others = app.graph._nodes.filter((n) => n !== node).map(box);
        const mine = box(node);
        const panel = document.querySelector("image-pool-list").getBoundingClientRect();
        return { mine, panel: { right: panel.right }, canvas: { right: canvas.right, bottom: canvas.bottom },
                 overlaps: others.filter((o) => mine.left < o.right && o.left < mine.right
                                                && mine.top < o.bottom && o.top < mine.bottom).length };
    }""", other)
    assert placed["mine"]["left"] >= placed["panel"]["right"], placed
    assert placed["mine"]["left"] < placed["canvas"]["right"] and placed["mine"]["top"] < placed["canvas"]["bottom"], \
        f"in view: {placed}"
    assert placed["overlaps"] == 0, placed
    page.screenshot(path=artifact(f"comfyui-pools-tab-new-node-{page.renderer}.png"))
