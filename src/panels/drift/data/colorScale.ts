// The heatmap's color scale: drift level (score / drift threshold) to color, precomputed as
// a lookup table so drawing 30k cells is one array read per cell.
import { colorManipulator } from '@grafana/data';

/** Levels at or past this are drawn with the last color (2 = twice the drift threshold). */
export const MAX_LEVEL = 2;
export const LUT_SIZE = 256;

export interface ColorStop {
  level: number;
  color: string;
}

type Rgba = [number, number, number, number];

function rgba(color: string): Rgba {
  const c = colorManipulator.decomposeColor(color);
  const [r = 0, g = 0, b = 0, a = 1] = c.values;
  if (c.type === 'hsl' || c.type === 'hsla') {
    return rgba(colorManipulator.hslToRgb(c));
  }
  return [r, g, b, c.values.length > 3 ? a : 1];
}

const css = ([r, g, b, a]: Rgba) =>
  a >= 1
    ? `rgb(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)})`
    : `rgba(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)}, ${a})`;

/** `t` of the way from color a to color b (0 = a), alpha included. */
export function mixColors(a: string, b: string, t: number): string {
  const x = rgba(a);
  const y = rgba(b);
  return css([0, 1, 2, 3].map((i) => x[i]! + (y[i]! - x[i]!) * t) as Rgba);
}

/**
 * Stops of the scale: calm below the warning level, yellow at it, orange halfway to the drift
 * line, red on it, dark red at MAX_LEVEL. Continuous, so a feature creeping towards its
 * threshold is visible before it crosses it.
 */
export function heatmapStops(
  c: { healthy: string; healthyStrong: string; warning: string; mid: string; drift: string; severe: string },
  warningLevel: number
): ColorStop[] {
  const w = Math.min(Math.max(warningLevel, 0.05), 0.95);
  return [
    { level: 0, color: c.healthy },
    { level: w * 0.5, color: c.healthyStrong },
    { level: w, color: c.warning },
    { level: (w + 1) / 2, color: c.mid },
    { level: 1, color: c.drift },
    { level: MAX_LEVEL, color: c.severe },
  ];
}

/** Color of a level between the stops (stops ascending by level). */
export function colorAt(stops: readonly ColorStop[], level: number): string {
  const first = stops[0]!;
  if (!(level > first.level)) {
    return mixColors(first.color, first.color, 0);
  }
  for (let i = 1; i < stops.length; i++) {
    const s = stops[i]!;
    if (level <= s.level) {
      const p = stops[i - 1]!;
      return mixColors(p.color, s.color, (level - p.level) / (s.level - p.level || 1));
    }
  }
  const last = stops[stops.length - 1]!;
  return mixColors(last.color, last.color, 0);
}

/** LUT_SIZE colors for levels 0..MAX_LEVEL. */
export function buildLut(stops: readonly ColorStop[], size = LUT_SIZE): string[] {
  return Array.from({ length: size }, (_, i) => colorAt(stops, (i / (size - 1)) * MAX_LEVEL));
}

/** Index of a level in a LUT of `size` colors; -1 for no value. */
export function lutIndex(level: number, size = LUT_SIZE): number {
  if (Number.isNaN(level)) {
    return -1;
  }
  const i = Math.round((Math.min(Math.max(level, 0), MAX_LEVEL) / MAX_LEVEL) * (size - 1));
  return i;
}
