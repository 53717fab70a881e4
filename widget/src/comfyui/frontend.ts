/**
 * What the glue asks of ComfyUI's frontend, in one place, for the versions people run (1.27.x pinned by ComfyUI
 * 0.3.x, 1.49.x pinned by 0.33, the newest 1.58.x) and both renderers. The newer public way is used where it
 * exists, the older one only where it does not, so 1.58 logs no deprecation warning for our calls.
 */

/* eslint-disable @typescript-eslint/no-explicit-any */
export interface Frontend { app: any; ComfyApp: any; api: any }

const MASK_EDITOR_COMMAND = "Comfy.MaskEditor.OpenMaskEditor";

/** The selected nodes: `selectedItems` (1.4x+) or, before it, `selected_nodes`. */
export function selectedNodes({ app }: Frontend): any[] {
  const canvas = app.canvas;
  if (!canvas) return [];
  if (canvas.selectedItems instanceof Set) {
    return [...canvas.selectedItems].filter((item: any) => item && typeof item.id !== "undefined" && item.widgets);
  }
  return Object.values(canvas.selected_nodes ?? {});
}

/** Tell the frontend the graph changed (undo history, the unsaved marker). */
export function markModified({ app }: Frontend, node: any): void {
  node.setDirtyCanvas?.(true, true);
  app.graph?.change?.();
  const tracker = app.extensionManager?.workflow?.activeWorkflow?.changeTracker;
  if (typeof tracker?.captureCanvasState === "function") tracker.captureCanvasState();
  else tracker?.checkState?.();
}

function hasCommand({ app }: Frontend, id: string): boolean {
  const command = app.extensionManager?.command;
  if (!command?.execute) return false;
  if (typeof command.isRegistered === "function") return !!command.isRegistered(id);
  const known = command.commands;
  if (Array.isArray(known)) return known.some((c: any) => c?.id === id);
  if (known && typeof known === "object") return id in known || Object.values(known).some((c: any) => c?.id === id);
  return typeof command.getCommand === "function" ? !!command.getCommand(id) : true;
}

/** Open ComfyUI's MaskEditor on `node` (which holds the picture in node.imgs / node.images): through the command
 * for the selected node where the frontend has it, else through the clipspace (1.2x). */
export async function openMaskEditor(frontend: Frontend, node: any): Promise<void> {
  const { app, ComfyApp } = frontend;
  if (hasCommand(frontend, MASK_EDITOR_COMMAND)) {
    app.canvas.deselectAll?.();
    app.canvas.selectNode(node);
    await app.extensionManager.command.execute(MASK_EDITOR_COMMAND);
    return;
  }
  ComfyApp.copyToClipspace(node);
  ComfyApp.clipspace_return_node = node;
  ComfyApp.open_maskeditor();
}

/** Forget the outputs the MaskEditor's save gave the node (1.5x shows them as a preview inside a Nodes 2.0 node and
 * then offers core's image items). `app.nodeOutputs` is the frontend's public map; assigning it syncs the store. */
export function forgetNodeOutputs({ app }: Frontend, node: any): void {
  const outputs = app.nodeOutputs;
  if (!outputs || typeof outputs !== "object") return;
  const ids = Object.keys(outputs).filter((key) => key === String(node.id) || key.endsWith(`:${node.id}`));
  if (!ids.length) return;
  const kept = { ...outputs };
  for (const id of ids) delete kept[id];
  app.nodeOutputs = kept;
}

/** A toast in the frontend's own style, or the console where there is no toast service. */
export function toast({ app }: Frontend, severity: "error" | "warn" | "success" | "info", detail: string): void {
  const toaster = app.extensionManager?.toast;
  if (toaster?.add) toaster.add({ severity, summary: "Image Pool", detail, life: severity === "error" ? 8000 : 4000 });
  else console[severity === "error" ? "error" : "log"]("Image Pool:", detail);
}

/** Core's own mask-editor and image entries (open, copy, save), which must not act on this node (it edits slots, not a file). */
export function isCoreImageMenuItem(option: any): boolean {
  const content = typeof option?.content === "string" ? option.content : "";
  return /mask ?editor|open image|copy image|save image/i.test(content) && !content.startsWith("Edit mask of the selected image");
}

/** The frontend's version, as [major, minor, patch] ([0, 0, 0] when it does not say). */
export function frontendVersion(): number[] {
  const text = String((window as any).__COMFYUI_FRONTEND_VERSION__ ?? "0.0.0");
  return text.split(".").map((part) => parseInt(part, 10) || 0);
}

/** Nodes 2.0 before 1.28 (an early, hidden setting) renders no DOM widget: the node can only say so. */
export function rendererLacksDomWidgets(): boolean {
  const [major, minor] = frontendVersion();
  return !!(window as any).LiteGraph?.vueNodesMode && major === 1 && minor < 28;
}

/** Turn Nodes 2.0 off (the setting `Comfy.VueNodes.Enabled`): the frontend re-renders the graph on the canvas. */
export async function useClassicCanvas({ app }: Frontend): Promise<void> {
  const settings = app.extensionManager?.setting;
  if (settings?.set) await settings.set("Comfy.VueNodes.Enabled", false);
  else await app.ui?.settings?.setSettingValueAsync?.("Comfy.VueNodes.Enabled", false);
}

const MARGIN = 40;  // px on screen, between a new node and what it must not cover

/** Where a new node of `size` (graph units) goes: in the part of the canvas the user sees, right of `panel` (the
 * open sidebar panel, which covers the canvas's left side), below any node already there. */
export function freeSpotInView({ app }: Frontend, node: any, panel?: DOMRect): [number, number] {
  const size: [number, number] = node.size;
  const canvas = app.canvas;
  const rect = (canvas.canvas as HTMLCanvasElement).getBoundingClientRect();
  const left = Math.max(rect.left, panel?.width ? panel.right : rect.left) + MARGIN;
  const [x, top] = canvas.ds.convertCanvasToOffset([left - rect.left, MARGIN * 2]);
  const gap = MARGIN / canvas.ds.scale;
  const title = (window as any).LiteGraph?.NODE_TITLE_HEIGHT ?? 30;
  let y = top + title;
  for (let moved = true; moved;) {
    moved = false;
    for (const other of app.graph._nodes ?? []) {
      if (other === node) continue;
      const [ox, oy] = other.pos;
      const [ow, oh] = other.size;
      const overlaps = x < ox + ow + gap && ox < x + size[0] + gap && y - title < oy + oh + gap && oy - title < y + size[1] + gap;
      if (overlaps) {
        y = oy + oh + title + gap;
        moved = true;
      }
    }
  }
  return [x, y];
}
