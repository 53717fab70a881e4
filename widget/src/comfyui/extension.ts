/**
 * Image Pool (Grid) inside ComfyUI's frontend (verified against ComfyUI_frontend 1.27.10): an <image-pool> DOM
 * widget on every ImagePoolGrid node, hidden pool_id/slot_id widgets, paste/drop/upload, detach, the MaskEditor
 * round trip, and server errors as toasts. Only the frontend's public surface is used: registerExtension,
 * addDOMWidget, getExtraMenuOptions, ComfyApp's clipspace + open_maskeditor, api.apiURL, the toast store.
 */

import { PoolClient, comfyLogic, type ImagePool, type Manifest, type PoolErrorDetail } from "../index.js";
import type { FileRef } from "./logic.js";

const { maskEditorResult, newPoolId, slotThatRuns, splitImages, viewUrl } = comfyLogic;

// ComfyUI's own modules, resolved at run time next to this file (/extensions/<name>/comfyui.js).
const appModulePath = "../../scripts/app.js";
const apiModulePath = "../../scripts/api.js";
/* eslint-disable @typescript-eslint/no-explicit-any */
const { app, ComfyApp } = (await import(/* @vite-ignore */ appModulePath)) as { app: any; ComfyApp: any };
const { api } = (await import(/* @vite-ignore */ apiModulePath)) as { api: any };

const NODE_CLASS = "ImagePoolGrid";
const HIDDEN = ["pool_id", "slot_id"];

interface PoolNode {
  id: number;
  widgets: any[];
  imgs?: HTMLImageElement[];
  images?: FileRef[];
  imageIndex?: number | null;
  is_selected?: boolean;
  graph?: any;
  setDirtyCanvas(foreground: boolean, background?: boolean): void;
  [key: string]: any;
}

interface NodeState {
  element: ImagePool;
  editingSlot: string | null;  // the slot the MaskEditor was opened for; its save goes to this slot
  shownIndex: number | undefined;
}

const states = new WeakMap<PoolNode, NodeState>();
const client = new PoolClient(String(api.apiURL("")).replace(/\/$/, ""));

function widget(node: PoolNode, name: string): any {
  return node.widgets?.find((w) => w.name === name);
}

function toast(severity: "error" | "warn" | "success" | "info", detail: string): void {
  const toaster = app.extensionManager?.toast;
  if (toaster?.add) toaster.add({ severity, summary: "Image Pool", detail, life: severity === "error" ? 8000 : 4000 });
  else console[severity === "error" ? "error" : "log"]("Image Pool:", detail);
}

function markModified(node: PoolNode): void {
  node.setDirtyCanvas(true, true);
  app.graph?.change?.();
  app.extensionManager?.workflow?.activeWorkflow?.changeTracker?.checkState?.();
}

/** Show, as selected, the slot that will run: the forced index, or this node's own selection. */
function syncSelection(node: PoolNode): void {
  const state = states.get(node);
  if (!state) return;
  const index = Number(widget(node, "index")?.value ?? -1);
  state.shownIndex = index;
  const { slots, active } = state.element.manifest;
  state.element.selected = slotThatRuns(slots, index, widget(node, "slot_id")?.value ?? "", active);
}

function setPool(node: PoolNode, poolId: string): void {
  widget(node, "pool_id").value = poolId;
  const state = states.get(node);
  if (state) state.element.poolId = poolId;
}

async function addFiles(node: PoolNode, files: File[]): Promise<void> {
  const state = states.get(node);
  if (!state || !files.length) return;
  const { images, refused } = splitImages(files);
  if (refused.length) toast("warn", `Not an image, not added: ${refused.map((f) => f.name || "pasted data").join(", ")}`);
  if (images.length) await state.element.addFiles(images);
}

async function openMaskEditor(node: PoolNode, slot: string): Promise<void> {
  const state = states.get(node);
  if (!state) return;
  try {
    const ref: FileRef = await client.editorImage(widget(node, "pool_id").value, slot);
    const img = new Image();
    img.src = api.apiURL(viewUrl(ref));
    await img.decode();
    node.imgs = [img];
    node.images = [ref];
    node.imageIndex = 0;
    state.editingSlot = slot;
    ComfyApp.copyToClipspace(node);
    ComfyApp.clipspace_return_node = node;
    ComfyApp.open_maskeditor();
  } catch (e) {
    toast("error", `The mask editor could not open: ${(e as Error).message}`);
  }
}

/** The MaskEditor's save ends in pasteFromClipspace(node), which sets node.images to the saved file. */
function watchMaskEditorResult(node: PoolNode): void {
  let images: FileRef[] | undefined;
  Object.defineProperty(node, "images", {
    configurable: true,
    get: () => images,
    set(value: FileRef[] | undefined) {
      images = value;
      const state = states.get(node);
      const result = maskEditorResult(value);
      if (!state || !state.editingSlot || !result) return;
      const slot = state.editingSlot;
      state.editingSlot = null;
      node.imgs = undefined;  // only needed while the editor was open
      const poolId = widget(node, "pool_id").value;
      client.setMaskFromInput(poolId, slot, result.filename, result.subfolder)
        .then((manifest: Manifest) => {
          if (state.element.poolId === manifest.pool_id) state.element.manifest = manifest;
          void state.element.reload();
          markModified(node);
        })
        .catch((e: Error) => toast("error", `The mask was not saved: ${e.message}`));
    },
  });
}

