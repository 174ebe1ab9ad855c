// Features x time buckets from per-feature drift series, for the heatmap. Cells hold the
// score in units of the row's drift threshold (level 1 = on the line), so features judged by
// different tests share one color scale.
import type { DriftPanelOptions, HeatmapSort } from '../types';
import { activeAlertsFor, featureResultFor, featureSeries, type DriftData } from './driftData';
import { driftTitle, type DriftSeries } from './driftSeries';
import {
  driftLevel,
  driftStatus,
  isPValueTest,
  resolveThresholds,
  type DriftStatus,
  type SeriesThresholds,
} from './levels';
import type { FeatureResult } from './tables';

export interface HeatmapRow {
  key: string;
  feature: string;
  driftType: string;
  model?: string;
  service?: string;
  /** Feature name, with drift type and model when the heatmap mixes several. */
  label: string;
  series?: DriftSeries;
  thresholds: SeriesThresholds;
  /** Per column: level (NaN = no score) and raw score. */
  levels: Float32Array;
  scores: Float64Array;
  /** Level and score of the latest point; NaN / undefined when none. */
  current: number;
  currentScore?: number;
  peak: number;
  status: DriftStatus;
  alertActive: boolean;
  /** The feature's latest test result (from a 'drift-features' frame), for the tooltip. */
  result?: FeatureResult;
}

export interface HeatmapMatrix {
  rows: HeatmapRow[];
  /** Start time of each column (epoch ms); one NaN column when only latest results are known. */
  times: number[];
  /** Column width in ms (0 when unknown). */
  bucketMs: number;
  /** Level at which cells turn yellow: the warning ratio, or fixed warning / critical. */
  warningLevel: number;
  /** Every row is judged against one fixed line (legend can show scores instead of levels). */
  fixedCritical?: number;
}

/** Columns at most for a regular grid; beyond that (irregular data) the distinct times are used. */
const MAX_GRID = 5000;

/**
 * The score threshold of a 'drift-features' row: its `threshold` column is the test's own
 * (alpha for p-value tests, AUC for the domain classifier), its `score` the engine's score.
 */
export function scoreThresholdOf(r: Pick<FeatureResult, 'test' | 'threshold'>): number | undefined {
  if (r.threshold === undefined) {
    return undefined;
  }
  if (isPValueTest(r.test) && r.threshold < 1) {
    return 1 - r.threshold;
  }
  return r.test === 'domain_classifier_auc' ? 2 * (r.threshold - 0.5) : r.threshold;
}

function gcdStep(times: number[]): number {
  let step = 0;
  for (let i = 1; i < times.length; i++) {
    const d = times[i]! - times[i - 1]!;
    if (d > 0 && (step === 0 || d < step)) {
      step = d;
    }
  }
  return step;
}

/** Column start times: a regular grid of the bucket width when the data fits one (gaps stay visible), else the distinct times. */
export function timeColumns(series: readonly DriftSeries[]): { times: number[]; bucketMs: number } {
  const set = new Set<number>();
  let declared = 0;
  for (const s of series) {
    for (const t of s.times) {
      set.add(t);
    }
    if (s.bucketMs && s.bucketMs > 0 && (declared === 0 || s.bucketMs < declared)) {
      declared = s.bucketMs;
    }
  }
  const distinct = [...set].sort((a, b) => a - b);
  if (distinct.length < 2) {
    return { times: distinct, bucketMs: declared };
  }
  const step = declared || gcdStep(distinct);
  const t0 = distinct[0]!;
  const n = Math.round((distinct[distinct.length - 1]! - t0) / step) + 1;
  if (step > 0 && n <= MAX_GRID && distinct.every((t) => (t - t0) % step === 0)) {
    return { times: Array.from({ length: n }, (_, i) => t0 + i * step), bucketMs: step };
  }
  return { times: distinct, bucketMs: step };
}

function rowLabel(
  s: { feature: string; driftType: string; model?: string; service?: string },
  mix: { types: boolean; models: boolean }
): string {
  let label = s.feature;
  if (mix.types) {
    label += ` · ${driftTitle(s.driftType).replace(/ drift$/, '')}`;
  }
  if (mix.models && s.model) {
    label = `${s.model} / ${label}`;
  }
  return label;
}

