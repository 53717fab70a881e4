/**
 * <image-pool-grid>: a pure view of a pool's slots. Properties in, events out; it never fetches (its <img>s load the
 * thumbnail URLs it is given). Only the tiles in view (plus the focused one) are in the DOM, so 1,000 slots cost what
 * 40 do.
 */

import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from "lit";
import { repeat } from "lit/directives/repeat.js";
import { styleMap } from "lit/directives/style-map.js";

import { states } from "../define.js";
import { ACCEPT_ATTRIBUTE } from "../api/accepted.js";
import { droppedFiles, entriesOf } from "../api/dropped-files.js";
import { mayNameResults, resultsOf } from "../api/dropped-results.js";
import type { Slot } from "../api/types.js";
import { moved, poolEvent } from "./events.js";
import { brushIcon, checkIcon, closeIcon, uploadIcon } from "./icons.js";
import { gridLayout, pageStep, tilePosition, visibleRange, type GridLayout } from "./layout.js";
import { gridStyles } from "./styles.js";

const SLOT_TYPE = "application/x-image-pool-slot";
const CAPTION = 22;
const MAX_LABEL = 1000;

type DropTarget = { index: number; after: boolean };

/**
 * A pool's slots as a thumbnail grid: properties in, events out.
 *
 * @tagname image-pool-grid
 * @fires pool-select - {slot, index}: click, Enter or Space on a tile
 * @fires pool-toggle - {slot, index, chosen}: the same in choose mode (`chosen` set)
 * @fires pool-label - {slot, label}: a label edit committed
 * @fires pool-remove - {slot, index}: the ✕ button, Delete or Backspace
 * @fires pool-reorder - {order, slot, from, to}: drag and drop, or Alt+Arrow/Home/End
 * @fires pool-mask-request - {slot, index}: the brush, a double-click or M
 * @fires pool-files - {files, source, skipped}: files dropped, pasted or chosen with the button
 * @fires pool-results - {results}: a drop that names images of the host's own folders (ComfyUI's results)
 * @slot empty - shown in an empty pool's drop area, instead of `emptyText`
 * @csspart toolbar - the bar above the tiles
 * @csspart upload-button - the "Add images" button
 * @csspart count - how many images (and how many chosen)
 * @csspart scroller - the scrolling area, where files are dropped
 * @csspart listbox - the tiles' container (role listbox)
 * @csspart tile - a tile
 * @csspart tile-active - the selected tile
 * @csspart tile-chosen - a chosen tile (choose mode)
 * @csspart thumb - a tile's picture area
 * @csspart image - a thumbnail
 * @csspart mask-overlay - a mask drawn over its thumbnail (`show-masks`)
 * @csspart badge - every badge
 * @csspart position-badge - a tile's position
 * @csspart mask-badge - the dot of a slot with a mask
 * @csspart chosen-badge - the check of a chosen slot
 * @csspart mask-button - the brush
 * @csspart remove-button - the ✕
 * @csspart caption - a tile's caption
 * @csspart label - a tile's label
 * @csspart label-input - the label being edited
 * @csspart drop-indicator - where a dragged tile will land
 * @csspart empty - an empty pool's drop area
 * @cssprop --image-pool-bg - background (ComfyUI's --comfy-input-bg, else Canvas)
 * @cssprop --image-pool-fg - text (--input-text, else CanvasText)
 * @cssprop --image-pool-muted - secondary text (--descrip-text, else GrayText)
 * @cssprop --image-pool-tile-bg - a tile's background (--comfy-menu-bg, else a tint of Canvas)
 * @cssprop --image-pool-border - borders (--border-color, else a tint of CanvasText)
 * @cssprop --image-pool-accent - the selection ring and drop outline (--p-primary-color, else #3b82f6)
 * @cssprop --image-pool-focus - the keyboard focus outline (--input-text, else CanvasText)
 * @cssprop --image-pool-danger - the remove button's hover (--error-text, else #e5484d)
 * @cssprop --image-pool-mask-color - the mask overlay (rgb(255 40 90 / .55))
 * @cssprop --image-pool-radius - corners (6px)
 * @cssprop --image-pool-font - the font (12px/1.3 system-ui, sans-serif)
 */
