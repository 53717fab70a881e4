import assert from "node:assert/strict";
import { test } from "node:test";

import { type DroppedEntry, droppedFiles } from "./dropped-files.js";

function file(path: string, type: string): DroppedEntry {
  const name = path.split("/").pop()!;
  return { isFile: true, isDirectory: false, name, fullPath: path,
           file: (done) => done(new File(["x"], name, { type })) };
}

function folder(path: string, children: DroppedEntry[], batch = 2): DroppedEntry {
  return {
    isFile: false, isDirectory: true, name: path.split("/").pop()!, fullPath: path,
    createReader() {
      let next = 0;
      return { readEntries(done) { done(children.slice(next, next += batch)); } };  // in batches, as browsers do
    },
  };
}

test("a dropped folder gives its images and its subfolders' in path order, and counts the rest", async () => {
  const dropped = folder("/set", [
    file("/set/b.png", "image/png"), file("/set/notes.txt", "text/plain"),
    folder("/set/a", [file("/set/a/2.jpg", "image/jpeg"), file("/set/a/1.webp", "image/webp"),
                      file("/set/a/meta.json", "application/json")]),
    file("/set/c.svg", "image/svg+xml"), file("/set/0.gif", "image/gif"),
  ]);
  const { files, skipped } = await droppedFiles({ entries: [dropped], files: [] });
  assert.deepEqual(files.map((f) => f.name), ["0.gif", "1.webp", "2.jpg", "b.png"]);
  assert.equal(skipped, 3);
});

test("files dropped as they are pass through in their order, whatever their type", async () => {
  const plain = [new File(["x"], "z.png", { type: "image/png" }), new File(["x"], "a.txt", { type: "text/plain" })];
  const { files, skipped } = await droppedFiles({ entries: [], files: plain });
  assert.deepEqual(files, plain);
  assert.equal(skipped, 0);
});
