/**
 * <image-pool>: an <image-pool-grid> bound to the HTTP API. It renders only manifests the server returned: a click,
 * a label, a reorder is sent first and shown when the answer comes back; on an error it shows the message, fires
 * `pool-error` and reloads what the server has.
 */

import { LitElement, css, html, nothing, type PropertyValues, type TemplateResult } from "lit";

import { states } from "../define.js";
import { ACCEPTED_NAMES, splitImages } from "../api/accepted.js";
import { PoolApiError, PoolClient } from "../api/client.js";
import { errorNote, errorNoteStyles } from "../shared/error-note.js";
import { emptyManifest, type Manifest } from "../api/types.js";
import type { ResultRef } from "../api/dropped-results.js";
import type {
  PoolFilesDetail, PoolLabelDetail, PoolRemoveDetail, PoolReorderDetail, PoolResultsDetail, PoolSelectDetail,
} from "../grid/events.js";
import "../grid/define.js";
import { uploadBatches } from "../api/upload-batches.js";

export interface PoolErrorDetail { status: number; code: string; message: string; action: string }
export interface PoolChangeDetail { manifest: Manifest }
/** After results were added: the new slot ids, and how many of them the pool held already (not added again). */
export interface PoolAddedDetail { added: string[]; present: number }
/** A pool a saved workflow names that this store does not have: what the workflow says of it. */
export interface MissingPool { name: string; count: number }

interface UploadState { id: number; name: string; loaded: number; total: number; error?: string }
interface PendingUpload { file: File; name: string; state: UploadState }

let uploadIds = 0;

/** An event of this element's (see `_tell`). */
function ownEvent(type: string, detail: unknown): CustomEvent {
  return new CustomEvent(type, { detail, bubbles: true, composed: false });
}

/**
 * An <image-pool-grid> bound to the HTTP API.
 *
 * @tagname image-pool
 * @fires pool-change - {manifest}: after every manifest the server returned
 * @fires pool-error - {status, code, message, action}: a request failed (also shown in the element)
 * @fires pool-added - {added, present}: after addResults: the new slots, and how many the pool held already
 * @fires pool-import-request - the Import button of the missing-pool notice
 * @fires pool-select - the grid's, told again: {slot, index}
 * @fires pool-toggle - the grid's, told again (choose mode): {slot, index, chosen}
 * @fires pool-mask-request - the grid's, told again: {slot, index}
 * @csspart error - the error note
 * @csspart error-dismiss - its dismiss button
 * @csspart uploads - the upload progress list
 * @csspart upload - one upload's row
 * @csspart missing-pool - the notice of a pool a saved workflow names and the server lacks
 */
export class ImagePoolElement extends LitElement {
  static override styles = [errorNoteStyles, css`
    :host { display: flex; flex-direction: column; min-height: 0; height: 100%; position: relative; }
    image-pool-grid { flex: 1 1 auto; min-height: 0; }
    .uploads { display: flex; flex-direction: column; gap: 2px; padding: 4px 6px; font: 11px system-ui, sans-serif; }
    .upload { display: grid; grid-template-columns: minmax(0, 1fr) 120px; gap: 6px; align-items: center; }
    .upload span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    progress { width: 100%; height: 8px; }
    .missing { display: flex; flex-direction: column; gap: 6px; align-items: center; text-align: center; }
    .missing button { font: inherit; cursor: pointer; }
  `];

  static override properties = {
    apiBase: { type: String, attribute: "api-base" },
    poolId: { type: String, attribute: "pool-id" },
    selected: { type: String },
    chosen: { attribute: false },
    tileSize: { type: Number, attribute: "tile-size" },
    showMasks: { type: Boolean, attribute: "show-masks" },
    readonly: { type: Boolean },
    client: { attribute: false },
    missingPool: { attribute: false },
    manifest: { state: true },
    ...states("_error", "_uploads"),
  };