function setUp(node: PoolNode): void {
  for (const name of HIDDEN) {
    const w = widget(node, name);
    if (!w) continue;
    // Still saved in the workflow and sent in the prompt, never drawn: `hidden` for this LiteGraph, the other two
    // for older frontends.
    w.hidden = true;
    w.type = "hidden";
    w.computeSize = () => [0, -4];
  }
  if (!widget(node, "pool_id").value) widget(node, "pool_id").value = newPoolId();
  // The frontend gives every control_after_generate "randomize"; for a pool index that would pick a random slot
  // on every queue. A new node starts "fixed" (a loaded workflow restores its own choice afterwards).
  const control = widget(node, "control_after_generate");
  if (control) control.value = "fixed";

  const element = document.createElement("image-pool") as ImagePool;
  element.client = client;
  element.tileSize = 96;
  element.style.height = "100%";
  const state: NodeState = { element, editingSlot: null, shownIndex: undefined };
  states.set(node, state);

  const domWidget = (node as any).addDOMWidget("pool", "IMAGE_POOL", element, {
    serialize: false, hideOnZoom: false, getMinHeight: () => 180,
  });
  domWidget.serialize = false;

  element.addEventListener("pool-select", (e: Event) => {
    const { slot } = (e as CustomEvent<{ slot: string }>).detail;
    widget(node, "slot_id").value = slot;  // this node's own selection, frozen into the prompt at queue time
    markModified(node);
  });
  element.addEventListener("pool-change", () => syncSelection(node));
  element.addEventListener("pool-mask-request", (e: Event) => {
    void openMaskEditor(node, (e as CustomEvent<{ slot: string }>).detail.slot);
  });
  element.addEventListener("pool-error", (e: Event) => toast("error", (e as CustomEvent<PoolErrorDetail>).detail.message));
  // Wheel over the grid scrolls the grid, not the canvas zoom.
  element.addEventListener("wheel", (e) => e.stopPropagation(), { passive: true });

  node.onDragOver = (e: DragEvent) => !!e?.dataTransfer && Array.from(e.dataTransfer.items).some((i) => i.kind === "file");
  node.onDragDrop = (e: DragEvent) => {
    const files = Array.from(e?.dataTransfer?.files ?? []);
    if (!files.length) return false;
    void addFiles(node, files);
    return true;
  };
  // The DOM widget is this node's view: no canvas image preview (which node.imgs would otherwise add).
  node.onDrawBackground = () => {};
  const drawForeground = node.onDrawForeground;
  node.onDrawForeground = function (this: PoolNode, ...args: unknown[]) {
    // The index widget changes by hand and by control_after_generate after each queue: follow it.
    if (Number(widget(node, "index")?.value ?? -1) !== state.shownIndex) syncSelection(node);
    return drawForeground?.apply(this, args);
  };
  watchMaskEditorResult(node);
  element.poolId = widget(node, "pool_id").value;
}

// Ctrl+V with one Image Pool node selected adds the pasted images to its pool. Capture phase, so ComfyUI's own
// paste handler (which would make a new LoadImage node) does not see it.
window.addEventListener("paste", (e: ClipboardEvent) => {
  const selected = Object.values(app.canvas?.selected_nodes ?? {}) as PoolNode[];
  if (selected.length !== 1 || !states.has(selected[0])) return;
  const target = e.target as Element | null;
  if (target?.closest?.("input, textarea, [contenteditable]")) return;
  const files = Array.from(e.clipboardData?.files ?? []);
  if (!files.length) return;
  e.preventDefault();
  e.stopImmediatePropagation();
  void addFiles(selected[0], files);
}, true);

app.registerExtension({
  name: "ImagePool.Grid",
  async beforeRegisterNodeDef(nodeType: any, nodeData: { name: string }) {
    if (nodeData.name !== NODE_CLASS) return;

    const onNodeCreated = nodeType.prototype.onNodeCreated;
    nodeType.prototype.onNodeCreated = function (this: PoolNode, ...args: unknown[]) {
      const result = onNodeCreated?.apply(this, args);
      setUp(this);
      return result;
    };

    // A loaded, cloned or pasted node keeps its saved pool_id and slot_id (clones share the pool).
    const onConfigure = nodeType.prototype.onConfigure;
    nodeType.prototype.onConfigure = function (this: PoolNode, ...args: unknown[]) {
      const result = onConfigure?.apply(this, args);
      const state = states.get(this);
      if (state) {
        const poolId = widget(this, "pool_id").value || newPoolId();
        setPool(this, poolId);
        syncSelection(this);
      }
      return result;
    };

    const getExtraMenuOptions = nodeType.prototype.getExtraMenuOptions;
    nodeType.prototype.getExtraMenuOptions = function (this: PoolNode, canvas: unknown, options: any[]) {
      const result = getExtraMenuOptions?.apply(this, [canvas, options]);
      const node = this;
      const state = states.get(node);
      options.unshift(
        {
          content: "Detach pool (new id)",
          callback: async () => {
            try {
              const copy = await client.detach(widget(node, "pool_id").value);
              setPool(node, copy.pool_id);
              markModified(node);
              toast("success", "This node now has its own copy of the pool.");
            } catch (e) {
              toast("error", `Detach failed: ${(e as Error).message}`);
            }
          },
        },
        {
          content: "Edit mask of the selected image",
          disabled: !state?.element.selected,
          callback: () => { if (state?.element.selected) void openMaskEditor(node, state.element.selected); },
        },
        {
          content: "Add images…",
          callback: () => {
            const input = document.createElement("input");
            input.type = "file";
            input.multiple = true;
            input.accept = "image/*";
            input.onchange = () => void addFiles(node, Array.from(input.files ?? []));
            input.click();
          },
        },
        null,
      );
      return result;
    };
  },
});
