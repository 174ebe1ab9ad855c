import React, { useMemo } from 'react';
import { css, cx } from '@emotion/css';
import { dateTimeFormat, type GrafanaTheme2, type PanelProps } from '@grafana/data';
import { PanelDataErrorView } from '@grafana/runtime';
import { EmptyState, Icon, useStyles2, useTheme2 } from '@grafana/ui';

import { formatScore } from '../../../shared/format';
import {
  arrangeDriftSeries,
  driftStatus,
  readDriftSeries,
  type DriftSeries,
  type DriftStatus,
} from '../data/driftSeries';
import type { DriftPanelOptions } from '../types';
import { Gauge } from './Gauge';
import { Sparkline } from './Sparkline';
import { testIds } from './testIds';

export type DriftPanelProps = PanelProps<DriftPanelOptions>;

const MIN_CARD_WIDTH = 230;
const GAP = 8;

const STATUS_TEXT: Record<DriftStatus, string> = { ok: 'OK', warning: 'Warning', critical: 'Drift' };

/** Text colors are tuned for contrast on the theme's backgrounds; `main` colors for shapes. */
function statusTextColor(theme: GrafanaTheme2, status: DriftStatus): string {
  return status === 'critical'
    ? theme.colors.error.text
    : status === 'warning'
      ? theme.colors.warning.text
      : theme.colors.success.text;
}

function statusColor(theme: GrafanaTheme2, status: DriftStatus): string {
  return status === 'critical'
    ? theme.colors.error.main
    : status === 'warning'
      ? theme.colors.warning.main
      : theme.colors.success.main;
}

