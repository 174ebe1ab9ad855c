import React, { useMemo, useState, type KeyboardEvent } from 'react';
import { css, cx } from '@emotion/css';
import { dateTimeFormat, type GrafanaTheme2, type LinkModel } from '@grafana/data';
import { Icon, Tooltip, useStyles2 } from '@grafana/ui';

import { formatCompact, formatCost, formatDuration, formatInt, shortId } from '../../../shared/format';
import {
  sortTraceRows,
  traceHighlights,
  type TraceListRow,
  type TraceSort,
  type TraceSortKey,
} from '../data/traceList';
import type { TracePanelOptions } from '../types';
import { MiniWaterfall } from './MiniWaterfall';
import { testIds } from './testIds';

interface Props {
  rows: TraceListRow[];
  options: TracePanelOptions;
  timeZone: string;
  selectedTraceId?: string;
  onSelect: (row: TraceListRow) => void;
  linksFor: (row: TraceListRow) => LinkModel[];
}

interface Column {
  key: string;
  title: string;
  sortKey?: TraceSortKey;
  align?: 'right';
  width?: string;
  visible: (o: TracePanelOptions) => boolean;
}

const COLUMNS: Column[] = [
  { key: 'trace', title: 'Trace', sortKey: 'rootName', visible: () => true },
  { key: 'start', title: 'Started', sortKey: 'startTime', width: '1%', visible: () => true },
  { key: 'service', title: 'Service', sortKey: 'serviceName', visible: (o) => o.showServiceColumn },
  { key: 'models', title: 'Model', sortKey: 'models', visible: (o) => o.showModelColumn },
  {
    key: 'duration',
    title: 'Duration',
    sortKey: 'durationMs',
    align: 'right',
    width: '1%',
    visible: (o) => o.showDurationColumn,
  },
  { key: 'status', title: 'Status', sortKey: 'status', width: '1%', visible: (o) => o.showStatusColumn },
  { key: 'spans', title: 'Spans', sortKey: 'spanCount', align: 'right', width: '1%', visible: () => true },
  {
    key: 'tokens',
    title: 'Tokens',
    sortKey: 'totalTokens',
    align: 'right',
    width: '1%',
    visible: (o) => o.showTokensColumn,
  },
  { key: 'cost', title: 'Cost', sortKey: 'costUsd', align: 'right', width: '1%', visible: (o) => o.showCostColumn },
  { key: 'waterfall', title: 'Waterfall', width: '18%', visible: () => true },
];

/** First click sorts numbers and times descending (biggest/newest first), text ascending. */
function firstDirection(key: TraceSortKey): 'asc' | 'desc' {
  return key === 'rootName' || key === 'serviceName' || key === 'models' ? 'asc' : 'desc';
}

