import assert from "node:assert/strict";
import { test } from "node:test";

import { ASSET_INFO, mayNameResults, resultsOf } from "./dropped-results.js";

const ORIGIN = "http://127.0.0.1:8188";

function transfer(data: Record<string, string>) {
  return { types: Object.keys(data), getData: (type: string) => data[type] ?? "" };
}

test("an Assets tab card names its file by the asset info, before its URL", () => {
  const drop = transfer({
    [ASSET_INFO]: JSON.stringify({ filename: "ComfyUI_00004_.png", subfolder: "runs", type: "output", id: "x" }),
    "text/uri-list": `${ORIGIN}/api/view?filename=other.png&type=temp&subfolder=`,
  });
  assert.deepEqual(resultsOf(drop, ORIGIN), [{ filename: "ComfyUI_00004_.png", subfolder: "runs", type: "output" }]);
});

test("a same-origin /view URL names a result; /api/view and a relative one too", () => {
  for (const url of [`${ORIGIN}/view?filename=a%20b.png&type=temp&subfolder=x%2Fy`, "/api/view?filename=a%20b.png&type=temp&subfolder=x/y"]) {
    assert.deepEqual(resultsOf(transfer({ "text/uri-list": url }), ORIGIN),
                     [{ filename: "a b.png", subfolder: "x/y", type: "temp" }]);
  }
});

test("1.27's queue image: the src of a /view <img> in text/html", () => {
  const html = `<meta charset="utf-8"><img src="${ORIGIN}/view?filename=ComfyUI_temp_1.png&amp;type=temp&amp;subfolder=">`;
  assert.deepEqual(resultsOf(transfer({ "text/html": html }), ORIGIN),
                   [{ filename: "ComfyUI_temp_1.png", subfolder: "", type: "temp" }]);
});

test("another origin, another route or folder, or no file name names nothing", () => {
  for (const url of ["http://evil.example/view?filename=a.png&type=output", `${ORIGIN}/grid_pool/object/abc.png`,
                     `${ORIGIN}/view?filename=a.png&type=models`, `${ORIGIN}/view?type=output`,
                     `${ORIGIN}/api/assets/123/content`, "javascript:alert(1)", "not a url at all ::"]) {
    assert.deepEqual(resultsOf(transfer({ "text/uri-list": url }), ORIGIN), [], url);
  }
  assert.deepEqual(resultsOf(transfer({ [ASSET_INFO]: "{not json" }), ORIGIN), []);
  assert.deepEqual(resultsOf(transfer({ [ASSET_INFO]: JSON.stringify({ filename: "a.png", type: "models" }) }), ORIGIN), []);
  assert.deepEqual(resultsOf(transfer({ "text/plain": `${ORIGIN}/view?filename=a.png` }), ORIGIN), []);
});

test("several URLs, comments skipped", () => {
  const list = `# dragged\r\n${ORIGIN}/view?filename=1.png&type=output\r\n${ORIGIN}/view?filename=2.png&type=output&subfolder=s`;
  assert.deepEqual(resultsOf(transfer({ "text/uri-list": list }), ORIGIN).map((r) => r.filename), ["1.png", "2.png"]);
});

test("a drag that may name results is told by its types alone", () => {
  assert.equal(mayNameResults([ASSET_INFO]), true);
  assert.equal(mayNameResults(["text/uri-list"]), true);
  assert.equal(mayNameResults(["Files"]), false);
});
