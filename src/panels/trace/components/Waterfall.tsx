import React, { memo, useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2, useTheme2 } from '@grafana/ui';

import { formatCost, formatDuration } from '../../../shared/format';
import type { TraceSpan, TraceTree } from '../data/traceTree';
import { barGeometry, selectWindow, tickLabels, windowTicks, type TimeWindow } from '../data/viewport';
import { useVirtualRows } from '../hooks/useVirtualRows';
import type { TraceViewState } from '../hooks/useTraceViewState';
import { Glyph } from './glyphs';
import { testIds } from './testIds';

export const SPAN_ROW_HEIGHT = 26;
export const RULER_HEIGHT = 26;
const BAR_TOP = 4;
const BAR_HEIGHT = 14;
/** Below this drag distance (px) a press on the ruler is a click, not a zoom selection. */
const MIN_DRAG_PX = 4;
const WHEEL_ZOOM = 1.2;

interface Props {
  tree: TraceTree;
  state: TraceViewState;
  colorOf: (span: TraceSpan) => string;
  /** What a span's color stands for (its kind or service), as the swatch's tooltip. */
  labelOf: (span: TraceSpan) => string;
  nameWidth: number;
  /** Approximate width of the timeline column (px), to place bar labels where they fit. */
  trackWidth: number;
  estimatedHeight: number;
}

type MatchState = 'none' | 'match' | 'current' | 'dimmed';

/**
 * The span waterfall: a sticky time ruler (drag across it to zoom) over windowed rows, so a
 * trace of ten thousand spans renders only the rows on screen. Ctrl/⌘ + wheel zooms at the
 * pointer, Shift + wheel pans.
 */
