/** A small typed client for the Image Pool HTTP API. It is the only module that talks to the server. */

import { perFileProgress } from "./upload-batches.js";
import type { ResultRef } from "./dropped-results.js";
import type { ApiErrorBody, Manifest, PoolSummary } from "./types.js";

export class PoolApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "PoolApiError";
  }
}

/** What to show of a failure: the server's message, or the error's text. */
export function messageOf(e: unknown): string {
  return e instanceof PoolApiError ? e.message : String((e as Error)?.message ?? e);
}

export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;
export type ProgressCallback = (loaded: number, total: number) => void;
export type FileProgressCallback = (fileIndex: number, loaded: number, total: number) => void;

async function errorOf(response: Response): Promise<PoolApiError> {
  try {
    const body = (await response.json()) as ApiErrorBody;
    if (body?.error?.message) return new PoolApiError(response.status, body.error.code, body.error.message);
  } catch {
    /* not our JSON: fall through */
  }
  return new PoolApiError(response.status, "http_error", `${response.status} ${response.statusText}`.trim());
}

export class PoolClient {
  /**
   * @param base where the routes live: "" for the same origin (standalone server), "/api" inside ComfyUI,
   *             or a full origin such as "http://127.0.0.1:8765".
   * @param fetchImpl how to fetch (a page that must add headers of its own passes one).
   */
  constructor(
    readonly base = "",
    private readonly fetchImpl: FetchLike = (url, init) => fetch(url, init),
  ) {}

  url(route: string): string {
    return `${this.base.replace(/\/$/, "")}/grid_pool/${route}`;
  }

  thumbUrl(key: string, size: number): string {
    return this.url(`thumb/${encodeURIComponent(key)}?size=${size}`);
  }

  objectUrl(key: string): string {
    return this.url(`object/${encodeURIComponent(key)}`);
  }

