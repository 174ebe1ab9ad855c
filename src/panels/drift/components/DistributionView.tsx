import React, { useMemo, useState } from 'react';
import { css } from '@emotion/css';
import { dateTimeFormat, type GrafanaTheme2 } from '@grafana/data';
import { Alert, LoadingPlaceholder, Portal, useStyles2, useTheme2, VizTooltipContainer } from '@grafana/ui';

import { formatInt } from '../../../shared/format';
import {
  binLabel,
  formatPValue,
  formatShare,
  formatStat,
  isDrift,
  isPValueTest,
  largestShift,
  orderBins,
  shareAxisMax,
  shareTicks,
  testName,
  verdictText,
} from '../data/distribution';
import type { FeatureDistribution, FeatureResult } from '../data/tables';
import type { DistributionState } from '../hooks/useDistribution';
import type { DriftColors } from '../hooks/useDriftColors';
import { testIds } from './testIds';

interface Props {
  state: DistributionState;
  /** The feature's row of a 'drift-features' frame, for the window sizes. */
  result?: FeatureResult;
  colors: DriftColors;
  width: number;
  height: number;
  timeZone: string;
}

const HEADER_HEIGHT = 64;

export function DistributionView({ state, result, colors, width, height, timeZone }: Props) {
  const styles = useStyles2(getStyles);
  if (state.status === 'idle') {
    return (
      <div className={styles.message} data-testid={testIds.distribution}>
        Pick a feature to compare its reference and current distributions.
      </div>
    );
  }
  if (state.status === 'loading') {
    return (
      <div className={styles.message} data-testid={testIds.distribution}>
        <LoadingPlaceholder text="Loading the distribution…" />
      </div>
    );
  }
  if (state.status === 'error') {
    return (
      <div className={styles.message} data-testid={testIds.distribution}>
        <Alert title="The distribution could not be loaded" severity="error">
          {state.message}
        </Alert>
      </div>
    );
  }
  if (state.status === 'missing') {
    return (
      <div className={styles.message} data-testid={testIds.distribution}>
        {state.message}
      </div>
    );
  }
  const d = state.distribution;
  return (
    <div className={styles.view} style={{ width, height }} data-testid={testIds.distribution} data-feature={d.feature}>
      <DistributionHeader d={d} result={result} timeZone={timeZone} colors={colors} />
      <DistributionChart d={d} colors={colors} width={width} height={Math.max(height - HEADER_HEIGHT, 80)} />
    </div>
  );
}

function DistributionHeader({
  d,
  result,
  timeZone,
  colors,
}: {
  d: FeatureDistribution;
  result?: FeatureResult;
  timeZone: string;
  colors: DriftColors;
}) {
  const styles = useStyles2(getStyles);
  const drift = isDrift(d);
  const shift = largestShift(d.bins);
  const verdict = verdictText(d);
  return (
    <div className={styles.header}>
      <div className={styles.titleRow}>
        <span className={styles.feature}>{d.feature}</span>
        {d.model && <span className={styles.muted}>{d.model}</span>}
        {drift !== undefined && (
          <span className={drift ? styles.badgeDrift : styles.badgeOk}>{drift ? 'Drift' : 'No drift'}</span>
        )}
        <span className={styles.legend}>
          <span className={styles.swatch} style={{ background: colors.reference }} /> Reference
          <span className={styles.swatch} style={{ background: colors.current }} /> Current
        </span>
      </div>
      <dl className={styles.stats} data-testid={testIds.distributionStats}>
        <dt>Test</dt>
        <dd>{testName(d.test)}</dd>
        <dt>Statistic</dt>
        <dd>{formatStat(d.statistic)}</dd>
        <dt>p-value</dt>
        <dd>{isPValueTest(d.test) || d.pValue !== undefined ? formatPValue(d.pValue) : 'n/a'}</dd>
        <dt>Threshold</dt>
        <dd>
          {formatStat(d.threshold)}
          {verdict && <span className={styles.muted}> ({verdict})</span>}
        </dd>
        {result?.referenceCount !== undefined && result.currentCount !== undefined && (
          <>
            <dt>Rows</dt>
            <dd>
              {formatInt(result.referenceCount)} reference · {formatInt(result.currentCount)} current
            </dd>
          </>
        )}
        {d.bucket !== undefined && (
          <>
            <dt>Window</dt>
            <dd>{dateTimeFormat(d.bucket, { timeZone, format: 'YYYY-MM-DD HH:mm' })}</dd>
          </>
        )}
        {shift && Math.abs(shift.delta) >= 0.005 && (
          <>
            <dt>Largest shift</dt>
            <dd>
              {binLabel(shift.bin)}: {formatShare(shift.bin.reference)} → {formatShare(shift.bin.current)}
            </dd>
          </>
        )}
      </dl>
    </div>
  );
}

