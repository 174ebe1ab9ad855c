import React, { memo, useCallback, useMemo, useState, type KeyboardEvent } from 'react';
import { css } from '@emotion/css';
import { dateTimeFormat, type GrafanaTheme2, type LinkModel } from '@grafana/data';
import { Icon, useStyles2 } from '@grafana/ui';

import { formatCompact, formatCost, formatDuration, formatInt, shortId } from '../../../shared/format';
import {
  sortTraceRows,
  traceHighlights,
  type TraceHighlights,
  type TraceListRow,
  type TraceSort,
  type TraceSortKey,
} from '../data/traceList';
import { useVirtualRows } from '../hooks/useVirtualRows';
import type { TracePanelOptions } from '../types';
import { Glyph } from './glyphs';
import { MiniWaterfall } from './MiniWaterfall';
import { testIds } from './testIds';

interface Props {
  rows: TraceListRow[];
  options: TracePanelOptions;
  timeZone: string;
  /** Height available to the list (header, rows and footer). */
  height: number;
  selectedTraceId?: string;
  onSelect: (row: TraceListRow) => void;
  linksFor: (row: TraceListRow) => LinkModel[];
  initialScrollTop?: number;
  onScrollTopChange?: (top: number) => void;
}

type ColumnKey =
  'trace' | 'start' | 'service' | 'models' | 'duration' | 'status' | 'spans' | 'tokens' | 'cost' | 'waterfall' | 'link';

interface Column {
  key: ColumnKey;
  title: string;
  sortKey?: TraceSortKey;
  align?: 'right';
  /** CSS grid track: fixed widths for numbers (no jitter while scrolling), fractions for text. */
  track: string;
  minWidth: number;
  visible: (o: TracePanelOptions) => boolean;
}

const COLUMNS: Column[] = [
  {
    key: 'trace',
    title: 'Trace',
    sortKey: 'rootName',
    track: 'minmax(170px, 2.2fr)',
    minWidth: 170,
    visible: () => true,
  },
  { key: 'start', title: 'Started', sortKey: 'startTime', track: '112px', minWidth: 112, visible: () => true },
  {
    key: 'service',
    title: 'Service',
    sortKey: 'serviceName',
    track: 'minmax(90px, 1fr)',
    minWidth: 90,
    visible: (o) => o.showServiceColumn,
  },
  {
    key: 'models',
    title: 'Model',
    sortKey: 'models',
    track: 'minmax(100px, 1.2fr)',
    minWidth: 100,
    visible: (o) => o.showModelColumn,
  },
  {
    key: 'duration',
    title: 'Duration',
    sortKey: 'durationMs',
    align: 'right',
    track: '86px',
    minWidth: 86,
    visible: (o) => o.showDurationColumn,
  },
  {
    key: 'status',
    title: 'Status',
    sortKey: 'status',
    track: '92px',
    minWidth: 92,
    visible: (o) => o.showStatusColumn,
  },
  {
    key: 'spans',
    title: 'Spans',
    sortKey: 'spanCount',
    align: 'right',
    track: '58px',
    minWidth: 58,
    visible: (o) => o.showSpansColumn,
  },
  {
    key: 'tokens',
    title: 'Tokens',
    sortKey: 'totalTokens',
    align: 'right',
    track: '66px',
    minWidth: 66,
    visible: (o) => o.showTokensColumn,
  },
  {
    key: 'cost',
    title: 'Cost',
    sortKey: 'costUsd',
    align: 'right',
    track: '84px',
    minWidth: 84,
    visible: (o) => o.showCostColumn,
  },
  {
    key: 'waterfall',
    title: 'Waterfall',
    track: 'minmax(110px, 1.5fr)',
    minWidth: 110,
    visible: (o) => o.showWaterfallColumn,
  },
  { key: 'link', title: '', track: '32px', minWidth: 32, visible: () => true },
];

export const TRACE_ROW_HEIGHT = 40;
const HEADER_HEIGHT = 30;
const FOOTER_HEIGHT = 26;

/** First click sorts numbers and times descending (biggest/newest first), text ascending. */
function firstDirection(key: TraceSortKey): 'asc' | 'desc' {
  return key === 'rootName' || key === 'serviceName' || key === 'models' ? 'asc' : 'desc';
}

