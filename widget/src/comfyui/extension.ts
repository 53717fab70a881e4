/**
 * Image Pool (Grid) and Image Pool (List) inside ComfyUI's frontend, in both renderers (the classic canvas and Nodes
 * 2.0) of frontends 1.27.x, 1.49.x and 1.58.x: an <image-pool> DOM widget on every such node, hidden pool_id and
 * slot_id (grid) or chosen (list) widgets, paste/drop/upload, detach, the MaskEditor round trip, and server errors
 * as toasts. What it asks of the frontend
 * is in frontend.ts; every change to a pool goes through the <image-pool> element.
 */

import { ACCEPT_ATTRIBUTE } from "../api/accepted.js";
import { droppedFiles, entriesOf } from "../api/dropped-files.js";
import { mayNameResults, resultsOf } from "../api/dropped-results.js";
import type { Manifest } from "../api/types.js";
import "../list/define.js";
import type { ImagePoolListElement, PoolChooseDetail } from "../list/image-pool-list.js";
import "../pool/define.js";
import type { PoolToggleDetail } from "../grid/events.js";
import type { ImagePoolElement, PoolAddedDetail, PoolErrorDetail } from "../pool/image-pool.js";
import { type AddedOutput, SUMMARY_HEIGHT, addedSummary, summaryText } from "./added-summary.js";
import * as frontend from "./frontend.js";
import { type FileRef, chosenIds, maskEditorResult, newPoolId, slotThatRuns, toggledChoice, viewUrl } from "./logic.js";

// ComfyUI's own modules, resolved at run time next to this file (/extensions/<name>/comfyui.js).
const appModulePath = "../../scripts/app.js";
const apiModulePath = "../../scripts/api.js";
/* eslint-disable @typescript-eslint/no-explicit-any */
const { app, ComfyApp } = (await import(/* @vite-ignore */ appModulePath)) as { app: any; ComfyApp: any };
const { api } = (await import(/* @vite-ignore */ apiModulePath)) as { api: any };
const host: frontend.Frontend = { app, ComfyApp, api };

const NODE_CLASS = "ImagePoolGrid";
/** The node classes this glue serves: the grid node runs one selected slot; the list node runs the slots chosen in
 * its grid (a click toggles one in or out), all when none is chosen. */
interface NodeKind { hidden: string[]; choose: boolean }
const KINDS: Record<string, NodeKind> = {
  [NODE_CLASS]: { hidden: ["pool_id", "slot_id"], choose: false },
  ImagePoolList: { hidden: ["pool_id", "chosen"], choose: true },
};
const ADD_NODE_CLASS = "ImagePoolAdd";
const MIN_HEIGHT = 240;  // px: a usable grid on a new node, in either renderer
const EARLY_NODES_2_NOTICE = "The image grid needs the classic canvas in this version of ComfyUI's frontend";
const CLASSIC_CANVAS_BUTTON = "Switch to the classic canvas";

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

/** A MaskEditor session: the slot it edits, and the picture the node shows the editor (node.imgs, node.images). It
 * lasts until the editor hands a save back or the next session begins; a cancelled session keeps its picture, so
 * whatever opens the editor on this node again edits that slot's picture and saves to that slot. */
interface EditorSession {
  slot: string;
  ref: FileRef;
}

interface NodeState {
  element: ImagePoolElement;
  kind: NodeKind;
  session: EditorSession | null;
}

const states = new WeakMap<PoolNode, NodeState>();
/** Every node's <image-pool>, for the server's change events (a node's element leaves when the node is removed). */
const elements = new Set<ImagePoolElement>();
const apiBase = String(api.apiURL("")).replace(/\/$/, "");

function widget(node: PoolNode, name: string): any {
  return node.widgets?.find((w) => w.name === name);
}

const toast = (severity: "error" | "warn" | "success" | "info", detail: string) => frontend.toast(host, severity, detail);
const markModified = (node: PoolNode) => frontend.markModified(host, node);

