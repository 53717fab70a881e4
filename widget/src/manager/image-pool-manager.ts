/**
 * <image-pool-manager>: the standalone page's app. Lists the store's pools, creates and detaches pools, and opens one
 * in <image-pool> with masks shown as overlays. The open pool is kept in the URL's hash, so a reload keeps it.
 */

import { LitElement, css, html, nothing, type TemplateResult } from "lit";

import { ACCEPT_ATTRIBUTE } from "../api/accepted.js";
import { PoolApiError, PoolClient } from "../api/client.js";
import type { Manifest, PoolSummary } from "../api/types.js";
import type { PoolMaskRequestDetail } from "../grid/events.js";
import "../index.js";
import type { PoolChangeDetail, PoolErrorDetail } from "../pool/image-pool.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class ImagePoolManager extends LitElement {
  static override styles = css`
    :host {
      display: grid; grid-template-columns: 240px minmax(0, 1fr); grid-template-rows: auto minmax(0, 1fr);
      height: 100%; font: 14px/1.4 system-ui, sans-serif; color: CanvasText; background: Canvas;
      --_line: color-mix(in srgb, CanvasText 18%, Canvas);
      --_soft: color-mix(in srgb, CanvasText 5%, Canvas);
      --_accent: var(--image-pool-accent, #3b82f6);
    }
    header {
      grid-column: 1 / -1; display: flex; align-items: center; gap: 12px; padding: 8px 16px;
      border-bottom: 1px solid var(--_line);
    }
    h1 { font-size: 16px; margin: 0; font-weight: 600; }
    header .hint { color: GrayText; font-size: 12px; }
    aside { border-right: 1px solid var(--_line); overflow-y: auto; padding: 8px; display: flex; flex-direction: column;
      gap: 4px; }
    main { display: flex; flex-direction: column; min-height: 0; }
    .bar { display: flex; align-items: center; gap: 8px; padding: 8px 12px; border-bottom: 1px solid var(--_line);
      flex-wrap: wrap; }
    .bar code { user-select: all; font-size: 12px; padding: 2px 6px; background: var(--_soft); border-radius: 4px; }
    .bar .spacer { flex: 1; }
    button { font: inherit; color: inherit; background: var(--_soft); border: 1px solid var(--_line);
      border-radius: 6px; padding: 4px 10px; cursor: pointer; }
    button:hover { border-color: var(--_accent); }
    button:focus-visible { outline: 2px solid var(--_accent); outline-offset: 2px; }
    .pool { display: grid; grid-template-columns: 40px minmax(0, 1fr); gap: 8px; align-items: center; text-align: left;
      padding: 4px; }
    .pool[aria-current="true"] { border-color: var(--_accent); box-shadow: 0 0 0 1px var(--_accent); }
    .pool img, .pool .blank { width: 40px; height: 40px; object-fit: cover; border-radius: 4px; background: var(--_line); }
    .pool .id { font-family: ui-monospace, monospace; font-size: 12px; overflow: hidden; text-overflow: ellipsis; }
    .pool .meta { font-size: 11px; color: GrayText; }
    image-pool { flex: 1 1 auto; min-height: 0; }
    .placeholder { margin: auto; color: GrayText; text-align: center; padding: 24px; }
    .error { color: #e5484d; padding: 8px 12px; }
    dialog { border: 1px solid var(--_line); border-radius: 8px; color: CanvasText; background: Canvas; }
    dialog menu { display: flex; gap: 8px; padding: 0; margin: 12px 0 0; }
  `;

  static override properties = {
    apiBase: { type: String, attribute: "api-base" },
    _pools: { state: true },
    _open: { state: true },
    _showMasks: { state: true },
    _error: { state: true },
    _maskSlot: { state: true },
  };

  apiBase = "";
  private _pools: PoolSummary[] = [];
  private _open = "";
  private _showMasks = true;
  private _error = "";
  private _maskSlot: { slot: string; hasMask: boolean } | null = null;
  private _client?: PoolClient;

  private get api(): PoolClient {
    if (this._client?.base !== this.apiBase) this._client = new PoolClient(this.apiBase);
    return this._client;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener("hashchange", this._fromHash);
    this._fromHash();
    void this.refresh();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener("hashchange", this._fromHash);
  }

  private _fromHash = (): void => {
    const id = decodeURIComponent(location.hash.slice(1)).toLowerCase();
    if (UUID.test(id)) this._open = id;
  };

  private _openPool(id: string): void {
    this._open = id;
    history.replaceState(null, "", `#${id}`);
  }

  async refresh(): Promise<void> {
    try {
      this._pools = await this.api.pools();
      if (!this._open && this._pools.length) this._openPool(this._pools[0].pool_id);
    } catch (e) {
      this._error = (e as PoolApiError).message;
    }
  }

  private _newPool(): void {
    const id = crypto.randomUUID();
    this._pools = [...this._pools, { pool_id: id, count: 0, revision: 0, cover: null }];
    this._openPool(id);
  }

  private async _detach(): Promise<void> {
    try {
      const copy: Manifest = await this.api.detach(this._open);
      await this.refresh();
      this._openPool(copy.pool_id);
    } catch (e) {
      this._error = (e as PoolApiError).message;
    }
  }

  private _onChange = (e: CustomEvent<PoolChangeDetail>): void => {
    const { manifest } = e.detail;
    const summary = { pool_id: manifest.pool_id, count: manifest.slots.length, revision: manifest.revision,
                      cover: manifest.slots[0]?.image ?? null };
    const known = this._pools.some((p) => p.pool_id === manifest.pool_id);
    this._pools = known ? this._pools.map((p) => (p.pool_id === manifest.pool_id ? summary : p))
                        : [...this._pools, summary];
  };

  private _onError = (e: CustomEvent<PoolErrorDetail>): void => {
    console.warn("image pool:", e.detail.action, e.detail.message);
  };

  // Without ComfyUI there is no mask editor: a mask comes from a picture (alpha 0 or white = masked), or is cleared.
  private _onMaskRequest = (e: CustomEvent<PoolMaskRequestDetail>): void => {
    const pool = this.renderRoot.querySelector("image-pool");
    const slot = pool?.manifest.slots.find((s) => s.id === e.detail.slot);
    if (!slot) return;
    this._maskSlot = { slot: slot.id, hasMask: !!slot.mask };
    void this.updateComplete.then(() => this.renderRoot.querySelector("dialog")?.showModal());
  };

  private async _maskFromPicture(): Promise<void> {
    const input = this.renderRoot.querySelector<HTMLInputElement>("#mask-file");
    const file = input?.files?.[0];
    if (!file || !this._maskSlot) return;
    input!.value = "";
    await this._setMask(() => this.api.setMaskFile(this._open, this._maskSlot!.slot, file));
  }

  private async _setMask(call: () => Promise<Manifest>): Promise<void> {
    this.renderRoot.querySelector("dialog")?.close();
    try {
      await call();
      this._error = "";
    } catch (e) {
      this._error = (e as PoolApiError).message;
    }
    this._maskSlot = null;
    await this.renderRoot.querySelector("image-pool")?.reload();
  }

  protected override render(): TemplateResult {
    return html`
      <header part="header">
        <h1>Image Pool</h1>
        <span class="hint">Click to select · drag or Alt+Arrow to reorder · F2 label · M mask · Delete remove ·
          drop or paste images to add</span>
      </header>
      <aside part="pools" aria-label="Pools">
        <button @click=${this._newPool}>+ New pool</button>
        ${this._pools.map((p) => html`
          <button class="pool" aria-current=${p.pool_id === this._open ? "true" : "false"} title=${p.pool_id}
                  @click=${() => this._openPool(p.pool_id)}>
            ${p.cover ? html`<img src=${this.api.thumbUrl(p.cover, 128)} alt="">` : html`<span class="blank"></span>`}
            <span><div class="id">${p.pool_id}</div>
              <div class="meta">${p.count} ${p.count === 1 ? "image" : "images"}</div></span>
          </button>`)}
      </aside>
      <main>
        ${this._error ? html`<div class="error" role="alert">${this._error}</div>` : nothing}
        ${this._open ? html`
          <div class="bar" part="pool-bar">
            <span>Pool</span><code>${this._open}</code>
            <span class="spacer"></span>
            <label><input type="checkbox" .checked=${this._showMasks}
                          @change=${(e: Event) => { this._showMasks = (e.target as HTMLInputElement).checked; }}>
              Show masks</label>
            <button @click=${this._detach} title="A new pool with the same images (nothing is copied on disk)">
              Detach (copy)</button>
          </div>
          <image-pool api-base=${this.apiBase} pool-id=${this._open} ?show-masks=${this._showMasks} tile-size="140"
                      @pool-change=${this._onChange} @pool-error=${this._onError}
                      @pool-mask-request=${this._onMaskRequest}></image-pool>`
        : html`<p class="placeholder">No pool yet. Press <b>New pool</b>, then drop images into it.</p>`}
      </main>
      <dialog @close=${() => { this._maskSlot = null; }}>
        <p>Set this image's mask from a picture: its alpha (transparent = masked) or, without alpha, white = masked.
          It must have the image's size.</p>
        <input id="mask-file" type="file" accept=${ACCEPT_ATTRIBUTE} @change=${this._maskFromPicture}>
        <menu>
          ${this._maskSlot?.hasMask ? html`<button @click=${() => this._setMask(
            () => this.api.clearMask(this._open, this._maskSlot!.slot))}>Clear mask</button>` : nothing}
          <button @click=${() => this.renderRoot.querySelector("dialog")?.close()}>Cancel</button>
        </menu>
      </dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "image-pool-manager": ImagePoolManager;
  }
}