  private async request<T>(route: string, init?: RequestInit): Promise<T> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.url(route), init);
    } catch (e) {
      throw new PoolApiError(0, "network", `the server cannot be reached (${(e as Error).message})`);
    }
    if (!response.ok) throw await errorOf(response);
    return (await response.json()) as T;
  }

  private post(route: string, body: object): Promise<Manifest> {
    return this.request<Manifest>(route, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  list(poolId: string): Promise<Manifest> {
    return this.request<Manifest>(`list?pool_id=${encodeURIComponent(poolId)}`);
  }

  async pools(): Promise<PoolSummary[]> {
    return (await this.request<{ pools: PoolSummary[] }>("pools")).pools;
  }

  remove(poolId: string, slot: string): Promise<Manifest> {
    return this.post("remove", { pool_id: poolId, slot });
  }

  setActive(poolId: string, slot: string): Promise<Manifest> {
    return this.post("active", { pool_id: poolId, slot });
  }

  setLabel(poolId: string, slot: string, label: string): Promise<Manifest> {
    return this.post("label", { pool_id: poolId, slot, label });
  }

  reorder(poolId: string, order: string[]): Promise<Manifest> {
    return this.post("reorder", { pool_id: poolId, order });
  }

  detach(poolId: string): Promise<Manifest> {
    return this.post("detach", { pool_id: poolId });
  }

  rename(poolId: string, name: string): Promise<Manifest> {
    return this.post("rename", { pool_id: poolId, name });
  }

  /** Delete a pool: its slots and history at once; its images stay on disk until a gc finds nothing uses them. */
  async deletePool(poolId: string): Promise<string> {
    return (await this.request<{ deleted: string }>("delete", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ pool_id: poolId }),
    })).deleted;
  }

  clearMask(poolId: string, slot: string): Promise<Manifest> {
    return this.post("set_mask", { pool_id: poolId, slot, clear: true });
  }

  /** A mask from a file in ComfyUI's input folder, e.g. what the MaskEditor saved (alpha 0 = masked). */
  setMaskFromInput(poolId: string, slot: string, inputFile: string, subfolder = ""): Promise<Manifest> {
    return this.post("set_mask", { pool_id: poolId, slot, input_file: inputFile, subfolder });
  }

  /** Where ComfyUI's MaskEditor can open a slot: a copy in the input folder whose alpha is the slot's mask. */
  editorImage(poolId: string, slot: string): Promise<{ filename: string; subfolder: string; type: string }> {
    return this.request("editor_image", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ pool_id: poolId, slot }),
    });
  }

  /** The pool's archive (GET /export): a download, named after the pool. */
  exportUrl(poolId: string): string {
    return this.url(`export?pool_id=${encodeURIComponent(poolId)}`);
  }

  /** Import a pool's archive; with `newId`, as a new pool when that pool is here already. */
  importArchive(archive: Blob, newId = false): Promise<Manifest> {
    const form = new FormData();
    if (newId) form.append("new_id", "true");
    form.append("archive", archive, "pool.tar");
    return this.request<Manifest>("import", { method: "POST", body: form });
  }

  /** Import a pool's archive; if that pool is here already, as a copy under a new id (nothing here is replaced). */
  importOrCopy(archive: Blob): Promise<Manifest> {
    return this.importArchive(archive).catch((e) => {
      if (e instanceof PoolApiError && e.code === "pool_exists") return this.importArchive(archive, true);
      throw e;
    });
  }

  /** Add a file of the server's own folders (ComfyUI's input, output or temp, as /view names them): the server
   * reads it there. A result (output, temp) the pool holds already is not added again (`added` is then empty). */
  addFromFolder(poolId: string, file: ResultRef): Promise<Manifest> {
    return this.post("add", { pool_id: poolId, input_file: file.filename, subfolder: file.subfolder, type: file.type });
  }

  setMaskFile(poolId: string, slot: string, picture: Blob, channel?: "alpha" | "luminance"): Promise<Manifest> {
    const form = new FormData();
    form.append("pool_id", poolId);
    form.append("slot", slot);
    if (channel) form.append("channel", channel);
    form.append("mask", picture, "mask.png");
    return this.request<Manifest>("set_mask", { method: "POST", body: form });
  }

  /** Upload one image with progress events (fetch cannot report upload progress, XHR can). */
  upload(poolId: string, file: Blob, name: string, onProgress?: ProgressCallback, headers: Record<string, string> = {}):
    Promise<Manifest> {
    return this.uploadMany(poolId, [{ file, name }], (_, loaded, total) => onProgress?.(loaded, total), headers);
  }

  /**
   * Upload several images in one request: the server adds them in this order, all or none, with one manifest
   * write. Progress is reported per file, from the request's bytes sent.
   */
  uploadMany(poolId: string, files: { file: Blob; name: string }[], onProgress?: FileProgressCallback,
             headers: Record<string, string> = {}): Promise<Manifest> {
    const form = new FormData();
    form.append("pool_id", poolId);
    for (const { file, name } of files) form.append("file", file, name);
    const sizes = files.map(({ file }) => file.size);
    const report = (sent: number) => perFileProgress(sizes, sent).forEach((loaded, i) => onProgress?.(i, loaded, sizes[i]));
    const totalSize = sizes.reduce((a, b) => a + b, 0);
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", this.url("add"));
      for (const [key, value] of Object.entries(headers)) xhr.setRequestHeader(key, value);
      xhr.responseType = "json";
      // e.total also counts the multipart framing: scale what was sent to the files' own bytes
      xhr.upload.onprogress = (e) => report(e.lengthComputable && e.total ? (e.loaded / e.total) * totalSize : 0);
      xhr.onload = () => {
        const body = xhr.response as Manifest | ApiErrorBody | null;
        if (xhr.status >= 200 && xhr.status < 300 && body && !("error" in body)) {
          report(totalSize);
          resolve(body);
        } else if (body && "error" in body) {
          reject(new PoolApiError(xhr.status, body.error.code, body.error.message));
        } else {
          reject(new PoolApiError(xhr.status, "http_error", `${xhr.status} ${xhr.statusText}`.trim()));
        }
      };
      xhr.onerror = () => reject(new PoolApiError(0, "network", "the upload failed: the server cannot be reached"));
      xhr.send(form);
    });
  }
}
