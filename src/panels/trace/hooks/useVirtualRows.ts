import { useCallback, useLayoutEffect, useRef, useState, type UIEvent } from 'react';

import { scrollTopToReveal, visibleRange } from '../data/virtualWindow';

interface Options {
  count: number;
  rowHeight: number;
  /** Height of the scroll viewport before it is measured (the panel's height is a fine guess). */
  estimatedHeight: number;
  /** Sticky content above the rows inside the scroll container (a header). */
  headerHeight?: number;
  overscan?: number;
  initialScrollTop?: number;
}

/**
 * Windowing for a fixed-row-height list: only rows near the viewport are rendered. State
 * changes only when the first visible row changes, so scrolling within a row costs nothing.
 */
export function useVirtualRows({
  count,
  rowHeight,
  estimatedHeight,
  headerHeight = 0,
  overscan = 8,
  initialScrollTop = 0,
}: Options) {
  const ref = useRef<HTMLDivElement>(null);
  const [firstRow, setFirstRow] = useState(() => Math.floor(initialScrollTop / rowHeight));
  const [viewport, setViewport] = useState(estimatedHeight);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) {
      return;
    }
    if (initialScrollTop > 0) {
      el.scrollTop = initialScrollTop;
    }
    const measure = () => {
      if (el.clientHeight > 0) {
        setViewport(el.clientHeight);
      }
    };
    measure();
    if (typeof ResizeObserver === 'undefined') {
      return;
    }
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
    // The initial scroll position is applied once, on mount.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const onScroll = useCallback(
    (e: UIEvent<HTMLElement>) => {
      setFirstRow(Math.floor(e.currentTarget.scrollTop / rowHeight));
    },
    [rowHeight]
  );

  const scrollToIndex = useCallback(
    (index: number) => {
      const el = ref.current;
      if (!el) {
        return;
      }
      const top = scrollTopToReveal(index, rowHeight, el.scrollTop, el.clientHeight || viewport, headerHeight);
      if (top !== undefined) {
        el.scrollTop = top;
        setFirstRow(Math.floor(top / rowHeight));
      }
    },
    [rowHeight, viewport, headerHeight]
  );

  const range = visibleRange(firstRow * rowHeight, viewport, rowHeight, count, overscan);
  // Rendered rows never exceed this many, so index % slots is a unique React key among them.
  // Keying by slot recycles a row's DOM for the row that replaces it while scrolling: React
  // updates text and styles instead of removing and creating elements.
  const slots = Math.ceil(Math.max(viewport, rowHeight) / rowHeight) + 1 + 2 * overscan;
  const slotKey = (index: number) => index % slots;
  return { ref, onScroll, scrollToIndex, slotKey, start: range.start, end: range.end, totalHeight: count * rowHeight };
}
