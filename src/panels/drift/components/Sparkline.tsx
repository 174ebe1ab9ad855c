import React from 'react';

import { testIds } from './testIds';

interface Props {
  times: readonly number[];
  values: readonly number[];
  width: number;
  height: number;
  color: string;
  /** Dot at the latest point is outlined in this (the card background). */
  background: string;
  /** Horizontal lines; they also raise the top of the plotted range. */
  thresholds: Array<{ value: number; color: string }>;
  label: string;
}

/** A small line chart of the score over time, with its threshold lines. */
export function Sparkline({ times, values, width, height, color, background, thresholds, label }: Props) {
  const n = Math.min(times.length, values.length);
  if (n < 2 || width <= 0) {
    return null;
  }
  const t0 = times[0]!;
  const t1 = times[n - 1]!;
  let top = 0;
  let bottom = 0;
  for (let i = 0; i < n; i++) {
    top = Math.max(top, values[i]!);
    bottom = Math.min(bottom, values[i]!);
  }
  for (const th of thresholds) {
    top = Math.max(top, th.value);
  }
  top = top * 1.1 || 1;
  const pad = 3;
  const x = (t: number) => pad + ((t - t0) / (t1 - t0 || 1)) * (width - 2 * pad);
  const y = (v: number) => pad + (1 - (v - bottom) / (top - bottom || 1)) * (height - 2 * pad);
  let line = '';
  for (let i = 0; i < n; i++) {
    line += `${i ? 'L' : 'M'} ${x(times[i]!).toFixed(1)} ${y(values[i]!).toFixed(1)} `;
  }
  const area = `${line}L ${x(t1).toFixed(1)} ${y(bottom).toFixed(1)} L ${x(t0).toFixed(1)} ${y(bottom).toFixed(1)} Z`;
  return (
    <svg width={width} height={height} role="img" aria-label={label} data-testid={testIds.sparkline}>
      <path d={area} fill={color} fillOpacity={0.14} stroke="none" />
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
          opacity={0.85}
        />
      ))}
      <path d={line} fill="none" stroke={color} strokeWidth={1.5} strokeLinejoin="round" />
      <circle cx={x(t1)} cy={y(values[n - 1]!)} r={3} fill={color} stroke={background} strokeWidth={1.5} />
    </svg>
  );
}
