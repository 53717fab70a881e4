"""Browser benchmark: <image-pool-grid> with 100 and 1,000 slots, windowed vs the same tiles all rendered
(windowed=false), in Debian's Chromium, in the same run. First render is measured from setting `slots` to a
finished style and layout pass; scroll frames from setting scrollTop to the layout that follows."""

import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT / "python"), str(PROJECT)]

from bench.timing import Table  # noqa: E402
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


def measure(page, count: int, windowed: bool, repeats: int) -> dict:
    return page.evaluate(MEASURE, [count, windowed, repeats])


def main(repeats: int = 7) -> Table:
    table = Table("Grid in Chromium: windowed vs every tile rendered (python bench/run.py browser)")
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
            table.ratio(f"{count:,} slots: first render", ours["render"] / 1e3, plain["render"] / 1e3,
                        "≤ 100 ms at 1,000 slots" if count == 1_000 else "")
            table.value(f"{count:,} slots: DOM elements in the grid", f"{ours['nodes']:,} vs {plain['nodes']:,}",
                        "independent of pool size")
            table.ratio(f"{count:,} slots: scroll frame work, median", ours["frameMedian"] / 1e3,
                        plain["frameMedian"] / 1e3)
            table.ratio(f"{count:,} slots: scroll frame work, 95th percentile", ours["frameP95"] / 1e3,
                        plain["frameP95"] / 1e3, "< 16.7 ms (60 fps)")
        browser.close()
    return table


if __name__ == "__main__":
    main().print()
