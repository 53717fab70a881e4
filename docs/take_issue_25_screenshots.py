"""Shoot rows 1-5 of issue 25 in a real ComfyUI, as docs/issue-25/<frontend>-row<N>-<label>.png:

    IMAGE_POOL_COMFYUI=<checkout> IMAGE_POOL_COMFYUI_PYTHON=<its python> [IMAGE_POOL_COMFYUI_FRONTEND=<static>] \\
        python docs/take_issue_25_screenshots.py after
    git worktree add /tmp/before 62e6c22 && ... python docs/take_issue_25_screenshots.py before --node /tmp/before

`--node` names the custom node's folder to run (this checkout when absent): 62e6c22 is the commit before any fix of
issue 25. The rows: 1 a workflow whose pool is not in the store (the notice and the node's bottom edge); 2 a pool
chosen in the Pools tab with no node selected (where the new node lands); 3 the Pools tab's small grid with a masked
tile hovered and selected (the mask dot and the brush); 4 the notice of 1.27's early Nodes 2.0 (only where that
frontend runs); 5 the Pools tab with a row under the pointer. Needs Chromium and Playwright, as the browser tests do.
"""

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT / "python"), str(PROJECT)]

from image_pool import Pools  # noqa: E402
from tests.browser_support import CHROMIUM_ARGS, chromium_path  # noqa: E402
from tests.comfyui_support import running_comfyui  # noqa: E402

OUT = PROJECT / "docs" / "issue-25"
WAIT = 30_000
VIEW = {"width": 1280, "height": 760}
TABS = "Workspace.ToggleSidebarTab.image-pool-pools"
EXAMPLES = sorted((PROJECT / "examples" / "images").iterdir())


def store_of(node: Path, input_dir: Path) -> Path:
    """Where that checkout keeps ComfyUI's store: input/.grid_pool since issue 23, input/grid_pool before."""
    moved = any((node / "python" / "image_pool").rglob("in_comfyui.py")) or \
        (node / "python" / "image_pool" / "comfyui_store.py").exists()
    return input_dir / (".grid_pool" if moved else "grid_pool")


def fresh_page(browser, comfy, vue: bool = False):
    comfy.use_renderer(vue)
    page = browser.new_context(viewport=VIEW).new_page()
    page.goto(comfy.url)
    page.wait_for_function("() => window.app?.graph && window.LiteGraph?.createNode && app.extensionManager",
                           timeout=60_000)
    page.wait_for_timeout(1500)  # the frontend's own first layout
    return page


def new_grid_node(page) -> str:
    return page.evaluate("""() => {
        app.graph.clear();
        const node = LiteGraph.createNode("ImagePoolGrid");
        node.pos = [60, 140];
        app.graph.add(node);
        window.__poolNode = node;
        app.canvas.ds.offset = [0, 0];
        app.canvas.ds.scale = 1;
        app.canvas.setDirty(true, true);
        return node.widgets.find((w) => w.name === "pool_id").value;
    }""")


def shoot(page, name: str, clip: dict | None = None) -> None:
    page.wait_for_timeout(400)  # hover styles and transitions settle
    page.screenshot(path=OUT / name, clip=clip)
    print(f"docs/issue-25/{name}")


def row1_missing_pool(page, store: Path, name: str) -> None:
    pools = Pools(store)
    pool_id = new_grid_node(page)
    pools.add(pool_id, EXAMPLES[:2])
    pools.set_name(pool_id, "Trip")
    page.evaluate("() => document.querySelector('image-pool').reload()")
    page.wait_for_function("() => __poolNode.widgets.find((w) => w.name === 'pool').element.isConnected")
    page.wait_for_timeout(1500)
    saved = page.evaluate("() => JSON.stringify(app.graph.serialize())")
    pools.delete(pool_id)
    page.evaluate("async (saved) => { app.graph.clear(); await app.loadGraphData(JSON.parse(saved)); "
                  "app.canvas.ds.offset = [0, 0]; app.canvas.ds.scale = 1; app.canvas.setDirty(true, true); }", saved)
    page.get_by_text("not in this store", exact=False).first.wait_for(timeout=WAIT)
    shoot(page, name, {"x": 0, "y": 0, "width": 760, "height": 760})


def row4_early_nodes_2(browser, comfy, name: str) -> None:
    page = fresh_page(browser, comfy, vue=True)
    new_grid_node(page)
    page.get_by_text("needs the classic canvas", exact=False).first.wait_for(timeout=WAIT)
    shoot(page, name, {"x": 0, "y": 0, "width": 760, "height": 560})
    page.context.close()


