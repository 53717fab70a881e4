/**
 * <image-pool-manager>: the standalone page's app. Lists the store's pools by name; creates, names, detaches and
 * deletes pools; opens one in <image-pool> with masks shown as overlays, and sets a slot's mask from a picture. The
 * open pool is kept in the URL's hash, so a reload keeps it.
 */

import { LitElement, css, html, nothing, type TemplateResult } from "lit";

import { states } from "../define.js";
import { ACCEPT_ATTRIBUTE } from "../api/accepted.js";
import { PoolClient, messageOf } from "../api/client.js";
import type { Manifest, PoolSummary, Slot } from "../api/types.js";
import type { PoolMaskRequestDetail } from "../grid/events.js";
import "../index.js";
import type { PoolChangeDetail } from "../pool/image-pool.js";
import { errorNote, errorNoteStyles } from "../shared/error-note.js";
import { randomUuid } from "../shared/uuid.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The standalone manager page's app.
 *
 * @tagname image-pool-manager
 * @csspart header - the page's header
 * @csspart pools - the list of pools
 * @csspart pool-bar - the open pool's name and actions
 * @csspart mask-current - the mask dialog's current mask
 * @csspart mask-new - the mask dialog's chosen picture
 */
export class ImagePoolManagerElement extends LitElement {
  static override styles = [errorNoteStyles, css`
    :host {
      display: grid; grid-template-columns: 240px minmax(0, 1fr); grid-template-rows: auto minmax(0, 1fr);
      height: 100%; font: 14px/1.4 system-ui, sans-serif; color: CanvasText; background: Canvas;
      --_line: color-mix(in srgb, CanvasText 18%, Canvas);
      --_soft: color-mix(in srgb, CanvasText 5%, Canvas);
      --_accent: var(--image-pool-accent, #3b82f6);
      --_focus: var(--image-pool-focus, CanvasText);
      --_mask: var(--image-pool-mask-color, rgb(255 40 90 / 0.55));
    }
    header {
      grid-column: 1 / -1; display: flex; align-items: center; gap: 12px; padding: 8px 16px;
      border-bottom: 1px solid var(--_line);
    }
    h1 { font-size: 16px; margin: 0; font-weight: 600; }
    header .hint { color: GrayText; font-size: 12px; }
    aside { border-right: 1px solid var(--_line); overflow-y: auto; padding: 8px; display: flex; flex-direction: column;
      gap: 4px; }
    main { display: flex; flex-direction: column; min-height: 0; position: relative; }
    .notes { position: absolute; z-index: 2; top: 52px; left: 12px; right: 12px; pointer-events: none; }
    .notes > * { pointer-events: auto; }
    .mask-misfit { color: var(--image-pool-danger, #c62f3a); }
    .bar { display: flex; align-items: center; gap: 8px; padding: 8px 12px; border-bottom: 1px solid var(--_line);
      flex-wrap: wrap; }
    .bar code { user-select: all; font-size: 11px; padding: 2px 6px; background: var(--_soft); border-radius: 4px;
      color: GrayText; }
    .bar .name { font: inherit; font-weight: 600; flex: 1 1 16em; min-width: 12em; max-width: 48em; padding: 3px 6px;
      color: inherit; background: transparent; border: 1px solid transparent; border-radius: 6px; }
    .bar .name:hover { border-color: var(--_line); }
    .bar .spacer { flex: 1; }
    button { font: inherit; color: inherit; background: var(--_soft); border: 1px solid var(--_line);
      border-radius: 6px; padding: 4px 10px; cursor: pointer; }
    button:hover { border-color: var(--_accent); }
    button.danger:hover { border-color: var(--image-pool-danger, #c62f3a); }
    button:focus-visible, input:focus-visible { outline: 2px dashed var(--_focus); outline-offset: 2px; }
    .pool { display: grid; grid-template-columns: 40px minmax(0, 1fr); gap: 8px; align-items: center; text-align: left;
      padding: 4px; }
    .pool[aria-current="true"] { border-color: var(--_accent); box-shadow: 0 0 0 1px var(--_accent); }
    .pool img, .pool .blank { width: 40px; height: 40px; object-fit: cover; border-radius: 4px; background: var(--_line); }
    .pool .title { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .pool .untitled { color: GrayText; font-style: italic; }
    .pool .meta { font-size: 11px; color: GrayText; }
    image-pool { flex: 1 1 auto; min-height: 0; }
    .placeholder { margin: auto; color: GrayText; text-align: center; padding: 24px; }
    dialog { border: 1px solid var(--_line); border-radius: 8px; color: CanvasText; background: Canvas; max-width: 560px; }
    dialog h2 { font-size: 15px; margin: 0 0 8px; }
    dialog menu { display: flex; gap: 8px; padding: 0; margin: 12px 0 0; justify-content: flex-end; }
    .previews { display: flex; gap: 12px; margin: 8px 0; }
    figure { margin: 0; display: flex; flex-direction: column; gap: 4px; font-size: 12px; color: GrayText; }
    .preview { position: relative; width: 200px; height: 200px; background: var(--_soft); border-radius: 6px;
      display: grid; place-items: center; overflow: hidden; }
    .preview img { max-width: 100%; max-height: 100%; object-fit: contain; }
    .preview .overlay { position: absolute; inset: 0; background: var(--_mask); mask-size: contain;
      mask-position: center; mask-repeat: no-repeat; mask-mode: luminance; -webkit-mask-size: contain;
      -webkit-mask-position: center; -webkit-mask-repeat: no-repeat; }
  `];

