/** The ComfyUI glue's decisions, kept free of ComfyUI so they can be tested in any page. */

import type { Slot } from "../api/types.js";
import { randomUuid } from "../shared/uuid.js";

/** The slot the node will run, as the Python node decides it (Manifest.select; the cases both test are in tests/data/selection-cases.json): index >= 0 forces a slot (clamped);
 * -1 takes the node's own slot_id if still in the pool, else the pool's active slot, else the first. */
export function slotThatRuns(slots: readonly Slot[], index: number, slotId: string, active: string | null):
  string | null {
  if (!slots.length) return null;
  if (index >= 0) return slots[Math.min(index, slots.length - 1)].id;
  for (const wanted of [slotId, active]) {
    if (wanted && slots.some((s) => s.id === wanted)) return wanted;
  }
  return slots[0].id;
}

export interface FileRef { filename: string; subfolder?: string; type?: string }

/** What ComfyUI's MaskEditor hands back (through pasteFromClipspace) after a save: the input/clipspace file whose
 * alpha is the mask. Anything else set on node.images is not a mask-editor result. */
export function maskEditorResult(images: unknown): FileRef | null {
  const ref = Array.isArray(images) ? (images[0] as FileRef | undefined) : undefined;
  if (!ref || typeof ref.filename !== "string") return null;
  if (!/^clipspace-(painted-masked-|mask-)[\d.]+\.png$/.test(ref.filename)) return null;
  if ((ref.type ?? "input") !== "input") return null;
  return { filename: ref.filename, subfolder: ref.subfolder ?? "clipspace", type: "input" };
}

export function newPoolId(): string {
  return randomUuid();
}

export function viewUrl(ref: FileRef): string {
  const params = new URLSearchParams({ filename: ref.filename, type: ref.type ?? "input", subfolder: ref.subfolder ?? "" });
  return `/view?${params}`;
}

/** The slot ids an Image Pool (List) node's `chosen` widget holds (commas or spaces between them). */
export function chosenIds(value: unknown): string[] {
  return String(value ?? "").split(/[\s,]+/).filter((id) => /^s-[0-9a-f]{8}$/.test(id));
}

/** The `chosen` widget's value after `slot` is toggled in or out: the ids still in the pool, in pool order. */
export function toggledChoice(value: unknown, slots: readonly Slot[], slot: string, on: boolean): string {
  const chosen = new Set(chosenIds(value));
  if (on) chosen.add(slot);
  else chosen.delete(slot);
  return slots.filter((s) => chosen.has(s.id)).map((s) => s.id).join(",");
}