export function Waterfall({ tree, state, colorOf, labelOf, nameWidth, trackWidth, estimatedHeight }: Props) {
  const styles = useStyles2(getStyles);
  const { rows, view, reveal } = state;
  const virtual = useVirtualRows({
    count: rows.length,
    rowHeight: SPAN_ROW_HEIGHT,
    estimatedHeight,
    headerHeight: RULER_HEIGHT,
  });
  const { ref: scrollRef, scrollToIndex } = virtual;
  const trackRef = useRef<HTMLDivElement>(null);
  const [drag, setDrag] = useState<{ from: number; to: number } | undefined>();

  const ticks = useMemo(() => windowTicks(view), [view]);
  const labels = useMemo(() => tickLabels(ticks, formatDuration), [ticks]);
  const viewWidth = view.end - view.start;
  const frac = (ms: number) => (viewWidth > 0 ? (ms - view.start) / viewWidth : 0);

  // Scroll a revealed span (search match, keyboard) into view once its row exists.
  const indexById = useMemo(() => new Map(rows.map((s, i) => [s.spanID, i])), [rows]);
  useEffect(() => {
    if (reveal) {
      const index = indexById.get(reveal.spanID);
      if (index !== undefined) {
        scrollToIndex(index);
      }
    }
  }, [reveal, indexById, scrollToIndex]);

  // Wheel zoom needs preventDefault, which React's passive wheel listener cannot do.
  const { zoomBy, pan } = state;
  useEffect(() => {
    const el = scrollRef.current;
    if (!el) {
      return;
    }
    const onWheel = (e: WheelEvent) => {
      const track = trackRef.current?.getBoundingClientRect();
      if (!track || track.width <= 0) {
        return;
      }
      if (e.ctrlKey || e.metaKey) {
        e.preventDefault();
        const anchor = (e.clientX - track.left) / track.width;
        zoomBy(e.deltaY > 0 ? WHEEL_ZOOM : 1 / WHEEL_ZOOM, anchor);
      } else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
        e.preventDefault();
        const delta = e.shiftKey && e.deltaX === 0 ? e.deltaY : e.deltaX;
        pan((delta / track.width) * viewWidth);
      }
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [scrollRef, zoomBy, pan, viewWidth]);

  const pointerFrac = (clientX: number) => {
    const r = trackRef.current?.getBoundingClientRect();
    return r && r.width > 0 ? Math.min(Math.max((clientX - r.left) / r.width, 0), 1) : 0;
  };
  const onRulerDown = (e: React.PointerEvent<HTMLDivElement>) => {
    if (e.button !== 0) {
      return;
    }
    e.currentTarget.setPointerCapture?.(e.pointerId);
    const f = pointerFrac(e.clientX);
    setDrag({ from: f, to: f });
  };
  const onRulerMove = (e: React.PointerEvent<HTMLDivElement>) => {
    if (drag) {
      setDrag({ from: drag.from, to: pointerFrac(e.clientX) });
    }
  };
  const onRulerUp = () => {
    const width = trackRef.current?.getBoundingClientRect().width ?? 0;
    if (drag && Math.abs(drag.to - drag.from) * width >= MIN_DRAG_PX) {
      state.setView(selectWindow(view, drag.from, drag.to, tree.durationMs));
    }
    setDrag(undefined);
  };

  const { toggle, select, zoomToSpan } = state;
  const focusRow = useCallback(
    (index: number) => {
      scrollToIndex(index);
      requestAnimationFrame(() =>
        scrollRef.current?.querySelector<HTMLElement>(`[data-row-index="${index}"]`)?.focus()
      );
    },
    [scrollToIndex, scrollRef]
  );
  const collapsed = state.collapsed;
  const onRowKey = useCallback(
    (index: number, span: TraceSpan, e: KeyboardEvent<HTMLDivElement>) => {
      switch (e.key) {
        case 'Enter':
        case ' ':
          select(span.spanID);
          break;
        case 'ArrowDown':
          if (index + 1 < rows.length) {
            focusRow(index + 1);
          }
          break;
        case 'ArrowUp':
          if (index > 0) {
            focusRow(index - 1);
          }
          break;
        case 'ArrowLeft':
          if (span.children.length && !collapsed.has(span.spanID)) {
            toggle(span.spanID);
          } else {
            const parent = indexById.get(span.parentSpanID);
            if (parent !== undefined) {
              focusRow(parent);
            }
          }
          break;
        case 'ArrowRight':
          if (collapsed.has(span.spanID)) {
            toggle(span.spanID);
          }
          break;
        default:
          return;
      }
      e.preventDefault();
    },
    [select, toggle, focusRow, rows.length, collapsed, indexById]
  );

  const searching = state.query.trim() !== '';
  const currentMatch = state.matchIndex >= 0 ? state.matches[state.matchIndex] : undefined;
  const gridTemplate = `${nameWidth}px 1fr`;
  const visible = rows.slice(virtual.start, virtual.end);

  return (
    <div
      ref={scrollRef}
      className={styles.scroll}
      onScroll={virtual.onScroll}
      role="tree"
      aria-label="Spans"
      data-testid={testIds.waterfall}
    >
      <div className={styles.ruler} style={{ gridTemplateColumns: gridTemplate }} data-testid={testIds.ruler}>
        <div className={styles.rulerName}>
          Span
          {state.zoomed && (
            <span className={styles.zoomNote} data-testid={testIds.zoomNote}>
              {formatDuration(view.start)} – {formatDuration(view.end)}
            </span>
          )}
        </div>
        <div
          ref={trackRef}
          className={styles.rulerTrack}
          onPointerDown={onRulerDown}
          onPointerMove={onRulerMove}
          onPointerUp={onRulerUp}
          onPointerCancel={() => setDrag(undefined)}
          title="Drag to zoom into a time range"
          data-testid={testIds.rulerTrack}
        >
          {ticks.map((tick, i) => {
            const f = frac(tick);
            return (
              <span
                key={tick}
                className={f > 0.92 ? styles.tickEnd : styles.tick}
                style={{ left: `${f * 100}%` }}
                data-testid={testIds.tick}
              >
                {labels[i]}
              </span>
            );
          })}
          {drag && (
            <span
              className={styles.dragSelection}
              style={{
                left: `${Math.min(drag.from, drag.to) * 100}%`,
                width: `${Math.abs(drag.to - drag.from) * 100}%`,
              }}
            />
          )}
        </div>
      </div>
      <div className={styles.body} style={{ height: virtual.totalHeight }}>
        <div className={styles.grid} style={{ left: nameWidth }} aria-hidden>
          {ticks.map((tick) => (
            <span key={tick} className={styles.gridLine} style={{ left: `${frac(tick) * 100}%` }} />
          ))}
        </div>
        {visible.map((span, i) => {
          const index = virtual.start + i;
          const match: MatchState = !searching
            ? 'none'
            : span.spanID === currentMatch
              ? 'current'
              : state.matchSet.has(span.spanID)
                ? 'match'
                : 'dimmed';
          const parent = tree.byId.get(span.parentSpanID);
          return (
            <SpanRow
              key={virtual.slotKey(index)}
              span={span}
              index={index}
              gridTemplate={gridTemplate}
              nameWidth={nameWidth}
              trackWidth={trackWidth}
              view={view}
              traceStartMs={tree.startMs}
              color={colorOf(span)}
              colorLabel={labelOf(span)}
              selected={span.spanID === state.selectedId}
              collapsed={collapsed.has(span.spanID)}
              match={match}
              showService={span.depth === 0 || !parent || parent.serviceName !== span.serviceName}
              criticalPath={state.showCriticalPath ? tree.criticalPath.get(span.spanID) : undefined}
              onToggle={toggle}
              onSelect={select}
              onZoom={zoomToSpan}
              onKey={onRowKey}
            />
          );
        })}
      </div>
    </div>
  );
}

interface RowProps {
  span: TraceSpan;
  index: number;
  gridTemplate: string;
  nameWidth: number;
  trackWidth: number;
  view: TimeWindow;
  traceStartMs: number;
  color: string;
  colorLabel: string;
  selected: boolean;
  collapsed: boolean;
  match: MatchState;
  showService: boolean;
  criticalPath?: Array<[number, number]>;
  onToggle: (id: string) => void;
  onSelect: (id: string) => void;
  onZoom: (id: string) => void;
  onKey: (index: number, span: TraceSpan, e: KeyboardEvent<HTMLDivElement>) => void;
}

const SpanRow = memo(function SpanRow({
  span,
  index,
  gridTemplate,
  nameWidth,
  trackWidth,
  view,
  traceStartMs,
  color,
  colorLabel,
  selected,
  collapsed,
  match,
  showService,
  criticalPath,
  onToggle,
  onSelect,
  onZoom,
  onKey,
}: RowProps) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const bar = barGeometry(span.offsetMs, span.durationMs, view);
  const barColor = span.isError ? theme.colors.error.main : color;
  const indent = Math.min(span.depth * 14, Math.max(nameWidth - 120, 0));
  const label = `${formatDuration(span.durationMs)}${span.model ? ` · ${span.model}` : ''}${
    span.costUsd > 0 ? ` · ${formatCost(span.costUsd)}` : ''
  }`;
  const place = bar ? labelPlace(bar.left, bar.width, trackWidth, label.length) : 'none';
  const onPath = criticalPath !== undefined && criticalPath.length > 0;

  return (
    <div
      role="treeitem"
      aria-level={span.depth + 1}
      aria-expanded={span.children.length ? !collapsed : undefined}
      aria-selected={selected}
      tabIndex={0}
      data-testid={testIds.spanRow}
      data-row-index={index}
      data-span-id={span.spanID}
      data-critical={onPath || undefined}
      data-match={match === 'none' || match === 'dimmed' ? undefined : match}
      data-dimmed={match === 'dimmed' || undefined}
      // One class, variants by attribute: emotion's cx() would serialise styles on every render.
      className={styles.row}
      style={{ gridTemplateColumns: gridTemplate, transform: `translateY(${index * SPAN_ROW_HEIGHT}px)` }}
      onClick={() => onSelect(span.spanID)}
      onDoubleClick={() => onZoom(span.spanID)}
      onKeyDown={(e) => onKey(index, span, e)}
    >
      <div className={styles.name} style={{ paddingLeft: indent + 4 }}>
        {span.children.length > 0 ? (
          <button
            type="button"
            className={styles.toggle}
            data-testid={testIds.spanToggle}
            aria-label={collapsed ? `Expand ${span.operationName}` : `Collapse ${span.operationName}`}
            onClick={(e) => {
              e.stopPropagation();
              onToggle(span.spanID);
            }}
            onDoubleClick={(e) => e.stopPropagation()}
          >
            <Glyph name={collapsed ? 'chevron-right' : 'chevron-down'} size={12} />
          </button>
        ) : (
          <span className={styles.toggleSpacer} />
        )}
        <span className={styles.swatch} style={{ background: barColor }} title={span.isError ? 'error' : colorLabel} />
        {span.isError && <Glyph name="alert" size={13} className={styles.errorIcon} title="Error" />}
        <span className={styles.op} title={span.operationName}>
          {span.operationName}
        </span>
        {showService && <span className={styles.service}>{span.serviceName}</span>}
        {collapsed && (
          <span
            className={styles.hidden}
            data-errors={span.descendantErrors > 0 || undefined}
            title={
              span.descendantErrors > 0
                ? `${span.descendantCount} hidden spans, ${span.descendantErrors} with errors`
                : `${span.descendantCount} hidden spans`
            }
          >
            +{span.descendantCount}
          </span>
        )}
      </div>
      <div className={styles.track}>
        {bar && (
          <span
            className={styles.bar}
            style={{
              left: `${bar.left * 100}%`,
              width: `max(${bar.width * 100}%, 2px)`,
              background: barColor,
              // Square ends where the bar continues outside the zoom window.
              borderRadius: `${bar.clippedStart ? 0 : 2}px ${bar.clippedEnd ? 0 : 2}px ${bar.clippedEnd ? 0 : 2}px ${
                bar.clippedStart ? 0 : 2
              }px`,
            }}
            data-testid={testIds.spanBar}
          />
        )}
        {criticalPath?.map(([a, b]) => {
          const seg = barGeometry(a - traceStartMs, b - a, view);
          return seg && seg.width > 0 ? (
            <span
              key={a}
              className={styles.critical}
              style={{ left: `${seg.left * 100}%`, width: `${seg.width * 100}%` }}
              data-testid={testIds.criticalSegment}
            />
          ) : null;
        })}
        {bar && place !== 'none' && (
          <span
            className={styles.barLabel}
            style={
              place === 'after'
                ? { left: `${(bar.left + bar.width) * 100}%` }
                : place === 'before'
                  ? { right: `${(1 - bar.left) * 100}%` }
                  : {
                      right: `${(1 - bar.left - bar.width) * 100}%`,
                      color: theme.colors.getContrastText(barColor),
                      fontWeight: theme.typography.fontWeightMedium,
                    }
            }
          >
            {label}
          </span>
        )}
      </div>
    </div>
  );
});

