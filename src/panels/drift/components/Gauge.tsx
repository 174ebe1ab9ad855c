import React from 'react';
import type { GrafanaTheme2 } from '@grafana/data';
import { useTheme2 } from '@grafana/ui';

import { testIds } from './testIds';

interface Props {
  value: number | undefined;
  max: number;
  warning: number;
  critical: number;
  showThreshold: boolean;
  color: string;
  size: number;
}

const START = Math.PI; // left end of the half circle
const SWEEP = Math.PI;

function point(cx: number, cy: number, r: number, frac: number): [number, number] {
  const a = START + SWEEP * Math.min(Math.max(frac, 0), 1);
  return [cx + r * Math.cos(a), cy + r * Math.sin(a)];
}

function arc(cx: number, cy: number, r: number, from: number, to: number): string {
  const [x1, y1] = point(cx, cy, r, from);
  const [x2, y2] = point(cx, cy, r, to);
  return `M ${x1} ${y1} A ${r} ${r} 0 0 1 ${x2} ${y2}`;
}

function zoneColors(theme: GrafanaTheme2) {
  return {
    ok: theme.colors.success.main,
    warning: theme.colors.warning.main,
    critical: theme.colors.error.main,
  };
}

/** A half-circle gauge: threshold zones as a thin outer band, the score as the inner arc. */
export function Gauge({ value, max, warning, critical, showThreshold, color, size }: Props) {
  const theme = useTheme2();
  const zones = zoneColors(theme);
  const w = size;
  const h = size / 2 + 2;
  const cx = w / 2;
  const cy = size / 2;
  const outer = size / 2 - 3;
  const inner = outer - 10;
  const frac = (v: number) => v / max;
  return (
    <svg width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label="Drift gauge" data-testid={testIds.gauge}>
      {showThreshold && (
        <g strokeWidth={3} fill="none">
          <path d={arc(cx, cy, outer, 0, frac(warning))} stroke={zones.ok} />
          <path d={arc(cx, cy, outer, frac(warning), frac(critical))} stroke={zones.warning} />
          <path d={arc(cx, cy, outer, frac(critical), 1)} stroke={zones.critical} />
        </g>
      )}
      <path d={arc(cx, cy, inner, 0, 1)} stroke={theme.colors.border.weak} strokeWidth={8} fill="none" />
      {value !== undefined && value > 0 && (
        <path d={arc(cx, cy, inner, 0, Math.max(frac(value), 0.01))} stroke={color} strokeWidth={8} fill="none" />
      )}
    </svg>
  );
}
