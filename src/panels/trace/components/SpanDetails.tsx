import React from 'react';
import { css } from '@emotion/css';
import { dateTimeFormat, type GrafanaTheme2 } from '@grafana/data';
import { IconButton, useStyles2, useTheme2 } from '@grafana/ui';

import { formatCost, formatDuration, formatInt } from '../../../shared/format';
import type { KeyValue, TraceSpan } from '../data/traceTree';
import { spanKindColor } from './colors';
import { testIds } from './testIds';

interface Props {
  span: TraceSpan;
  traceStartMs: number;
  timeZone: string;
  onClose: () => void;
}

function show(v: unknown): string {
  if (typeof v === 'string') {
    return v;
  }
  if (v === null || v === undefined) {
    return '';
  }
  if (typeof v === 'object') {
    return JSON.stringify(v);
  }
  return String(v);
}

const STATUS_TEXT: Record<number, string> = { 0: 'Unset', 1: 'OK', 2: 'Error' };

export function SpanDetails({ span, traceStartMs, timeZone, onClose }: Props) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const hasTokens =
    span.inputTokens + span.outputTokens + span.cacheReadTokens + span.cacheWriteTokens + span.reasoningTokens > 0;
  const summary: Array<[string, React.ReactNode]> = [
    ['Service', span.serviceName],
    ['Duration', formatDuration(span.durationMs)],
    ['Self time', formatDuration(span.selfMs)],
    [
      'Start',
      `+${formatDuration(span.startMs - traceStartMs)} (${dateTimeFormat(span.startMs, { timeZone, format: 'HH:mm:ss.SSS' })})`,
    ],
    [
      'Status',
      <span key="status" className={span.isError ? styles.error : undefined}>
        {STATUS_TEXT[span.statusCode] ?? String(span.statusCode)}
        {span.statusMessage ? `: ${span.statusMessage}` : ''}
      </span>,
    ],
    ['Span kind', `${span.spanKind}${span.kind ? ` (${span.kind})` : ''}`],
  ];
  if (span.model || span.provider) {
    summary.push(['Model', [span.provider, span.model].filter(Boolean).join(' / ')]);
  }
  if (span.costUsd > 0) {
    summary.push(['Cost', formatCost(span.costUsd)]);
  }
  summary.push(['Span ID', <code key="id">{span.spanID}</code>]);
  if (span.parentSpanID) {
    summary.push(['Parent', <code key="parent">{span.parentSpanID}</code>]);
  }

  return (
    <aside className={styles.pane} data-testid={testIds.spanDetails} aria-label={`Span ${span.operationName}`}>
      <div className={styles.header}>
        <span className={styles.kindDot} style={{ background: spanKindColor(theme, span.spanKind, span.isError) }} />
        <h4 className={styles.title} title={span.operationName}>
          {span.operationName}
        </h4>
        <IconButton name="times" tooltip="Close span details" onClick={onClose} />
      </div>

      <dl className={styles.grid}>
        {summary.map(([k, v]) => (
          <React.Fragment key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </React.Fragment>
        ))}
      </dl>

      {hasTokens && (
        <section className={styles.section}>
          <h5 className={styles.sectionTitle}>Tokens</h5>
          <div className={styles.tokens}>
            <Stat label="Input" value={formatInt(span.inputTokens)} />
            <Stat label="Output" value={formatInt(span.outputTokens)} />
            {span.cacheReadTokens > 0 && <Stat label="Cache read" value={formatInt(span.cacheReadTokens)} />}
            {span.cacheWriteTokens > 0 && <Stat label="Cache write" value={formatInt(span.cacheWriteTokens)} />}
            {span.reasoningTokens > 0 && <Stat label="Reasoning" value={formatInt(span.reasoningTokens)} />}
          </div>
        </section>
      )}

      {span.input && <Content title="Input" text={span.input} />}
      {span.output && <Content title="Output" text={span.output} />}

      <KeyValues title="Attributes" items={span.tags} />
      <KeyValues title="Resource" items={span.serviceTags} />

      {span.logs.length > 0 && (
        <section className={styles.section}>
          <h5 className={styles.sectionTitle}>Events</h5>
          {span.logs.map((e, i) => (
            <div key={i} className={styles.event}>
              <div>
                <strong>{e.name || 'event'}</strong>{' '}
                <span className={styles.muted}>+{formatDuration(e.timestamp - span.startMs)}</span>
              </div>
              {e.fields.length > 0 && <KeyValueTable items={e.fields} />}
            </div>
          ))}
        </section>
      )}
    </aside>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  const styles = useStyles2(getStyles);
  return (
    <div className={styles.stat}>
      <div className={styles.statValue}>{value}</div>
      <div className={styles.muted}>{label}</div>
    </div>
  );
}