export class ImagePoolGridElement extends LitElement {
  static override styles = gridStyles;

  static override properties = {
    slots: { attribute: false },
    active: { type: String },
    chosen: { attribute: false },
    thumbBase: { type: String, attribute: "thumb-base" },
    thumbUrl: { attribute: false },
    tileSize: { type: Number, attribute: "tile-size" },
    gap: { type: Number },
    readonly: { type: Boolean, reflect: true },
    showMasks: { type: Boolean, attribute: "show-masks" },
    upload: { type: Boolean },
    windowed: { type: Boolean },
    emptyText: { type: String, attribute: "empty-text" },
    ...states("_width", "_viewport", "_scrollTop", "_focus", "_editing", "_dragging", "_drop", "_fileOver"),
  };

  /** The pool's slots, in order. */
  slots: Slot[] = [];
  /** The id of the slot shown as selected (the one that will run). */
  active: string | null = null;
  /** Choose mode, when set: the ids of the chosen slots, each marked with a check; a click, Enter or Space toggles a
   * slot in or out (`pool-toggle`) instead of selecting it, and the list is multi-select. None chosen: all run. */
  chosen: readonly string[] | null = null;
  /** Thumbnails are `${thumbBase}${key}?size=N` unless `thumbUrl` is given. */
  thumbBase = "/grid_pool/thumb/";
  thumbUrl: ((key: string, size: number) => string) | null = null;
  /** The smallest tile width in CSS pixels; tiles grow to fill the row. */
  tileSize = 120;
  gap = 8;
  readonly = false;
  showMasks = false;
  /** Show the "Add images" button (drop and paste work either way). */
  upload = true;
  /** Render only the tiles in view. Off renders every tile (the benchmark's baseline; slow for big pools). */
  windowed = true;
  emptyText = "Drop images here, paste them, or use Add images";

  private _width = 0;
  private _viewport = 0;
  private _scrollTop = 0;
  private _focus = 0;
  private _editing: string | null = null;
  private _dragging: string | null = null;
  private _drop: DropTarget | null = null;
  private _fileOver = false;
  private _focusAfterRender = false;
  /** The slot whose tile has keyboard focus: focus follows it when the order changes. */
  private _focusedSlot: string | null = null;

  // ----- lifecycle ----------------------------------------------------------------------------------------------

  override connectedCallback(): void {
    super.connectedCallback();
    this.addEventListener("paste", this._onPaste);
    if (this.hasUpdated) this._observeSize();  // put back in the page (ComfyUI moves a node's DOM widget so)
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener("paste", this._onPaste);
    this._resizeObserver.disconnect();
  }

  protected override firstUpdated(): void {
    this._observeSize();
  }

  /** Follow the scroller's size while connected, as Lit's ResizeController does: observed on every connect. */
  private _observeSize(): void {
    this._resizeObserver.observe(this._scroller);
  }

