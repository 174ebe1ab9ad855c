import React, { useMemo, useState } from 'react';
import { css } from '@emotion/css';
import { dateTimeFormat, type GrafanaTheme2 } from '@grafana/data';
import { IconButton, useStyles2 } from '@grafana/ui';

import { formatCost, formatDuration, formatInt } from '../../../shared/format';
import { spanConversation } from '../data/messages';
import { attributeText, sortedAttributes, spanExceptions } from '../data/spanInfo';
import type { KeyValue, TraceSpan } from '../data/traceTree';
import { ChatMessages } from './ChatMessages';
import { testIds } from './testIds';

interface Props {
  span: TraceSpan;
  traceStartMs: number;
  timeZone: string;
  color: string;
  onClose: () => void;
  onZoom: () => void;
}

const STATUS_TEXT: Record<number, string> = { 0: 'Unset', 1: 'OK', 2: 'Error' };
/** Attribute values longer than this start folded. */
const VALUE_FOLD = 240;

const SOURCE_HINT: Record<string, string> = {
  gen_ai: 'gen_ai.input.messages / gen_ai.output.messages',
  openinference: 'OpenInference llm.*_messages',
  openllmetry: 'gen_ai.prompt / gen_ai.completion',
  content: 'input / output',
};

/** Everything about one span: timing, status and errors, tokens and cost, the conversation, attributes, events. */
export function SpanDetails({ span, traceStartMs, timeZone, color, onClose, onZoom }: Props) {
  const styles = useStyles2(getStyles);
  const conversation = useMemo(() => spanConversation(span), [span]);
  const exceptions = useMemo(() => spanExceptions(span), [span]);
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
      </span>,
    ],
    ['Span kind', `${span.spanKind}${span.kind ? ` (${span.kind})` : ''}`],
  ];
  if (span.model || span.provider) {
    summary.push(['Model', [span.provider, span.model].filter(Boolean).join(' / ')]);
  }
  if (span.onCriticalPath) {
    summary.push(['Critical path', 'yes']);
  }
  summary.push(['Span ID', <code key="id">{span.spanID}</code>]);
  if (span.parentSpanID) {
    summary.push(['Parent', <code key="parent">{span.parentSpanID}</code>]);
  }

  return (
    <aside className={styles.pane} data-testid={testIds.spanDetails} aria-label={`Span ${span.operationName}`}>
      <div className={styles.header}>
        <span className={styles.kindDot} style={{ background: span.isError ? undefined : color }} />
        <h4 className={styles.title} title={span.operationName}>
          {span.operationName}
        </h4>
        <IconButton name="search-plus" tooltip="Zoom to this span" onClick={onZoom} />
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

      {(span.isError || exceptions.length > 0) && (
        <section className={styles.errorBox} data-testid={testIds.spanError} role="alert">
          <h5 className={styles.sectionTitle}>Error</h5>
          {span.statusMessage && <div className={styles.errorMessage}>{span.statusMessage}</div>}
          {exceptions.map((x, i) => (
            <div key={i} className={styles.exception}>
              {/* An exception that only repeats the status message adds nothing. */}
              {(x.type || (x.message && x.message !== span.statusMessage)) && (
                <div>
                  {x.type && <strong>{x.type}</strong>}
                  {x.type && x.message ? ': ' : ''}
                  {x.message}
                </div>
              )}
              {x.stacktrace && <pre className={styles.stack}>{x.stacktrace}</pre>}
            </div>
          ))}
        </section>
      )}

      {(hasTokens || span.costUsd > 0) && (
        <section className={styles.section}>
          <h5 className={styles.sectionTitle}>Tokens and cost</h5>
          <div className={styles.tokens}>
            {hasTokens && <Stat label="Input" value={formatInt(span.inputTokens)} />}
            {hasTokens && <Stat label="Output" value={formatInt(span.outputTokens)} />}
            {span.cacheReadTokens > 0 && <Stat label="Cache read" value={formatInt(span.cacheReadTokens)} />}
            {span.cacheWriteTokens > 0 && <Stat label="Cache write" value={formatInt(span.cacheWriteTokens)} />}
            {span.reasoningTokens > 0 && <Stat label="Reasoning" value={formatInt(span.reasoningTokens)} />}
            {span.costUsd > 0 && <Stat label="Cost" value={formatCost(span.costUsd)} />}
          </div>
        </section>
      )}

      {conversation.input.length > 0 && (
        <section className={styles.section}>
          <h5 className={styles.sectionTitle}>
            Input <span className={styles.hint}>{SOURCE_HINT[conversation.source]}</span>
          </h5>
          <ChatMessages messages={conversation.input} label="Input messages" />
        </section>
      )}
      {conversation.output.length > 0 && (
        <section className={styles.section}>
          <h5 className={styles.sectionTitle}>Output</h5>
          <ChatMessages messages={conversation.output} label="Output messages" />
        </section>
      )}

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

function KeyValues({ title, items }: { title: string; items: KeyValue[] }) {
  const styles = useStyles2(getStyles);
  if (items.length === 0) {
    return null;
  }
  return (
    <section className={styles.section}>
      <h5 className={styles.sectionTitle}>
        {title} <span className={styles.hint}>{items.length}</span>
      </h5>
      <KeyValueTable items={items} />
    </section>
  );
}

function KeyValueTable({ items }: { items: KeyValue[] }) {
  const styles = useStyles2(getStyles);
  const sorted = useMemo(() => sortedAttributes(items), [items]);
  return (
    <table className={styles.kv}>
      <tbody>
        {sorted.map((kv, i) => (
          <tr key={`${kv.key}-${i}`}>
            <th scope="row" title={kv.key}>
              {kv.key}
            </th>
            <td>
              <Value text={attributeText(kv.value)} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Value({ text }: { text: string }) {
  const styles = useStyles2(getStyles);
  const [open, setOpen] = useState(false);
  if (text.length <= VALUE_FOLD) {
    return <>{text}</>;
  }
  return (
    <>
      {open ? text : `${text.slice(0, VALUE_FOLD)}…`}{' '}
      <button type="button" className={styles.fold} onClick={() => setOpen(!open)}>
        {open ? 'less' : 'more'}
      </button>
    </>
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
    background: theme.colors.error.main,
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
  errorBox: css({
    marginTop: theme.spacing(1.5),
    padding: theme.spacing(0.75, 1),
    borderRadius: theme.shape.radius.default,
    border: `1px solid ${theme.colors.error.border}`,
    background: theme.colors.error.transparent,
  }),
  errorMessage: css({
    color: theme.colors.error.text,
    fontWeight: theme.typography.fontWeightMedium,
    wordBreak: 'break-word',
  }),
  exception: css({
    marginTop: theme.spacing(0.5),
    wordBreak: 'break-word',
  }),
  stack: css({
    maxHeight: 160,
    overflow: 'auto',
    margin: theme.spacing(0.5, 0, 0),
    padding: theme.spacing(0.5),
    fontSize: 11,
    whiteSpace: 'pre',
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
  hint: css({
    textTransform: 'none',
    letterSpacing: 0,
    fontWeight: theme.typography.fontWeightRegular,
    color: theme.colors.text.disabled,
    marginLeft: theme.spacing(0.5),
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
  kv: css({
    width: '100%',
    borderCollapse: 'collapse',
    tableLayout: 'fixed',
    th: {
      width: '42%',
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
  fold: css({
    all: 'unset',
    cursor: 'pointer',
    color: theme.colors.text.link,
    fontFamily: theme.typography.fontFamily,
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.main}` },
  }),
  event: css({
    padding: theme.spacing(0.5, 0),
    borderTop: `1px solid ${theme.colors.border.weak}`,
  }),
});