def pools_in_tab(store: Path) -> tuple[str, str]:
    pools = Pools(store)
    landing, masked = pools.pool_named("Landing")[0], pools.pool_named("Portraits for the inpaint set")[0]
    pools.add(landing, EXAMPLES[2:])
    manifest, slots = pools.add(masked, EXAMPLES, labels=["dusk over the hills", "a quiet sea", "test gradient"])
    first = manifest.slot(slots[0])
    mask = np.zeros((first.height, first.width), bool)
    mask[first.height // 4: first.height * 3 // 4, first.width // 3: first.width * 2 // 3] = True
    pools.set_mask(masked, slots[0], mask)
    untitled = "7a1e2b3c-aaaa-4bbb-8ccc-000000000003"
    pools.add(untitled, EXAMPLES[1:2])
    return landing, masked


def open_tab(page):
    page.evaluate(f"() => app.extensionManager.command.execute('{TABS}')")
    listing = page.locator("image-pool-list")
    listing.locator(".pool").first.wait_for(timeout=WAIT)
    page.wait_for_function("""() => [...document.querySelector('image-pool-list').shadowRoot.querySelectorAll('img')]
        .every((i) => i.complete && i.naturalWidth > 0)""", timeout=WAIT)
    return listing


def panel_clip(page, height: int = 560) -> dict:
    right = page.evaluate("() => document.querySelector('image-pool-list').getBoundingClientRect().right")
    return {"x": 0, "y": 0, "width": min(VIEW["width"], right + 40), "height": height}


def row2_new_node_placement(page, landing: str, name: str) -> None:
    page.evaluate("""() => {  // something already on the canvas, near the panel and at the top left
        app.graph.clear();
        for (const [x, y] of [[60, 140], [420, 160]]) {
            const node = LiteGraph.createNode("EmptyImage");
            node.pos = [x, y];
            app.graph.add(node);
        }
        app.canvas.ds.offset = [0, 0];
        app.canvas.ds.scale = 1;
        app.canvas.deselectAll?.();
        app.canvas.setDirty(true, true);
    }""")
    listing = open_tab(page)
    listing.locator(f'[data-pool-id="{landing}"] .choose').click()
    page.wait_for_function("() => app.graph._nodes.some((n) => n.type === 'ImagePoolGrid')", timeout=WAIT)
    page.wait_for_timeout(1500)
    page.mouse.move(1200, 700)
    shoot(page, name)
    page.evaluate(f"() => app.extensionManager.command.execute('{TABS}')")


def row3_and_5_pools_tab(page, masked: str, row3: str, row5: str) -> None:
    page.evaluate("() => { app.graph.clear(); app.canvas.setDirty(true, true); }")
    listing = open_tab(page)
    row = listing.locator(f'[data-pool-id="{masked}"]')
    row.hover()
    shoot(page, row5, panel_clip(page, 420))
    row.get_by_role("button", name=re.compile("^Show")).click()
    tile = row.locator("image-pool-grid .tile").first
    tile.wait_for(timeout=WAIT)
    page.wait_for_timeout(1000)
    tile.click()
    tile.hover()
    shoot(page, row3, panel_clip(page))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("label", help="before or after")
    parser.add_argument("--node", type=Path, default=PROJECT, help="the custom node's folder (default: this one)")
    args = parser.parse_args()
    if not os.environ.get("IMAGE_POOL_COMFYUI"):
        sys.exit("IMAGE_POOL_COMFYUI names no ComfyUI checkout")
    from playwright.sync_api import sync_playwright
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="image-pool-issue-25-") as tmp, \
            running_comfyui(Path(tmp), node=args.node.resolve()) as comfy, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        store = store_of(args.node, comfy.input_dir)
        page = fresh_page(browser, comfy)
        frontend = page.evaluate("() => window.__COMFYUI_FRONTEND_VERSION__ || 'unknown'")
        name = {row: f"{frontend}-row{row}-{args.label}.png" for row in range(1, 6)}
        row1_missing_pool(page, store, name[1])
        landing, masked = pools_in_tab(store)
        row2_new_node_placement(page, landing, name[2])
        row3_and_5_pools_tab(page, masked, name[3], name[5])
        page.context.close()
        if frontend.startswith("1.27."):
            row4_early_nodes_2(browser, comfy, name[4])
        browser.close()


if __name__ == "__main__":
    main()
