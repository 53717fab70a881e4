import { css } from "lit";

/**
 * Every colour is an --image-pool-* custom property whose default is ComfyUI's palette variable when the page has
 * it (so the grid follows the user's ComfyUI theme), else a CSS system colour (so it follows light/dark elsewhere).
 */
export const gridStyles = css`
  :host {
    --_bg: var(--image-pool-bg, var(--comfy-input-bg, Canvas));
    --_fg: var(--image-pool-fg, var(--input-text, CanvasText));
    --_muted: var(--image-pool-muted, var(--descrip-text, GrayText));
    --_tile-bg: var(--image-pool-tile-bg, var(--comfy-menu-bg, color-mix(in srgb, CanvasText 6%, Canvas)));
    --_border: var(--image-pool-border, var(--border-color, color-mix(in srgb, CanvasText 25%, Canvas)));
    --_accent: var(--image-pool-accent, var(--p-primary-color, #3b82f6));
    /* keyboard focus: the text colour, dashed, so it never reads as the (accent, solid) selection */
    --_focus: var(--image-pool-focus, var(--input-text, CanvasText));
    --_danger: var(--image-pool-danger, var(--error-text, #e5484d));
    --_mask: var(--image-pool-mask-color, rgb(255 40 90 / 0.55));
    --_radius: var(--image-pool-radius, 6px);
    display: flex;
    flex-direction: column;
    box-sizing: border-box;
    min-height: 80px;
    height: 100%;
    color: var(--_fg);
    background: var(--_bg);
    font: var(--image-pool-font, 12px/1.3 system-ui, sans-serif);
    contain: layout paint;
  }
  :host([hidden]) { display: none; }
  * { box-sizing: border-box; }

  .toolbar {
    display: flex; align-items: center; gap: 6px; padding: 4px 6px; flex: none;
    color: var(--_muted);
  }
  .toolbar .count { margin-inline-start: auto; }
  .toolbar button { color: var(--_fg); }
  button {
    font: inherit; color: inherit; cursor: pointer;
    border: 1px solid var(--_border); border-radius: var(--_radius);
    background: var(--_tile-bg); padding: 3px 8px;
    display: inline-flex; align-items: center; gap: 4px;
  }
  button:hover { border-color: var(--_accent); }
  button:focus-visible, .tile:focus-visible, .label-input:focus-visible {
    outline: 2px dashed var(--_focus); outline-offset: 3px;
  }

  .scroller {
    position: relative; flex: 1 1 auto; min-height: 0; overflow-y: auto; overflow-x: hidden;
    padding: 6px; overscroll-behavior: contain;
  }
  .scroller.file-over { outline: 2px dashed var(--_accent); outline-offset: -4px; }
  .sizer { position: relative; width: 100%; }

  .tile {
    position: absolute; top: 0; left: 0;
    display: flex; flex-direction: column;
    border-radius: var(--_radius); background: var(--_tile-bg);
    border: 1px solid var(--_border);
    cursor: pointer; user-select: none; overflow: hidden;
  }
  .tile[aria-selected="true"] {
    border-color: var(--_accent);
    box-shadow: 0 0 0 2px var(--_accent);
  }
  .tile.dragging { opacity: 0.4; }
  .thumb { position: relative; flex: 1 1 auto; min-height: 0; display: grid; place-items: center; }
  .thumb img {
    max-width: 100%; max-height: 100%; width: 100%; height: 100%;
    object-fit: contain; display: block; pointer-events: none;
  }
  .mask-overlay {
    position: absolute; inset: 0; background: var(--_mask); pointer-events: none;
    mask-size: contain; mask-position: center; mask-repeat: no-repeat; mask-mode: luminance;
    -webkit-mask-size: contain; -webkit-mask-position: center; -webkit-mask-repeat: no-repeat;
  }
  .badge {
    position: absolute; top: 4px; left: 4px; min-width: 18px; padding: 0 5px; border-radius: 9px;
    background: rgb(0 0 0 / 0.6); color: #fff; font-size: 11px; line-height: 18px; text-align: center;
  }
  .tile[aria-selected="true"] .badge.position { background: var(--_accent); }
  .mask-dot {  /* bottom left: clear of the buttons at the top right, however small the tile */
    position: absolute; bottom: calc(var(--_caption, 22px) + 6px); left: 6px; width: 12px; height: 12px; border-radius: 50%;
    background: var(--_mask); border: 2px solid #fff; box-shadow: 0 0 0 1px rgb(0 0 0 / 0.5);
  }
  .tile.chosen { border-color: var(--_accent); box-shadow: 0 0 0 2px var(--_accent); }
  .check {
    position: absolute; bottom: calc(var(--_caption, 22px) + 4px); right: 4px; width: 20px; height: 20px;
    display: grid; place-items: center; border-radius: 50%; background: var(--_accent); color: #fff;
    box-shadow: 0 0 0 2px #fff;
  }
  .tile-button {
    position: absolute; top: 3px; width: 20px; height: 20px; padding: 0; justify-content: center;
    border: none; border-radius: 50%; background: rgb(0 0 0 / 0.55); color: #fff;
    opacity: 0; transition: opacity 0.1s;
  }
  .tile:hover .tile-button, .tile:focus-within .tile-button, .tile[aria-selected="true"] .tile-button { opacity: 1; }
  .tile-button.remove { right: 3px; }
  .tile-button.remove:hover { background: var(--_danger); }
  .tile-button.mask { right: 26px; }
  .tile-button.mask:hover { background: var(--_accent); }
  :host([readonly]) .tile-button { display: none; }

  .caption {
    flex: none; height: var(--_caption, 22px); padding: 0 6px; display: flex; align-items: center;
    border-top: 1px solid var(--_border); white-space: nowrap; overflow: hidden;
  }
  .label { overflow: hidden; text-overflow: ellipsis; flex: 1; }
  .label.placeholder { color: var(--_muted); font-style: italic; }
  .label-input {
    width: 100%; font: inherit; color: inherit; background: var(--_bg);
    border: 1px solid var(--_accent); border-radius: 3px; padding: 0 3px;
  }

  .drop-indicator {
    position: absolute; width: 4px; border-radius: 2px; background: var(--_accent);
    pointer-events: none; box-shadow: 0 0 6px var(--_accent);
  }
  .empty {
    position: absolute; inset: 6px; display: grid; place-items: center; text-align: center;
    border: 2px dashed var(--_border); border-radius: var(--_radius); color: var(--_muted); padding: 12px;
  }
  .visually-hidden {
    position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap;
  }
`;
