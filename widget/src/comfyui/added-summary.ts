/** What an Add to Image Pool node shows after a run: how many images went into which pool, and their thumbnails (a
 * read-only <image-pool-grid> of the new slots). The node's `ui` output (node/add.py) says it; ComfyUI sends it
 * again on a cache hit, so the node shows its last add. */

import { PoolClient } from "../api/client.js";
import type { Slot } from "../api/types.js";
import "../grid/define.js";
import type { ImagePoolGridElement } from "../grid/image-pool-grid.js";

export interface AddedOutput { pool_id: string; name: string; count: number; present: number; slots: Slot[] }

export const SUMMARY_HEIGHT = 150;

export function summaryText(added: AddedOutput): string {
  const pool = `“${added.name || "Untitled pool"}”`;
  const n = added.slots.length;
  const parts = [n ? `Added ${n} ${n === 1 ? "image" : "images"} to ${pool}` : `Nothing new for ${pool}`,
                 `${added.count} in the pool`];
  if (added.present) parts.push(`${added.present} already there`);
  return parts.join(" · ");
}

/** The element a node shows; `show` fills it from the node's output. */
export function addedSummary(apiBase: string): { element: HTMLElement; show(added: AddedOutput): void } {
  const element = document.createElement("div");
  element.style.cssText = `display:flex;flex-direction:column;gap:4px;min-height:${SUMMARY_HEIGHT}px;` +
    "font:12px/1.4 system-ui,sans-serif;color:var(--fg-color,inherit)";
  const text = document.createElement("div");
  text.setAttribute("role", "status");
  text.textContent = "Adds every image of its batch to the pool when the workflow runs.";
  const grid = document.createElement("image-pool-grid") as ImagePoolGridElement;
  const client = new PoolClient(apiBase);
  grid.readonly = true;
  grid.upload = false;
  grid.tileSize = 64;
  grid.emptyText = "";
  grid.thumbUrl = (key: string, size: number) => client.thumbUrl(key, size);
  grid.style.cssText = "flex:1 1 auto;min-height:0";
  element.append(text, grid);
  return {
    element,
    show(added: AddedOutput) {
      text.textContent = summaryText(added);
      grid.slots = added.slots;
    },
  };
}
