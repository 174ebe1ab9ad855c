import React from 'react';
import { css, cx } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Button, Icon, useStyles2 } from '@grafana/ui';

import { formatCompact, formatCost, formatDuration, formatInt } from '../../../shared/format';
import type { TraceTree } from '../data/traceTree';
import { useSpanColors } from '../hooks/useSpanColors';
import { useTraceViewState } from '../hooks/useTraceViewState';
import type { TracePanelOptions } from '../types';
import { Minimap } from './Minimap';
import { SpanDetails } from './SpanDetails';
import { testIds } from './testIds';
import { TraceToolbar } from './TraceToolbar';
import { Waterfall } from './Waterfall';

/** Where "Open in Explore" goes: the service's data link when the list had one, else a built URL. */
export interface ExploreLink {
  href: string;
  target?: '_blank' | '_self' | '_parent' | '_top';
  onClick?: (e: React.MouseEvent<HTMLAnchorElement>) => void;
}

interface Props {
  tree: TraceTree;
  width: number;
  height: number;
  timeZone: string;
  options: Pick<TracePanelOptions, 'colorBy' | 'showCriticalPath'>;
  /** Shown as a back button when the trace was opened from the list. */
  onBack?: () => void;
  explore?: ExploreLink;
}

/** Below this panel width the span details go under the waterfall instead of beside it. */
const SIDE_BY_SIDE_MIN_WIDTH = 820;
/** Below this width the toolbar leaves out its labels and the legend (row swatches have tooltips). */
const COMPACT_WIDTH = 900;
/** Share of the width the span details take beside the waterfall, and their minimum. */
const DETAILS_SHARE = 0.42;
const DETAILS_MIN_WIDTH = 300;
/** Below this panel height the minimap is left out: rows matter more. */
const MINIMAP_MIN_HEIGHT = 380;

/** One trace: summary header, toolbar, minimap, span waterfall and the selected span's details. */
export function TraceDetail({ tree, width, height, timeZone, options, onBack, explore }: Props) {
  const styles = useStyles2(getStyles);
  const state = useTraceViewState(tree, { colorBy: options.colorBy, showCriticalPath: options.showCriticalPath });
  const { colorOf, labelOf, legend } = useSpanColors(tree, state.colorBy);

  const selected = state.selectedId ? tree.byId.get(state.selectedId) : undefined;
  const sideBySide = width >= SIDE_BY_SIDE_MIN_WIDTH;
  const waterfallWidth = selected && sideBySide ? width - Math.max(width * DETAILS_SHARE, DETAILS_MIN_WIDTH) : width;
  const nameWidth = Math.round(Math.min(Math.max(waterfallWidth * 0.34, 170), 380));
  // Track width estimate (less the right margin and a scrollbar), for placing bar labels.
  const trackWidth = Math.max(waterfallWidth - nameWidth - 8 - 12, 50);
  const showMinimap = height >= MINIMAP_MIN_HEIGHT && tree.spans.length > 1;
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
        <code className={styles.traceId} title="Trace ID">
          {tree.traceID}
        </code>
        <span className={styles.stats}>
          <span title="Duration">{formatDuration(tree.durationMs)}</span>
          <span>{formatInt(t.spans)} spans</span>
          {t.services.length > 1 && <span>{t.services.length} services</span>}
          {t.errors > 0 && (
            <span className={styles.errorText}>{t.errors === 1 ? '1 error' : `${formatInt(t.errors)} errors`}</span>
          )}
          {t.inputTokens + t.outputTokens > 0 && (
            <span title={`${formatInt(t.inputTokens)} in / ${formatInt(t.outputTokens)} out`}>
              {formatCompact(t.inputTokens + t.outputTokens)} tokens
            </span>
          )}
          {t.costUsd > 0 && <span title="Cost">{formatCost(t.costUsd)}</span>}
        </span>
        {explore && (
          <a
            href={explore.href}
            target={explore.target}
            className={styles.link}
            onClick={explore.onClick}
            data-testid={testIds.exploreLink}
          >
            <Icon name="compass" size="sm" /> Open in Explore
          </a>
        )}
      </div>

      <TraceToolbar state={state} legend={legend} compact={width < COMPACT_WIDTH} />

      <div className={cx(styles.body, !sideBySide && styles.bodyStacked)}>
        <div className={styles.timeline}>
          {showMinimap && <Minimap tree={tree} view={state.view} colorOf={colorOf} onChange={state.setView} />}
          <Waterfall
            tree={tree}
            state={state}
            colorOf={colorOf}
            labelOf={labelOf}
            nameWidth={nameWidth}
            trackWidth={trackWidth}
            estimatedHeight={height}
          />
        </div>
        {selected && (
          <div className={cx(styles.details, !sideBySide && styles.detailsStacked)}>
            <SpanDetails
              key={selected.spanID}
              span={selected}
              traceStartMs={tree.startMs}
              timeZone={timeZone}
              color={colorOf(selected)}
              onClose={() => state.select(undefined)}
              onZoom={() => state.zoomToSpan(selected.spanID)}
            />
          </div>
        )}
      </div>
    </div>
  );
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
    gap: theme.spacing(0.5, 1),
    padding: theme.spacing(0, 0.5, 0.5, 0),
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
    marginLeft: 'auto',
  }),
  body: css({
    display: 'flex',
    flex: 1,
    minHeight: 0,
    borderTop: `1px solid ${theme.colors.border.weak}`,
  }),
  bodyStacked: css({
    flexDirection: 'column',
  }),
  timeline: css({
    display: 'flex',
    flexDirection: 'column',
    flex: 1,
    minWidth: 0,
    minHeight: 0,
  }),
  details: css({
    width: `${DETAILS_SHARE * 100}%`,
    minWidth: DETAILS_MIN_WIDTH,
    borderLeft: `1px solid ${theme.colors.border.medium}`,
    minHeight: 0,
  }),
  detailsStacked: css({
    width: '100%',
    minWidth: 0,
    height: '45%',
    flex: 'none',
    borderLeft: 'none',
    borderTop: `1px solid ${theme.colors.border.medium}`,
  }),
});