const M = { left: 44, right: 8, top: 16, bottom: 36 };

function DistributionChart({
  d,
  colors,
  width,
  height,
}: {
  d: FeatureDistribution;
  colors: DriftColors;
  width: number;
  height: number;
}) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const [hover, setHover] = useState<{ i: number; x: number; y: number }>();
  const bins = useMemo(() => orderBins(d), [d]);
  const n = bins.length;
  const pw = Math.max(width - M.left - M.right, 10);
  const ph = Math.max(height - M.top - M.bottom, 10);
  const max = shareAxisMax(bins);
  const ticks = shareTicks(max);
  const y = (v: number) => M.top + ph - (v / max) * ph;
  const gw = pw / Math.max(n, 1);
  // Numeric bins are adjacent ranges: bars fill the bin; categories get gaps between groups.
  const inner = d.numeric ? gw * 0.92 : Math.min(gw * 0.78, 96);
  const bw = inner / 2;
  // Label every k-th bin (or edge) so labels do not collide.
  const labelEvery = Math.max(1, Math.ceil((d.numeric ? 52 : 64) / gw));
  const maxChars = Math.max(3, Math.floor((gw * labelEvery) / 6.5));
  const clip = (s: string) => (s.length > maxChars ? `${s.slice(0, maxChars - 1)}…` : s);
  const hovered = hover ? bins[hover.i] : undefined;
  return (
    <>
      <svg
        width={width}
        height={height}
        role="img"
        aria-label={`Reference and current distribution of ${d.feature}`}
        data-testid={testIds.distributionChart}
        className={styles.chart}
      >
        {ticks.map((t) => (
          <g key={t}>
            <line x1={M.left} x2={M.left + pw} y1={y(t)} y2={y(t)} stroke={theme.colors.border.weak} />
            <text x={M.left - 6} y={y(t) + 4} textAnchor="end" className={styles.axisText}>
              {`${Math.round(t * 1000) / 10}%`}
            </text>
          </g>
        ))}
        {bins.map((b, i) => {
          const cx = M.left + gw * i + gw / 2;
          return (
            <g
              key={`${b.label}-${i}`}
              data-testid={testIds.distributionBin}
              data-bin={b.label}
              onMouseMove={(e) => setHover({ i, x: e.clientX, y: e.clientY })}
              onMouseLeave={() => setHover(undefined)}
            >
              <rect
                x={M.left + gw * i}
                y={M.top}
                width={gw}
                height={ph}
                fill={hover?.i === i ? theme.colors.action.hover : 'transparent'}
                fillOpacity={0.7}
              />
              <rect
                x={cx - bw}
                y={y(b.reference)}
                width={Math.max(bw - 1, 1)}
                height={Math.max(M.top + ph - y(b.reference), 0)}
                fill={colors.reference}
                fillOpacity={0.85}
              />
              <rect
                x={cx}
                y={y(b.current)}
                width={Math.max(bw - 1, 1)}
                height={Math.max(M.top + ph - y(b.current), 0)}
                fill={colors.current}
                fillOpacity={0.9}
              />
              {!d.numeric && i % labelEvery === 0 && (
                <text x={cx} y={M.top + ph + 16} textAnchor="middle" className={styles.axisText}>
                  {clip(b.label)}
                </text>
              )}
            </g>
          );
        })}
        {d.numeric &&
          bins.map((b, i) =>
            i % labelEvery === 0 && b.lower !== undefined ? (
              <text
                key={`e${i}`}
                x={M.left + gw * i}
                y={M.top + ph + 16}
                textAnchor="middle"
                className={styles.axisText}
              >
                {formatStat(b.lower)}
              </text>
            ) : null
          )}
        {d.numeric && n > 0 && bins[n - 1]!.upper !== undefined && n % labelEvery === 0 && (
          <text x={M.left + pw} y={M.top + ph + 16} textAnchor="end" className={styles.axisText}>
            {formatStat(bins[n - 1]!.upper)}
          </text>
        )}
        <line x1={M.left} x2={M.left + pw} y1={M.top + ph} y2={M.top + ph} stroke={theme.colors.border.strong} />
        <text x={M.left + pw / 2} y={height - 4} textAnchor="middle" className={styles.axisTitle}>
          {d.numeric ? `${d.feature} (bins)` : `${d.feature} (categories)`}
        </text>
      </svg>
      {hover && hovered && (
        <Portal>
          <VizTooltipContainer position={{ x: hover.x, y: hover.y }} offset={{ x: 12, y: 12 }}>
            <div className={styles.tooltip} data-testid={testIds.distributionTooltip}>
              <div className={styles.ttTitle}>{binLabel(hovered)}</div>
              <div>
                <span className={styles.swatch} style={{ background: colors.reference }} /> Reference{' '}
                <b>{formatShare(hovered.reference)}</b>
              </div>
              <div>
                <span className={styles.swatch} style={{ background: colors.current }} /> Current{' '}
                <b>{formatShare(hovered.current)}</b>
              </div>
              <div className={styles.muted}>
                Change {hovered.current >= hovered.reference ? '+' : '−'}
                {(Math.abs(hovered.current - hovered.reference) * 100).toFixed(1)} percentage points
              </div>
            </div>
          </VizTooltipContainer>
        </Portal>
      )}
    </>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  view: css({
    display: 'flex',
    flexDirection: 'column',
    minHeight: 0,
  }),
  message: css({
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'center',
    height: '100%',
    padding: theme.spacing(2),
    color: theme.colors.text.secondary,
    textAlign: 'center',
  }),
  header: css({
    height: HEADER_HEIGHT,
    overflow: 'hidden',
    flexShrink: 0,
  }),
  titleRow: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    minWidth: 0,
  }),
  feature: css({
    fontFamily: theme.typography.fontFamilyMonospace,
    fontWeight: theme.typography.fontWeightMedium,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
  }),
  muted: css({
    color: theme.colors.text.secondary,
  }),
  badgeDrift: css({
    padding: theme.spacing(0, 0.75),
    borderRadius: theme.shape.radius.pill,
    fontSize: theme.typography.bodySmall.fontSize,
    fontWeight: theme.typography.fontWeightMedium,
    color: theme.colors.error.text,
    background: theme.colors.error.transparent,
  }),
  badgeOk: css({
    padding: theme.spacing(0, 0.75),
    borderRadius: theme.shape.radius.pill,
    fontSize: theme.typography.bodySmall.fontSize,
    fontWeight: theme.typography.fontWeightMedium,
    color: theme.colors.success.text,
    background: theme.colors.success.transparent,
  }),
  legend: css({
    marginLeft: 'auto',
    display: 'inline-flex',
    alignItems: 'center',
    gap: 4,
    fontSize: theme.typography.bodySmall.fontSize,
    color: theme.colors.text.secondary,
    whiteSpace: 'nowrap',
    '& > span:nth-of-type(2)': { marginLeft: theme.spacing(1) },
  }),
  swatch: css({
    display: 'inline-block',
    width: 10,
    height: 10,
    borderRadius: 2,
    verticalAlign: 'middle',
  }),
  stats: css({
    display: 'flex',
    flexWrap: 'wrap',
    columnGap: theme.spacing(0.75),
    rowGap: 2,
    margin: theme.spacing(0.5, 0, 0),
    fontSize: theme.typography.bodySmall.fontSize,
    dt: { color: theme.colors.text.secondary, fontWeight: 'normal' },
    dd: { margin: theme.spacing(0, 1.5, 0, 0), fontVariantNumeric: 'tabular-nums' },
  }),
  chart: css({
    display: 'block',
    flexShrink: 0,
  }),
  axisText: css({
    fontSize: 11,
    fill: theme.colors.text.secondary,
    fontVariantNumeric: 'tabular-nums',
  }),
  axisTitle: css({
    fontSize: 11,
    fill: theme.colors.text.secondary,
  }),
  tooltip: css({
    fontSize: theme.typography.bodySmall.fontSize,
    display: 'flex',
    flexDirection: 'column',
    gap: 2,
  }),
  ttTitle: css({
    fontWeight: theme.typography.fontWeightMedium,
  }),
});