export function buildHeatmap(data: DriftData, options: Pick<DriftPanelOptions, 'thresholds'>): HeatmapMatrix {
  const th = options.thresholds;
  const warningLevel =
    th.source === 'data' ? th.warningRatio : th.critical > 0 ? Math.min(th.warning / th.critical, 1) : 1;
  const series = featureSeries(data);
  const sources: Array<{
    feature: string;
    driftType: string;
    model?: string;
    service?: string;
    series?: DriftSeries;
    result?: FeatureResult;
  }> = series.length
    ? series.map((s) => ({
        feature: s.feature!,
        driftType: s.driftType,
        model: s.model,
        service: s.service,
        series: s,
        result: featureResultFor(data.features, s),
      }))
    : // No per-feature series: one column of the latest results.
      data.features
        .filter((f) => f.feature !== '')
        .map((f) => ({ feature: f.feature, driftType: f.driftType, model: f.model, result: f }));
  const { times, bucketMs } = series.length ? timeColumns(series) : { times: [Number.NaN], bucketMs: 0 };
  const regular = bucketMs > 0 && times.length > 1 && times[1]! - times[0]! === bucketMs;
  const index = regular ? undefined : new Map(times.map((t, i) => [t, i]));
  const col = (t: number) => (regular ? Math.round((t - times[0]!) / bucketMs) : (index!.get(t) ?? -1));
  const mix = {
    types: new Set(sources.map((s) => s.driftType)).size > 1,
    models: new Set(sources.map((s) => s.model ?? '')).size > 1,
  };
  const keys = new Map<string, number>();
  const rows = sources.map((src): HeatmapRow => {
    const thresholds = resolveThresholds(
      src.series ? src.series.threshold : src.result && scoreThresholdOf(src.result),
      th,
      src.series?.latestTest ?? src.result?.test
    );
    const levels = new Float32Array(times.length).fill(Number.NaN);
    const scores = new Float64Array(times.length).fill(Number.NaN);
    let peak = Number.NaN;
    if (src.series) {
      const { times: ts, values } = src.series;
      for (let i = 0; i < ts.length; i++) {
        const c = col(ts[i]!);
        if (c >= 0 && c < times.length) {
          const level = driftLevel(values[i]!, thresholds);
          levels[c] = level;
          scores[c] = values[i]!;
          peak = Number.isNaN(peak) || level > peak ? level : peak;
        }
      }
    } else if (src.result?.score !== undefined) {
      levels[0] = driftLevel(src.result.score, thresholds);
      scores[0] = src.result.score;
      peak = levels[0];
    }
    const currentScore = src.series ? src.series.latest : src.result?.score;
    const base = JSON.stringify([src.model ?? '', src.service ?? '', src.driftType, src.feature]);
    const n = keys.get(base) ?? 0;
    keys.set(base, n + 1);
    const alerts = activeAlertsFor(data.alerts, src);
    return {
      key: n ? `${base}#${n}` : base,
      feature: src.feature,
      driftType: src.driftType,
      model: src.model,
      service: src.service,
      label: rowLabel(src, mix),
      series: src.series,
      thresholds,
      levels,
      scores,
      current: currentScore === undefined ? Number.NaN : driftLevel(currentScore, thresholds),
      currentScore,
      peak,
      status: driftStatus(currentScore, thresholds),
      alertActive: alerts.length > 0 || src.series?.alertActive === true || (src.result?.drift === true && !src.series),
      result: src.result,
    };
  });
  const fixed = rows.length > 0 && rows.every((r) => !r.thresholds.fromData);
  return { rows, times, bucketMs, warningLevel, fixedCritical: fixed ? th.critical : undefined };
}

const desc = (a: number, b: number) => {
  const an = Number.isNaN(a);
  const bn = Number.isNaN(b);
  return an || bn ? Number(an) - Number(bn) : b - a;
};

/** Rows in the wanted order; ties fall back to the label so the order is stable. */
export function sortHeatmapRows(rows: readonly HeatmapRow[], sort: HeatmapSort): HeatmapRow[] {
  const byName = (a: HeatmapRow, b: HeatmapRow) => a.label.localeCompare(b.label, undefined, { numeric: true });
  const cmp =
    sort === 'name'
      ? byName
      : sort === 'peak'
        ? (a: HeatmapRow, b: HeatmapRow) => desc(a.peak, b.peak) || desc(a.current, b.current) || byName(a, b)
        : (a: HeatmapRow, b: HeatmapRow) => desc(a.current, b.current) || desc(a.peak, b.peak) || byName(a, b);
  return [...rows].sort(cmp);
}

/** The cell under a point of the grid (plot coordinates), or undefined outside it. */
export function cellAt(
  x: number,
  y: number,
  grid: { cols: number; rows: number; width: number; rowHeight: number }
): { row: number; col: number } | undefined {
  if (x < 0 || y < 0 || x >= grid.width || grid.cols === 0) {
    return undefined;
  }
  const row = Math.floor(y / grid.rowHeight);
  const col = Math.floor((x / grid.width) * grid.cols);
  return row < grid.rows && col < grid.cols ? { row, col } : undefined;
}
