// Time axis ticks of the heatmap (pure).
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const STEPS = [
  MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  30 * DAY,
];

export interface TimeTick {
  time: number;
  /** 0..1 along the axis. */
  position: number;
  /** Whether the tick falls on a day boundary (label it with the date). */
  day: boolean;
}

/**
 * Ticks for [from, to) drawn `widthPx` wide, at least `minSpacingPx` apart, on round times
 * of the time zone given by its offset in ms at `from` (UTC = 0).
 */
export function timeTicks(from: number, to: number, widthPx: number, minSpacingPx = 90, tzOffsetMs = 0): TimeTick[] {
  const span = to - from;
  if (!(span > 0) || !(widthPx > 0)) {
    return [];
  }
  const minStep = (span * minSpacingPx) / widthPx;
  const step = STEPS.find((s) => s >= minStep) ?? Math.ceil(minStep / (30 * DAY)) * 30 * DAY;
  const local = from + tzOffsetMs;
  let t = Math.ceil(local / step) * step - tzOffsetMs;
  const ticks: TimeTick[] = [];
  for (; t < to; t += step) {
    ticks.push({ time: t, position: (t - from) / span, day: (t + tzOffsetMs) % DAY === 0 });
  }
  return ticks;
}