/** The trace list: a sortable table whose rows are windowed, so thousands of traces stay cheap. */
export function TraceList({
  rows,
  options,
  timeZone,
  height,
  selectedTraceId,
  onSelect,
  linksFor,
  initialScrollTop = 0,
  onScrollTopChange,
}: Props) {
  const styles = useStyles2(getStyles);
  const [sort, setSort] = useState<TraceSort | undefined>();
  const columns = useMemo(() => COLUMNS.filter((c) => c.visible(options)), [options]);
  const grid = useMemo(
    () => ({
      gridTemplateColumns: columns.map((c) => c.track).join(' '),
      minWidth: columns.reduce((n, c) => n + c.minWidth, 0),
    }),
    [columns]
  );

  const shown = useMemo(() => {
    const sorted = sort ? sortTraceRows(rows, sort) : rows;
    return sorted.slice(0, options.maxTraces);
  }, [rows, sort, options.maxTraces]);
  const truncated = rows.length > shown.length;

  const virtual = useVirtualRows({
    count: shown.length,
    rowHeight: TRACE_ROW_HEIGHT,
    estimatedHeight: Math.max(height - (truncated ? FOOTER_HEIGHT : 0), TRACE_ROW_HEIGHT),
    headerHeight: HEADER_HEIGHT,
    initialScrollTop,
  });
  const { onScroll: onVirtualScroll, scrollToIndex, ref } = virtual;
  const onScroll = useCallback(
    (e: React.UIEvent<HTMLDivElement>) => {
      onVirtualScroll(e);
      onScrollTopChange?.(e.currentTarget.scrollTop);
    },
    [onVirtualScroll, onScrollTopChange]
  );

  const toggleSort = (key: TraceSortKey) => {
    setSort((cur) =>
      cur?.key === key
        ? { key, direction: cur.direction === 'asc' ? 'desc' : 'asc' }
        : { key, direction: firstDirection(key) }
    );
  };

  const onRowKey = useCallback(
    (index: number, row: TraceListRow, e: KeyboardEvent<HTMLDivElement>) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        onSelect(row);
        return;
      }
      const target = e.key === 'ArrowDown' ? index + 1 : e.key === 'ArrowUp' ? index - 1 : -1;
      if (target >= 0 && target < shown.length) {
        e.preventDefault();
        scrollToIndex(target);
        // The target row may only exist after the next render.
        requestAnimationFrame(() => ref.current?.querySelector<HTMLElement>(`[data-row-index="${target}"]`)?.focus());
      }
    },
    [onSelect, scrollToIndex, ref, shown.length]
  );

  const visible = shown.slice(virtual.start, virtual.end);

  return (
    <div className={styles.wrapper} style={{ height }}>
      <div
        ref={ref}
        className={styles.scroll}
        onScroll={onScroll}
        role="table"
        aria-label="Traces"
        aria-rowcount={shown.length + 1}
        data-testid={testIds.list}
      >
        <div className={styles.header} role="row" aria-rowindex={1} style={grid}>
          {columns.map((c) => {
            const active = sort && c.sortKey === sort.key;
            return (
              <div
                key={c.key}
                role="columnheader"
                className={c.align === 'right' ? styles.thRight : styles.th}
                aria-sort={active ? (sort.direction === 'asc' ? 'ascending' : 'descending') : undefined}
              >
                {c.key === 'link' ? (
                  <span className={styles.srOnly}>Links</span>
                ) : c.sortKey ? (
                  <button type="button" className={styles.sortButton} onClick={() => toggleSort(c.sortKey!)}>
                    {c.title}
                    {active && <Icon name={sort.direction === 'asc' ? 'arrow-up' : 'arrow-down'} size="sm" />}
                  </button>
                ) : (
                  c.title
                )}
              </div>
            );
          })}
        </div>
        <div className={styles.body} style={{ height: virtual.totalHeight, minWidth: grid.minWidth }} role="rowgroup">
          {visible.map((row, i) => {
            const index = virtual.start + i;
            return (
              <TraceRow
                key={virtual.slotKey(index)}
                row={row}
                index={index}
                columns={columns}
                grid={grid.gridTemplateColumns}
                slowThresholdMs={options.slowThresholdMs}
                expensiveThresholdUsd={options.expensiveThresholdUsd}
                selected={row.traceID === selectedTraceId}
                timeZone={timeZone}
                linksFor={linksFor}
                onSelect={onSelect}
                onKey={onRowKey}
              />
            );
          })}
        </div>
      </div>
      {truncated && (
        <div className={styles.footer} data-testid={testIds.footer}>
          Showing {formatInt(shown.length)} of {formatInt(rows.length)} traces (panel option “Max traces”)
        </div>
      )}
    </div>
  );
}

interface RowProps {
  row: TraceListRow;
  index: number;
  columns: Column[];
  grid: string;
  slowThresholdMs: number;
  expensiveThresholdUsd: number;
  selected: boolean;
  timeZone: string;
  linksFor: (row: TraceListRow) => LinkModel[];
  onSelect: (row: TraceListRow) => void;
  onKey: (index: number, row: TraceListRow, e: KeyboardEvent<HTMLDivElement>) => void;
}

