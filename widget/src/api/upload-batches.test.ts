import assert from "node:assert/strict";
import { test } from "node:test";

import { perFileProgress, uploadBatches } from "./upload-batches.js";

const files = (...sizes: number[]) => sizes.map((size, i) => ({ name: `f${i}`, file: { size } }));
const names = (batches: { name: string }[][]) => batches.map((b) => b.map((u) => u.name));

test("files keep their order and are cut by count", () => {
  assert.deepEqual(names(uploadBatches(files(1, 1, 1, 1, 1), 2, 100)), [["f0", "f1"], ["f2", "f3"], ["f4"]]);
});

test("files are cut by bytes, and a file larger than a batch goes alone", () => {
  assert.deepEqual(names(uploadBatches(files(40, 40, 40, 500, 10), 10, 100)), [["f0", "f1"], ["f2"], ["f3"], ["f4"]]);
});

test("no files, no batches", () => {
  assert.deepEqual(uploadBatches([]), []);
});

test("progress of a request is shared out among its files in order", () => {
  assert.deepEqual(perFileProgress([10, 20, 30], 0), [0, 0, 0]);
  assert.deepEqual(perFileProgress([10, 20, 30], 15), [10, 5, 0]);
  assert.deepEqual(perFileProgress([10, 20, 30], 60), [10, 20, 30]);
  assert.deepEqual(perFileProgress([10, 20, 30], 1000), [10, 20, 30]);
});
