"""Retake the screenshots in docs/, light and dark: python docs/take_screenshots.py

- manager-light.png, manager-dark.png: the standalone manager on a store made here from examples/images;
- comfyui-node-light.png, comfyui-node-dark.png: the example workflow run in the ComfyUI named by IMAGE_POOL_COMFYUI
  (run with IMAGE_POOL_COMFYUI_PYTHON), with ComfyUI's light and dark palettes; skipped without one;
- comfyui-pools-light.png, comfyui-pools-dark.png: the same page with the Pools tab open.
Needs Chromium (Debian's) and Playwright, as the browser tests do."""

import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT / "python"), str(PROJECT)]

from image_pool.pools.pools import Pools  # noqa: E402
from tests.browser_support import CHROMIUM_ARGS, chromium_path  # noqa: E402
from tests.server_process import running_server  # noqa: E402

DOCS = PROJECT / "docs"
EXAMPLES = sorted((PROJECT / "examples" / "images").iterdir())
ALL_IMAGES_LOADED = """(root) => {
  const images = [];
  const walk = (node) => {
    if (node.shadowRoot) walk(node.shadowRoot);
    for (const el of node.querySelectorAll("*")) {
      if (el.tagName === "IMG") images.push(el);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(root);
  return images.length > 0 && images.every((i) => i.complete && i.naturalWidth > 0);
}"""


def fill(pools: Pools, pool_id: str) -> None:
    """The example images, labelled, the second with a mask over its middle."""
    manifest, slots = pools.add(pool_id, EXAMPLES, labels=["dusk over the hills", "a quiet sea", "test gradient"])
    second = manifest.slot(slots[1])
    mask = np.zeros((second.height, second.width), bool)
    mask[second.height // 4: second.height * 3 // 4, second.width // 3: second.width * 2 // 3] = True
    pools.set_mask(pool_id, slots[1], mask)
    pools.set_active(pool_id, slots[1])


def manager(browser) -> None:
    with tempfile.TemporaryDirectory(prefix="image-pool-shots-") as tmp:
        pools = Pools(Path(tmp) / "store")
        pool_id = "5b0c0c1e-1111-4111-8111-111111111111"
        fill(pools, pool_id)
        pools.set_name(pool_id, "Landscapes")
        pools.set_name("5b0c0c1e-2222-4222-8222-222222222222", "Portraits (empty)")
        with running_server(pools.root) as (url, _, _):
            for scheme in ("light", "dark"):
                context = browser.new_context(viewport={"width": 1120, "height": 540}, color_scheme=scheme)
                page = context.new_page()
                page.goto(f"{url}/#{pool_id}")
                page.wait_for_function(f"() => ({ALL_IMAGES_LOADED})(document)", timeout=30_000)
                page.screenshot(path=DOCS / f"manager-{scheme}.png")
                context.close()
                print(f"docs/manager-{scheme}.png")


def comfyui(browser) -> None:
    if not os.environ.get("IMAGE_POOL_COMFYUI"):
        print("IMAGE_POOL_COMFYUI is not set: the ComfyUI screenshots are left as they are")
        return
    from tests.comfyui_support import running_comfyui
    workflow = json.loads((PROJECT / "workflows" / "image_pool_example.json").read_text())
    with tempfile.TemporaryDirectory(prefix="image-pool-shots-comfyui-") as tmp, running_comfyui(Path(tmp)) as comfy:
        comfy.use_renderer(False)
        for palette in ("light", "dark"):
            comfy.post_json("/api/settings/Comfy.ColorPalette", palette)
            context = browser.new_context(viewport={"width": 1280, "height": 760})
            page = context.new_page()
            page.goto(comfy.url)
            page.wait_for_function("() => window.app?.graph && app.extensionManager", timeout=60_000)
            page.evaluate("async (wf) => { await app.loadGraphData(wf); }", workflow)
            node = "app.graph._nodes.find((n) => n.type === 'ImagePoolGrid')"
            pool_id = page.evaluate(f"() => {node}.widgets.find((w) => w.name === 'pool_id').value")
            fill(Pools(comfy.input_dir / ".grid_pool"), pool_id)
            page.evaluate("() => document.querySelector('image-pool').reload()")
            page.wait_for_function(f"() => ({ALL_IMAGES_LOADED})(document.querySelector('image-pool'))",
                                   timeout=30_000)
            before = comfy.history_ids()
            page.evaluate("() => app.queuePrompt(0, 1)")
            comfy.wait_for_new_history(before)
            page.wait_for_function("() => app.graph._nodes.filter((n) => n.imgs?.length).length >= 2",
                                   timeout=30_000)
            page.evaluate("() => { app.canvas.ds.offset = [80, 130]; app.canvas.ds.scale = 0.85; "
                          "app.canvas.setDirty(true, true); }")
            page.evaluate("() => new Promise((drawn) => requestAnimationFrame(() => requestAnimationFrame(drawn)))")
            page.screenshot(path=DOCS / f"comfyui-node-{palette}.png")
            print(f"docs/comfyui-node-{palette}.png")
            pools = Pools(comfy.input_dir / ".grid_pool")
            for earlier in pools.pool_ids():  # the other palette's run left its own pool
                if earlier != pool_id:
                    pools.delete(earlier)
            pools.set_name(pool_id, "Example")
            page.evaluate("() => app.extensionManager.command.execute('Workspace.ToggleSidebarTab.image-pool-pools')")
            page.wait_for_function("""() => { const list = document.querySelector('image-pool-list');
                const images = [...(list?.shadowRoot?.querySelectorAll('img') ?? [])];
                return images.length > 0 && images.every((i) => i.complete && i.naturalWidth > 0); }""", timeout=30_000)
            page.screenshot(path=DOCS / f"comfyui-pools-{palette}.png")
            print(f"docs/comfyui-pools-{palette}.png")
            context.close()


def main() -> None:
    from playwright.sync_api import sync_playwright
    path = chromium_path()
    if not path:
        sys.exit("no Chromium here (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        manager(browser)
        comfyui(browser)
        browser.close()


if __name__ == "__main__":
    main()
