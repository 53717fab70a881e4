/**
 * <image-pool-list>: the store's pools as a compact list, for a side panel (ComfyUI's Pools tab). Each pool shows its
 * cover, name and count, and its grid (an <image-pool>) on demand; it can be renamed in place, detached, exported,
 * deleted (after a confirmation); an archive
 * can be imported, and a folder dropped on the list becomes a new pool of its name. Choosing a pool fires
 * `pool-choose` ({pool_id}); the host decides what that means.
 */

import { LitElement, css, html, nothing, type TemplateResult } from "lit";

import { states } from "../define.js";
import { isAcceptedImage } from "../api/accepted.js";
import { PoolClient, messageOf } from "../api/client.js";
import { droppedFiles, entriesOf } from "../api/dropped-files.js";
import { mayNameResults, resultsOf } from "../api/dropped-results.js";
import "../pool/define.js";
import type { ImagePoolElement } from "../pool/image-pool.js";
import type { ResultRef } from "../api/dropped-results.js";
import { uploadBatches } from "../api/upload-batches.js";
import type { PoolSummary } from "../api/types.js";
import { errorNote, errorNoteStyles } from "../shared/error-note.js";
import { randomUuid } from "../shared/uuid.js";

export interface PoolChooseDetail { pool_id: string }

/**
 * The store's pools as a compact list (ComfyUI's Pools tab).
 *
 * @tagname image-pool-list
 * @fires pool-choose - {pool_id}: a pool was chosen; the host decides what that means
 * @csspart pool - a pool's row
 * @csspart grid - a pool's <image-pool>, shown on demand
 * @csspart bar - the Import and Refresh buttons
 */
export class ImagePoolListElement extends LitElement {
  static override styles = [errorNoteStyles, css`
    :host { display: flex; flex-direction: column; gap: 6px; padding: 8px; min-height: 0; overflow-y: auto;
      font: 13px/1.4 system-ui, sans-serif; color: var(--image-pool-text, var(--fg-color, CanvasText));
      --_line: var(--image-pool-border, var(--border-color, color-mix(in srgb, currentColor 20%, transparent)));
      --_soft: var(--image-pool-surface, var(--comfy-input-bg, color-mix(in srgb, currentColor 6%, transparent))); }
    .bar { display: flex; gap: 6px; }
    button, a.button { font: inherit; color: inherit; background: var(--_soft); border: 1px solid var(--_line);
      border-radius: 6px; padding: 2px 8px; cursor: pointer; text-decoration: none; }
    .pool { display: grid; grid-template-columns: 40px minmax(0, 1fr); gap: 8px; padding: 6px; border: 1px solid var(--_line);
      border-radius: 8px; }
    .pool img, .pool .blank { width: 40px; height: 40px; object-fit: cover; border-radius: 4px; background: var(--_soft); }
    .choose { all: unset; cursor: pointer; display: block; min-width: 0; }
    .choose:focus-visible { outline: 2px dashed currentColor; }
    .title { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-weight: 600; }
    .untitled { opacity: 0.6; font-style: italic; }
    .meta { font-size: 11px; opacity: 0.7; }
    .actions { grid-column: 1 / -1; display: flex; flex-wrap: wrap; gap: 3px; font-size: 11px; }
    .actions button, .actions a.button { padding: 1px 5px; white-space: nowrap; }
    input.name { font: inherit; width: 100%; box-sizing: border-box; color: inherit; background: var(--_soft);
      border: 1px solid var(--_line); border-radius: 4px; }
    .empty, .status { opacity: 0.8; margin: 0; }
    image-pool.grid { grid-column: 1 / -1; height: 260px; }
  `];

  static override properties = {
    apiBase: { type: String, attribute: "api-base" },
    ...states("_pools", "_renaming", "_confirming", "_error", "_status", "_shown"),
  };

  apiBase = "";
  private _pools: PoolSummary[] = [];
  private _renaming = "";
  private _confirming = "";
  private _error = "";
  private _status = "";
  private _shown = "";  // the pool whose grid is open in the list
  private _client?: PoolClient;

