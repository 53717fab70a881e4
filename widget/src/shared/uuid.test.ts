import assert from "node:assert/strict";
import { test } from "node:test";

import { randomUuid } from "./uuid.js";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test("a pool id is made where crypto.randomUUID is missing (plain http by a LAN address)", () => {
  const own = Object.getOwnPropertyDescriptor(crypto, "randomUUID");
  Object.defineProperty(crypto, "randomUUID", { value: undefined, configurable: true });
  try {
    const made = new Set(Array.from({ length: 200 }, () => randomUuid()));
    assert.equal(made.size, 200);
    for (const id of made) assert.match(id, UUID_V4);
  } finally {
    if (own) Object.defineProperty(crypto, "randomUUID", own);
    else delete (crypto as { randomUUID?: unknown }).randomUUID;
  }
});

test("crypto.randomUUID is used where the page has it", () => {
  assert.match(randomUuid(), UUID_V4);
});
