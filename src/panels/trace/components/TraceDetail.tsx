import React, { useMemo, useState, type KeyboardEvent } from 'react';
import { css, cx } from '@emotion/css';
import type { GrafanaTheme2, LinkModel } from '@grafana/data';
import { Button, Icon, useStyles2, useTheme2 } from '@grafana/ui';

import { formatCompact, formatCost, formatDuration, formatInt, rulerTicks } from '../../../shared/format';
import { visibleSpans, type TraceSpan, type TraceTree } from '../data/traceTree';
import { SPAN_KIND_LEGEND, spanKindColor } from './colors';
import { SpanDetails } from './SpanDetails';
import { testIds } from './testIds';

interface Props {
  tree: TraceTree;
  width: number;
  height: number;
  timeZone: string;
  /** Shown as a back button when the trace was opened from the list. */
  onBack?: () => void;
  links?: LinkModel[];
}

const ROW_HEIGHT = 26;
/** Below this panel width the span details go under the waterfall instead of beside it. */
const SIDE_BY_SIDE_MIN_WIDTH = 820;

export function TraceDetail({ tree, width, height, timeZone, onBack, links = [] }: Props) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => new Set());
  const [selectedId, setSelectedId] = useState<string | undefined>();

  const rows = useMemo(() => visibleSpans(tree, collapsed), [tree, collapsed]);
  const ticks = useMemo(() => rulerTicks(tree.durationMs), [tree.durationMs]);
  const selected = selectedId ? tree.byId.get(selectedId) : undefined;
  const sideBySide = width >= SIDE_BY_SIDE_MIN_WIDTH;
  const waterfallWidth = selected && sideBySide ? width * 0.58 : width;
  const nameWidth = Math.round(Math.min(Math.max(waterfallWidth * 0.34, 170), 380));
  const total = Math.max(tree.durationMs, 1e-6);
  const pct = (ms: number) => `${(ms / total) * 100}%`;

  const toggle = (id: string) => {
    setCollapsed((cur) => {
      const next = new Set(cur);
      if (next.has(id)) {
        next.delete(id);
      } else {
        next.add(id);
      }
      return next;
    });
  };

  const onRowKey = (span: TraceSpan) => (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      setSelectedId(span.spanID);
    } else if (e.key === 'ArrowLeft' && span.children.length && !collapsed.has(span.spanID)) {
      toggle(span.spanID);
    } else if (e.key === 'ArrowRight' && collapsed.has(span.spanID)) {
      toggle(span.spanID);
    }
  };

  const root = tree.roots[0];
  const t = tree.totals;

  return (
    <div className={styles.container} style={{ height }} data-testid={testIds.detail}>
      <div className={styles.header}>
        {onBack && (
          <Button
            size="sm"
            variant="secondary"
            fill="text"
            icon="arrow-left"
            onClick={onBack}
            data-testid={testIds.back}
          >
            Traces
          </Button>
        )}
        <span className={styles.traceTitle} title={root?.operationName}>
          {root?.operationName ?? 'Trace'}
        </span>
        <code className={styles.traceId}>{tree.traceID}</code>
        <span className={styles.stats}>
          <span>{formatDuration(tree.durationMs)}</span>
          <span>{formatInt(t.spans)} spans</span>
          {t.errors > 0 && (
            <span className={styles.errorText}>{t.errors === 1 ? '1 error' : `${t.errors} errors`}</span>
          )}
          {t.inputTokens + t.outputTokens > 0 && (
            <span title={`${formatInt(t.inputTokens)} in / ${formatInt(t.outputTokens)} out`}>
              {formatCompact(t.inputTokens + t.outputTokens)} tokens
            </span>
          )}
          {t.costUsd > 0 && <span>{formatCost(t.costUsd)}</span>}
        </span>
        <span className={styles.legend} aria-label="Span kinds">
          {SPAN_KIND_LEGEND.map((k) => (
            <span key={k} className={styles.legendItem}>
              <span className={styles.legendSwatch} style={{ background: spanKindColor(theme, k) }} />
              {k}
            </span>
          ))}
        </span>
        {links[0] && (
          <a href={links[0].href} target={links[0].target} className={styles.link} onClick={links[0].onClick}>
            <Icon name="compass" size="sm" /> Open in Explore
          </a>
        )}
      </div>

      <div className={cx(styles.body, !sideBySide && styles.bodyStacked)}>
        <div className={styles.waterfall} role="tree" aria-label="Spans">
          <div
            className={styles.ruler}
            style={{ gridTemplateColumns: `${nameWidth}px 1fr` }}
            data-testid={testIds.ruler}
          >
            <div className={styles.rulerName}>Span</div>
            <div className={styles.rulerTrack}>
              {ticks.map((tick) => (
                <span
                  key={tick}
                  className={cx(styles.tick, tick / total > 0.9 && styles.tickEnd)}
                  style={{ left: pct(tick) }}
                >
                  {formatDuration(tick)}
                </span>
              ))}
            </div>
          </div>
          {rows.map((span) => {
            const left = (span.offsetMs / total) * 100;
            const w = Math.max((span.durationMs / total) * 100, 0.2);
            // Label after the bar if there is room, else before it, else inside it.
            const labelPlace = left + w < 72 ? 'after' : left > 28 ? 'before' : 'inside';
            const isSelected = span.spanID === selectedId;
            const barColor = spanKindColor(theme, span.spanKind, span.isError);
            const isCollapsed = collapsed.has(span.spanID);
            return (
              <div
                key={span.spanID}
                role="treeitem"
                aria-level={span.depth + 1}
                aria-expanded={span.children.length ? !isCollapsed : undefined}
                aria-selected={isSelected}
                tabIndex={0}
                data-testid={testIds.spanRow}
                className={cx(styles.row, isSelected && styles.rowSelected)}
                style={{ gridTemplateColumns: `${nameWidth}px 1fr`, height: ROW_HEIGHT }}
                onClick={() => setSelectedId(span.spanID)}
                onKeyDown={onRowKey(span)}
              >
                <div className={styles.name} style={{ paddingLeft: span.depth * 14 + 4 }}>
                  {span.children.length > 0 ? (
                    <button
                      type="button"
                      className={styles.toggle}
                      data-testid={testIds.spanToggle}
                      aria-label={isCollapsed ? `Expand ${span.operationName}` : `Collapse ${span.operationName}`}
                      onClick={(e) => {
                        e.stopPropagation();
                        toggle(span.spanID);
                      }}
                    >
                      <Icon name={isCollapsed ? 'angle-right' : 'angle-down'} size="sm" />
                    </button>
                  ) : (
                    <span className={styles.toggleSpacer} />
                  )}
                  {span.isError && <Icon name="exclamation-circle" size="sm" className={styles.errorIcon} />}
                  <span className={styles.op} title={span.operationName}>
                    {span.operationName}
                  </span>
                  {/* The service only where it changes: every row repeating it crowds out the names. */}
                  {(span.depth === 0 || tree.byId.get(span.parentSpanID)?.serviceName !== span.serviceName) && (
                    <span className={styles.service}>{span.serviceName}</span>
                  )}
                  {isCollapsed && <span className={styles.hidden}>+{countDescendants(span)}</span>}
                </div>
                <div className={styles.track}>
                  {ticks.map((tick) => (
                    <span key={tick} className={styles.gridLine} style={{ left: pct(tick) }} />
                  ))}
                  <span
                    className={cx(styles.bar, !span.onCriticalPath && styles.barOffPath)}
                    style={{
                      left: `${left}%`,
                      width: `${w}%`,
                      background: spanKindColor(theme, span.spanKind, span.isError),
                    }}
                    title={span.onCriticalPath ? 'On the critical path' : undefined}
                  />
                  <span
                    className={cx(styles.barLabel, labelPlace === 'inside' && styles.barLabelInside)}
                    style={
                      labelPlace === 'after'
                        ? { left: `${left + w}%` }
                        : labelPlace === 'before'
                          ? { right: `${100 - left}%` }
                          : { right: `${100 - left - w}%`, color: theme.colors.getContrastText(barColor) }
                    }
                  >
                    {formatDuration(span.durationMs)}
                    {span.model ? ` · ${span.model}` : ''}
                    {span.costUsd > 0 ? ` · ${formatCost(span.costUsd)}` : ''}
                  </span>
                </div>
              </div>
            );
          })}
        </div>
        {selected && (
          <div className={cx(styles.details, !sideBySide && styles.detailsStacked)}>
            <SpanDetails
              span={selected}
              traceStartMs={tree.startMs}
              timeZone={timeZone}
              onClose={() => setSelectedId(undefined)}
            />
          </div>
        )}
      </div>
    </div>
  );
}

