import assert from "node:assert/strict";
import { test } from "node:test";

import table from "../../../tests/data/selection-cases.json";
import type { Slot } from "../api/types.js";
import { chosenIds, maskEditorResult, newPoolId, slotThatRuns, toggledChoice, viewUrl } from "./logic.js";

const slots = (ids: string[]) => ids.map((id) => ({ id }) as Slot);

for (const c of table.cases) {
  test(`selection: ${c.case}`, () => {
    const expected = c.runs === null ? null : c.slots[c.runs];
    assert.equal(slotThatRuns(slots(c.slots), c.index, c.slot_id, c.active), expected);
  });
}

test("only the MaskEditor's saved files are taken as masks", () => {
  assert.deepEqual(maskEditorResult([{ filename: "clipspace-mask-12345.6.png", subfolder: "clipspace", type: "input" }]),
                   { filename: "clipspace-mask-12345.6.png", subfolder: "clipspace", type: "input" });
  assert.deepEqual(maskEditorResult([{ filename: "clipspace-painted-masked-99.png" }]),
                   { filename: "clipspace-painted-masked-99.png", subfolder: "clipspace", type: "input" });
  for (const other of [[{ filename: "photo.png", type: "input" }], [{ filename: "clipspace-mask-1.png", type: "output" }],
                       [{ filename: "clipspace-paint-1.png" }], null, [], "clipspace-mask-1.png",
                       [{ filename: "clipspace-mask-1.png/../../x.png" }]]) {
    assert.equal(maskEditorResult(other), null, JSON.stringify(other));
  }
});

test("view URLs encode the file's name and folder", () => {
  assert.equal(viewUrl({ filename: "a b.png", subfolder: ".grid_pool/cache/editor/x", type: "input" }),
               "/view?filename=a+b.png&type=input&subfolder=.grid_pool%2Fcache%2Feditor%2Fx");
});

test("new pool ids are distinct UUIDs", () => {
  const [a, b] = [newPoolId(), newPoolId()];
  assert.notEqual(a, b);
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test("a toggle keeps the chosen slots that are still in the pool, in pool order", () => {
  const slots = ["s-0000000a", "s-0000000b", "s-0000000c"].map((id) => ({ id }) as Slot);
  assert.equal(toggledChoice("", slots, "s-0000000c", true), "s-0000000c");
  assert.equal(toggledChoice("s-0000000c", slots, "s-0000000a", true), "s-0000000a,s-0000000c");
  assert.equal(toggledChoice("s-0000000a,s-0000000c,s-000000ff", slots, "s-0000000a", false), "s-0000000c");
  assert.deepEqual(chosenIds(" s-0000000a, junk s-0000000b,,"), ["s-0000000a", "s-0000000b"]);
});
