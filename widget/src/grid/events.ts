import type { ResultRef } from "../api/dropped-results.js";

/** What <image-pool-grid> reports. Every event bubbles within the tree that holds the grid and stops at its shadow
 * root (not composed): the element that owns the pool's state (<image-pool>, or a page's own code) hears it, and says
 * what changed as its own events. */

export interface PoolSelectDetail { slot: string; index: number }
/** In choose mode (`chosen` set): a slot toggled in (`chosen: true`) or out of the chosen ones. */
export interface PoolToggleDetail { slot: string; index: number; chosen: boolean }
export interface PoolLabelDetail { slot: string; label: string }
export interface PoolRemoveDetail { slot: string; index: number }
export interface PoolReorderDetail { order: string[]; slot: string; from: number; to: number }
export interface PoolMaskRequestDetail { slot: string; index: number }
/** `skipped`: files inside dropped folders that are not accepted images (they are not in `files`). */
export interface PoolFilesDetail { files: File[]; source: "drop" | "paste" | "button"; skipped?: number }
/** Images a drop names in the host's own folders (ComfyUI's results), for the server to add from there. */
export interface PoolResultsDetail { results: ResultRef[] }

export interface PoolGridEventMap {
  "pool-select": CustomEvent<PoolSelectDetail>;
  "pool-toggle": CustomEvent<PoolToggleDetail>;
  "pool-label": CustomEvent<PoolLabelDetail>;
  "pool-remove": CustomEvent<PoolRemoveDetail>;
  "pool-reorder": CustomEvent<PoolReorderDetail>;
  "pool-mask-request": CustomEvent<PoolMaskRequestDetail>;
  "pool-files": CustomEvent<PoolFilesDetail>;
  "pool-results": CustomEvent<PoolResultsDetail>;
}

export function poolEvent<K extends keyof PoolGridEventMap>(
  type: K,
  detail: PoolGridEventMap[K]["detail"],
): PoolGridEventMap[K] {
  return new CustomEvent(type, { detail, bubbles: true, composed: false }) as PoolGridEventMap[K];
}

/** The order after moving the slot at `from` so that it ends up at position `to`. */
export function moved(order: readonly string[], from: number, to: number): string[] {
  const result = order.slice();
  const [item] = result.splice(from, 1);
  result.splice(Math.max(0, Math.min(to, result.length)), 0, item);
  return result;
}
