import assert from "node:assert/strict";
import { test } from "node:test";

import { ACCEPT_ATTRIBUTE, isAcceptedImage, splitImages } from "./accepted.js";

test("raster images are accepted, anything else refused", () => {
  const files = ["image/png", "image/svg+xml", "text/plain", "image/webp", "image/jpeg", "", "image/x-icon",
                 "image/gif", "image/tiff", "image/bmp", "image/heic"].map((type, i) => ({ name: `f${i}`, type }));
  const { images, refused } = splitImages(files);
  assert.deepEqual(images.map((f) => f.type), ["image/png", "image/webp", "image/jpeg", "image/gif", "image/tiff",
                                                "image/bmp"]);
  assert.deepEqual(refused.map((f) => f.type), ["image/svg+xml", "text/plain", "", "image/x-icon", "image/heic"]);
});

test("file pickers offer exactly the accepted types", () => {
  for (const type of ACCEPT_ATTRIBUTE.split(",")) assert.ok(isAcceptedImage({ type }), type);
  assert.ok(!ACCEPT_ATTRIBUTE.includes("*"), "no wildcard: an SVG must not be offered");
});
