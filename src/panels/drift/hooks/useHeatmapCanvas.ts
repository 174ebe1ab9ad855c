import { useLayoutEffect, type RefObject } from 'react';

import { drawHeatmap, type HeatmapGeometry } from '../components/drawHeatmap';
import type { HeatmapRow } from '../data/heatmap';

/** Browsers refuse canvases much taller than this (device pixels). */
const MAX_CANVAS_PX = 16_000;

/** Sizes the canvas for the device pixel ratio and repaints it when the cells, size or colors change. */
export function useHeatmapCanvas(
  ref: RefObject<HTMLCanvasElement | null>,
  rows: readonly HeatmapRow[],
  geo: HeatmapGeometry,
  lut: readonly string[],
  noData: string
): void {
  const { width, rowHeight, rowGap, cols } = geo;
  // Painting before the browser paints: no frame with an empty heatmap.
  useLayoutEffect(() => {
    const canvas = ref.current;
    if (!canvas) {
      return;
    }
    const cssHeight = rows.length * rowHeight;
    const dpr = Math.min(window.devicePixelRatio || 1, MAX_CANVAS_PX / Math.max(cssHeight, 1), 2);
    canvas.width = Math.max(1, Math.round(width * dpr));
    canvas.height = Math.max(1, Math.round(cssHeight * dpr));
    const ctx = canvas.getContext('2d');
    // jsdom (unit tests) has no 2D context.
    if (!ctx || typeof ctx.fillRect !== 'function') {
      return;
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    drawHeatmap(ctx, rows, { width, rowHeight, rowGap, cols }, lut, noData);
    canvas.dataset.painted = String(rows.length * cols);
  }, [ref, rows, width, rowHeight, rowGap, cols, lut, noData]);
}