export function DriftPanel({ data, options, width, height, timeZone, id, fieldConfig }: DriftPanelProps) {
  const styles = useStyles2(getStyles);
  const all = useMemo(() => readDriftSeries(data.series), [data.series]);
  // driftTypes may be unset on panels created before the option existed or left empty.
  const driftTypes = useMemo(() => (Array.isArray(options.driftTypes) ? options.driftTypes : []), [options.driftTypes]);
  const series = useMemo(() => arrangeDriftSeries(all, { ...options, driftTypes }), [all, options, driftTypes]);

  if (data.series.length > 0 && all.length === 0) {
    return <PanelDataErrorView panelId={id} fieldConfig={fieldConfig} data={data} needsNumberField />;
  }
  if (series.length === 0) {
    return (
      <div className={styles.empty} data-testid={testIds.empty}>
        <EmptyState
          variant="not-found"
          hideImage={height < 260}
          message={all.length ? 'No series of the selected drift types' : 'No drift scores in this time range'}
        >
          Run a PyFlare “Drift” query. Any numeric time series with a <code>driftType</code> label (and optionally{' '}
          <code>feature</code>) works.
        </EmptyState>
      </div>
    );
  }

  const critical = series.filter((s) => driftStatus(s.latest, options) === 'critical');
  const columns = Math.max(1, Math.min(series.length, Math.floor((width + GAP) / (MIN_CARD_WIDTH + GAP))));
  const cardWidth = Math.floor((width - GAP * (columns - 1)) / columns);

  return (
    <div className={styles.panel} style={{ height }} data-testid={testIds.panel}>
      {options.alertOnDrift && critical.length > 0 && (
        <div className={styles.alert} role="alert" data-testid={testIds.alert}>
          <Icon name="exclamation-triangle" />
          Drift detected in {critical.length} of {series.length} series (score ≥{' '}
          {formatScore(options.criticalThreshold)})
        </div>
      )}
      <div className={styles.grid} style={{ gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))` }}>
        {series.map((s) => (
          <DriftCard key={s.key} series={s} options={options} width={cardWidth} timeZone={timeZone} />
        ))}
      </div>
    </div>
  );
}

interface CardProps {
  series: DriftSeries;
  options: DriftPanelOptions;
  width: number;
  timeZone: string;
}

function DriftCard({ series, options, width, timeZone }: CardProps) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const status = driftStatus(series.latest, options);
  const color = statusColor(theme, status);
  const gaugeSize = Math.round(Math.min(Math.max(width * 0.62, 120), 170));
  const gaugeMax = Math.max(options.criticalThreshold * 1.5, series.max ?? 0, series.latest ?? 0) || 1;
  const thresholds = options.showThreshold
    ? [
        { value: options.warningThreshold, color: theme.colors.warning.main },
        { value: options.criticalThreshold, color: theme.colors.error.main },
      ]
    : [];
  return (
    <section
      className={cx(styles.card, status === 'critical' && styles.cardCritical)}
      data-testid={testIds.card}
      aria-label={series.title}
    >
      <header className={styles.cardHeader}>
        <div className={styles.titles} title={series.title}>
          <div className={styles.title}>{series.typeTitle}</div>
          <div className={styles.subtitle}>
            {[series.feature, series.model].filter(Boolean).join(' · ') || '\u00a0'}
          </div>
        </div>
        <span className={cx(styles.badge, styles[status])} data-testid={testIds.status}>
          {STATUS_TEXT[status]}
        </span>
      </header>
      <div className={styles.gaugeWrap}>
        <Gauge
          value={series.latest}
          max={gaugeMax}
          warning={options.warningThreshold}
          critical={options.criticalThreshold}
          showThreshold={options.showThreshold}
          color={color}
          size={gaugeSize}
        />
        <span className={styles.value} style={{ color: statusTextColor(theme, status) }} data-testid={testIds.value}>
          {series.latest === undefined ? '–' : formatScore(series.latest)}
        </span>
      </div>
      {options.showSparkline && series.points.length > 1 && (
        <Sparkline points={series.points} width={width - 18} height={36} color={color} thresholds={thresholds} />
      )}
      <footer className={styles.footer}>
        {series.max !== undefined && <span>max {formatScore(series.max)}</span>}
        {series.points.length > 1 && <span>{series.points.length} points</span>}
        {series.latestTime !== undefined && (
          <span>{dateTimeFormat(series.latestTime, { timeZone, format: 'MM-DD HH:mm' })}</span>
        )}
      </footer>
    </section>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  panel: css({
    display: 'flex',
    flexDirection: 'column',
    gap: GAP,
    overflow: 'auto',
    width: '100%',
  }),
  empty: css({
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'center',
    height: '100%',
  }),
  alert: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    padding: theme.spacing(0.75, 1),
    borderRadius: theme.shape.radius.default,
    background: theme.colors.error.transparent,
    border: `1px solid ${theme.colors.error.border}`,
    color: theme.colors.error.text,
    fontWeight: theme.typography.fontWeightMedium,
  }),
  grid: css({
    display: 'grid',
    gap: GAP,
  }),
  card: css({
    display: 'flex',
    flexDirection: 'column',
    alignItems: 'center',
    padding: theme.spacing(1),
    borderRadius: theme.shape.radius.default,
    border: `1px solid ${theme.colors.border.weak}`,
    background: theme.colors.background.secondary,
    minWidth: 0,
  }),
  cardCritical: css({
    borderColor: theme.colors.error.border,
  }),
  cardHeader: css({
    display: 'flex',
    alignItems: 'flex-start',
    gap: theme.spacing(1),
    width: '100%',
  }),
  titles: css({
    flex: 1,
    minWidth: 0,
    lineHeight: 1.3,
  }),
  title: css({
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
    fontWeight: theme.typography.fontWeightMedium,
  }),
  subtitle: css({
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    fontFamily: theme.typography.fontFamilyMonospace,
  }),
  badge: css({
    padding: theme.spacing(0, 0.75),
    borderRadius: theme.shape.radius.pill,
    fontSize: theme.typography.bodySmall.fontSize,
    fontWeight: theme.typography.fontWeightMedium,
    whiteSpace: 'nowrap',
  }),
  ok: css({
    color: theme.colors.success.text,
    background: theme.colors.success.transparent,
  }),
  warning: css({
    color: theme.colors.warning.text,
    background: theme.colors.warning.transparent,
  }),
  critical: css({
    color: theme.colors.error.text,
    background: theme.colors.error.transparent,
  }),
  gaugeWrap: css({
    position: 'relative',
    display: 'flex',
    justifyContent: 'center',
    marginTop: theme.spacing(0.5),
  }),
  value: css({
    position: 'absolute',
    bottom: 0,
    left: 0,
    right: 0,
    textAlign: 'center',
    fontSize: theme.typography.h3.fontSize,
    fontWeight: theme.typography.fontWeightMedium,
    lineHeight: 1,
    // Inside the half circle, just above its flat edge.
    paddingBottom: 2,
  }),
  footer: css({
    display: 'flex',
    gap: theme.spacing(1.5),
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    marginTop: theme.spacing(0.5),
  }),
});