/** Average width of a label character at the 11 px label size. */
const LABEL_CHAR_PX = 6;

/** Label after the bar if it fits, else before it, else inside it, else where most of it shows. */
function labelPlace(left: number, width: number, trackWidth: number, chars: number): 'after' | 'before' | 'inside' {
  const need = chars * LABEL_CHAR_PX + 8;
  const after = (1 - left - width) * trackWidth;
  const before = left * trackWidth;
  if (after >= need) {
    return 'after';
  }
  if (before >= need) {
    return 'before';
  }
  if (width * trackWidth >= need) {
    return 'inside';
  }
  return after >= before ? 'after' : 'before';
}

const tickStyle = (theme: GrafanaTheme2) =>
  ({
    position: 'absolute',
    top: 0,
    bottom: 0,
    display: 'flex',
    alignItems: 'center',
    paddingLeft: 3,
    color: theme.colors.text.secondary,
    whiteSpace: 'nowrap',
    borderLeft: `1px solid ${theme.colors.border.medium}`,
    fontSize: 11,
    pointerEvents: 'none',
  }) as const;

const getStyles = (theme: GrafanaTheme2) => ({
  scroll: css({
    flex: 1,
    minHeight: 0,
    minWidth: 0,
    overflow: 'auto',
    position: 'relative',
    overscrollBehavior: 'contain',
  }),
  ruler: css({
    display: 'grid',
    position: 'sticky',
    top: 0,
    zIndex: 3,
    height: RULER_HEIGHT,
    background: theme.colors.background.primary,
    borderBottom: `1px solid ${theme.colors.border.medium}`,
  }),
  rulerName: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    paddingLeft: theme.spacing(0.5),
    color: theme.colors.text.secondary,
    overflow: 'hidden',
    whiteSpace: 'nowrap',
    borderRight: `1px solid ${theme.colors.border.weak}`,
  }),
  zoomNote: css({
    color: theme.colors.text.link,
    fontSize: 11,
  }),
  rulerTrack: css({
    position: 'relative',
    height: '100%',
    marginRight: theme.spacing(1),
    cursor: 'col-resize',
    userSelect: 'none',
    touchAction: 'none',
  }),
  tick: css(tickStyle(theme)),
  // The last tick's label goes left of its line, inside the ruler.
  tickEnd: css({
    ...tickStyle(theme),
    transform: 'translateX(-100%)',
    paddingLeft: 0,
    paddingRight: 3,
    borderLeft: 'none',
    borderRight: `1px solid ${theme.colors.border.medium}`,
  }),
  dragSelection: css({
    position: 'absolute',
    top: 0,
    bottom: 0,
    background: theme.colors.primary.transparent,
    borderLeft: `1px solid ${theme.colors.primary.border}`,
    borderRight: `1px solid ${theme.colors.primary.border}`,
    pointerEvents: 'none',
  }),
  body: css({
    position: 'relative',
  }),
  grid: css({
    position: 'absolute',
    top: 0,
    bottom: 0,
    right: theme.spacing(1),
    pointerEvents: 'none',
  }),
  gridLine: css({
    position: 'absolute',
    top: 0,
    bottom: 0,
    width: 1,
    background: theme.colors.border.weak,
  }),
  row: css({
    display: 'grid',
    position: 'absolute',
    top: 0,
    left: 0,
    right: 0,
    height: SPAN_ROW_HEIGHT,
    alignItems: 'center',
    cursor: 'pointer',
    // Each row lays out and paints on its own: scrolling adds rows without relayout of the rest.
    contain: 'strict',
    borderBottom: `1px solid ${theme.colors.border.weak}`,
    '&:hover': { background: theme.colors.action.hover },
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.main}`, outlineOffset: -2 },
    '&[aria-selected="true"]': {
      background: theme.colors.action.selected,
      boxShadow: `inset 3px 0 0 ${theme.colors.primary.main}`,
    },
    '&[data-match]': { background: theme.colors.warning.transparent },
    '&[data-match="current"]': { outline: `1px solid ${theme.colors.warning.border}`, outlineOffset: -1 },
    '&[data-dimmed] > *': { opacity: 0.45 },
  }),
  name: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    minWidth: 0,
    height: '100%',
    overflow: 'hidden',
    whiteSpace: 'nowrap',
    borderRight: `1px solid ${theme.colors.border.weak}`,
    paddingRight: theme.spacing(0.5),
  }),
  toggle: css({
    all: 'unset',
    cursor: 'pointer',
    display: 'inline-flex',
    width: 16,
    flex: 'none',
    justifyContent: 'center',
    alignItems: 'center',
    color: theme.colors.text.secondary,
    '&:hover': { color: theme.colors.text.primary },
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.main}` },
  }),
  toggleSpacer: css({
    display: 'inline-block',
    width: 16,
    flex: 'none',
  }),
  swatch: css({
    width: 8,
    height: 8,
    borderRadius: 2,
    flex: 'none',
  }),
  errorIcon: css({
    color: theme.colors.error.text,
    flex: 'none',
  }),
  op: css({
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    color: theme.colors.text.primary,
    fontWeight: theme.typography.fontWeightMedium,
  }),
  service: css({
    color: theme.colors.text.secondary,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    flexShrink: 10,
  }),
  hidden: css({
    color: theme.colors.text.secondary,
    border: `1px solid ${theme.colors.border.medium}`,
    borderRadius: theme.shape.radius.pill,
    padding: theme.spacing(0, 0.5),
    flex: 'none',
    fontSize: 11,
    '&[data-errors]': { color: theme.colors.error.text, borderColor: theme.colors.error.border },
  }),
  track: css({
    position: 'relative',
    height: '100%',
    marginRight: theme.spacing(1),
    // Labels that do not fit are cut at the column's edge, not drawn over the names.
    overflow: 'hidden',
  }),
  bar: css({
    position: 'absolute',
    top: BAR_TOP,
    height: BAR_HEIGHT,
  }),
  // Under the bar, not through it: a label inside the bar stays readable.
  critical: css({
    position: 'absolute',
    top: BAR_TOP + BAR_HEIGHT + 2,
    height: 3,
    borderRadius: 1,
    background: theme.colors.text.primary,
    opacity: 0.85,
    pointerEvents: 'none',
  }),
  barLabel: css({
    position: 'absolute',
    top: BAR_TOP,
    lineHeight: `${BAR_HEIGHT}px`,
    padding: theme.spacing(0, 0.5),
    whiteSpace: 'nowrap',
    color: theme.colors.text.secondary,
    pointerEvents: 'none',
    fontSize: 11,
  }),
});