const TraceRow = memo(function TraceRow({
  row,
  index,
  columns,
  grid,
  slowThresholdMs,
  expensiveThresholdUsd,
  selected,
  timeZone,
  linksFor,
  onSelect,
  onKey,
}: RowProps) {
  const styles = useStyles2(getStyles);
  // Resolving data links interpolates templates: once per row, not on every scroll.
  const links = useMemo(() => linksFor(row), [linksFor, row]);
  const highlights = traceHighlights(row, { slowThresholdMs, expensiveThresholdUsd });
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      aria-selected={selected}
      tabIndex={0}
      data-testid={testIds.row}
      data-row-index={index}
      data-error={highlights.error || undefined}
      data-slow={highlights.slow || undefined}
      data-expensive={highlights.expensive || undefined}
      // One class, variants by attribute: emotion's cx() would serialise styles on every render.
      className={styles.row}
      style={{ gridTemplateColumns: grid, transform: `translateY(${index * TRACE_ROW_HEIGHT}px)` }}
      onClick={() => onSelect(row)}
      onKeyDown={(e) => onKey(index, row, e)}
    >
      {columns.map((c) => (
        <div key={c.key} role="cell" className={c.align === 'right' ? styles.tdRight : styles.td}>
          {renderCell(c.key, row, highlights, timeZone, links, styles)}
        </div>
      ))}
    </div>
  );
});

type Styles = ReturnType<typeof getStyles>;

function renderCell(
  key: ColumnKey,
  row: TraceListRow,
  hl: TraceHighlights,
  timeZone: string,
  links: LinkModel[],
  styles: Styles
) {
  switch (key) {
    case 'trace':
      return (
        <div className={styles.traceCell}>
          <span className={styles.rootName} title={row.rootName}>
            {row.rootName || '(no root span)'}
          </span>
          <span className={styles.traceId} title={row.traceID}>
            {shortId(row.traceID)}
          </span>
        </div>
      );
    case 'start':
      return (
        <span className={styles.nowrap}>{dateTimeFormat(row.startTime, { timeZone, format: 'MM-DD HH:mm:ss' })}</span>
      );
    case 'service':
      return (
        <span className={styles.ellipsis} title={row.serviceName}>
          {row.serviceName}
        </span>
      );
    case 'models':
      return <Models models={row.models} styles={styles} />;
    case 'duration':
      return (
        <span className={hl.slow ? styles.warn : styles.nowrap} title={hl.slow ? 'Slow trace' : undefined}>
          {hl.slow && <Glyph name="clock" size={13} className={styles.inlineIcon} />}
          {formatDuration(row.durationMs)}
        </span>
      );
    case 'status':
      return row.status === 'error' ? (
        <span className={styles.badgeError}>
          <Glyph name="alert" size={13} />
          {row.errorCount > 1 ? `${row.errorCount} errors` : 'Error'}
        </span>
      ) : (
        <span className={styles.badgeOk}>OK</span>
      );
    case 'spans':
      return formatInt(row.spanCount);
    case 'tokens':
      return (
        <span className={styles.nowrap} title={`${formatInt(row.inputTokens)} in / ${formatInt(row.outputTokens)} out`}>
          {formatCompact(row.totalTokens)}
        </span>
      );
    case 'cost':
      return (
        <span
          className={hl.expensive ? styles.warn : styles.nowrap}
          title={hl.expensive ? 'Expensive trace' : undefined}
        >
          {hl.expensive && <Glyph name="flame" size={13} className={styles.inlineIcon} />}
          {formatCost(row.costUsd)}
        </span>
      );
    case 'waterfall':
      return <MiniWaterfall cell={row.waterfallCell} durationMs={row.durationMs} />;
    case 'link': {
      const link = links[0];
      // A plain title, not a Tooltip: a floating tooltip per row is costly in a long list.
      return link ? (
        <a
          href={link.href}
          target={link.target}
          className={styles.link}
          title={link.title || 'Open in Explore'}
          aria-label={`Open trace ${row.traceID} in Explore`}
          onClick={(e) => {
            e.stopPropagation();
            link.onClick?.(e);
          }}
        >
          <Glyph name="compass" size={16} />
        </a>
      ) : null;
    }
  }
}

/** The first model as a chip, the rest behind "+N" (rows stay one line high). */
function Models({ models, styles }: { models: string[]; styles: Styles }) {
  if (models.length === 0) {
    return null;
  }
  const [first, ...rest] = models;
  return (
    <span className={styles.models} title={models.join(', ')}>
      <span className={styles.chip}>{first}</span>
      {rest.length > 0 && <span className={styles.more}>+{rest.length}</span>}
    </span>
  );
}

