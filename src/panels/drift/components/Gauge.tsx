import React from 'react';

import { testIds } from './testIds';

interface Props {
  value: number | undefined;
  max: number;
  warning: number;
  critical: number;
  showThreshold: boolean;
  /** Value arc color (the status color). */
  color: string;
  zoneColors: { ok: string; warning: string; critical: string };
  trackColor: string;
  markerColor: string;
  size: number;
  label: string;
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
  return `M ${x1.toFixed(2)} ${y1.toFixed(2)} A ${r} ${r} 0 0 1 ${x2.toFixed(2)} ${y2.toFixed(2)}`;
}

/**
 * A half-circle gauge: the threshold zones as a thin outer band (healthy / warning /
 * critical), the score as the inner arc, a tick on the drift line.
 */
export function Gauge({
  value,
  max,
  warning,
  critical,
  showThreshold,
  color,
  zoneColors,
  trackColor,
  markerColor,
  size,
  label,
}: Props) {
  const w = size;
  const h = size / 2 + 4;
  const cx = w / 2;
  const cy = size / 2 + 1;
  const outer = size / 2 - 3;
  const inner = outer - 9;
  const frac = (v: number) => Math.min(Math.max(v / max, 0), 1);
  const [tx1, ty1] = point(cx, cy, inner - 6, frac(critical));
  const [tx2, ty2] = point(cx, cy, outer + 2, frac(critical));
  return (
    <svg width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={label} data-testid={testIds.gauge}>
      {showThreshold && (
        <g strokeWidth={3} fill="none">
          <path d={arc(cx, cy, outer, 0, frac(warning))} stroke={zoneColors.ok} />
          <path d={arc(cx, cy, outer, frac(warning), frac(critical))} stroke={zoneColors.warning} />
          <path d={arc(cx, cy, outer, frac(critical), 1)} stroke={zoneColors.critical} />
        </g>
      )}
      <path d={arc(cx, cy, inner, 0, 1)} stroke={trackColor} strokeWidth={9} fill="none" />
      {value !== undefined && value > 0 && (
        <path d={arc(cx, cy, inner, 0, Math.max(frac(value), 0.01))} stroke={color} strokeWidth={9} fill="none" />
      )}
      {showThreshold && <line x1={tx1} y1={ty1} x2={tx2} y2={ty2} stroke={markerColor} strokeWidth={2} />}
    </svg>
  );
}
