/** The reusable elements: importing this module defines <image-pool-grid> and <image-pool>. */
import "./grid/define.js";
import "./pool/define.js";

export { ImagePoolGrid } from "./grid/image-pool-grid.js";
export { ImagePool } from "./pool/image-pool.js";
export type { PoolChangeDetail, PoolErrorDetail } from "./pool/image-pool.js";
export { PoolClient, PoolApiError } from "./api/client.js";
export type { Manifest, Slot, PoolSummary } from "./api/types.js";
export * from "./grid/events.js";
export { define } from "./define.js";
export * as comfyLogic from "./comfyui/logic.js";
// Companion bundles (the manager page, the ComfyUI glue) import Lit from here, so a page loads one copy of it.
export { LitElement, css, html, nothing, svg } from "lit";
export type { PropertyValues, TemplateResult } from "lit";
