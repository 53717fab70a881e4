/** The library: importing this module defines <image-pool-grid> and <image-pool>. It exports the elements, the
 * HTTP client and their types; nothing of the ComfyUI glue or the manager page. */
import "./grid/define.js";
import "./pool/define.js";

export { ImagePoolGridElement } from "./grid/image-pool-grid.js";
export { ImagePoolElement } from "./pool/image-pool.js";
export type { PoolChangeDetail, PoolErrorDetail } from "./pool/image-pool.js";
export { PoolClient, PoolApiError } from "./api/client.js";
export type { Manifest, Slot, PoolSummary } from "./api/types.js";
export type {
  PoolFilesDetail, PoolGridEventMap, PoolLabelDetail, PoolMaskRequestDetail, PoolRemoveDetail, PoolReorderDetail,
  PoolSelectDetail,
} from "./grid/events.js";