  /** Where the API lives: "" (same origin), "/api" (inside ComfyUI), or an origin such as "http://127.0.0.1:8765". */
  apiBase = "";
  poolId = "";
  /** The slot shown as selected; by default the pool's active slot. Set it to keep a selection of your own. */
  selected: string | null = null;
  /** Choose mode (see <image-pool-grid>'s `chosen`): the chosen slot ids; the grid's `pool-toggle` events say what the
   * user toggled, and the host sets the new list. Clicks then change nothing on the server. */
  chosen: readonly string[] | null = null;
  tileSize = 120;
  showMasks = false;
  readonly = false;
  /** Inject a client (with a fetch of your own, say); by default one is made for `apiBase`. */
  client: PoolClient | null = null;
  /** The last manifest the server returned. */
  manifest: Manifest = emptyManifest("");
  /** Set by a host that knows the pool should hold images (a saved workflow): while the server has no such pool,
   * the element says so, with an Import button that fires `pool-import-request`. */
  missingPool: MissingPool | null = null;

  private _error: PoolErrorDetail | null = null;
  private _uploads: UploadState[] = [];
  private _loadToken = 0;

  private _ownClient?: PoolClient;

  /** The injected client, or one made for `apiBase`. */
  get api(): PoolClient {
    if (this.client) return this.client;
    if (this._ownClient?.base !== this.apiBase) this._ownClient = new PoolClient(this.apiBase);
    return this._ownClient;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has("poolId") || changed.has("apiBase") || changed.has("client")) {
      this.manifest = emptyManifest(this.poolId);
      if (this.poolId) void this.reload();
    }
  }

  /** Fetch the pool again (e.g. after another window changed it). */
  async reload(): Promise<void> {
    const token = ++this._loadToken;
    const poolId = this.poolId;
    try {
      const manifest = await this.api.list(poolId);
      if (token === this._loadToken && poolId === this.poolId) this._show(manifest);
    } catch (e) {
      this._fail(e, "load");
    }
  }

  private _show(manifest: Manifest): void {
    if (manifest.pool_id !== this.poolId) return;  // an answer for a pool this element no longer shows
    this.manifest = manifest;
    this._tell("pool-change", { manifest } satisfies PoolChangeDetail);
  }

  /** This element's own events, and the grid's that a host acts on (select, toggle, mask request), told again from
   * here: they bubble to whoever holds this element and stop at the shadow root it lives in (not composed). */
  private _tell(type: string, detail: unknown): void {
    this.dispatchEvent(ownEvent(type, detail));
  }

  private _retell = (e: Event): void => this._tell(e.type, (e as CustomEvent).detail);

  private _fail(e: unknown, action: string): void {
    const error = e instanceof PoolApiError ? e : new PoolApiError(0, "client_error", String((e as Error)?.message ?? e));
    this._error = { status: error.status, code: error.code, message: error.message, action };
    this._tell("pool-error", this._error);
  }

  /** Send one change; show the manifest the server answers with; on failure show why and reload. */
  private async _mutate(action: string, call: () => Promise<Manifest>): Promise<Manifest | null> {
    return call().then((manifest) => this._accepted(manifest), (e) => this._rejected(e, action));
  }

  private _accepted(manifest: Manifest): Manifest {
    this._error = null;
    this._show(manifest);
    return manifest;
  }

  private async _rejected(e: unknown, action: string): Promise<null> {
    this._fail(e, action);
    await this.reload();
    return null;
  }


  // ----- grid events --------------------------------------------------------------------------------------------

  private _onSelect = async (e: CustomEvent<PoolSelectDetail>): Promise<void> => {
    this._retell(e);
    const manifest = await this._mutate("select", () => this.api.setActive(this.poolId, e.detail.slot));
    if (manifest && this.selected !== null) this.selected = e.detail.slot;
  };

  private _onLabel = (e: CustomEvent<PoolLabelDetail>): void => {
    void this._mutate("label", () => this.api.setLabel(this.poolId, e.detail.slot, e.detail.label));
  };

  private _onRemove = (e: CustomEvent<PoolRemoveDetail>): void => {
    void this._mutate("remove", () => this.api.remove(this.poolId, e.detail.slot));
  };

  private _onReorder = (e: CustomEvent<PoolReorderDetail>): void => {
    void this._mutate("reorder", () => this.api.reorder(this.poolId, e.detail.order));
  };

  private _onFiles = (e: CustomEvent<PoolFilesDetail>): void => {
    void this.addFiles(e.detail.files, e.detail.skipped ?? 0);
  };

  private _onResults = (e: CustomEvent<PoolResultsDetail>): void => {
    void this.addResults(e.detail.results);
  };

  /** Add images of the server's own folders (ComfyUI's results), one request each, in order; the server reads
   * them, no byte goes through the browser. Fires `pool-added`; resolves with the new slot ids. */
  async addResults(results: ResultRef[]): Promise<string[]> {
    const added: string[] = [];
    let present = 0;
    for (const result of results) {
      const manifest = await this._mutate("add", () => this.api.addFromFolder(this.poolId, result));
      if (!manifest) break;
      added.push(...(manifest.added ?? []));
      if (!manifest.added?.length) present++;
    }
    this._tell("pool-added", { added, present } satisfies PoolAddedDetail);
    return added;
  }

  /** Read the pool again if the server's `revision` of it differs from the one shown (a change announced by the
   * server: the Add to Image Pool node's, another tab's). */
  refreshTo(revision: number): Promise<void> {
    return revision === this.manifest.revision ? Promise.resolve() : this.reload();
  }

  /** Import a pool's archive (made by export) and show the pool it holds. An archive of a pool that is here already
   * is imported as a copy, with a new id. Resolves with the imported pool's manifest. */
  async importArchive(archive: Blob): Promise<Manifest> {
    const imported = await this.api.importOrCopy(archive).catch((e) => {
      this._fail(e, "import");
      throw e;
    });
    this.poolId = imported.pool_id;
    this.manifest = imported;
    this._accepted(imported);
    return imported;
  }

  /** Where the pool's archive downloads from. */
  get exportUrl(): string {
    return this.api.exportUrl(this.poolId);
  }

  /** Store a mask for `slot` from a picture in ComfyUI's input folder (the MaskEditor's saved file). Resolves
   * with the manifest the server returned; rejects (after a pool-error event) when the server refused. */
  async setMaskFromInput(slot: string, inputFile: string, subfolder = ""): Promise<Manifest> {
    return this._required("mask", () => this.api.setMaskFromInput(this.poolId, slot, inputFile, subfolder));
  }

  /** Give this element its own copy of the pool (objects are shared on disk) and show it. */
  async detach(): Promise<Manifest> {
    const copy = await this._required("detach", () => this.api.detach(this.poolId), false);
    this.poolId = copy.pool_id;
    this.manifest = copy;
    return copy;
  }

  /** Where the MaskEditor's copy of `slot` is (ComfyUI only). */
  async editorImage(slot: string): Promise<{ filename: string; subfolder: string; type: string }> {
    try {
      return await this.api.editorImage(this.poolId, slot);
    } catch (e) {
      this._fail(e, "mask");
      throw e;
    }
  }

  private async _required(action: string, call: () => Promise<Manifest>, show = true): Promise<Manifest> {
    const manifest = show ? await this._mutate(action, call) : await call().catch((e) => {
      this._fail(e, action);
      throw e;
    });
    if (!manifest) throw new PoolApiError(this._error?.status ?? 0, this._error?.code ?? "failed",
                                          this._error?.message ?? `${action} failed`);
    return manifest;
  }

  /**
   * Upload files in batches (one request and one manifest write per batch; slots keep the files' order), each file
   * with its own progress bar. When a batch is refused, its files are sent again one by one, so that only the file
   * at fault fails and says why.
   */
  async addFiles(files: File[], skipped = 0): Promise<string[]> {
    const added: string[] = [];
    const { images, refused } = splitImages(files);
    const notes = [];
    if (refused.length) notes.push(`not an image: ${refused.map((f) => f.name || "pasted data").join(", ")}`);
    if (skipped) notes.push(`${skipped} ${skipped === 1 ? "file" : "files"} of the folder skipped, not images`);

    const uploads = images.map((file) => {
      const name = file.name || "pasted image";
      return { file, name, state: { id: ++uploadIds, name, loaded: 0, total: file.size } as UploadState };
    });
    this._uploads = [...this._uploads, ...uploads.map((u) => u.state)];
    for (const batch of uploadBatches(uploads)) {
      let manifest = await this._sendBatch(batch, batch.length > 1);
      if (manifest === undefined) {  // refused as a whole: find the file at fault
        for (const one of batch) {
          manifest = await this._sendBatch([one], false);
          if (manifest?.added) added.push(...manifest.added);
        }
      } else if (manifest?.added) {
        added.push(...manifest.added);
      }
      this._uploads = this._uploads.filter((u) => !batch.some((b) => b.state === u) || u.error);
    }
    // after the uploads, so that their success does not clear it
    if (notes.length) this._fail(new PoolApiError(415, "not_an_image", `${notes.join("; ")} (${ACCEPTED_NAMES})`), "add");
    return added;
  }

  /** One request for `batch`. With `quiet`, resolves undefined when the server refused it (4xx), so that the caller
   * can send the files one by one; null when it failed, and each file's row then says why. */
  private async _sendBatch(batch: PendingUpload[], quiet: boolean): Promise<Manifest | null | undefined> {
    const progress = (i: number, loaded: number, total: number) => {
      batch[i].state.loaded = loaded;
      batch[i].state.total = total;
      this._uploads = [...this._uploads];
    };
    const send = () => this.api.uploadMany(this.poolId, batch, progress);
    const manifest = quiet ? await send().then((m) => this._accepted(m), (e) => {
      if (e instanceof PoolApiError && e.status >= 400 && e.status < 500) return undefined;
      return this._rejected(e, "add");
    }) : await this._mutate("add", send);
    if (manifest === null) {  // each file's row says why: the one note for it (the pool-error event still went out)
      for (const { state } of batch) state.error = this._error?.message ?? "failed";
      this._error = null;
    }
    return manifest;
  }

  // ----- rendering ----------------------------------------------------------------------------------------------

  protected override render(): TemplateResult {
    const active = this.selected ?? this.manifest.active;
    const missing = this.missingPool && this.manifest.revision === 0 ? this.missingPool : null;
    return html`
      ${this._error ? errorNote(this._error.message, () => { this._error = null; }) : nothing}
      ${this._uploads.filter((u) => u.error).map((u) => errorNote(u.error!.includes(u.name) ? u.error! : `${u.name}: ${u.error}`,
        () => { this._uploads = this._uploads.filter((x) => x !== u); }, "error upload-error"))}
      ${this._uploads.some((u) => !u.error) ? html`
        <div class="uploads" part="uploads" aria-live="polite">
          ${this._uploads.filter((u) => !u.error).map((u) => html`
            <div class="upload" part="upload">
              <span title=${u.name}>${u.name}</span>
              <progress max=${u.total || 1} .value=${u.loaded} aria-label="Uploading ${u.name}"></progress>
            </div>`)}
        </div>` : nothing}
      <image-pool-grid exportparts="toolbar, upload-button, count, scroller, listbox, tile, tile-active, tile-chosen,
                         thumb, image, mask-overlay, badge, position-badge, mask-badge, chosen-badge, mask-button,
                         remove-button, caption, label, label-input, drop-indicator, empty"
        .slots=${this.manifest.slots} .active=${active} .chosen=${this.chosen} .thumbUrl=${(key: string, size: number) => this.api.thumbUrl(key, size)}
        .tileSize=${this.tileSize} ?show-masks=${this.showMasks} ?readonly=${this.readonly}
        @pool-select=${this._onSelect} @pool-label=${this._onLabel} @pool-remove=${this._onRemove}
        @pool-reorder=${this._onReorder} @pool-files=${this._onFiles}
        @pool-results=${this._onResults} @pool-toggle=${this._retell} @pool-mask-request=${this._retell}>${missing ? this._renderMissing(missing) : nothing}</image-pool-grid>`;
  }

  /** In the grid's empty area (its `empty` slot), so it takes no height of its own: the grid, and the drop area
   * an archive is dropped on, keep the element's whole size. */
  private _renderMissing(missing: MissingPool): TemplateResult {
    const count = `${missing.count} ${missing.count === 1 ? "image" : "images"}`;
    return html`<div slot="empty" class="missing" part="missing-pool" role="status">
      <span>“${missing.name || "Untitled pool"}” (${count}) is not in this store.</span>
      <button @click=${() => this._tell("pool-import-request", null)}>
        Import its archive…</button></div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "image-pool": ImagePoolElement;
  }
}
