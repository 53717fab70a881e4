/**
 * <image-pool-list>: the store's pools as a compact list, for a side panel (ComfyUI's Pools tab). Each pool shows its
 * cover, name and count, and its grid (an <image-pool>) on demand; it can be renamed in place, detached, exported,
 * deleted (after a confirmation); an archive
 * can be imported, and a folder dropped on the list becomes a new pool of its name. Choosing a pool fires
 * `pool-choose` ({pool_id}); the host decides what that means.
 */

import { LitElement, css, html, nothing, svg, type TemplateResult } from "lit";

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
import { poolsMatching } from "./matching.js";
import { randomUuid } from "../shared/uuid.js";

export interface PoolChooseDetail { pool_id: string }

const icon = (paths: TemplateResult) => html`<svg viewBox="0 0 16 16" aria-hidden="true">${paths}</svg>`;
const ICONS = {  // drawn for this element, on a 16-unit grid
  chevron: icon(svg`<path d="M6 3.5 10.5 8 6 12.5"/>`),
  import: icon(svg`<path d="M8 2v8M4.5 6.5 8 10l3.5-3.5M2.5 10.5v3h11v-3"/>`),
  refresh: icon(svg`<path d="M13.5 8a5.5 5.5 0 1 1-1.6-3.9M13.5 2.5v3.6H9.9"/>`),
  search: icon(svg`<circle cx="7" cy="7" r="4.5"/><path d="m10.5 10.5 3 3"/>`),
  rename: icon(svg`<path d="M10.5 2.5l3 3-8 8h-3v-3zM9 4l3 3"/>`),
  detach: icon(svg`<rect x="5.5" y="5.5" width="8" height="8" rx="1.5"/><path d="M10.5 5.5v-2a1 1 0 0 0-1-1h-6a1 1 0 0 0-1 1v6a1 1 0 0 0 1 1h2"/>`),
  export: icon(svg`<path d="M8 10V2M4.5 5.5 8 2l3.5 3.5M2.5 10.5v3h11v-3"/>`),
  delete: icon(svg`<path d="M2.5 4.5h11M6 4.5V2.5h4v2M4 4.5l.7 9h6.6l.7-9"/>`),
  pictures: icon(svg`<rect x="1.5" y="3.5" width="13" height="10" rx="1.5"/><circle cx="5.5" cy="7" r="1.2"/>
    <path d="m2 12.5 4-3.5 3 2.5 2-1.5 3.5 2.5"/>`),
};

/**
 * The store's pools as a compact list (ComfyUI's Pools tab).
 *
 * @tagname image-pool-list
 * @fires pool-choose - {pool_id}: a pool was chosen; the host decides what that means
 * @csspart pool - a pool's row
 * @csspart grid - a pool's <image-pool>, shown on demand
 * @csspart bar - the header: the title, the Import and Refresh buttons
 * @csspart search - the search field (by name, or the start of a pool id)
 */
export class ImagePoolListElement extends LitElement {
  // As ComfyUI's own sidebar tabs (Queue, Assets, Node Library): a header with the title and icon buttons, a search
  // field, flat rows that light up under the pointer, text-only actions; colours from the frontend's variables (1.49+
  // first, then those 1.27 has), so the tab follows the palette.
  static override styles = [errorNoteStyles, css`
    :host { display: flex; flex-direction: column; min-height: 0; overflow-y: auto; font-size: 14px; line-height: 1.4;
      color: var(--image-pool-text, var(--fg-color, CanvasText));
      --_muted: var(--muted-foreground, var(--descrip-text, color-mix(in srgb, currentColor 60%, transparent)));
      --_line: var(--image-pool-border, var(--border, var(--border-color, color-mix(in srgb, currentColor 20%, transparent))));
      --_hover: var(--interface-panel-hover-surface, var(--content-hover-bg, color-mix(in srgb, currentColor 8%, transparent)));
      --_field: var(--image-pool-surface, var(--secondary-background, var(--comfy-input-bg, color-mix(in srgb, currentColor 6%, transparent)))); }
    header { display: flex; align-items: center; gap: 8px; min-height: 48px; padding: 0 8px 0 16px;
      border-bottom: 1px solid var(--_line); }
    h2 { flex: 1; margin: 0; font-size: 15px; font-weight: 700; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    button, a.button { font: inherit; color: inherit; background: none; border: none; border-radius: 8px; cursor: pointer;
      text-decoration: none; }
    button:hover, a.button:hover, button:focus-visible, a.button:focus-visible { background: var(--_hover); }
    :focus-visible { outline: 1px solid currentColor; outline-offset: -1px; }
    .icon { display: inline-grid; place-items: center; width: 32px; height: 32px; color: var(--_muted); }
    .icon:hover { color: inherit; }
    svg { width: 16px; height: 16px; fill: none; stroke: currentColor; stroke-width: 1.6; stroke-linecap: round;
      stroke-linejoin: round; }
    .search { margin: 8px 16px 4px; display: flex; align-items: center; gap: 8px; height: 32px; padding: 0 10px;
      border-radius: 8px; background: var(--_field); color: var(--_muted); }
    .search input { flex: 1; min-width: 0; font: inherit; font-size: 12px; color: var(--image-pool-text, var(--fg-color, CanvasText));
      background: none; border: none; outline: none; }
    .rows { display: flex; flex-direction: column; gap: 2px; padding: 4px 8px 8px; }
    .pool { display: grid; grid-template-columns: 20px 40px minmax(0, 1fr); align-items: center; column-gap: 8px;
      padding: 6px 8px 6px 2px; border-radius: 4px; }
    .pool:hover, .pool:focus-within, .pool.held { background: var(--_hover); }
    .toggle { width: 20px; height: 20px; padding: 0; display: grid; place-items: center; color: var(--_muted); }
    .toggle svg { transition: transform 120ms; }
    .toggle[aria-expanded="true"] svg { transform: rotate(90deg); }
    .pool img, .pool .blank { width: 40px; height: 40px; object-fit: cover; border-radius: 4px; background: var(--_field); }
    .choose { all: unset; cursor: pointer; display: block; min-width: 0; }
    .title { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-weight: 600; }
    .untitled { color: var(--_muted); font-style: italic; }
    .meta { font-size: 12px; color: var(--_muted); }
    .actions { grid-column: 2 / -1; display: flex; flex-wrap: wrap; align-items: center; gap: 0 2px; margin: 2px 0 0 -4px;
      font-size: 12px; }
    @media (hover: hover) {  /* as ComfyUI's rows: a row's actions show under the pointer, with focus, or while open */
      .pool:not(:hover):not(:focus-within):not(.held) .actions { opacity: 0; }
    }
    .actions button, .actions a.button { padding: 2px 6px; color: var(--_muted); white-space: nowrap; }
    .actions button.icon, .actions a.button.icon { width: 28px; height: 28px; padding: 0; }
    .actions button:hover, .actions a.button:hover { color: inherit; }
    .actions span { padding: 2px 6px; }
    input.name { font: inherit; width: 100%; box-sizing: border-box; color: inherit; background: var(--_field);
      border: 1px solid var(--_line); border-radius: 4px; padding: 2px 6px; }
    .status { margin: 4px 16px; font-size: 12px; color: var(--_muted); }
    .empty { display: flex; flex-direction: column; align-items: center; gap: 6px; padding: 40px 24px; text-align: center; }
    .empty svg { width: 44px; height: 44px; stroke-width: 1.3; }
    .empty strong { font-size: 16px; }
    .empty p { margin: 0; color: var(--_muted); }
    image-pool.grid { grid-column: 1 / -1; height: 260px; margin-top: 6px; }
  `];

