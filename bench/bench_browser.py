"""Browser benchmark, in Debian's Chromium against the standalone server:
- <image-pool-grid> with 100 and 1,000 slots, windowed vs the same tiles all rendered (windowed=false). First render
  is measured from setting `slots` to a finished style and layout pass; scroll frames from setting scrollTop to the
  layout that follows;
- 50 photos added through <image-pool> (its batches, with per-file progress) vs the same files in one request."""

import base64
import io
import sys
import tempfile
import uuid
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT / "python"), str(PROJECT)]

from bench.bench_core import photo_like  # noqa: E402
from bench.timing import PAIRS, Pairs, Table, fmt_time  # noqa: E402
from tests.browser_support import CHROMIUM_ARGS, chromium_path  # noqa: E402
from tests.server_process import running_server  # noqa: E402

PAGE = """<!doctype html><html><head><meta charset="utf-8">
<style>body{margin:0} image-pool-grid{display:flex;width:900px;height:600px}</style>
<script type="module" src="/web/image-pool.js"></script></head><body></body></html>"""

MEASURE = """async ([count, windowed, repeats]) => {
  await customElements.whenDefined("image-pool-grid");
  const pixel = "data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==";
  const slots = Array.from({length: count}, (_, i) => ({id: `s-${i.toString(16).padStart(8, "0")}`,
    image: `${i.toString(16).padStart(64, "0")}.png`, mask: i % 3 ? null : "f".repeat(64) + ".png",
    label: `slot ${i}`, name: `${i}.png`, width: 64, height: 64, added: 0}));
  const renders = [];
  let grid;
  for (let r = 0; r < repeats; r++) {
    document.body.innerHTML = "";
    grid = document.createElement("image-pool-grid");
    grid.thumbUrl = () => pixel;
    grid.windowed = windowed;
    document.body.append(grid);
    await grid.updateComplete;
    await new Promise((ok) => requestAnimationFrame(() => setTimeout(ok)));  // the size is measured
    const start = performance.now();
    grid.slots = slots;
    await grid.updateComplete;
    grid.shadowRoot.querySelector(".sizer").getBoundingClientRect();  // force style and layout
    renders.push(performance.now() - start);
  }
  const nodes = grid.shadowRoot.querySelectorAll("*").length;
  const scroller = grid.shadowRoot.querySelector(".scroller");
  const frames = [];
  const step = Math.max(1, (scroller.scrollHeight - scroller.clientHeight) / 120);
  for (let f = 1; f <= 120; f++) {
    await new Promise((ok) => requestAnimationFrame(ok));
    const start = performance.now();
    scroller.scrollTop = f * step;
    scroller.dispatchEvent(new Event("scroll"));
    await grid.updateComplete;
    grid.shadowRoot.querySelector(".sizer").getBoundingClientRect();
    frames.push(performance.now() - start);
  }
  const sorted = (xs) => xs.slice().sort((a, b) => a - b);
  const median = (xs) => sorted(xs)[Math.floor(xs.length / 2)];
  const p95 = (xs) => sorted(xs)[Math.floor(xs.length * 0.95)];
  return {render: median(renders), nodes, frameMedian: median(frames), frameP95: p95(frames),
          last: grid.shadowRoot.querySelector(`.tile[aria-posinset="${count}"]`) !== null};
}"""


UPLOAD = """async ([how, poolId]) => {
  const files = window.benchFiles;
  const start = performance.now();
  if (how === "widget") {
    const pool = document.createElement("image-pool");
    pool.poolId = poolId;
    document.body.replaceChildren(pool);
    const added = await pool.addFiles(files);
    if (added.length !== files.length) throw new Error(`added ${added.length} of ${files.length}`);
  } else {
    const form = new FormData();
    form.append("pool_id", poolId);
    for (const file of files) form.append("file", file, file.name);
    const response = await fetch("/grid_pool/add", { method: "POST", body: form });
    if (!response.ok || (await response.json()).added.length !== files.length) throw new Error("one request failed");
  }
  return performance.now() - start;
}"""

LOAD_FILES = """(encoded) => {
  window.benchFiles = encoded.map((b64, i) => new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))],
                                                       `photo-${i}.jpg`, { type: "image/jpeg" }));
}"""


def bench_uploads(table: Table, page, files: int = 50) -> None:
    encoded = []
    for i in range(files):
        out = io.BytesIO()
        photo_like(1280, 800, 100 + i).save(out, "JPEG", quality=92)
        encoded.append(base64.b64encode(out.getvalue()).decode())
    page.evaluate(LOAD_FILES, encoded)
    pairs = Pairs([], [])
    for i in range(PAIRS):
        runs = [("widget", pairs.ours), ("one request", pairs.baseline)]
        for how, times in runs if i % 2 == 0 else reversed(runs):
            times.append(page.evaluate(UPLOAD, [how, str(uuid.uuid4())]) / 1e3)
    table.target(f"adding {files} × 1 MP JPEG through <image-pool>", pairs, 1.3, f"the {files} files in one request")


def measure(page, count: int, windowed: bool, repeats: int) -> dict:
    return page.evaluate(MEASURE, [count, windowed, repeats])


def main(repeats: int = 7) -> Table:
    table = Table("Chromium: the grid, windowed vs every tile rendered; uploads", "python bench/run.py browser")
    path = chromium_path()
    if not path:
        table.value("skipped", "no Chromium on this machine (apt-get install chromium)")
        return table
    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory(prefix="image-pool-bench-browser-") as tmp, \
            running_server(Path(tmp)) as (url, _, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 700})
        page.route(f"{url}/bench.html", lambda route: route.fulfill(body=PAGE, content_type="text/html"))
        page.goto(f"{url}/bench.html")
        for count in (100, 1_000):
            ours = measure(page, count, True, repeats)
            plain = measure(page, count, False, repeats)
            assert ours["last"], "the windowed grid scrolled to its last slot"
            for what, key in (("first render", "render"), ("scroll frame work, median", "frameMedian"),
                              ("scroll frame work, 95th percentile", "frameP95")):
                table.value(f"{count:,} slots: {what}", f"{fmt_time(ours[key] / 1e3)} windowed vs "
                            f"{fmt_time(plain[key] / 1e3)} with every tile rendered")
            table.value(f"{count:,} slots: DOM elements in the grid", f"{ours['nodes']:,} vs {plain['nodes']:,}")
        bench_uploads(table, page)
        browser.close()
    return table


if __name__ == "__main__":
    main().print()