  private readonly _resizeObserver = new ResizeObserver(() => {
    const scroller = this._scroller;
    if (!scroller) return;
    const style = getComputedStyle(scroller);
    this._width = scroller.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    this._viewport = scroller.clientHeight;
  });

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has("slots") || changed.has("active")) {
      const count = this.slots.length;
      if (changed.has("slots") && this._focusedSlot) {
        const index = this.slots.findIndex((s) => s.id === this._focusedSlot);
        if (index >= 0) this._focus = index;
        // repeat() moves tiles in the DOM to the new order, which drops focus: give it back afterwards.
        if (this.shadowRoot?.activeElement?.classList.contains("tile")) this._focusAfterRender = true;
      }
      if (changed.has("active") && this.active && !this.matches(":focus-within")) {
        const index = this.slots.findIndex((s) => s.id === this.active);
        if (index >= 0) this._focus = index;
      }
      this._focus = Math.max(0, Math.min(this._focus, count - 1));
      if (this._editing && !this.slots.some((s) => s.id === this._editing)) this._editing = null;
    }
  }

  protected override updated(): void {
    if (this._focusAfterRender) {
      this._focusAfterRender = false;
      this._tileAt(this._focus)?.focus({ preventScroll: true });
    }
    if (this._editing) {
      const input = this.renderRoot.querySelector<HTMLInputElement>(".label-input");
      if (input && this.shadowRoot?.activeElement !== input) {
        input.focus();
        input.select();
      }
    }
  }

  // ----- public API ---------------------------------------------------------------------------------------------

  /** Scroll so the slot at `index` is in view (and give it keyboard focus when `focus` is true). */
  async reveal(index: number, focus = false): Promise<void> {
    if (index < 0 || index >= this.slots.length) return;
    this._focus = index;
    this._scrollIntoView(index);
    this._focusAfterRender = focus;
    await this.updateComplete;
  }

  /** The tiles currently in the DOM (for tests and benchmarks). */
  get renderedTileCount(): number {
    return this.renderRoot.querySelectorAll(".tile").length;
  }

  // ----- rendering ----------------------------------------------------------------------------------------------

  private get _layout(): GridLayout {
    return gridLayout(this._width, this.slots.length, this.tileSize, this.gap, CAPTION);
  }

  private get _scroller(): HTMLElement {
    return this.renderRoot.querySelector(".scroller") as HTMLElement;
  }

  private _tileAt(index: number): HTMLElement | null {
    return this.renderRoot.querySelector(`.tile[data-index="${index}"]`);
  }

  private _thumb(key: string, layout: GridLayout): string {
    const wanted = layout.tileWidth * (window.devicePixelRatio || 1);
    const size = wanted <= 128 ? 128 : wanted <= 256 ? 256 : 512;
    return this.thumbUrl ? this.thumbUrl(key, size) : `${this.thumbBase}${encodeURIComponent(key)}?size=${size}`;
  }

  protected override render(): TemplateResult {
    const layout = this._layout;
    const count = this.slots.length;
    const indices: number[] = [];
    if (this._width > 0 && count > 0) {
      const [start, end] = this.windowed ? visibleRange(layout, count, this._scrollTop, this._viewport) : [0, count];
      for (let i = start; i < end; i++) indices.push(i);
      // The focused and the edited tile stay in the DOM even when scrolled away, so focus is never lost.
      for (const extra of [this._focus, this.slots.findIndex((s) => s.id === this._editing)]) {
        if (extra >= 0 && extra < count && (extra < start || extra >= end)) indices.push(extra);
      }
    }
    return html`
      ${this.upload && !this.readonly ? html`
        <div class="toolbar" part="toolbar">
          <button part="upload-button" @click=${this._pickFiles} title="Add images (or drop / paste them)">
            ${uploadIcon}<span>Add images</span>
          </button>
          <span class="count" part="count">${count} ${count === 1 ? "image" : "images"}${this._choiceText()}</span>
          <input class="visually-hidden" type="file" multiple accept=${ACCEPT_ATTRIBUTE} tabindex="-1" aria-hidden="true"
                 @change=${this._onFileInput}>
        </div>` : nothing}
      <div class="scroller ${this._fileOver ? "file-over" : ""}" part="scroller"
           @scroll=${this._onScroll} @dragover=${this._onDragOverEmpty} @dragleave=${this._onDragLeave}
           @drop=${this._onDropEmpty}>
        <div class="sizer" part="listbox" role="listbox" aria-label="Images in the pool" aria-orientation="horizontal"
             aria-multiselectable=${this.chosen ? "true" : "false"}
             style=${styleMap({ height: `${layout.totalHeight}px`, "--_caption": `${CAPTION}px` })}
             @keydown=${this._onKeyDown}>
          ${repeat(indices, (i) => this.slots[i].id, (i) => this._renderTile(this.slots[i], i, layout))}
          ${this._renderDropIndicator(layout)}
        </div>
        ${count === 0 ? html`<div class="empty" part="empty"><slot name="empty">${this.emptyText}</slot></div>` : nothing}
      </div>`;
  }

  private _choiceText(): string {
    if (!this.chosen) return "";
    const chosen = this.slots.filter((s) => this.chosen!.includes(s.id)).length;
    return chosen ? `, ${chosen} chosen` : this.slots.length ? ", all run (click to choose)" : "";
  }

  private _renderTile(slot: Slot, index: number, layout: GridLayout): TemplateResult {
    const { x, y } = tilePosition(layout, index);
    const chosen = !!this.chosen?.includes(slot.id);
    const selected = this.chosen ? chosen : slot.id === this.active;
    const title = slot.label || slot.name || `Image ${index + 1}`;
    return html`
      <div class="tile ${this._dragging === slot.id ? "dragging" : ""} ${chosen ? "chosen" : ""}"
           part="tile${this.chosen ? (chosen ? " tile-chosen" : "") : selected ? " tile-active" : ""}"
           role="option" id="slot-${slot.id}" data-index=${index} data-slot=${slot.id}
           aria-selected=${selected ? "true" : "false"} aria-posinset=${index + 1} aria-setsize=${this.slots.length}
           aria-label="${index + 1}: ${title}${slot.mask ? ", has a mask" : ""}"
           tabindex=${index === this._focus ? 0 : -1} draggable=${this.readonly ? "false" : "true"}
           style=${styleMap({ transform: `translate(${x}px, ${y}px)`, width: `${layout.tileWidth}px`,
                              height: `${layout.tileHeight}px` })}
           @click=${() => this._select(index)} @dblclick=${() => this._requestMask(index, true)}
           @focus=${() => { this._focus = index; this._focusedSlot = slot.id; }}
           @dragstart=${(e: DragEvent) => this._onDragStart(e, slot)} @dragend=${this._onDragEnd}
           @dragover=${(e: DragEvent) => this._onDragOverTile(e, index)}
           @drop=${(e: DragEvent) => this._onDropTile(e)}>
        <div class="thumb" part="thumb">
          <img part="image" src=${this._thumb(slot.image, layout)} alt="" loading="lazy" decoding="async"
               draggable="false">
          ${this.showMasks && slot.mask ? html`<div class="mask-overlay" part="mask-overlay"
               style=${styleMap({ maskImage: `url("${this._thumb(slot.mask, layout)}")`,
                                  webkitMaskImage: `url("${this._thumb(slot.mask, layout)}")` })}></div>` : nothing}
        </div>
        <span class="badge position" part="badge position-badge">${index + 1}</span>
        ${chosen ? html`<span class="check" part="badge chosen-badge" title="Chosen: this image runs">${checkIcon}</span>`
                 : nothing}
        ${slot.mask ? html`<span class="mask-dot" part="badge mask-badge" title="Has a mask"></span>` : nothing}
        <button class="tile-button mask" part="mask-button" tabindex="-1" title="Edit mask (M)"
                aria-label="Edit the mask of ${title}"
                @click=${(e: Event) => { e.stopPropagation(); this._requestMask(index); }}>${brushIcon}</button>
        <button class="tile-button remove" part="remove-button" tabindex="-1" title="Remove (Delete)"
                aria-label="Remove ${title}"
                @click=${(e: Event) => { e.stopPropagation(); this._remove(index); }}>${closeIcon}</button>
        <div class="caption" part="caption">
          ${this._editing === slot.id ? html`
            <input class="label-input" part="label-input" aria-label="Label" maxlength=${MAX_LABEL}
                   .value=${slot.label} @keydown=${(e: KeyboardEvent) => this._onLabelKey(e, slot)}
                   @blur=${(e: FocusEvent) => this._commitLabel(slot, (e.target as HTMLInputElement).value)}
                   @click=${(e: Event) => e.stopPropagation()} @dblclick=${(e: Event) => e.stopPropagation()}>` : html`
            <span class="label ${slot.label ? "" : "placeholder"}" part="label" title=${slot.label || "Click to label"}
                  @click=${(e: Event) => { if (!this.readonly) { e.stopPropagation(); this._startEdit(index); } }}
                  >${slot.label || slot.name || "add a label"}</span>`}
        </div>
      </div>`;
  }

  private _renderDropIndicator(layout: GridLayout): TemplateResult | typeof nothing {
    if (!this._drop || !this._dragging) return nothing;
    const { x, y } = tilePosition(layout, this._drop.index);
    const left = this._drop.after ? x + layout.tileWidth + layout.gap / 2 - 2 : x - layout.gap / 2 - 2;
    return html`<div class="drop-indicator" part="drop-indicator"
                     style=${styleMap({ left: `${left}px`, top: `${y}px`, height: `${layout.tileHeight}px` })}></div>`;
  }

  // ----- actions (each becomes an event; what is shown changes only when the host sets new slots) ---------------

  private _select(index: number): void {
    const slot = this.slots[index];
    if (!slot) return;
    this._focus = index;
    if (this.chosen) {
      this.dispatchEvent(poolEvent("pool-toggle", { slot: slot.id, index, chosen: !this.chosen.includes(slot.id) }));
    } else {
      this.dispatchEvent(poolEvent("pool-select", { slot: slot.id, index }));
    }
  }

  private _remove(index: number): void {
    const slot = this.slots[index];
    if (!slot || this.readonly) return;
    this.dispatchEvent(poolEvent("pool-remove", { slot: slot.id, index }));
  }

  /** Editing a mask selects its image, however the editor is asked for (brush, M, double-click: whose first click
   * selects anyway), so the next run uses the image just masked. In choose mode the choice is left as it is. */
  private _requestMask(index: number, selected = false): void {
    const slot = this.slots[index];
    if (!slot || this.readonly) return;
    if (!this.chosen && !selected && this.active !== slot.id) this._select(index);
    this.dispatchEvent(poolEvent("pool-mask-request", { slot: slot.id, index }));
  }

  private _reorder(from: number, to: number): void {
    const count = this.slots.length;
    if (this.readonly || from === to || from < 0 || from >= count || to < 0 || to >= count) return;
    const order = moved(this.slots.map((s) => s.id), from, to);
    const slot = this.slots[from].id;
    this._focusedSlot = slot;  // focus moves with the slot once the host shows the new order
    this._scrollIntoView(to);
    this.dispatchEvent(poolEvent("pool-reorder", { order, slot, from, to }));
  }

  private _startEdit(index: number): void {
    if (this.readonly || !this.slots[index]) return;
    this._focus = index;
    this._editing = this.slots[index].id;
  }

  private _commitLabel(slot: Slot, value: string): void {
    if (this._editing !== slot.id) return;
    this._editing = null;
    this._focusAfterRender = true;
    if (value !== slot.label) this.dispatchEvent(poolEvent("pool-label", { slot: slot.id, label: value }));
  }

  private _onLabelKey(e: KeyboardEvent, slot: Slot): void {
    e.stopPropagation();
    if (e.key === "Enter") {
      e.preventDefault();
      this._commitLabel(slot, (e.target as HTMLInputElement).value);
    } else if (e.key === "Escape") {
      e.preventDefault();
      this._editing = null;
      this._focusAfterRender = true;
    }
  }

  // ----- keyboard -----------------------------------------------------------------------------------------------

  private _onKeyDown(e: KeyboardEvent): void {
    const count = this.slots.length;
    if (!count || this._editing) return;
    const layout = this._layout;
    const steps: Record<string, number> = {
      ArrowLeft: -1, ArrowRight: 1, ArrowUp: -layout.columns, ArrowDown: layout.columns,
      PageUp: -pageStep(layout, this._viewport), PageDown: pageStep(layout, this._viewport),
      Home: -count, End: count,
    };
    const index = this._focus;
    if (e.key in steps) {
      e.preventDefault();
      const target = Math.max(0, Math.min(count - 1, index + steps[e.key]));
      if (e.altKey) this._reorder(index, target);
      else void this.reveal(target, true);
      return;
    }
    const actions: Record<string, () => void> = {
      Enter: () => this._select(index),
      " ": () => this._select(index),
      F2: () => this._startEdit(index),
      Delete: () => this._remove(index),
      Backspace: () => this._remove(index),
      m: () => this._requestMask(index),
      M: () => this._requestMask(index),
    };
    if (e.key in actions && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      actions[e.key]();
    }
  }

  private _scrollIntoView(index: number): void {
    const scroller = this._scroller;
    if (!scroller) return;
    const layout = this._layout;
    const { y } = tilePosition(layout, index);
    const padding = 6;
    if (y + padding < scroller.scrollTop) scroller.scrollTop = y;
    else if (y + layout.tileHeight + padding * 2 > scroller.scrollTop + scroller.clientHeight) {
      scroller.scrollTop = y + layout.tileHeight + padding * 2 - scroller.clientHeight;
    }
    this._scrollTop = scroller.scrollTop;
  }

  private _onScroll = (): void => {
    this._scrollTop = this._scroller.scrollTop;
  };

  // ----- drag and drop: tiles to reorder, files to add ----------------------------------------------------------

  private _onDragStart(e: DragEvent, slot: Slot): void {
    if (this.readonly || !e.dataTransfer) return;
    this._dragging = slot.id;
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData(SLOT_TYPE, slot.id);
    e.dataTransfer.setData("text/plain", slot.label || slot.name || slot.id);
  }

  private _onDragEnd = (): void => {
    this._dragging = null;
    this._drop = null;
  };

  /** Files, or results the host has in its folders (ComfyUI's Assets tab, queue, previews). */
  private _isFileDrag(e: DragEvent): boolean {
    const types = Array.from(e.dataTransfer?.types ?? []);
    return !this._dragging && (types.includes("Files") || mayNameResults(types));
  }

  private _onDragOverTile(e: DragEvent, index: number): void {
    if (this._dragging) {
      e.preventDefault();
      e.stopPropagation();
      const rect = (e.currentTarget as HTMLElement).getBoundingClientRect();
      const after = e.clientX > rect.left + rect.width / 2;
      if (this._drop?.index !== index || this._drop.after !== after) this._drop = { index, after };
      if (e.dataTransfer) e.dataTransfer.dropEffect = "move";
    }
  }

  private _onDropTile(e: DragEvent): void {
    if (!this._dragging) return;
    e.preventDefault();
    e.stopPropagation();
    const from = this.slots.findIndex((s) => s.id === this._dragging);
    const drop = this._drop;
    this._onDragEnd();
    if (from < 0 || !drop) return;
    let to = drop.index + (drop.after ? 1 : 0);
    if (to > from) to -= 1;
    this._reorder(from, to);
  }

  private _onDragOverEmpty = (e: DragEvent): void => {
    if (this.readonly) return;
    if (this._isFileDrag(e)) {
      e.preventDefault();
      this._fileOver = true;
      if (e.dataTransfer) e.dataTransfer.dropEffect = "copy";
    } else if (this._dragging) {
      e.preventDefault();  // over the empty space after the last tile: drop at the end
      const last = this.slots.length - 1;
      if (this._drop?.index !== last || !this._drop.after) this._drop = { index: last, after: true };
    }
  };

  private _onDragLeave = (e: DragEvent): void => {
    if (!this._scroller.contains(e.relatedTarget as Node)) this._fileOver = false;
  };

  private _onDropEmpty = (e: DragEvent): void => {
    if (this._dragging) {
      this._onDropTile(e);
      return;
    }
    this._fileOver = false;
    if (this.readonly) return;
    const results = resultsOf(e.dataTransfer, location.href);  // named, not carried: the server adds them
    if (results.length) {
      e.preventDefault();
      e.stopPropagation();  // consumed: ComfyUI's page-level handler would make a LoadImage node or load a workflow
      this.dispatchEvent(poolEvent("pool-results", { results }));
      return;
    }
    const dropped = entriesOf(e.dataTransfer);  // now: the browser forgets them once this handler returns
    if (!dropped.files.length && !dropped.entries.length) return;
    e.preventDefault();
    e.stopPropagation();  // consumed: a page-level drop handler (ComfyUI's loads workflows) must not see it
    void droppedFiles(dropped).then(({ files, skipped }) => {
      if (files.length || skipped) this.dispatchEvent(poolEvent("pool-files", { files, source: "drop", skipped }));
    });
  };

  private _onPaste = (e: ClipboardEvent): void => {
    if (this.readonly || this._editing) return;
    const files = Array.from(e.clipboardData?.files ?? []);
    if (!files.length) return;
    e.preventDefault();
    this.dispatchEvent(poolEvent("pool-files", { files, source: "paste" }));
  };

  private _pickFiles(): void {
    this.renderRoot.querySelector<HTMLInputElement>('input[type="file"]')?.click();
  }

  private _onFileInput(e: Event): void {
    const input = e.target as HTMLInputElement;
    const files = Array.from(input.files ?? []);
    input.value = "";
    if (files.length) this.dispatchEvent(poolEvent("pool-files", { files, source: "button" }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "image-pool-grid": ImagePoolGridElement;
  }
}
