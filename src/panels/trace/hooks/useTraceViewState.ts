import { useCallback, useDeferredValue, useMemo, useState } from 'react';

import { searchSpans } from '../data/search';
import { ancestorIds, parentSpanIds, visibleSpans, type TraceTree } from '../data/traceTree';
import { clampWindow, fullWindow, isFullWindow, panWindow, zoomWindow, type TimeWindow } from '../data/viewport';

export type ColorBy = 'spanKind' | 'service';

interface Initial {
  colorBy: ColorBy;
  showCriticalPath: boolean;
}

/** A request to scroll a span's row into view; the nonce repeats a request for the same span. */
export interface Reveal {
  spanID: string;
  nonce: number;
}

const ZOOM_STEP = 0.5;

/**
 * Everything the trace view's user changes: collapsed spans, the selected span, the search
 * and its current match, the zoom window, critical path and color mode. Pure state and
 * derived rows; the components only render it.
 */
export function useTraceViewState(tree: TraceTree, initial: Initial) {
  const total = tree.durationMs;
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => new Set());
  const [selectedId, setSelectedId] = useState<string | undefined>();
  const [query, setQuery] = useState('');
  const [matchIndex, setMatchIndex] = useState(-1);
  const [view, setViewState] = useState<TimeWindow>(() => fullWindow(total));
  const [showCriticalPath, setShowCriticalPath] = useState(initial.showCriticalPath);
  const [colorBy, setColorBy] = useState<ColorBy>(initial.colorBy);
  const [reveal, setReveal] = useState<Reveal | undefined>();

  const rows = useMemo(() => visibleSpans(tree, collapsed), [tree, collapsed]);
  // Typing stays responsive on big traces: the search runs at lower priority than the input.
  const deferredQuery = useDeferredValue(query);
  const matches = useMemo(() => searchSpans(tree.spans, deferredQuery), [tree, deferredQuery]);
  const matchSet = useMemo(() => new Set(matches), [matches]);

  const toggle = useCallback((id: string) => {
    setCollapsed((cur) => {
      const next = new Set(cur);
      if (next.has(id)) {
        next.delete(id);
      } else {
        next.add(id);
      }
      return next;
    });
  }, []);

  const collapseAll = useCallback(() => setCollapsed(parentSpanIds(tree)), [tree]);
  const expandAll = useCallback(() => setCollapsed(new Set()), []);

  /** Selects a span, expanding its ancestors and scrolling it into view. */
  const revealSpan = useCallback(
    (id: string) => {
      const ancestors = ancestorIds(tree, id);
      setCollapsed((cur) => {
        if (!ancestors.some((a) => cur.has(a))) {
          return cur;
        }
        const next = new Set(cur);
        ancestors.forEach((a) => next.delete(a));
        return next;
      });
      setSelectedId(id);
      setReveal((r) => ({ spanID: id, nonce: (r?.nonce ?? 0) + 1 }));
    },
    [tree]
  );

  const search = useCallback((q: string) => {
    setQuery(q);
    setMatchIndex(-1);
  }, []);

  const gotoMatch = useCallback(
    (delta: 1 | -1) => {
      if (matches.length === 0) {
        return;
      }
      const next =
        matchIndex < 0 ? (delta > 0 ? 0 : matches.length - 1) : (matchIndex + delta + matches.length) % matches.length;
      setMatchIndex(next);
      revealSpan(matches[next]!);
    },
    [matches, matchIndex, revealSpan]
  );

  const setView = useCallback((w: TimeWindow) => setViewState(clampWindow(w, total)), [total]);
  const zoomBy = useCallback(
    (factor: number, anchor = 0.5) => setViewState((w) => zoomWindow(w, factor, anchor, total)),
    [total]
  );
  const pan = useCallback((deltaMs: number) => setViewState((w) => panWindow(w, deltaMs, total)), [total]);
  const resetZoom = useCallback(() => setViewState(fullWindow(total)), [total]);
  const zoomToSpan = useCallback(
    (id: string) => {
      const s = tree.byId.get(id);
      if (!s) {
        return;
      }
      // A little room either side, so the bar's edges stay visible.
      const pad = Math.max(s.durationMs * 0.05, total * 1e-4);
      setViewState(clampWindow({ start: s.offsetMs - pad, end: s.offsetMs + s.durationMs + pad }, total));
    },
    [tree, total]
  );

  return {
    rows,
    collapsed,
    toggle,
    collapseAll,
    expandAll,
    selectedId,
    select: setSelectedId,
    reveal,
    revealSpan,
    query,
    /** The matches are still for an earlier query (the search runs deferred). */
    searchPending: deferredQuery !== query,
    search,
    matches,
    matchSet,
    matchIndex,
    nextMatch: useCallback(() => gotoMatch(1), [gotoMatch]),
    prevMatch: useCallback(() => gotoMatch(-1), [gotoMatch]),
    view,
    zoomed: !isFullWindow(view, total),
    setView,
    zoomIn: useCallback(() => zoomBy(ZOOM_STEP), [zoomBy]),
    zoomOut: useCallback(() => zoomBy(1 / ZOOM_STEP), [zoomBy]),
    zoomBy,
    pan,
    resetZoom,
    zoomToSpan,
    showCriticalPath,
    setShowCriticalPath,
    colorBy,
    setColorBy,
  };
}

export type TraceViewState = ReturnType<typeof useTraceViewState>;
