import React from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';

import { formatScore } from '../../../shared/format';
import { MAX_LEVEL, type ColorStop } from '../data/colorScale';
import { testIds } from './testIds';

interface Props {
  stops: readonly ColorStop[];
  warningLevel: number;
  /** Set when every row uses the same fixed drift line: ticks show scores, not multiples of the threshold. */
  fixedCritical?: number;
  showThreshold: boolean;
  noData: string;
  width: number;
}

/** The color scale with its warning and drift marks. */
export function HeatmapLegend({ stops, warningLevel, fixedCritical, showThreshold, noData, width }: Props) {
  const styles = useStyles2(getStyles);
  const gradient = `linear-gradient(to right, ${stops
    .map((s) => `${s.color} ${((s.level / MAX_LEVEL) * 100).toFixed(1)}%`)
    .join(', ')})`;
  // Fixed thresholds: ticks in scores. Else levels (1 = each row's own drift line).
  const label = (level: number) =>
    fixedCritical !== undefined ? formatScore(level * fixedCritical) : String(Number(level.toFixed(2)));
  const ticks = [
    { level: 0, text: label(0), title: 'no drift' },
    ...(showThreshold
      ? [
          { level: warningLevel, text: label(warningLevel), title: 'warning' },
          { level: 1, text: label(1), title: 'drift threshold' },
        ]
      : []),
    { level: MAX_LEVEL, text: `≥ ${label(MAX_LEVEL)}`, title: 'twice the threshold or more' },
  ];
  const barWidth = Math.max(160, Math.min(360, width - 320));
  return (
    <div className={styles.legend} data-testid={testIds.legend} aria-label="Color scale">
      <span
        className={styles.caption}
        title="p-value tests count by ln p ÷ ln α, so 1 is their threshold too and stronger evidence is darker"
      >
        {fixedCritical !== undefined ? 'Drift score' : 'Drift level (1 = threshold)'}
      </span>
      <div className={styles.scale} style={{ width: barWidth }}>
        <div className={styles.bar} style={{ background: gradient }} />
        {ticks.map((t) => (
          <span
            key={t.title}
            title={t.title}
            className={styles.tick}
            style={{ left: `${(t.level / MAX_LEVEL) * 100}%` }}
            data-level={t.level}
          >
            {t.text}
          </span>
        ))}
      </div>
      <span className={styles.noData}>
        <span className={styles.swatch} style={{ background: noData }} />
        no score
      </span>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  legend: css({
    display: 'flex',
    alignItems: 'flex-start',
    gap: theme.spacing(1.5),
    height: 28,
    paddingTop: 4,
    fontSize: theme.typography.bodySmall.fontSize,
    color: theme.colors.text.secondary,
    whiteSpace: 'nowrap',
  }),
  caption: css({
    lineHeight: '10px',
  }),
  scale: css({
    position: 'relative',
    height: 24,
    flexShrink: 0,
  }),
  bar: css({
    height: 8,
    borderRadius: theme.shape.radius.default,
    border: `1px solid ${theme.colors.border.weak}`,
  }),
  tick: css({
    position: 'absolute',
    top: 9,
    transform: 'translateX(-50%)',
    lineHeight: 1.2,
    '&:first-of-type': { transform: 'none' },
    '&:last-of-type': { transform: 'translateX(-100%)' },
    '&::before': {
      content: '""',
      position: 'absolute',
      top: -5,
      left: '50%',
      width: 1,
      height: 4,
      background: theme.colors.text.secondary,
    },
    '&:first-of-type::before': { left: 0 },
    '&:last-of-type::before': { left: 'auto', right: 0 },
  }),
  noData: css({
    display: 'inline-flex',
    alignItems: 'center',
    gap: 4,
    lineHeight: '10px',
  }),
  swatch: css({
    display: 'inline-block',
    width: 10,
    height: 10,
    borderRadius: 2,
    border: `1px solid ${theme.colors.border.medium}`,
  }),
});
