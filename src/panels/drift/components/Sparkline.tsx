import React from 'react';
import { useTheme2 } from '@grafana/ui';

import { testIds } from './testIds';

interface Props {
  points: Array<[number, number]>;
  width: number;
  height: number;
  color: string;
  /** Horizontal lines drawn when they fall inside the plotted range (or raise its top). */
  thresholds: Array<{ value: number; color: string }>;
}

/** A small line chart of the score over time, with its threshold lines. */
export function Sparkline({ points, width, height, color, thresholds }: Props) {
  const theme = useTheme2();
  if (points.length < 2 || width <= 0) {
    return null;
  }
  const t0 = points[0]![0];
  const t1 = points[points.length - 1]![0];
  const values = points.map((p) => p[1]);
  const top = Math.max(...values, ...thresholds.map((t) => t.value)) * 1.1 || 1;
  const bottom = Math.min(0, ...values);
  const pad = 2;
  const x = (t: number) => pad + ((t - t0) / (t1 - t0 || 1)) * (width - 2 * pad);
  const y = (v: number) => pad + (1 - (v - bottom) / (top - bottom || 1)) * (height - 2 * pad);
  const line = points.map(([t, v], i) => `${i ? 'L' : 'M'} ${x(t).toFixed(1)} ${y(v).toFixed(1)}`).join(' ');
  const area = `${line} L ${x(t1).toFixed(1)} ${y(bottom).toFixed(1)} L ${x(t0).toFixed(1)} ${y(bottom).toFixed(1)} Z`;
  const last = points[points.length - 1]!;
  return (
    <svg width={width} height={height} role="img" aria-label="Score over time" data-testid={testIds.sparkline}>
      <path d={area} fill={color} fillOpacity={0.12} stroke="none" />
      {thresholds.map((th) => (
        <line
          key={th.value}
          x1={pad}
          x2={width - pad}
          y1={y(th.value)}
          y2={y(th.value)}
          stroke={th.color}
          strokeWidth={1}
          strokeDasharray="3 3"
          opacity={0.8}
        />
      ))}
      <path d={line} fill="none" stroke={color} strokeWidth={1.5} strokeLinejoin="round" />
      <circle cx={x(last[0])} cy={y(last[1])} r={2.5} fill={color} stroke={theme.colors.background.primary} />
    </svg>
  );
}