  static override properties = {
    apiBase: { type: String, attribute: "api-base" },
    watchEvery: { type: Number, attribute: "watch-every" },
    ...states("_pools", "_open", "_showMasks", "_error", "_maskSlot", "_maskPicture", "_deleting"),
  };

  apiBase = "";
  private _pools: PoolSummary[] = [];
  /** Milliseconds between looks for changes made elsewhere; 0: never. */
  watchEvery = 2000;
  private _watch?: ReturnType<typeof setInterval>;
  private _looking = false;
  private _open = "";
  private _showMasks = true;
  private _error = "";
  /** The slot whose mask dialog is open, and where it stands in the pool. */
  private _maskSlot: { slot: Slot; position: number } | null = null;
  /** The picture chosen in the mask dialog, previewed before it is applied, and its size once the preview knows it. */
  private _maskPicture: { file: File; url: string; measured?: boolean; width?: number; height?: number } | null = null;
  private _deleting: PoolSummary | null = null;
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
    if (this.watchEvery > 0) this._watch = setInterval(this._look, this.watchEvery);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener("hashchange", this._fromHash);
    clearInterval(this._watch);
  }

  /** Changes made by other processes (ComfyUI's Add to Image Pool node, the CLI) reach this page by a look at the
   * pools' revisions, while the page is visible; the open pool is read again only when its revision moved. */
  private _look = async (): Promise<void> => {
    if (document.visibilityState !== "visible" || this._looking) return;
    this._looking = true;
    try {
      await this.refresh();
      const open = this._openSummary;
      const element = this.renderRoot.querySelector("image-pool");
      if (open && element) await element.refreshTo(open.revision);
    } finally {
      this._looking = false;
    }
  };

  private _fromHash = (): void => {
    const id = decodeURIComponent(location.hash.slice(1)).toLowerCase();
    if (UUID.test(id)) this._open = id;
  };

  private _openPool(id: string): void {
    this._open = id;
    history.replaceState(null, "", id ? `#${id}` : location.pathname);
  }

  private get _openSummary(): PoolSummary | undefined {
    return this._pools.find((p) => p.pool_id === this._open);
  }

  /** Run a call; show its failure as the page's error note. */
  private async _try<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      const result = await call();
      this._error = "";
      return result;
    } catch (e) {
      this._error = messageOf(e);
      return undefined;
    }
  }

  async refresh(): Promise<void> {
    const pools = await this._try(() => this.api.pools());
    if (!pools) return;
    this._pools = byName(pools);
    if (!this._open && pools.length) this._openPool(this._pools[0].pool_id);
  }

  /** A new pool is made on the server at once, with a name to change (so it is there after a reload). */
  private async _newPool(): Promise<void> {
    const taken = new Set(this._pools.map((p) => p.name));
    let name = "New pool";
    for (let n = 2; taken.has(name); n++) name = `New pool ${n}`;
    const manifest = await this._try(() => this.api.rename(randomUuid(), name));
    if (!manifest) return;
    this._summarize(manifest);
    this._openPool(manifest.pool_id);
    await this.updateComplete;
    const field = this.renderRoot.querySelector<HTMLInputElement>(".bar .name");
    field?.focus();
    field?.select();
  }

  private async _rename(e: Event): Promise<void> {
    const input = e.target as HTMLInputElement;
    const summary = this._openSummary;
    if (!summary || input.value.trim() === summary.name) return;
    const manifest = await this._try(() => this.api.rename(this._open, input.value));
    if (manifest) this._summarize(manifest);
    else input.value = summary.name;
  }

  /** Enter keeps the name (and the focus); Escape puts the saved name back, as a label's field does. */
  private _onNameKey = (e: KeyboardEvent): void => {
    const input = e.target as HTMLInputElement;
    if (e.key === "Enter") {
      e.preventDefault();
      void this._rename(e).then(() => input.select());
    } else if (e.key === "Escape") {
      e.preventDefault();
      input.value = this._openSummary?.name ?? "";
      input.select();
    }
  };

  private async _detach(): Promise<void> {
    const copy = await this._try(() => this.api.detach(this._open));
    if (!copy) return;
    await this.refresh();
    this._openPool(copy.pool_id);
  }

  private async _delete(): Promise<void> {
    const doomed = this._deleting;
    this._closeDialog("#delete-dialog");
    if (!doomed) return;
    // a pool made on this page and never written to exists only here
    if (doomed.revision > 0 && (await this._try(() => this.api.deletePool(doomed.pool_id))) === undefined) return;
    this._pools = this._pools.filter((p) => p.pool_id !== doomed.pool_id);
    if (this._open === doomed.pool_id) this._openPool(this._pools[0]?.pool_id ?? "");
  }

  private _summarize(manifest: Manifest): void {
    const summary = { pool_id: manifest.pool_id, name: manifest.name ?? "", count: manifest.slots.length,
                      revision: manifest.revision, cover: manifest.slots[0]?.image ?? null };
    const known = this._pools.some((p) => p.pool_id === manifest.pool_id);
    if (known) this._pools = byName(this._pools.map((p) => (p.pool_id === manifest.pool_id ? summary : p)));
    else if (manifest.revision > 0) this._pools = byName([...this._pools, summary]);  // not a late answer for a deleted pool
  }

  private _onChange = (e: CustomEvent<PoolChangeDetail>): void => this._summarize(e.detail.manifest);

  // Without ComfyUI there is no mask editor: a mask comes from a picture (alpha 0 or white = masked), or is cleared.
  private _onMaskRequest = (e: CustomEvent<PoolMaskRequestDetail>): void => {
    const pool = this.renderRoot.querySelector("image-pool");
    const position = pool?.manifest.slots.findIndex((s) => s.id === e.detail.slot) ?? -1;
    if (!pool || position < 0) return;
    this._maskSlot = { slot: pool.manifest.slots[position], position };
    this._setPicture(null);
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLDialogElement>("#mask-dialog")?.showModal());
  };

  private _setPicture(file: File | null): void {
    if (this._maskPicture) URL.revokeObjectURL(this._maskPicture.url);
    this._maskPicture = file ? { file, url: URL.createObjectURL(file) } : null;
  }

  /** The preview has loaded: now the dialog knows whether the picture fits the image. */
  private _measured(e: Event): void {
    const img = e.target as HTMLImageElement;
    if (this._maskPicture) {
      this._maskPicture = { ...this._maskPicture, measured: true, width: img.naturalWidth, height: img.naturalHeight };
    }
  }

  /** A picture the browser cannot show (TIFF, say): the server judges it on Apply. */
  private _unmeasured(): void {
    if (this._maskPicture) this._maskPicture = { ...this._maskPicture, measured: true };
  }

  private _pictureMisfits(): boolean {
    const picture = this._maskPicture;
    const slot = this._maskSlot?.slot;
    return !!(picture?.width && slot && (picture.width !== slot.width || picture.height !== slot.height));
  }

  private _closeDialog(selector: string): void {
    this.renderRoot.querySelector<HTMLDialogElement>(selector)?.close();
  }

  private async _setMask(call: () => Promise<Manifest>): Promise<void> {
    this._closeDialog("#mask-dialog");
    await this._try(call);
    await this.renderRoot.querySelector("image-pool")?.reload();
  }

  private _slotTitle(slot: Slot, position: number): string {
    return slot.label || slot.name || `image ${position + 1}`;
  }

  private _renderMaskDialog(): TemplateResult {
    const target = this._maskSlot;
    const thumb = (key: string) => this.api.thumbUrl(key, 256);
    const overlay = (url: string) => html`<div class="overlay" style="mask-image: url('${url}');
      -webkit-mask-image: url('${url}')"></div>`;
    return html`
      <dialog id="mask-dialog" aria-labelledby="mask-title"
              @close=${() => { this._maskSlot = null; this._setPicture(null); }}>
        ${target ? html`
          <h2 id="mask-title">Mask of “${this._slotTitle(target.slot, target.position)}” (image ${target.position + 1},
            ${target.slot.width} × ${target.slot.height})</h2>
          <div class="previews">
            <figure>
              <div class="preview" part="mask-current">
                <img src=${thumb(target.slot.image)} alt="">
                ${target.slot.mask ? overlay(thumb(target.slot.mask)) : nothing}
              </div>
              <figcaption>${target.slot.mask ? "Its mask now (tinted)" : "No mask yet"}</figcaption>
            </figure>
            ${this._maskPicture ? html`
              <figure>
                <div class="preview" part="mask-new"><img src=${this._maskPicture.url} alt="The chosen mask picture"
                                                          @load=${this._measured} @error=${this._unmeasured}></div>
                <figcaption>${this._maskPicture.file.name}${this._maskPicture.width ? html`,
                  ${this._maskPicture.width} × ${this._maskPicture.height}` : nothing}</figcaption>
              </figure>` : nothing}
          </div>
          <p>Choose a picture of the image's size: its alpha (transparent = masked) or, without alpha, white = masked.</p>
          ${this._pictureMisfits() ? html`<p class="mask-misfit" role="alert">This picture is
            ${this._maskPicture!.width} × ${this._maskPicture!.height}; the image is ${target.slot.width} ×
            ${target.slot.height}. Choose a picture of the image's size.</p>` : nothing}
          <input id="mask-file" type="file" accept=${ACCEPT_ATTRIBUTE} aria-label="Mask picture"
                 @change=${(e: Event) => this._setPicture((e.target as HTMLInputElement).files?.[0] ?? null)}>
          <menu>
            ${target.slot.mask ? html`<button class="danger" @click=${() => this._setMask(
              () => this.api.clearMask(this._open, target.slot.id))}>Clear mask</button>` : nothing}
            <button @click=${() => this._closeDialog("#mask-dialog")}>Cancel</button>
            <button ?disabled=${!this._maskPicture?.measured || this._pictureMisfits()} @click=${() => { const file = this._maskPicture!.file;
              void this._setMask(() => this.api.setMaskFile(this._open, target.slot.id, file)); }}>Apply</button>
          </menu>` : nothing}
      </dialog>`;
  }

  private _renderDeleteDialog(): TemplateResult {
    const doomed = this._deleting;
    return html`
      <dialog id="delete-dialog" aria-labelledby="delete-title" @close=${() => { this._deleting = null; }}>
        ${doomed ? html`
          <h2 id="delete-title">Delete “${doomed.name || "Untitled pool"}”?</h2>
          <p>Its ${doomed.count} ${doomed.count === 1 ? "image goes" : "images go"} out of the pool, with its labels
            and masks. Images other pools hold stay; the others are removed from disk by the next
            <code>gc</code>.</p>
          <menu>
            <button @click=${() => this._closeDialog("#delete-dialog")}>Cancel</button>
            <button class="danger" @click=${this._delete}>Delete pool</button>
          </menu>` : nothing}
      </dialog>`;
  }

  protected override render(): TemplateResult {
    const open = this._openSummary;
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
            <span><div class="title ${p.name ? "" : "untitled"}">${p.name || "Untitled pool"}</div>
              <div class="meta">${p.count} ${p.count === 1 ? "image" : "images"}</div></span>
          </button>`)}
      </aside>
      <main>
        <div class="notes">${this._error ? errorNote(this._error, () => { this._error = ""; }) : nothing}</div>
        ${this._open ? html`
          <div class="bar" part="pool-bar">
            <input class="name" aria-label="Pool name" placeholder="Untitled pool" maxlength="200"
                   .value=${open?.name ?? ""} @change=${this._rename} @keydown=${this._onNameKey}>
            <code title="The pool's id">${this._open}</code>
            <span class="spacer"></span>
            <label><input type="checkbox" .checked=${this._showMasks}
                          @change=${(e: Event) => { this._showMasks = (e.target as HTMLInputElement).checked; }}>
              Show masks</label>
            <button @click=${this._detach} title="A new pool with the same images (nothing is copied on disk)">
              Detach (copy)</button>
            <button class="danger" ?disabled=${!open} @click=${() => {
              this._deleting = open ?? null;
              void this.updateComplete.then(() =>
                this.renderRoot.querySelector<HTMLDialogElement>("#delete-dialog")?.showModal());
            }}>Delete…</button>
          </div>
          <image-pool api-base=${this.apiBase} pool-id=${this._open} ?show-masks=${this._showMasks} tile-size="140"
                      @pool-change=${this._onChange} @pool-mask-request=${this._onMaskRequest}></image-pool>`
        : html`<p class="placeholder">No pool yet. Press <b>New pool</b>, then drop images into it.</p>`}
      </main>
      ${this._renderMaskDialog()}
      ${this._renderDeleteDialog()}`;
  }
}

/** Pools in the order people look for them: by name, the untitled last... then by id, so the order is stable. */
function byName(pools: PoolSummary[]): PoolSummary[] {
  const key = (p: PoolSummary) => p.name.toLocaleLowerCase();
  return [...pools].sort((a, b) => (!a.name !== !b.name ? (a.name ? -1 : 1) : key(a).localeCompare(key(b)))
    || a.pool_id.localeCompare(b.pool_id));
}

declare global {
  interface HTMLElementTagNameMap {
    "image-pool-manager": ImagePoolManagerElement;
  }
}
