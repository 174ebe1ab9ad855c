// Daily cost forecast: ordinary least squares on daily UTC totals with a linear trend and
// day-of-week effects (weekly seasonality), a 90 % prediction interval from the residual
// standard error and the leverage of each forecast day (Student t quantile), and a
// rolling-origin backtest on the history that measures how often the interval covered the
// actual day (its empirical coverage) and the mean absolute percentage error.
//
// Model choice by history length n (complete days): n >= 14 trend + weekday, 3 <= n < 14
// trend only, 1 <= n < 3 the mean, n = 0 nothing to forecast (zeros, no interval).

export const FORECAST_METHOD = 'OLS linear trend with day-of-week seasonality on daily UTC totals; 90% prediction interval (Student t, leverage-adjusted); rolling-origin backtest';
export const INTERVAL = 0.9;
const DAY_MS = 86_400_000;
const BACKTEST_ORIGINS = 28;
const BACKTEST_MAX_HORIZON = 7;

export interface DailyPoint {
  dayMs: number;
  usd: number;
}

export interface ForecastPoint {
  dayMs: number;
  usd: number;
  lowerUsd: number | null;
  upperUsd: number | null;
}

export interface Backtest {
  /** Forecast days checked (origin x horizon pairs inside the history). */
  points: number;
  /** Share of those days whose actual fell inside the interval; null when none. */
  coverage: number | null;
  /** Mean absolute percentage error over days with non-zero actuals; null when none. */
  mape: number | null;
  maxHorizonDays: number;
}

export interface Forecast {
  method: string;
  model: 'trend+weekday' | 'trend' | 'mean' | 'none';
  interval: number;
  history: DailyPoint[];
  forecast: ForecastPoint[];
  backtest: Backtest;
}

/** One-sided Student t quantile for p = 0.95 (two-sided 90 %): exact for df 1-2, Cornish-Fisher beyond. */
export function t95(df: number): number {
  if (df <= 0) {
    return Infinity;
  }
  if (df === 1) {
    return 6.313751514675043;
  }
  if (df === 2) {
    return 2.919985580353726;
  }
  const z = 1.6448536269514722;
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3);
}

/** Solves A x = b (A square, small) by Gaussian elimination with partial pivoting; null if singular. */
function solve(a: number[][], b: number[]): number[] | null {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) {
      if (Math.abs(m[r]![c]!) > Math.abs(m[piv]![c]!)) {
        piv = r;
      }
    }
    if (Math.abs(m[piv]![c]!) < 1e-12) {
      return null;
    }
    [m[c], m[piv]] = [m[piv]!, m[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) {
        m[r]![k]! -= f * m[c]![k]!;
      }
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r]![n]!;
    for (let k = r + 1; k < n; k++) {
      s -= m[r]![k]! * x[k]!;
    }
    x[r] = s / m[r]![r]!;
  }
  return x;
}

interface Fit {
  model: Forecast['model'];
  features: (dayIndex: number, dayMs: number) => number[];
  beta: number[];
  /** (X'X)^-1 */
  inv: number[][];
  /** Residual standard error; null when there are no degrees of freedom left. */
  s: number | null;
  df: number;
}

const weekday = (dayMs: number) => new Date(dayMs).getUTCDay();