  static override properties = {
    apiBase: { type: String, attribute: "api-base" },
    ...states("_pools", "_renaming", "_confirming", "_error", "_status", "_shown", "_query"),
  };

  apiBase = "";
  private _pools: PoolSummary[] = [];
  private _renaming = "";
  private _confirming = "";
  private _error = "";
  private _status = "";
  private _shown = "";  // the pool whose grid is open in the list
  private _query = "";
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
    const open = this._shown === p.pool_id;
    return html`
      <div class="pool ${open || this._confirming === p.pool_id ? "held" : ""}" part="pool" data-pool-id=${p.pool_id}>
        <button class="toggle" aria-expanded=${open ? "true" : "false"} aria-label="${open ? "Hide" : "Show"} the images of “${title}”"
                title=${open ? "Hide its images" : "Show its images"}
                @click=${() => { this._shown = open ? "" : p.pool_id; }}>${ICONS.chevron}</button>
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
            <button class="icon" aria-label="Rename" title="Rename" @click=${() => { this._renaming = p.pool_id; }}>
              ${ICONS.rename}</button>
            <button class="icon" aria-label="Detach" title="Detach: a copy with a new id (the images are shared)"
                    @click=${async () => { if (await this._try(() => this.api.detach(p.pool_id))) await this.refresh(); }}>
              ${ICONS.detach}</button>
            <a class="button icon" role="button" aria-label="Export" title="Export as an archive (.tar)"
               href=${this.api.exportUrl(p.pool_id)} download>${ICONS.export}</a>
            <button class="icon" aria-label="Delete…" title="Delete…" @click=${() => { this._confirming = p.pool_id; }}>
              ${ICONS.delete}</button>`}
        </div>
        ${open ? html`<image-pool class="grid" part="grid" api-base=${this.apiBase} pool-id=${p.pool_id}
          tile-size="72" show-masks @pool-change=${() => void this.refresh()}></image-pool>` : nothing}
      </div>`;
  }

  private _renderEmpty(): TemplateResult {
    if (this._pools.length) return html`<p class="status">No pool matches “${this._query}”.</p>`;
    return html`
      <div class="empty">
        ${ICONS.pictures}
        <strong>No pools yet</strong>
        <p>Add images to an Image Pool (Grid) node, or drop a folder of images here.</p>
      </div>`;
  }

  protected override render(): TemplateResult {
    const shown = poolsMatching(this._pools, this._query);
    return html`
      <header part="bar">
        <h2>Image pools</h2>
        <button class="icon" aria-label="Import…" title="Import a pool archive (.tar)" @click=${() => this._import()}>
          ${ICONS.import}</button>
        <button class="icon" aria-label="Refresh" title="Refresh" @click=${() => void this.refresh()}>${ICONS.refresh}</button>
      </header>
      <label class="search" part="search">${ICONS.search}
        <input type="search" placeholder="Search pools…" aria-label="Search pools" .value=${this._query}
               @input=${(e: InputEvent) => { this._query = (e.target as HTMLInputElement).value; }}>
      </label>
      ${this._error ? errorNote(this._error, () => { this._error = ""; }) : nothing}
      ${this._status ? html`<p class="status" role="status">${this._status}</p>` : nothing}
      <div class="rows">${shown.length ? shown.map((p) => this._renderPool(p)) : this._renderEmpty()}</div>`;
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
