import React, { useMemo } from 'react';
import { css, cx } from '@emotion/css';
import { dateTimeFormat, type GrafanaTheme2 } from '@grafana/data';
import { Icon, useStyles2, useTheme2 } from '@grafana/ui';

import { formatScore } from '../../../shared/format';
import { formatPValue, testName } from '../data/distribution';
import { gaugeLevels, type GaugeModel } from '../data/overview';
import { driftLevel, pValueOf, type DriftStatus } from '../data/levels';
import type { DriftColors } from '../hooks/useDriftColors';
import type { DriftPanelOptions } from '../types';
import { Gauge } from './Gauge';
import { Sparkline } from './Sparkline';
import { testIds } from './testIds';

interface Props {
  gauges: GaugeModel[];
  options: DriftPanelOptions;
  colors: DriftColors;
  width: number;
  height: number;
  timeZone: string;
}

const MIN_CARD_WIDTH = 190;
const GAP = 8;
/** Card height without the gauge: header, value line, sparkline, footer, padding. */
const CARD_CHROME = 128;

const STATUS_TEXT: Record<DriftStatus, string> = { ok: 'OK', warning: 'Warning', critical: 'Drift' };

export function OverviewView({ gauges, options, colors, width, height, timeZone }: Props) {
  const styles = useStyles2(getStyles);
  const columns = Math.max(1, Math.min(gauges.length, Math.floor((width + GAP) / (MIN_CARD_WIDTH + GAP))));
  const rows = Math.ceil(gauges.length / columns);
  const cardWidth = Math.floor((width - GAP * (columns - 1)) / columns);
  const cardHeight = (height - GAP * (rows - 1)) / rows;
  const chrome = CARD_CHROME - (options.showSparkline ? 0 : 40);
  // The gauge takes what the card has left, within readable bounds (the grid scrolls below that).
  const gaugeSize = Math.round(Math.min(Math.max(Math.min(cardWidth * 0.66, (cardHeight - chrome) * 2), 96), 180));
  return (
    <div
      className={styles.grid}
      style={{ gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))`, height }}
      data-testid={testIds.overview}
    >
      {gauges.map((g) => (
        <GaugeCard
          key={g.key}
          gauge={g}
          options={options}
          colors={colors}
          width={cardWidth}
          gaugeSize={gaugeSize}
          timeZone={timeZone}
        />
      ))}
    </div>
  );
}

interface CardProps {
  gauge: GaugeModel;
  options: DriftPanelOptions;
  colors: DriftColors;
  width: number;
  gaugeSize: number;
  timeZone: string;
}

function GaugeCard({ gauge: g, options, colors, width, gaugeSize, timeZone }: CardProps) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const s = g.series;
  const noData = s?.latest === undefined;
  const color = colors.status[g.status];
  // Sparklines plot drift levels (1 = the line), like the gauge; p-value levels are capped
  // where they stop meaning more (a p of 1e-30 would flatten the rest of the trend).
  const levels = useMemo(() => {
    if (!s) {
      return [];
    }
    const cap = g.thresholds.scale === 'log-p' ? 3 : Number.POSITIVE_INFINITY;
    return s.values.map((v) => Math.min(driftLevel(v, g.thresholds), cap));
  }, [s, g.thresholds]);
  const thresholds = options.showThreshold
    ? [
        { value: g.thresholds.warningLevel, color: colors.status.warning },
        { value: 1, color: colors.status.critical },
      ]
    : [];
  const gl = gaugeLevels(g);
  const p = s?.latest === undefined ? undefined : pValueOf(s.latest, g.thresholds);
  const valueText = noData ? '–' : p !== undefined ? `p ${formatPValue(p)}` : formatScore(s!.latest!);
  const subtitle = [g.model, g.service].filter(Boolean).join(' · ');
  const showAlert = options.alertOnDrift && g.alertActive;
  const since = g.alerts.map((a) => a.openedAt).filter((t): t is number => t !== undefined);
  const alertFeatures = [...new Set(g.alerts.map((a) => a.feature).filter(Boolean))];
  const alertTitle =
    (g.alerts.length > 1 ? `${g.alerts.length} drift alerts active` : 'Drift alert active') +
    (alertFeatures.length ? ` (${alertFeatures.join(', ')})` : '') +
    (since.length ? ` since ${dateTimeFormat(Math.min(...since), { timeZone, format: 'YYYY-MM-DD HH:mm' })}` : '');
  const label = `${g.title}${g.model ? ` (${g.model})` : ''}`;
  return (
    <section
      className={cx(styles.card, showAlert && styles.cardAlert)}
      data-testid={testIds.card}
      aria-label={label}
      data-drift-type={g.driftType}
      data-status={noData ? 'nodata' : g.status}
    >
      <header className={styles.header}>
        <div className={styles.titles}>
          <div className={styles.title} title={label}>
            {g.title}
          </div>
          <div className={styles.subtitle} title={subtitle}>
            {subtitle || '\u00a0'}
          </div>
        </div>
        {showAlert && (
          <span
            className={styles.alert}
            title={alertTitle}
            aria-label={alertTitle}
            role="status"
            data-testid={testIds.cardAlert}
          >
            <Icon name="bell" size="sm" />
            {width >= 260 && 'Alert'}
          </span>
        )}
        <span className={cx(styles.badge, noData ? styles.nodata : styles[g.status])} data-testid={testIds.status}>
          {noData ? 'No data' : STATUS_TEXT[g.status]}
        </span>
      </header>
      <div className={styles.gaugeWrap}>
        <Gauge
          value={gl.value}
          max={gl.max}
          warning={gl.warning}
          critical={gl.critical}
          showThreshold={options.showThreshold}
          color={color}
          zoneColors={colors.status}
          trackColor={theme.colors.border.weak}
          markerColor={theme.colors.text.primary}
          size={gaugeSize}
          label={`${label}: ${noData ? 'no data' : valueText}`}
        />
        <span className={styles.value} style={{ color: colors.statusText[g.status] }} data-testid={testIds.value}>
          {valueText}
        </span>
      </div>
      <div className={styles.meta}>
        {g.worstFeature ? (
          <span title="The drift type's gauge follows its worst feature">
            worst: <b>{g.worstFeature}</b>
          </span>
        ) : (
          s?.feature && <span>{s.feature}</span>
        )}
        {options.showThreshold && (
          <span title={s?.latestTest ? testName(s.latestTest) : undefined}>
            {g.thresholds.scale === 'log-p'
              ? `α ${formatPValue(1 - g.thresholds.critical)}`
              : `threshold ${formatScore(g.thresholds.critical)}`}
            {s?.latestTest ? ` · ${s.latestTest}` : ''}
          </span>
        )}
      </div>
      {options.showSparkline && s && s.times.length > 1 && (
        <Sparkline
          times={s.times}
          values={levels}
          width={width - 18}
          height={34}
          color={color}
          background={theme.colors.background.secondary}
          thresholds={thresholds}
          label={`${label} over time`}
        />
      )}
      <footer className={styles.footer}>
        {g.featureCount > 1 && (
          <span>
            {g.driftingFeatures} of {g.featureCount} features drifting
          </span>
        )}
        {g.featureCount <= 1 && s?.max !== undefined && (
          <span>
            {g.thresholds.scale === 'log-p' ? `lowest p ${formatPValue(1 - s.max)}` : `peak ${formatScore(s.max)}`}
          </span>
        )}
        {s?.latestTime !== undefined && (
          <span>{dateTimeFormat(s.latestTime, { timeZone, format: 'MM-DD HH:mm' })}</span>
        )}
      </footer>
    </section>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  grid: css({
    display: 'grid',
    // Cards share the panel's height (and keep their content size when it is too small: the grid scrolls).
    gridAutoRows: 'minmax(max-content, 1fr)',
    gap: GAP,
    overflow: 'auto',
    width: '100%',
  }),
  card: css({
    display: 'flex',
    flexDirection: 'column',
    alignItems: 'center',
    justifyContent: 'space-between',
    padding: theme.spacing(1),
    borderRadius: theme.shape.radius.default,
    border: `1px solid ${theme.colors.border.weak}`,
    background: theme.colors.background.secondary,
    minWidth: 0,
  }),
  cardAlert: css({
    borderColor: theme.colors.error.border,
    boxShadow: `inset 3px 0 0 ${theme.colors.error.main}`,
  }),
  header: css({
    display: 'flex',
    alignItems: 'flex-start',
    gap: theme.spacing(0.75),
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
  }),
  badge: css({
    padding: theme.spacing(0, 0.75),
    borderRadius: theme.shape.radius.pill,
    fontSize: theme.typography.bodySmall.fontSize,
    fontWeight: theme.typography.fontWeightMedium,
    whiteSpace: 'nowrap',
    lineHeight: '20px',
  }),
  alert: css({
    display: 'inline-flex',
    alignItems: 'center',
    gap: 2,
    padding: theme.spacing(0, 0.75),
    borderRadius: theme.shape.radius.pill,
    fontSize: theme.typography.bodySmall.fontSize,
    fontWeight: theme.typography.fontWeightMedium,
    lineHeight: '20px',
    color: theme.colors.error.contrastText,
    background: theme.colors.error.main,
    whiteSpace: 'nowrap',
  }),
  ok: css({ color: theme.colors.success.text, background: theme.colors.success.transparent }),
  warning: css({ color: theme.colors.warning.text, background: theme.colors.warning.transparent }),
  critical: css({ color: theme.colors.error.text, background: theme.colors.error.transparent }),
  nodata: css({ color: theme.colors.text.secondary, background: theme.colors.action.hover }),
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
    paddingBottom: 3,
  }),
  meta: css({
    display: 'flex',
    flexWrap: 'wrap',
    justifyContent: 'center',
    columnGap: theme.spacing(1),
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    marginTop: theme.spacing(0.5),
    minHeight: 18,
    maxWidth: '100%',
    overflow: 'hidden',
    whiteSpace: 'nowrap',
    b: { color: theme.colors.text.primary, fontWeight: theme.typography.fontWeightMedium },
  }),
  footer: css({
    display: 'flex',
    gap: theme.spacing(1.5),
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    marginTop: theme.spacing(0.25),
    whiteSpace: 'nowrap',
  }),
});