export function TraceList({ rows, options, timeZone, selectedTraceId, onSelect, linksFor }: Props) {
  const styles = useStyles2(getStyles);
  const [sort, setSort] = useState<TraceSort | undefined>();
  const columns = COLUMNS.filter((c) => c.visible(options));

  const shown = useMemo(() => {
    const sorted = sort ? sortTraceRows(rows, sort) : rows;
    return sorted.slice(0, options.maxTraces);
  }, [rows, sort, options.maxTraces]);

  const toggleSort = (key: TraceSortKey) => {
    setSort((cur) =>
      cur?.key === key
        ? { key, direction: cur.direction === 'asc' ? 'desc' : 'asc' }
        : { key, direction: firstDirection(key) }
    );
  };

  const onRowKey = (row: TraceListRow) => (e: KeyboardEvent<HTMLTableRowElement>) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onSelect(row);
    }
  };

  return (
    <div className={styles.wrapper}>
      <table className={styles.table} data-testid={testIds.list}>
        <thead>
          <tr>
            {columns.map((c) => {
              const active = sort && c.sortKey === sort.key;
              return (
                <th
                  key={c.key}
                  className={cx(styles.th, c.align === 'right' && styles.right)}
                  style={c.width ? { width: c.width } : undefined}
                  aria-sort={active ? (sort.direction === 'asc' ? 'ascending' : 'descending') : undefined}
                  scope="col"
                >
                  {c.sortKey ? (
                    <button type="button" className={styles.sortButton} onClick={() => toggleSort(c.sortKey!)}>
                      {c.title}
                      {active && <Icon name={sort.direction === 'asc' ? 'arrow-up' : 'arrow-down'} size="sm" />}
                    </button>
                  ) : (
                    c.title
                  )}
                </th>
              );
            })}
            <th className={styles.th} style={{ width: '1%' }}>
              <span className={styles.srOnly}>Links</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {shown.map((row) => {
            const hl = traceHighlights(row, options);
            const links = linksFor(row);
            return (
              <tr
                key={`${row.traceID}-${row.rowIndex}`}
                data-testid={testIds.row}
                tabIndex={0}
                aria-selected={row.traceID === selectedTraceId}
                className={cx(
                  styles.row,
                  hl.error && styles.errorRow,
                  row.traceID === selectedTraceId && styles.selected
                )}
                onClick={() => onSelect(row)}
                onKeyDown={onRowKey(row)}
              >
                {columns.map((c) => (
                  <td key={c.key} className={cx(styles.td, c.align === 'right' && styles.right)}>
                    {renderCell(c.key, row, hl, timeZone, styles)}
                  </td>
                ))}
                <td className={styles.td}>
                  {links[0] && (
                    <Tooltip content={links[0].title || 'Open in Explore'}>
                      <a
                        href={links[0].href}
                        target={links[0].target}
                        className={styles.link}
                        aria-label={`Open trace ${row.traceID} in Explore`}
                        onClick={(e) => {
                          e.stopPropagation();
                          if (links[0]?.onClick) {
                            links[0].onClick(e);
                          }
                        }}
                      >
                        <Icon name="compass" />
                      </a>
                    </Tooltip>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {rows.length > shown.length && (
        <div className={styles.footer} data-testid={testIds.footer}>
          Showing {formatInt(shown.length)} of {formatInt(rows.length)} traces (panel option “Max traces”)
        </div>
      )}
    </div>
  );
}

type Styles = ReturnType<typeof getStyles>;

function renderCell(
  key: string,
  row: TraceListRow,
  hl: ReturnType<typeof traceHighlights>,
  timeZone: string,
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
      return <span className={styles.ellipsis}>{row.serviceName}</span>;
    case 'models':
      return (
        <span className={styles.models}>
          {row.models.map((m) => (
            <span key={m} className={styles.chip}>
              {m}
            </span>
          ))}
        </span>
      );
    case 'duration':
      return (
        <span className={cx(styles.nowrap, hl.slow && styles.warn)} title={hl.slow ? 'Slow trace' : undefined}>
          {hl.slow && <Icon name="clock-nine" size="sm" className={styles.inlineIcon} />}
          {formatDuration(row.durationMs)}
        </span>
      );
    case 'status':
      return row.status === 'error' ? (
        <span className={cx(styles.badge, styles.badgeError)}>
          <Icon name="exclamation-circle" size="sm" />
          {row.errorCount > 1 ? `${row.errorCount} errors` : 'Error'}
        </span>
      ) : (
        <span className={cx(styles.badge, styles.badgeOk)}>OK</span>
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
          className={cx(styles.nowrap, hl.expensive && styles.warn)}
          title={hl.expensive ? 'Expensive trace' : undefined}
        >
          {hl.expensive && <Icon name="dollar-alt" size="sm" className={styles.inlineIcon} />}
          {formatCost(row.costUsd)}
        </span>
      );
    case 'waterfall':
      return <MiniWaterfall spans={row.waterfall} durationMs={row.durationMs} />;
    default:
      return null;
  }
}

const getStyles = (theme: GrafanaTheme2) => ({
  wrapper: css({
    width: '100%',
  }),
  table: css({
    width: '100%',
    borderCollapse: 'separate',
    borderSpacing: 0,
    fontSize: theme.typography.bodySmall.fontSize,
    tableLayout: 'auto',
  }),
  th: css({
    position: 'sticky',
    top: 0,
    zIndex: 1,
    background: theme.colors.background.primary,
    borderBottom: `1px solid ${theme.colors.border.medium}`,
    padding: theme.spacing(0.5, 1),
    textAlign: 'left',
    fontWeight: theme.typography.fontWeightMedium,
    color: theme.colors.text.secondary,
    whiteSpace: 'nowrap',
  }),
  right: css({
    textAlign: 'right',
  }),
  sortButton: css({
    all: 'unset',
    cursor: 'pointer',
    display: 'inline-flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    '&:hover': { color: theme.colors.text.primary },
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.main}` },
  }),
  row: css({
    cursor: 'pointer',
    '&:hover td': { background: theme.colors.action.hover },
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.main}`, outlineOffset: -2 },
  }),
  errorRow: css({
    'td:first-child': { boxShadow: `inset 3px 0 0 ${theme.colors.error.main}` },
  }),
  selected: css({
    td: { background: theme.colors.action.selected },
  }),
  td: css({
    padding: theme.spacing(0.5, 1),
    borderBottom: `1px solid ${theme.colors.border.weak}`,
    verticalAlign: 'middle',
  }),
  traceCell: css({
    display: 'flex',
    flexDirection: 'column',
    minWidth: 0,
    maxWidth: 320,
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
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  nowrap: css({
    whiteSpace: 'nowrap',
  }),
  ellipsis: css({
    display: 'inline-block',
    maxWidth: 200,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
    verticalAlign: 'bottom',
  }),
  models: css({
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(0.5),
  }),
  chip: css({
    padding: theme.spacing(0, 0.75),
    borderRadius: theme.shape.radius.pill,
    background: theme.colors.background.secondary,
    border: `1px solid ${theme.colors.border.weak}`,
    whiteSpace: 'nowrap',
  }),
  warn: css({
    color: theme.colors.warning.text,
    fontWeight: theme.typography.fontWeightMedium,
  }),
  inlineIcon: css({
    marginRight: theme.spacing(0.25),
    verticalAlign: 'text-bottom',
  }),
  badge: css({
    display: 'inline-flex',
    alignItems: 'center',
    gap: theme.spacing(0.25),
    padding: theme.spacing(0, 0.75),
    borderRadius: theme.shape.radius.default,
    whiteSpace: 'nowrap',
    fontWeight: theme.typography.fontWeightMedium,
  }),
  badgeError: css({
    color: theme.colors.error.text,
    background: theme.colors.error.transparent,
  }),
  badgeOk: css({
    color: theme.colors.success.text,
    background: theme.colors.success.transparent,
  }),
  link: css({
    color: theme.colors.text.link,
    display: 'inline-flex',
  }),
  footer: css({
    padding: theme.spacing(0.5, 1),
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  srOnly: css({
    position: 'absolute',
    width: 1,
    height: 1,
    overflow: 'hidden',
    clip: 'rect(0 0 0 0)',
  }),
});