function countDescendants(span: TraceSpan): number {
  return span.children.reduce((n, c) => n + 1 + countDescendants(c), 0);
}

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({
    display: 'flex',
    flexDirection: 'column',
    width: '100%',
    minHeight: 0,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  header: css({
    display: 'flex',
    alignItems: 'center',
    flexWrap: 'wrap',
    gap: theme.spacing(1),
    padding: theme.spacing(0, 0.5, 0.75, 0),
    borderBottom: `1px solid ${theme.colors.border.weak}`,
  }),
  traceTitle: css({
    fontSize: theme.typography.h5.fontSize,
    fontWeight: theme.typography.fontWeightMedium,
    maxWidth: 360,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
  }),
  traceId: css({
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    background: 'none',
    border: 'none',
    padding: 0,
  }),
  stats: css({
    display: 'inline-flex',
    flexWrap: 'wrap',
    gap: theme.spacing(1.5),
    color: theme.colors.text.primary,
  }),
  errorText: css({
    color: theme.colors.error.text,
    fontWeight: theme.typography.fontWeightMedium,
  }),
  link: css({
    color: theme.colors.text.link,
    display: 'inline-flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
  }),
  body: css({
    display: 'flex',
    flex: 1,
    minHeight: 0,
  }),
  bodyStacked: css({
    flexDirection: 'column',
  }),
  waterfall: css({
    flex: 1,
    minWidth: 0,
    minHeight: 0,
    overflow: 'auto',
  }),
  ruler: css({
    display: 'grid',
    position: 'sticky',
    top: 0,
    zIndex: 2,
    background: theme.colors.background.primary,
    borderBottom: `1px solid ${theme.colors.border.medium}`,
    height: 24,
    alignItems: 'center',
  }),
  rulerName: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    paddingLeft: theme.spacing(0.5),
    color: theme.colors.text.secondary,
    overflow: 'hidden',
    whiteSpace: 'nowrap',
  }),
  legend: css({
    display: 'inline-flex',
    gap: theme.spacing(1),
    marginLeft: 'auto',
    color: theme.colors.text.secondary,
  }),
  legendItem: css({
    display: 'inline-flex',
    alignItems: 'center',
    gap: 3,
  }),
  legendSwatch: css({
    width: 8,
    height: 8,
    borderRadius: 2,
  }),
  rulerTrack: css({
    position: 'relative',
    height: '100%',
    marginRight: theme.spacing(1),
  }),
  tick: css({
    position: 'absolute',
    top: 4,
    paddingLeft: 3,
    color: theme.colors.text.secondary,
    whiteSpace: 'nowrap',
    borderLeft: `1px solid ${theme.colors.border.medium}`,
    lineHeight: '16px',
  }),
  tickEnd: css({
    transform: 'translateX(-100%)',
    paddingLeft: 0,
    paddingRight: 3,
    borderLeft: 'none',
    borderRight: `1px solid ${theme.colors.border.medium}`,
  }),
  row: css({
    display: 'grid',
    alignItems: 'center',
    cursor: 'pointer',
    borderBottom: `1px solid ${theme.colors.border.weak}`,
    '&:hover': { background: theme.colors.action.hover },
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.main}`, outlineOffset: -2 },
  }),
  rowSelected: css({
    background: theme.colors.action.selected,
    '&:hover': { background: theme.colors.action.selected },
  }),
  name: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    minWidth: 0,
    overflow: 'hidden',
    whiteSpace: 'nowrap',
    borderRight: `1px solid ${theme.colors.border.weak}`,
    height: '100%',
  }),
  toggle: css({
    all: 'unset',
    cursor: 'pointer',
    display: 'inline-flex',
    width: 16,
    justifyContent: 'center',
    color: theme.colors.text.secondary,
    '&:hover': { color: theme.colors.text.primary },
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.main}` },
  }),
  toggleSpacer: css({
    display: 'inline-block',
    width: 16,
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
  }),
  hidden: css({
    color: theme.colors.text.secondary,
    border: `1px solid ${theme.colors.border.medium}`,
    borderRadius: theme.shape.radius.pill,
    padding: theme.spacing(0, 0.5),
  }),
  track: css({
    position: 'relative',
    height: '100%',
    marginRight: theme.spacing(1),
  }),
  gridLine: css({
    position: 'absolute',
    top: 0,
    bottom: 0,
    width: 1,
    background: theme.colors.border.weak,
  }),
  bar: css({
    position: 'absolute',
    top: 6,
    bottom: 6,
    minWidth: 2,
    borderRadius: 2,
  }),
  barOffPath: css({
    opacity: 0.5,
  }),
  barLabel: css({
    position: 'absolute',
    top: 0,
    lineHeight: `${ROW_HEIGHT}px`,
    padding: theme.spacing(0, 0.5),
    whiteSpace: 'nowrap',
    color: theme.colors.text.secondary,
    pointerEvents: 'none',
  }),
  barLabelInside: css({
    fontWeight: theme.typography.fontWeightMedium,
  }),
  details: css({
    width: '42%',
    minWidth: 300,
    borderLeft: `1px solid ${theme.colors.border.medium}`,
    minHeight: 0,
  }),
  detailsStacked: css({
    width: '100%',
    minWidth: 0,
    height: '45%',
    borderLeft: 'none',
    borderTop: `1px solid ${theme.colors.border.medium}`,
  }),
});
