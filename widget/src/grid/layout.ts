/** Windowing for the grid: where each tile goes and which tiles are on screen. Pure functions. */

export interface GridLayout {
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
  gap: number;
  totalHeight: number;
}

/** Columns of at least `minTile` px filling `width`; each tile a square thumbnail plus a caption line. */
export function gridLayout(width: number, count: number, minTile: number, gap: number, caption: number): GridLayout {
  const usable = Math.max(width, minTile);
  const columns = Math.max(1, Math.floor((usable + gap) / (minTile + gap)));
  const tileWidth = Math.floor((usable - gap * (columns - 1)) / columns);
  const tileHeight = tileWidth + caption;
  const rows = Math.ceil(count / columns);
  const totalHeight = rows > 0 ? rows * tileHeight + (rows - 1) * gap : 0;
  return { columns, rows, tileWidth, tileHeight, gap, totalHeight };
}

export function tilePosition(layout: GridLayout, index: number): { x: number; y: number } {
  const row = Math.floor(index / layout.columns);
  const column = index % layout.columns;
  return { x: column * (layout.tileWidth + layout.gap), y: row * (layout.tileHeight + layout.gap) };
}

/** Indices [start, end) of the tiles in the rows that intersect the viewport, plus `overscan` rows each side. */
export function visibleRange(layout: GridLayout, count: number, scrollTop: number, viewport: number,
                             overscan = 2): [number, number] {
  const rowStride = layout.tileHeight + layout.gap;
  const firstRow = Math.max(0, Math.floor(scrollTop / rowStride) - overscan);
  const lastRow = Math.min(layout.rows - 1, Math.floor((scrollTop + Math.max(viewport, rowStride)) / rowStride) + overscan);
  return [Math.min(count, firstRow * layout.columns), Math.min(count, (lastRow + 1) * layout.columns)];
}

/** How many tiles one PageUp/PageDown moves: the whole rows that fit in the viewport. */
export function pageStep(layout: GridLayout, viewport: number): number {
  return Math.max(1, Math.floor(viewport / (layout.tileHeight + layout.gap))) * layout.columns;
}
