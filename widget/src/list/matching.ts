/** Which pools the Pools tab's search shows: every word of the query found in the pool's name (case and accents
 * ignored) or the start of its id; an empty query shows all, in the order given. */

import type { PoolSummary } from "../api/types.js";

const fold = (text: string): string => text.normalize("NFKD").replace(/\p{M}/gu, "").toLocaleLowerCase();

export function poolsMatching(pools: readonly PoolSummary[], query: string): PoolSummary[] {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (!words.length) return [...pools];
  return pools.filter((pool) => {
    const name = fold(pool.name || "Untitled pool");
    return words.every((word) => name.includes(word) || pool.pool_id.startsWith(word));
  });
}
