import { lutIndex } from '../data/colorScale';
import type { HeatmapRow } from '../data/heatmap';

export interface HeatmapGeometry {
  width: number;
  rowHeight: number;
  /** Empty pixels between rows (a grid line of background). */
  rowGap: number;
  cols: number;
}

/** Pixel x of each column edge (cols + 1 values), rounded so cells tile without seams. */
export function columnEdges(width: number, cols: number): Int32Array {
  const xs = new Int32Array(cols + 1);
  for (let c = 0; c <= cols; c++) {
    xs[c] = Math.round((c * width) / cols);
  }
  return xs;
}

/**
 * Paints the cells: one fillRect per run of equal color in a row (30k cells of a 200 x 168
 * heatmap take a few ms). The context is already scaled to CSS pixels.
 */
export function drawHeatmap(
  ctx: CanvasRenderingContext2D,
  rows: readonly HeatmapRow[],
  geo: HeatmapGeometry,
  lut: readonly string[],
  noData: string
): void {
  const { width, rowHeight, rowGap, cols } = geo;
  ctx.clearRect(0, 0, width, rows.length * rowHeight);
  if (cols === 0) {
    return;
  }
  const xs = columnEdges(width, cols);
  const h = Math.max(1, rowHeight - rowGap);
  for (let r = 0; r < rows.length; r++) {
    const levels = rows[r]!.levels;
    const y = r * rowHeight;
    let start = 0;
    let idx = lutIndex(levels[0]!, lut.length);
    for (let c = 1; c <= cols; c++) {
      const next = c < cols ? lutIndex(levels[c]!, lut.length) : Number.NaN;
      if (next !== idx) {
        ctx.fillStyle = idx < 0 ? noData : lut[idx]!;
        ctx.fillRect(xs[start]!, y, xs[c]! - xs[start]!, h);
        start = c;
        idx = next;
      }
    }
  }
}