/** Show, as selected, the slot that will run: the forced index, or this node's own selection. Called from the index
 * widget's callback, which every frontend calls on each change (by hand in either renderer, and by
 * control_after_generate after a queue), and whenever the pool or the node's own selection changes. */
function syncSelection(node: PoolNode): void {
  const state = states.get(node);
  if (!state) return;
  if (state.kind.choose) {
    state.element.chosen = chosenIds(widget(node, "chosen")?.value);
    return;
  }
  const index = Number(widget(node, "index")?.value ?? -1);
  const slotId = widget(node, "slot_id")?.value ?? "";
  const { slots, active } = state.element.manifest;
  state.element.selected = slotThatRuns(slots, index, slotId, active);
}

function setPool(node: PoolNode, poolId: string): void {
  const changed = widget(node, "pool_id").value !== poolId;
  widget(node, "pool_id").value = poolId;
  const state = states.get(node);
  if (!state) return;
  if (changed && state.kind.choose) widget(node, "chosen").value = "";  // another pool's slots: nothing chosen
  state.element.poolId = poolId;
  syncSelection(node);
}

async function addFiles(node: PoolNode, files: File[], skipped = 0): Promise<void> {
  const state = states.get(node);
  if (!state || !(files.length || skipped)) return;
  const archives = files.filter(isArchive);
  if (archives.length) await importArchive(node, archives[0]);
  const images = files.filter((f) => !isArchive(f));
  if (images.length || skipped) await state.element.addFiles(images, skipped);  // refusals: a pool-error event, a toast
}

const SAVED_POOL = "image_pool_saved";  // node.properties: the pool's name and count, saved with the workflow

function isArchive(file: File): boolean {
  return /\.tar$/i.test(file.name);
}

/** Remember, in the workflow, what the node's pool holds; say so in the node when the pool is not in this store. */
function rememberPool(node: PoolNode, manifest: Manifest): void {
  const state = states.get(node);
  if (!state) return;
  node.properties ??= {};
  const saved = node.properties[SAVED_POOL] as { name: string; count: number } | undefined;
  if (manifest.revision > 0) {
    node.properties[SAVED_POOL] = { name: manifest.name ?? "", count: manifest.slots.length };
    state.element.missingPool = null;
  } else {
    state.element.missingPool = saved?.count ? saved : null;
  }
}

async function importArchive(node: PoolNode, archive: File): Promise<void> {
  const state = states.get(node);
  if (!state) return;
  const wanted = widget(node, "pool_id").value;
  try {
    const imported = await state.element.importArchive(archive);
    widget(node, "pool_id").value = imported.pool_id;
    markModified(node);
    toast("success", imported.pool_id === wanted ? "The pool is back in this node." :
      `Imported “${imported.name || "Untitled pool"}” into this node.`);
  } catch {
    // <image-pool> reports the failure as a pool-error event, shown as a toast
  }
}

function chooseFile(accept: string, multiple: boolean, then: (files: File[]) => void): void {
  const input = document.createElement("input");
  input.type = "file";
  input.multiple = multiple;
  input.accept = accept;
  input.onchange = () => then(Array.from(input.files ?? []));
  input.click();
}

function exportPool(node: PoolNode): void {
  const state = states.get(node);
  if (!state) return;
  const link = document.createElement("a");
  link.href = state.element.exportUrl;
  link.download = "";
  link.click();
}

/** The node holds no picture again, so core neither previews it nor offers its own image entries for this node. */
function endEditorSession(node: PoolNode, state: NodeState): void {
  state.session = null;
  node.imgs = undefined;
  frontend.forgetNodeOutputs(host, node);
}