const headerCellStyle = (theme: GrafanaTheme2) =>
  ({
    padding: theme.spacing(0, 1),
    fontWeight: theme.typography.fontWeightMedium,
    color: theme.colors.text.secondary,
    whiteSpace: 'nowrap',
    overflow: 'hidden',
  }) as const;

const cellStyle = (theme: GrafanaTheme2) =>
  ({
    display: 'flex',
    alignItems: 'center',
    minWidth: 0,
    height: '100%',
    padding: theme.spacing(0, 1),
    overflow: 'hidden',
  }) as const;

const badgeStyle = (theme: GrafanaTheme2) =>
  ({
    display: 'inline-flex',
    alignItems: 'center',
    gap: theme.spacing(0.25),
    padding: theme.spacing(0, 0.75),
    borderRadius: theme.shape.radius.default,
    whiteSpace: 'nowrap',
    fontWeight: theme.typography.fontWeightMedium,
  }) as const;

const getStyles = (theme: GrafanaTheme2) => ({
  wrapper: css({
    display: 'flex',
    flexDirection: 'column',
    width: '100%',
    minHeight: 0,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  scroll: css({
    flex: 1,
    minHeight: 0,
    overflow: 'auto',
    position: 'relative',
  }),
  header: css({
    display: 'grid',
    position: 'sticky',
    top: 0,
    zIndex: 2,
    height: HEADER_HEIGHT,
    alignItems: 'center',
    background: theme.colors.background.primary,
    borderBottom: `1px solid ${theme.colors.border.medium}`,
  }),
  th: css(headerCellStyle(theme)),
  thRight: css({ ...headerCellStyle(theme), textAlign: 'right' }),
  sortButton: css({
    all: 'unset',
    cursor: 'pointer',
    display: 'inline-flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    '&:hover': { color: theme.colors.text.primary },
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.main}` },
  }),
  body: css({
    position: 'relative',
  }),
  row: css({
    display: 'grid',
    position: 'absolute',
    top: 0,
    left: 0,
    right: 0,
    height: TRACE_ROW_HEIGHT,
    alignItems: 'center',
    cursor: 'pointer',
    // Each row lays out and paints on its own: scrolling adds rows without relayout of the rest.
    contain: 'strict',
    borderBottom: `1px solid ${theme.colors.border.weak}`,
    '&:hover': { background: theme.colors.action.hover },
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.main}`, outlineOffset: -2 },
    '&[data-error]': { boxShadow: `inset 3px 0 0 ${theme.colors.error.main}` },
    '&[aria-selected="true"]': { background: theme.colors.action.selected },
  }),
  td: css(cellStyle(theme)),
  tdRight: css({ ...cellStyle(theme), justifyContent: 'flex-end', textAlign: 'right' }),
  traceCell: css({
    display: 'flex',
    flexDirection: 'column',
    minWidth: 0,
    lineHeight: 1.3,
  }),
  rootName: css({
    fontWeight: theme.typography.fontWeightMedium,
    color: theme.colors.text.primary,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
  }),
  traceId: css({
    fontFamily: theme.typography.fontFamilyMonospace,
    color: theme.colors.text.secondary,
    fontSize: 11,
  }),
  nowrap: css({
    whiteSpace: 'nowrap',
  }),
  ellipsis: css({
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
  }),
  models: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    minWidth: 0,
  }),
  chip: css({
    padding: theme.spacing(0, 0.75),
    borderRadius: theme.shape.radius.pill,
    background: theme.colors.background.secondary,
    border: `1px solid ${theme.colors.border.weak}`,
    whiteSpace: 'nowrap',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    minWidth: 0,
  }),
  more: css({
    color: theme.colors.text.secondary,
    whiteSpace: 'nowrap',
  }),
  warn: css({
    whiteSpace: 'nowrap',
    color: theme.colors.warning.text,
    fontWeight: theme.typography.fontWeightMedium,
  }),
  inlineIcon: css({
    marginRight: theme.spacing(0.25),
    verticalAlign: 'text-bottom',
  }),
  badgeError: css({
    ...badgeStyle(theme),
    color: theme.colors.error.text,
    background: theme.colors.error.transparent,
  }),
  badgeOk: css({
    ...badgeStyle(theme),
    color: theme.colors.success.text,
    background: theme.colors.success.transparent,
  }),
  link: css({
    color: theme.colors.text.link,
    display: 'inline-flex',
  }),
  footer: css({
    height: FOOTER_HEIGHT,
    display: 'flex',
    alignItems: 'center',
    padding: theme.spacing(0, 1),
    color: theme.colors.text.secondary,
    borderTop: `1px solid ${theme.colors.border.weak}`,
  }),
  srOnly: css({
    position: 'absolute',
    width: 1,
    height: 1,
    overflow: 'hidden',
    clip: 'rect(0 0 0 0)',
  }),
});