  private get api(): PoolClient {
    if (this._client?.base !== this.apiBase) this._client = new PoolClient(this.apiBase);
    return this._client;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.addEventListener("dragover", this._onDragOver);
    this.addEventListener("drop", this._onDrop);
    void this.refresh();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener("dragover", this._onDragOver);
    this.removeEventListener("drop", this._onDrop);
  }

  private _onDragOver = (e: DragEvent): void => {
    const types = Array.from(e.dataTransfer?.types ?? []);
    if (types.includes("Files") || (mayNameResults(types) && this._poolAt(e))) e.preventDefault();
  };

  /** The pool whose row an event is over. */
  private _poolAt(e: Event): PoolSummary | undefined {
    const row = e.composedPath().find((t) => t instanceof HTMLElement && t.dataset.poolId) as HTMLElement | undefined;
    return this._pools.find((p) => p.pool_id === row?.dataset.poolId);
  }

  /** A folder dropped here becomes a new pool of its name, holding every image in it and its subfolders. */
  private _onDrop = (e: DragEvent): void => {
    const results = resultsOf(e.dataTransfer, location.href);
    const target = this._poolAt(e);
    if (results.length && target) {  // a result (ComfyUI's Assets tab, queue) dropped on a pool: the server adds it
      e.preventDefault();
      e.stopPropagation();
      void this._addResults(target, results);
      return;
    }
    const dropped = entriesOf(e.dataTransfer);  // now: the browser forgets them once this handler returns
    const folder = dropped.entries.find((entry) => entry.isDirectory);
    if (!folder) return;
    e.preventDefault();
    e.stopPropagation();
    void droppedFiles(dropped).then(({ files, skipped }) => this._newPoolFrom(folder.name, files, skipped));
  };

  private async _newPoolFrom(name: string, files: File[], skipped: number): Promise<void> {
    const images = files.filter(isAcceptedImage);
    skipped += files.length - images.length;
    const poolId = randomUuid();
    let added = 0;
    const done = await this._try(async () => {
      for (const batch of uploadBatches(images.map((file) => ({ file, name: file.name })))) {
        this._status = `Adding “${name}”: ${added} of ${images.length} images…`;
        await this.api.uploadMany(poolId, batch);
        added += batch.length;
      }
      await this.api.rename(poolId, name);
    });
    this._status = done ? `Added “${name}”: ${added} ${added === 1 ? "image" : "images"}` +
      (skipped ? `; ${skipped} other ${skipped === 1 ? "file" : "files"} skipped, not images.` : ".") : "";
    await this.refresh();
  }

  private async _addResults(pool: PoolSummary, results: ResultRef[]): Promise<void> {
    const title = pool.name || "Untitled pool";
    let added = 0;
    const done = await this._try(async () => {
      for (const result of results) added += (await this.api.addFromFolder(pool.pool_id, result)).added?.length ?? 0;
    });
    if (done) {
      const present = results.length - added;
      this._status = [added ? `Added ${added} ${added === 1 ? "image" : "images"} to “${title}”.` : "",
                      present ? `${present === 1 ? "It was" : `${present} were`} in “${title}” already.` : ""]
        .filter(Boolean).join(" ");
    }
    await this.refresh();
  }

  /** Read the pools again (the host calls it when a pool changed elsewhere). */
  async refresh(): Promise<void> {
    await this._try(async () => { this._pools = await this.api.pools(); });
  }

  /** A pool changed elsewhere (the server said so): read the list again, and the pool's open grid if it is behind. */
  async poolChanged(poolId: string, revision: number): Promise<void> {
    await this.refresh();
    const grid = this.renderRoot.querySelector<ImagePoolElement>("image-pool.grid");
    if (grid?.poolId === poolId) await grid.refreshTo(revision);
  }

  private async _try(call: () => Promise<unknown>): Promise<boolean> {
    try {
      await call();
      this._error = "";
      return true;
    } catch (e) {
      this._error = messageOf(e);
      return false;
    }
  }