async function openMaskEditor(node: PoolNode, slot: string): Promise<void> {
  const state = states.get(node);
  if (!state) return;
  try {
    const ref: FileRef = await state.element.editorImage(slot);
    const img = new Image();
    img.src = api.apiURL(viewUrl(ref));
    await img.decode();
    state.session = { slot, ref };
    node.imgs = [img];
    node.imageIndex = 0;
    await frontend.openMaskEditor(host, node);
  } catch (e) {
    endEditorSession(node, state);
    toast("error", `The mask editor could not open: ${(e as Error).message}`);
  }
}

/** Where every frontend hands a MaskEditor save back: it assigns the saved file to the node's `images` (1.27:
 * ComfyApp.pasteFromClipspace on save; 1.49: updateNodeWithServerReferences; 1.58:
 * nodeOutputStore.replaceNodeOutputImages). None of them fires an event for it, so the node's `images` is an
 * accessor: reading it gives the session's picture, and an assignment is the editor's answer. */
function receiveEditorSaves(node: PoolNode): void {
  Object.defineProperty(node, "images", {
    configurable: true,
    get: () => {
      const ref = states.get(node)?.session?.ref;
      return ref ? [ref] : undefined;
    },
    set(value: FileRef[] | undefined) {
      const state = states.get(node);
      if (!state || !Array.isArray(value) || !value.length) return;
      const result = maskEditorResult(value);
      const session = state.session;
      endEditorSession(node, state);
      // What the frontend does after this assignment, in the same task: 1.27 gives the node the saved picture as
      // node.imgs, 1.49 gives it outputs. Undone once it has.
      queueMicrotask(() => { if (!state.session) endEditorSession(node, state); });
      if (!result || !session) {
        toast("error", session
          ? "The mask editor saved a file Image Pool does not recognise; the mask was not stored. Open the editor " +
            "again from the image's brush button."
          : "The mask editor saved, but not for an image of this pool; the mask was not stored. Open the editor " +
            "from the image's brush button.");
        return;
      }
      state.element.setMaskFromInput(session.slot, result.filename, result.subfolder)
        .then(() => markModified(node))
        .catch(() => {});  // <image-pool> reports the failure as a pool-error event, shown as a toast
    },
  });
}

/** A pool node, as it is made (new, loaded, cloned or pasted): each part of it set up by what it is for. */
function setUp(node: PoolNode, kind: NodeKind): void {
  hideSavedWidgets(node, kind);
  giveNewNodeItsDefaults(node);
  const element = mountElement(node, kind);
  listenToElement(node, element);
  acceptDrops(node, element);
  followIndexAndConfigure(node);
  receiveEditorSaves(node);
  element.poolId = widget(node, "pool_id").value;
  syncSelection(node);
}

/** pool_id and slot_id (or chosen): still saved in the workflow and sent in the prompt, never drawn. */
function hideSavedWidgets(node: PoolNode, kind: NodeKind): void {
  for (const name of kind.hidden) {
    const w = widget(node, name);
    if (!w) continue;
    // `hidden` for the canvas, `options.hidden` for Nodes 2.0 and the properties panel, the type and size for older
    // frontends.
    w.hidden = true;
    // In place: Nodes 2.0 in 1.49 keeps its own reference to the widget's options, and an empty row for a widget
    // whose options it still sees as visible.
    if (w.options) w.options.hidden = true;
    else w.options = { hidden: true };
    w.type = "hidden";
    w.computeSize = () => [0, -4];
  }
}

function giveNewNodeItsDefaults(node: PoolNode): void {
  if (!widget(node, "pool_id").value) widget(node, "pool_id").value = newPoolId();
  // The frontend gives every control_after_generate "randomize"; for a pool index that would pick a random slot
  // on every queue. A new node starts "fixed" (a loaded workflow restores its own choice afterwards).
  const control = widget(node, "control_after_generate");
  if (control) control.value = "fixed";
}