/** Fits the model that the history length allows. */
export function fit(history: DailyPoint[]): Fit | null {
  const n = history.length;
  if (n === 0) {
    return null;
  }
  const model: Fit['model'] = n >= 14 ? 'trend+weekday' : n >= 3 ? 'trend' : 'mean';
  // Trend on a centered day index keeps X'X well conditioned.
  const mid = (n - 1) / 2;
  const features = (i: number, dayMs: number): number[] => {
    if (model === 'mean') {
      return [1];
    }
    const f = [1, i - mid];
    if (model === 'trend+weekday') {
      const d = weekday(dayMs);
      // Six weekday indicators; Sunday is the baseline.
      for (let k = 1; k <= 6; k++) {
        f.push(d === k ? 1 : 0);
      }
    }
    return f;
  };
  const X = history.map((h, i) => features(i, h.dayMs));
  const p = X[0]!.length;
  const xtx = Array.from({ length: p }, (_, r) => Array.from({ length: p }, (_, c) => X.reduce((s, row) => s + row[r]! * row[c]!, 0)));
  const xty = Array.from({ length: p }, (_, r) => X.reduce((s, row, i) => s + row[r]! * history[i]!.usd, 0));
  const beta = solve(xtx, xty);
  if (!beta) {
    return null;
  }
  const inv = Array.from({ length: p }, (_, c) => solve(xtx, Array.from({ length: p }, (_, r) => (r === c ? 1 : 0)))!);
  // inv[c] is column c of the inverse; the inverse is symmetric, so rows = columns.
  const rss = X.reduce((s, row, i) => {
    const e = history[i]!.usd - row.reduce((a, x, k) => a + x * beta[k]!, 0);
    return s + e * e;
  }, 0);
  const df = n - p;
  return { model, features, beta, inv, s: df > 0 ? Math.sqrt(rss / df) : null, df };
}

export function predict(f: Fit, dayIndex: number, dayMs: number): ForecastPoint {
  const x = f.features(dayIndex, dayMs);
  const yhat = x.reduce((a, v, k) => a + v * f.beta[k]!, 0);
  if (f.s === null) {
    return { dayMs, usd: Math.max(0, yhat), lowerUsd: null, upperUsd: null };
  }
  let lev = 0;
  for (let r = 0; r < x.length; r++) {
    for (let c = 0; c < x.length; c++) {
      lev += x[r]! * f.inv[r]![c]! * x[c]!;
    }
  }
  const half = t95(f.df) * f.s * Math.sqrt(1 + lev);
  return { dayMs, usd: Math.max(0, yhat), lowerUsd: Math.max(0, yhat - half), upperUsd: Math.max(0, yhat + half) };
}

export function backtest(history: DailyPoint[], horizonDays: number): Backtest {
  const maxH = Math.min(BACKTEST_MAX_HORIZON, Math.max(1, horizonDays));
  let points = 0;
  let covered = 0;
  let apeSum = 0;
  let apeN = 0;
  const firstOrigin = Math.max(3, history.length - BACKTEST_ORIGINS);
  for (let o = firstOrigin; o < history.length; o++) {
    const f = fit(history.slice(0, o));
    if (!f || f.s === null) {
      continue;
    }
    for (let h = 0; h < maxH && o + h < history.length; h++) {
      const actual = history[o + h]!;
      const p = predict(f, o + h, actual.dayMs);
      points++;
      if (p.lowerUsd !== null && p.upperUsd !== null && actual.usd >= p.lowerUsd && actual.usd <= p.upperUsd) {
        covered++;
      }
      if (actual.usd > 0) {
        apeSum += Math.abs(p.usd - actual.usd) / actual.usd;
        apeN++;
      }
    }
  }
  return { points, coverage: points ? covered / points : null, mape: apeN ? apeSum / apeN : null, maxHorizonDays: maxH };
}

/** Forecasts `horizonDays` days starting at `firstDayMs` from daily history (oldest first, contiguous). */
export function forecastDaily(history: DailyPoint[], firstDayMs: number, horizonDays: number): Forecast {
  const f = fit(history);
  const out: ForecastPoint[] = [];
  for (let h = 0; h < horizonDays; h++) {
    const dayMs = firstDayMs + h * DAY_MS;
    const index = history.length + Math.round((dayMs - (history.length ? history[history.length - 1]!.dayMs + DAY_MS : firstDayMs)) / DAY_MS);
    out.push(f ? predict(f, index, dayMs) : { dayMs, usd: 0, lowerUsd: null, upperUsd: null });
  }
  return {
    method: FORECAST_METHOD,
    model: f ? f.model : 'none',
    interval: INTERVAL,
    history,
    forecast: out,
    backtest: backtest(history, horizonDays),
  };
}