  private _choose(poolId: string): void {
    this.dispatchEvent(new CustomEvent<PoolChooseDetail>("pool-choose", {
      detail: { pool_id: poolId }, bubbles: true, composed: false,
    }));
  }

  private async _rename(poolId: string, input: HTMLInputElement): Promise<void> {
    this._renaming = "";
    if (await this._try(() => this.api.rename(poolId, input.value))) await this.refresh();
  }

  private _import(): void {
    const input = document.createElement("input");
    input.type = "file";
    input.accept = ".tar,application/x-tar";
    input.onchange = async () => {
      const archive = input.files?.[0];
      if (!archive) return;
      const done = await this._try(() => this.api.importOrCopy(archive));
      if (done) await this.refresh();
    };
    input.click();
  }

  private _renderPool(p: PoolSummary): TemplateResult {
    const title = p.name || "Untitled pool";
    return html`
      <div class="pool" part="pool" data-pool-id=${p.pool_id}>
        ${p.cover ? html`<img src=${this.api.thumbUrl(p.cover, 128)} alt="">` : html`<span class="blank"></span>`}
        ${this._renaming === p.pool_id ? html`
          <input class="name" aria-label="Pool name" .value=${p.name} maxlength="200"
                 @keydown=${(e: KeyboardEvent) => {
                   if (e.key === "Enter") void this._rename(p.pool_id, e.target as HTMLInputElement);
                   if (e.key === "Escape") this._renaming = "";
                 }}>` : html`
          <button class="choose" title="Use this pool in the selected Image Pool node (or a new one)"
                  @click=${() => this._choose(p.pool_id)}>
            <div class="title ${p.name ? "" : "untitled"}">${title}</div>
            <div class="meta">${p.count} ${p.count === 1 ? "image" : "images"}</div>
          </button>`}
        <div class="actions">
          ${this._confirming === p.pool_id ? html`
            <span>Delete “${title}”?</span>
            <button @click=${async () => {
              this._confirming = "";
              if (await this._try(() => this.api.deletePool(p.pool_id))) await this.refresh();
            }}>Delete</button>
            <button @click=${() => { this._confirming = ""; }}>Keep</button>` : html`
            <button aria-expanded=${this._shown === p.pool_id ? "true" : "false"}
                    @click=${() => { this._shown = this._shown === p.pool_id ? "" : p.pool_id; }}>
              ${this._shown === p.pool_id ? "Hide" : "Show"}</button>
            <button @click=${() => { this._renaming = p.pool_id; }}>Rename</button>
            <button @click=${async () => { if (await this._try(() => this.api.detach(p.pool_id))) await this.refresh(); }}>
              Detach</button>
            <a class="button" role="button" href=${this.api.exportUrl(p.pool_id)} download>Export</a>
            <button @click=${() => { this._confirming = p.pool_id; }}>Delete…</button>`}
        </div>
        ${this._shown === p.pool_id ? html`<image-pool class="grid" part="grid" api-base=${this.apiBase} pool-id=${p.pool_id}
          tile-size="72" show-masks @pool-change=${() => void this.refresh()}></image-pool>` : nothing}
      </div>`;
  }

  protected override render(): TemplateResult {
    return html`
      <div class="bar" part="bar">
        <button @click=${() => this._import()}>Import…</button>
        <button @click=${() => void this.refresh()}>Refresh</button>
      </div>
      ${this._error ? errorNote(this._error, () => { this._error = ""; }) : nothing}
      ${this._status ? html`<p class="status" role="status">${this._status}</p>` : nothing}
      ${this._pools.length ? this._pools.map((p) => this._renderPool(p))
        : html`<p class="empty">No pool yet: add images to an Image Pool (Grid) node.</p>`}`;
  }

  protected override updated(): void {
    this.renderRoot.querySelector<HTMLInputElement>("input.name")?.focus();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "image-pool-list": ImagePoolListElement;
  }
}