/** The node's <image-pool>, as a DOM widget (last, so it shifts no saved value on reload). */
function mountElement(node: PoolNode, kind: NodeKind): ImagePoolElement {
  const element = document.createElement("image-pool") as ImagePoolElement;
  element.apiBase = apiBase;
  element.tileSize = 96;
  element.style.height = "100%";
  // Nodes 2.0 lays widgets out in a flex column and ignores getMinHeight: the element keeps its own height.
  element.style.minHeight = `${MIN_HEIGHT}px`;
  element.style.display = "block";
  states.set(node, { element, kind, session: null });

  const domWidget = (node as any).addDOMWidget("pool", "IMAGE_POOL", element, {
    serialize: false, hideOnZoom: false, getMinHeight: () => MIN_HEIGHT,
  });
  domWidget.serialize = false;
  if (frontend.rendererLacksDomWidgets()) {
    // 1.27's Nodes 2.0 shows a button widget's name as a label and its options' `label` as the button's text.
    const notice = node.addWidget?.("button", EARLY_NODES_2_NOTICE, null, () => void frontend.useClassicCanvas(host),
                                    { serialize: false, label: CLASSIC_CANVAS_BUTTON });
    if (notice) notice.serialize = false;
  }
  if (!node.size || node.size[1] < MIN_HEIGHT + 120) node.setSize?.([Math.max(node.size?.[0] ?? 0, 420), MIN_HEIGHT + 160]);
  // The DOM widget is this node's view: no canvas image preview.
  node.onDrawBackground = () => {};
  elements.add(element);
  node.onRemoved = chain(node.onRemoved, () => { elements.delete(element); });
  return element;
}

/** What the user does in the grid, and what the element says of the pool. */
function listenToElement(node: PoolNode, element: ImagePoolElement): void {
  element.addEventListener("pool-select", (e: Event) => {
    const { slot } = (e as CustomEvent<{ slot: string }>).detail;
    widget(node, "slot_id").value = slot;  // this node's own selection, frozen into the prompt at queue time
    markModified(node);
  });
  element.addEventListener("pool-toggle", (e: Event) => {  // a list node's choice, saved with the workflow
    const { slot, chosen } = (e as CustomEvent<PoolToggleDetail>).detail;
    const choice = widget(node, "chosen");
    choice.value = toggledChoice(choice.value, element.manifest.slots, slot, chosen);
    syncSelection(node);
    markModified(node);
  });
  element.addEventListener("pool-change", (e: Event) => {
    rememberPool(node, (e as CustomEvent<{ manifest: Manifest }>).detail.manifest);
    syncSelection(node);
  });
  element.addEventListener("pool-import-request", () => {
    chooseFile(".tar,application/x-tar", false, (files) => { if (files[0]) void importArchive(node, files[0]); });
  });
  element.addEventListener("pool-mask-request", (e: Event) => {
    void openMaskEditor(node, (e as CustomEvent<{ slot: string }>).detail.slot);
  });
  element.addEventListener("pool-error", (e: Event) => toast("error", (e as CustomEvent<PoolErrorDetail>).detail.message));
  element.addEventListener("pool-added", (e: Event) => {
    const { added, present } = (e as CustomEvent<PoolAddedDetail>).detail;
    if (present && !added.length) toast("info", present === 1 ? "That image is in this pool already." :
      `Those ${present} images are in this pool already.`);
  });
  // Wheel over the grid scrolls the grid, not the canvas zoom.
  element.addEventListener("wheel", (e) => e.stopPropagation(), { passive: true });
}

/** A drop on the node outside its grid: the canvas (and Nodes 2.0's node, 1.5x) asks onDragOver, then hands the
 * drop to onDragDrop; true consumes it, so core neither loads a workflow nor adds a LoadImage node. */
