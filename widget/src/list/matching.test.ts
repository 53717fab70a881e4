import assert from "node:assert/strict";
import { test } from "node:test";

import type { PoolSummary } from "../api/types.js";
import { poolsMatching } from "./matching.js";

const pool = (name: string, pool_id: string): PoolSummary => ({ pool_id, name, count: 1, revision: 1, cover: null });
const POOLS = [pool("Café portraits", "1a2b3c4d-0000-4000-8000-000000000001"),
               pool("Landscapes 2026", "5e6f7a8b-0000-4000-8000-000000000002"),
               pool("", "9c0d1e2f-0000-4000-8000-000000000003")];
const names = (query: string) => poolsMatching(POOLS, query).map((p) => p.name);

test("every word must be in the name, whatever its case and accents", () => {
  assert.deepEqual(names("cafe"), ["Café portraits"]);
  assert.deepEqual(names("PORTRAITS café"), ["Café portraits"]);
  assert.deepEqual(names("portraits 2026"), []);
});

test("an empty query shows every pool in the order given; an untitled pool is found as the list shows it", () => {
  assert.deepEqual(names("  "), ["Café portraits", "Landscapes 2026", ""]);
  assert.deepEqual(names("untitled"), [""]);
});

test("a pool is found by the start of its id, as the node's widget shows it", () => {
  assert.deepEqual(names("5e6f7a8b"), ["Landscapes 2026"]);
  assert.deepEqual(names("0000"), []);
});
