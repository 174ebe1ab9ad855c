/** Rows of a fixed-height list that intersect the viewport, plus `overscan` rows either side. */
export interface RowRange {
  /** First row to render (inclusive). */
  start: number;
  /** Row after the last one to render (exclusive). */
  end: number;
}

export function visibleRange(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  count: number,
  overscan = 6
): RowRange {
  if (count <= 0 || rowHeight <= 0) {
    return { start: 0, end: 0 };
  }
  const first = Math.floor(Math.max(scrollTop, 0) / rowHeight);
  const visible = Math.ceil(Math.max(viewportHeight, rowHeight) / rowHeight) + 1;
  const start = Math.min(Math.max(first - overscan, 0), count - 1);
  const end = Math.min(first + visible + overscan, count);
  return { start, end: Math.max(end, start + 1) };
}

/**
 * The scrollTop that brings row `index` into view with the least movement (undefined when it
 * is already fully visible). `headerHeight` is a sticky header covering the top of the viewport.
 */
export function scrollTopToReveal(
  index: number,
  rowHeight: number,
  scrollTop: number,
  viewportHeight: number,
  headerHeight = 0
): number | undefined {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  const visibleTop = scrollTop;
  const visibleBottom = scrollTop + viewportHeight - headerHeight;
  if (top < visibleTop) {
    return top;
  }
  if (bottom > visibleBottom) {
    return bottom - (viewportHeight - headerHeight);
  }
  return undefined;
}