function acceptDrops(node: PoolNode, element: ImagePoolElement): void {
  node.onDragOver = (e: DragEvent) => !!e?.dataTransfer && (mayNameResults(e.dataTransfer.types) ||
    Array.from(e.dataTransfer.items).some((i) => i.kind === "file"));
  node.onDragDrop = (e: DragEvent) => {
    const results = resultsOf(e?.dataTransfer, location.href);  // named results first: the server reads them
    if (results.length) {
      void element.addResults(results);
      return true;
    }
    const dropped = entriesOf(e?.dataTransfer);  // now: the browser forgets a drop's entries once it is handled
    if (!dropped.files.length && !dropped.entries.length) return false;
    void droppedFiles(dropped).then(({ files, skipped }) => addFiles(node, files, skipped));
    return true;
  };
}

/** The highlight follows `index` (its widget's callback, which every frontend calls for a change by hand and for
 * control_after_generate), and the saved pool_id once a workflow, a clone or a paste configures the node: no
 * extension hook covers clones and pastes, so the node's own onConfigure does. */
function followIndexAndConfigure(node: PoolNode): void {
  const indexWidget = widget(node, "index");
  if (indexWidget) indexWidget.callback = chain(indexWidget.callback, () => syncSelection(node));
  node.onConfigure = chain(node.onConfigure, () => setPool(node, widget(node, "pool_id").value || newPoolId()));
}

/** `then` after `original` (if any), keeping `original`'s result and `this`. */
function chain<A extends unknown[], R>(original: ((...args: A) => R) | undefined, then: (...args: A) => void):
  (...args: A) => R | undefined {
  return function (this: unknown, ...args: A) {
    const result = original?.apply(this, args);
    then(...args);
    return result;
  };
}

// Ctrl+V with one Image Pool node selected adds the pasted images to its pool. Capture phase, so ComfyUI's own
// paste handler (which would make a new LoadImage node) does not see it.
window.addEventListener("paste", (e: ClipboardEvent) => {
  const selected = frontend.selectedNodes(host) as PoolNode[];
  if (selected.length !== 1 || !states.has(selected[0])) return;
  const target = e.target as Element | null;
  if (target?.closest?.("input, textarea, [contenteditable]")) return;
  const files = Array.from(e.clipboardData?.files ?? []);
  if (!files.length) return;
  e.preventDefault();
  e.stopImmediatePropagation();
  void addFiles(selected[0], files);
}, true);

// The Pools tab of the sidebar: every pool of the store; choosing one puts it in the selected Image Pool node, or in a
// new node. The list reads the pools again when the server says a pool changed (image-pool-changed, below).
const POOLS_TAB = "image-pool-pools";
let poolList: ImagePoolListElement | null = null;

function usePool(poolId: string): void {
  const selected = (frontend.selectedNodes(host) as PoolNode[]).filter((n) => states.has(n));
  let node = selected[0];
  if (!node) {
    node = (window as any).LiteGraph.createNode(NODE_CLASS) as PoolNode;
    app.graph.add(node);
    node.pos = frontend.freeSpotInView(host, node, poolList?.getBoundingClientRect());
    app.canvas.setDirty?.(true, true);
  }
  setPool(node, poolId);
  markModified(node);
}

// A change made in ComfyUI's process (the Add to Image Pool node, another tab): every grid of that pool that shows an
// older revision reads it again, and so does the Pools tab.
interface ChangedDetail { pool_id: string; revision: number }
api.addEventListener("image-pool-changed", (e: CustomEvent<ChangedDetail>) => {
  const { pool_id: poolId, revision } = e.detail ?? {};
  if (typeof poolId !== "string" || typeof revision !== "number") return;
  for (const element of elements) if (element.poolId === poolId) void element.refreshTo(revision);
  if (poolList?.isConnected) void poolList.poolChanged(poolId, revision);
});

