import assert from "node:assert/strict";
import { test } from "node:test";

import { moved } from "./events.js";
import { gridLayout, pageStep, tilePosition, visibleRange } from "./layout.js";

test("columns fill the width with tiles of at least the minimum size", () => {
  const layout = gridLayout(1000, 100, 120, 8, 22);
  assert.equal(layout.columns, 7);  // 7 * 120 + 6 * 8 = 888 <= 1000 < 8 * 120 + 7 * 8
  assert.equal(layout.tileWidth, Math.floor((1000 - 6 * 8) / 7));
  assert.equal(layout.tileHeight, layout.tileWidth + 22);
  assert.equal(layout.rows, 15);
  assert.equal(layout.totalHeight, 15 * layout.tileHeight + 14 * 8);
});

test("a node narrower than one tile still shows one column, and an empty pool has no height", () => {
  const narrow = gridLayout(50, 3, 120, 8, 22);
  assert.equal(narrow.columns, 1);
  assert.equal(gridLayout(500, 0, 120, 8, 22).totalHeight, 0);
});

test("tiles are placed row by row", () => {
  const layout = gridLayout(400, 10, 120, 8, 22);
  assert.deepEqual(tilePosition(layout, 0), { x: 0, y: 0 });
  assert.deepEqual(tilePosition(layout, layout.columns), { x: 0, y: layout.tileHeight + 8 });
  assert.equal(tilePosition(layout, 1).x, layout.tileWidth + 8);
});

test("only the rows on screen, and a few around them, are rendered", () => {
  const layout = gridLayout(1000, 1000, 120, 8, 22);
  const stride = layout.tileHeight + layout.gap;
  const [start, end] = visibleRange(layout, 1000, 50 * stride, 4 * stride, 2);
  assert.equal(start, 48 * layout.columns);
  assert.equal(end, 57 * layout.columns);
  assert.deepEqual(visibleRange(layout, 1000, 0, 0, 0), [0, layout.columns * 2]);
  const [, last] = visibleRange(layout, 1000, layout.totalHeight, 600);
  assert.equal(last, 1000, "never past the last slot");
});

test("PageDown moves by the whole rows that fit", () => {
  const layout = gridLayout(1000, 100, 120, 8, 22);
  assert.equal(pageStep(layout, 3.5 * (layout.tileHeight + 8)), 3 * layout.columns);
  assert.equal(pageStep(layout, 10), layout.columns);
});

test("a reorder moves one slot and keeps the others in order", () => {
  assert.deepEqual(moved(["a", "b", "c", "d"], 0, 2), ["b", "c", "a", "d"]);
  assert.deepEqual(moved(["a", "b", "c", "d"], 3, 0), ["d", "a", "b", "c"]);
  assert.deepEqual(moved(["a", "b", "c"], 1, 99), ["a", "c", "b"]);
});
