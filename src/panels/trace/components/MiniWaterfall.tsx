import React from 'react';
import { css } from '@emotion/css';
import { useStyles2, useTheme2 } from '@grafana/ui';

import type { MiniSpan } from '../data/traceList';
import { spanKindColor } from './colors';

interface Props {
  spans: MiniSpan[];
  durationMs: number;
  height?: number;
}

/** A thumbnail of the trace: one bar per span, stacked by depth, scaled to the row's width. */
export function MiniWaterfall({ spans, durationMs, height = 24 }: Props) {
  const theme = useTheme2();
  const styles = useStyles2(getStyles);
  if (spans.length === 0) {
    return null;
  }
  const total = Math.max(durationMs, ...spans.map((s) => s.offsetMs + s.durationMs), 1e-6);
  const maxDepth = Math.max(...spans.map((s) => s.depth));
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
      <rect x={0} y={0} width={100} height={height} className={styles.track} />
      {spans.map((s) => (
        <rect
          key={s.spanID}
          x={(s.offsetMs / total) * 100}
          y={Math.min(s.depth * lane, height - lane)}
          width={Math.max((s.durationMs / total) * 100, 0.6)}
          height={Math.max(lane - 0.5, 1)}
          fill={spanKindColor(theme, s.spanKind, s.status === 'error')}
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
  track: css({
    fill: 'transparent',
  }),
});