/** Add to Image Pool: its node shows what its last run added (its `ui` output), with the thumbnails. */
function setUpAddNode(node: PoolNode): void {
  const summary = addedSummary(apiBase);
  if (!frontend.rendererLacksDomWidgets()) {
    const domWidget = (node as any).addDOMWidget("added", "IMAGE_POOL_ADDED", summary.element, {
      serialize: false, hideOnZoom: false, getMinHeight: () => SUMMARY_HEIGHT,
    });
    domWidget.serialize = false;
  }
  node.onExecuted = chain(node.onExecuted, (output: { image_pool_added?: AddedOutput[] }) => {
    const added = output?.image_pool_added?.[0];
    if (!added) return;
    summary.show(added);
    if (frontend.rendererLacksDomWidgets()) toast("success", summaryText(added));
  });
}

const poolsTab = {
  id: POOLS_TAB,
  icon: "pi pi-images",
  title: "Pools",
  tooltip: "Image Pool: every pool of this ComfyUI",
  type: "custom",
  render: (container: HTMLElement) => {
    poolList = document.createElement("image-pool-list");
    poolList.apiBase = apiBase;
    poolList.style.height = "100%";
    poolList.addEventListener("pool-choose", (e: Event) => usePool((e as CustomEvent<PoolChooseDetail>).detail.pool_id));
    container.replaceChildren(poolList);
  },
};

/** The node's own menu items. Where the frontend collects extensions' items (getNodeMenuItems, 1.49 and later) they
 * come from there; 1.27 has only the node's getExtraMenuOptions. */
function menuItems(node: PoolNode): any[] {
  const state = states.get(node);
  if (!state) return [];
  return [
    {
      content: "Detach pool (new id)",
      callback: async () => {
        try {
          const copy = await state.element.detach();
          widget(node, "pool_id").value = copy.pool_id;
          markModified(node);
          toast("success", "This node now has its own copy of the pool.");
        } catch {
          // <image-pool> reports the failure as a pool-error event, shown as a toast
        }
      },
    },
    ...(state.kind.choose ? [] : [{
      content: "Edit mask of the selected image",
      disabled: !state.element.selected,
      callback: () => { if (state.element.selected) void openMaskEditor(node, state.element.selected); },
    }]),
    {
      content: "Add images…",
      callback: () => chooseFile(ACCEPT_ATTRIBUTE, true, (files) => void addFiles(node, files)),
    },
    { content: "Export pool", callback: () => exportPool(node) },
    {
      content: "Import pool…",
      callback: () => chooseFile(".tar,application/x-tar", false, (files) => {
        if (files[0]) void importArchive(node, files[0]);
      }),
    },
  ];
}

const collectsMenuItems = typeof app.collectNodeMenuItems === "function";

/** Core adds its own image entries ("Open in MaskEditor", "Open Image", …) through the node's getExtraMenuOptions
 * whenever the node holds a picture (the editor's, during a session): only the same method can take them back out,
 * since they would act on that picture, not on a slot. On 1.27 it also carries our items. */
function trimCoreMenu(node: PoolNode): void {
  node.getExtraMenuOptions = chain(node.getExtraMenuOptions, (_canvas: unknown, options: any[]) => {
    for (let i = options.length - 1; i >= 0; i--) if (frontend.isCoreImageMenuItem(options[i])) options.splice(i, 1);
    if (!collectsMenuItems) options.unshift(...menuItems(node), null);
  });
}

function nodeClass(node: PoolNode): string {
  return (node.constructor as { comfyClass?: string } | undefined)?.comfyClass ?? node.comfyClass ?? node.type;
}

app.registerExtension({
  name: "ImagePool.Grid",
  setup() {
    app.extensionManager?.registerSidebarTab?.(poolsTab);
  },
  nodeCreated(node: PoolNode) {
    const type = nodeClass(node);
    if (type === ADD_NODE_CLASS) setUpAddNode(node);
    const kind = KINDS[type];
    if (!kind) return;
    setUp(node, kind);
    trimCoreMenu(node);
  },
  getNodeMenuItems(node: PoolNode) {
    return states.has(node) ? menuItems(node) : [];
  },
});
