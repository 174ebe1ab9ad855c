import React, { useMemo } from 'react';
import { css } from '@emotion/css';
import { useStyles2, useTheme2 } from '@grafana/ui';

import { readWaterfall } from '../data/traceList';
import { spanKindColor } from './colors';

interface Props {
  /** The list frame's waterfall cell; decoded here, so only rows on screen pay for it. */
  cell: unknown;
  durationMs: number;
  height?: number;
}

/** A thumbnail of the trace: one bar per span, stacked by depth, scaled to the row's width. */
export function MiniWaterfall({ cell, durationMs, height = 24 }: Props) {
  const theme = useTheme2();
  const styles = useStyles2(getStyles);
  const spans = useMemo(() => readWaterfall(cell), [cell]);
  if (spans.length === 0) {
    return null;
  }
  const total = Math.max(
    durationMs,
    spans.reduce((m, s) => Math.max(m, s.offsetMs + s.durationMs), 0),
    1e-6
  );
  const maxDepth = spans.reduce((m, s) => Math.max(m, s.depth), 0);
  const lane = Math.max(1.5, Math.min(6, height / (maxDepth + 1)));
  return (
    <svg
      className={styles.svg}
      viewBox={`0 0 100 ${height}`}
      preserveAspectRatio="none"
      height={height}
      role="img"
      aria-label={`${spans.length} spans`}
      data-testid="pyflare-mini-waterfall"
    >
      {spans.map((s) => (
        <rect
          key={s.spanID}
          x={(s.offsetMs / total) * 100}
          y={Math.min(s.depth * lane, height - lane)}
          width={Math.max((s.durationMs / total) * 100, 0.6)}
          height={Math.max(lane - 0.5, 1)}
          fill={s.status === 'error' ? theme.colors.error.main : spanKindColor(theme, s.spanKind)}
        />
      ))}
    </svg>
  );
}

const getStyles = () => ({
  svg: css({
    display: 'block',
    width: '100%',
    minWidth: 60,
  }),
});