function Content({ title, text }: { title: string; text: string }) {
  const styles = useStyles2(getStyles);
  return (
    <section className={styles.section}>
      <h5 className={styles.sectionTitle}>{title}</h5>
      <pre className={styles.pre}>{text}</pre>
    </section>
  );
}

function KeyValues({ title, items }: { title: string; items: KeyValue[] }) {
  const styles = useStyles2(getStyles);
  if (items.length === 0) {
    return null;
  }
  return (
    <section className={styles.section}>
      <h5 className={styles.sectionTitle}>{title}</h5>
      <KeyValueTable items={items} />
    </section>
  );
}

function KeyValueTable({ items }: { items: KeyValue[] }) {
  const styles = useStyles2(getStyles);
  const sorted = [...items].sort((a, b) => a.key.localeCompare(b.key));
  return (
    <table className={styles.kv}>
      <tbody>
        {sorted.map((kv, i) => (
          <tr key={`${kv.key}-${i}`}>
            <th scope="row" title={kv.key}>
              {kv.key}
            </th>
            <td>{show(kv.value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  pane: css({
    height: '100%',
    overflow: 'auto',
    padding: theme.spacing(1, 1.5),
    background: theme.colors.background.primary,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  header: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    marginBottom: theme.spacing(1),
  }),
  kindDot: css({
    width: 10,
    height: 10,
    borderRadius: theme.shape.radius.circle,
    flex: 'none',
  }),
  title: css({
    margin: 0,
    flex: 1,
    minWidth: 0,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
    fontSize: theme.typography.h5.fontSize,
  }),
  grid: css({
    display: 'grid',
    gridTemplateColumns: 'max-content 1fr',
    gap: theme.spacing(0.25, 1.5),
    margin: 0,
    dt: { color: theme.colors.text.secondary },
    dd: { margin: 0, wordBreak: 'break-all' },
    code: { fontSize: theme.typography.bodySmall.fontSize },
  }),
  error: css({
    color: theme.colors.error.text,
    fontWeight: theme.typography.fontWeightMedium,
  }),
  section: css({
    marginTop: theme.spacing(1.5),
  }),
  sectionTitle: css({
    fontSize: theme.typography.bodySmall.fontSize,
    textTransform: 'uppercase',
    letterSpacing: '0.04em',
    color: theme.colors.text.secondary,
    margin: theme.spacing(0, 0, 0.5, 0),
  }),
  tokens: css({
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(2),
  }),
  stat: css({
    minWidth: 60,
  }),
  statValue: css({
    fontSize: theme.typography.h5.fontSize,
    fontWeight: theme.typography.fontWeightMedium,
  }),
  muted: css({
    color: theme.colors.text.secondary,
  }),
  pre: css({
    maxHeight: 160,
    overflow: 'auto',
    whiteSpace: 'pre-wrap',
    wordBreak: 'break-word',
    margin: 0,
    padding: theme.spacing(0.75),
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  kv: css({
    width: '100%',
    borderCollapse: 'collapse',
    tableLayout: 'fixed',
    th: {
      width: '45%',
      overflow: 'hidden',
      textOverflow: 'ellipsis',
      textAlign: 'left',
      fontWeight: theme.typography.fontWeightRegular,
      color: theme.colors.text.secondary,
      padding: theme.spacing(0.25, 1, 0.25, 0),
      verticalAlign: 'top',
      whiteSpace: 'nowrap',
      fontFamily: theme.typography.fontFamilyMonospace,
    },
    td: {
      padding: theme.spacing(0.25, 0),
      wordBreak: 'break-all',
      fontFamily: theme.typography.fontFamilyMonospace,
    },
    'tr + tr': { borderTop: `1px solid ${theme.colors.border.weak}` },
  }),
  event: css({
    padding: theme.spacing(0.5, 0),
    borderTop: `1px solid ${theme.colors.border.weak}`,
  }),
});
