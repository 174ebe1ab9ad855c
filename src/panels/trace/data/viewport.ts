/**
 * The visible slice of a trace's timeline, in ms relative to the trace start (frame units:
 * the service sends ms with fractions, so sub-ms spans keep their precision).
 */
export interface TimeWindow {
  start: number;
  end: number;
}

/** The narrowest window zoom allows: a millionth of the trace, and never below 1 µs. */
export function minWindowMs(totalMs: number): number {
  return Math.max(totalMs * 1e-6, 0.001);
}

export function fullWindow(totalMs: number): TimeWindow {
  return { start: 0, end: Math.max(totalMs, 0) };
}

export function isFullWindow(w: TimeWindow, totalMs: number): boolean {
  return w.start <= 0 && w.end >= totalMs;
}

/** Keeps a window inside [0, total] and at least the minimum width, preserving its center. */
export function clampWindow(w: TimeWindow, totalMs: number): TimeWindow {
  const total = Math.max(totalMs, 0);
  const min = Math.min(minWindowMs(total), total);
  let start = Number.isFinite(w.start) ? w.start : 0;
  let end = Number.isFinite(w.end) ? w.end : total;
  if (end < start) {
    [start, end] = [end, start];
  }
  let width = Math.min(Math.max(end - start, min), total);
  if (width <= 0) {
    return fullWindow(total);
  }
  if (end - start < min) {
    const center = (start + end) / 2;
    start = center - width / 2;
  }
  start = Math.min(Math.max(start, 0), total - width);
  return { start, end: start + width };
}

/**
 * Zooms by `factor` (< 1 zooms in, > 1 out) keeping the time under `anchor` (0..1 across the
 * window, e.g. the mouse position) where it is.
 */
export function zoomWindow(w: TimeWindow, factor: number, anchor: number, totalMs: number): TimeWindow {
  const a = Math.min(Math.max(anchor, 0), 1);
  const width = w.end - w.start;
  const at = w.start + width * a;
  const next = width * factor;
  const min = minWindowMs(totalMs);
  const clampedWidth = Math.min(Math.max(next, min), totalMs);
  return clampWindow({ start: at - clampedWidth * a, end: at + clampedWidth * (1 - a) }, totalMs);
}

/** Moves the window by `deltaMs`, stopping at the trace's edges. */
export function panWindow(w: TimeWindow, deltaMs: number, totalMs: number): TimeWindow {
  const width = w.end - w.start;
  const start = Math.min(Math.max(w.start + deltaMs, 0), Math.max(totalMs - width, 0));
  return { start, end: start + width };
}

/** The window between two positions (0..1) across the current one, e.g. a drag on the ruler. */
export function selectWindow(w: TimeWindow, fromFrac: number, toFrac: number, totalMs: number): TimeWindow {
  const width = w.end - w.start;
  const a = w.start + width * Math.min(fromFrac, toFrac);
  const b = w.start + width * Math.max(fromFrac, toFrac);
  return clampWindow({ start: a, end: b }, totalMs);
}

/** Where a bar goes: left and width as fractions of the window; undefined when out of view. */
export interface BarGeometry {
  left: number;
  width: number;
  /** The bar continues past the window's left or right edge. */
  clippedStart: boolean;
  clippedEnd: boolean;
}

export function barGeometry(offsetMs: number, durationMs: number, w: TimeWindow): BarGeometry | undefined {
  const width = w.end - w.start;
  if (width <= 0) {
    return undefined;
  }
  const end = offsetMs + durationMs;
  // A zero-length span at the window's edge is still shown.
  if (end < w.start || offsetMs > w.end) {
    return undefined;
  }
  const from = Math.max(offsetMs, w.start);
  const to = Math.min(end, w.end);
  return {
    left: (from - w.start) / width,
    width: (to - from) / width,
    clippedStart: offsetMs < w.start,
    clippedEnd: end > w.end,
  };
}

/** Tick positions (ms from trace start) inside a window: a 1-2-2.5-5 step giving about `count` intervals. */
export function windowTicks(w: TimeWindow, count = 5): number[] {
  const width = w.end - w.start;
  if (!Number.isFinite(width) || width <= 0) {
    return [w.start];
  }
  const rough = width / count;
  const pow = Math.pow(10, Math.floor(Math.log10(rough)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= rough) ?? 10 * pow;
  const first = Math.ceil(w.start / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; ; i++) {
    const t = first + i * step;
    if (t > w.end + step * 1e-9) {
      break;
    }
    ticks.push(Number(t.toPrecision(12)));
  }
  return ticks;
}

/** Fewest decimals that show `step` exactly (0.25 -> 2, 0.5 -> 1, 20 -> 0), at most 6. */
function stepDecimals(step: number): number {
  for (let d = 0; d < 6; d++) {
    const scaled = step * Math.pow(10, d);
    if (Math.abs(Math.round(scaled) - scaled) < 1e-6 * Math.max(1, scaled)) {
      return d;
    }
  }
  return 6;
}

/**
 * A ruler label in one unit for the whole ruler (chosen by its largest tick) with just
 * enough digits for the step, so neighbouring ticks never read the same when zoomed in:
 * 1.25 s / 1.26 s at a 10 ms step, 1250.5 ms at a 0.5 ms step.
 */
export function formatTick(ms: number, stepMs: number, maxMs: number): string {
  const step = stepMs > 0 ? stepMs : Math.max(maxMs, 1);
  if (maxMs >= 1000) {
    return `${(ms / 1000).toFixed(stepDecimals(step / 1000))} s`;
  }
  if (maxMs >= 1) {
    return `${ms.toFixed(stepDecimals(step))} ms`;
  }
  return `${(ms * 1000).toFixed(stepDecimals(step * 1000))} µs`;
}

/**
 * Labels of a ruler: the panels' usual duration format ("500 ms", "1.5 s") when it tells
 * every tick apart, else one unit with the step's digits (deep zoom).
 */
export function tickLabels(ticks: number[], format: (ms: number) => string): string[] {
  const plain = ticks.map(format);
  if (new Set(plain).size === plain.length) {
    return plain;
  }
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : 0;
  const max = ticks.reduce((m, t) => Math.max(m, Math.abs(t)), 0);
  return ticks.map((t) => formatTick(t, step, max));
}
