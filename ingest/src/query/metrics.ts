// Metrics: time series of span counts, errors, error rate, latency, tokens and cost, by time
// bucket and any dimensions. The step comes from the range, maxDataPoints and intervalMs,
// rounded up to a "nice" step; buckets are aligned to multiples of the step since the epoch
// (UTC). Counts and sums are 0 in a bucket without spans; averages, minima, maxima,
// percentiles and the error rate are null there (no value exists).
import type { Aggregation, MetricName, SpanScope } from '../queryModel.js';
import { parseSearch } from '../search/parser.js';
import type { AggFn, Measure, Storage } from '../storage/types.js';
import { QueryError } from './errors.js';

export interface MetricsParams {
  metric: MetricName;
  aggregation: Aggregation;
  groupBy: string[];
  filter: string;
  spans: SpanScope;
  /** Epoch ms. */
  from: number;
  to: number;
  intervalMs: number;
  maxDataPoints: number;
}

export interface MetricSeries {
  labels: Record<string, string>;
  values: Array<number | null>;
}

export interface MetricsResult {
  metric: MetricName;
  aggregation: Aggregation;
  /** Grafana unit id of the values. */
  unit: string;
  stepMs: number;
  /** First bucket start and end of the last bucket (exclusive), epoch ms. */
  from: number;
  to: number;
  timestamps: number[];
  groupBy: string[];
  series: MetricSeries[];
  source: 'rollup' | 'raw' | 'rollup+raw';
  /** Series before the MAX_SERIES cut (largest by span count are kept). */
  seriesTotal: number;
}

export const MAX_SERIES = 200;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The steps Grafana itself rounds intervals to, from 1 s up to 1 day. */
const NICE_STEPS = [1, 2, 5, 10, 15, 20, 30].map((s) => s * SECOND).concat(
  [1, 2, 5, 10, 15, 20, 30].map((m) => m * MINUTE),
  [1, 2, 3, 6, 12].map((h) => h * HOUR),
  [DAY]
);

/** The bucket width for a range: at least intervalMs and range/maxDataPoints, then rounded up. */
export function stepFor(from: number, to: number, intervalMs: number, maxDataPoints: number): number {
  const want = Math.max(intervalMs, Math.ceil((to - from) / Math.max(1, maxDataPoints)), SECOND);
  const nice = NICE_STEPS.find((s) => s >= want);
  return nice ?? Math.ceil(want / DAY) * DAY;
}

/** Buckets covering [from, to): first start (floored) to end (ceiled), multiples of the step. */
export function bucketRange(from: number, to: number, stepMs: number): { from: number; to: number } {
  const a = Math.floor(from / stepMs) * stepMs;
  const b = Math.max(a + stepMs, Math.ceil(to / stepMs) * stepMs);
  return { from: a, to: b };
}

const VALUE_METRIC: Partial<Record<MetricName, 'dur' | 'in' | 'out' | 'cached' | 'total' | 'cost'>> = {
  latency_ms: 'dur',
  tokens_input: 'in',
  tokens_output: 'out',
  tokens_cached: 'cached',
  tokens_total: 'total',
  cost_usd: 'cost',
};

export function aggFn(a: Aggregation): AggFn {
  return a.startsWith('p') ? { quantile: Number(a.slice(1)) / 100 } : (a as 'sum' | 'avg' | 'count' | 'min' | 'max');
}

/** The storage measure of a metric + aggregation, or a QueryError naming the aggregation. */
export function measureOf(metric: MetricName, aggregation: Aggregation): Measure {
  const only = (allowed: Aggregation[], m: Measure): Measure => {
    if (!allowed.includes(aggregation)) {
      throw new QueryError('aggregation', `${metric} supports ${allowed.join(' or ')}, not ${aggregation}`);
    }
    return m;
  };
  switch (metric) {
    case 'request_count':
      return only(['sum', 'count'], { metric: 'requests' });
    case 'error_count':
      return only(['sum', 'count'], { metric: 'errors' });
    case 'error_rate':
      // errors / requests per bucket; "avg" (the legacy alert) and the default "sum" both mean that.
      return only(['avg', 'sum'], { metric: 'error_rate' });
    default:
      return { metric: VALUE_METRIC[metric]!, fn: aggFn(aggregation) };
  }
}

/** Counts and sums are zero-filled; everything else is null where no value exists. */
export function zeroFilled(m: Measure): boolean {
  return !('fn' in m) ? m.metric !== 'error_rate' : m.fn === 'sum' || m.fn === 'count';
}

/** Converts a base-unit value (ns, micros) to the unit shown; counts stay as they are. */
export function scaleOf(m: Measure): number {
  if (!('fn' in m) || m.fn === 'count') {
    return 1;
  }
  return m.metric === 'dur' || m.metric === 'cost' ? 1e6 : 1;
}

export function unitOf(m: Measure): string {
  if (!('fn' in m)) {
    return m.metric === 'error_rate' ? 'percentunit' : 'short';
  }
  if (m.fn === 'count') {
    return 'short';
  }
  return m.metric === 'dur' ? 'ms' : m.metric === 'cost' ? 'currencyUSD' : 'short';
}

export async function runMetrics(storage: Storage, p: MetricsParams): Promise<MetricsResult> {
  if (!(p.to > p.from)) {
    throw new QueryError('timeRange', `to (${p.to}) must be after from (${p.from})`);
  }
  const measure = measureOf(p.metric, p.aggregation);
  const filter = parseSearch(p.filter);
  const stepMs = stepFor(p.from, p.to, p.intervalMs, p.maxDataPoints);
  const range = bucketRange(p.from, p.to, stepMs);
  const res = await storage.aggregate({
    fromNs: BigInt(range.from) * 1_000_000n,
    toNs: BigInt(range.to) * 1_000_000n,
    stepMs,
    groupBy: p.groupBy,
    filter,
    spans: p.spans,
    measures: [measure],
    maxGroups: MAX_SERIES,
  });
  const n = (range.to - range.from) / stepMs;
  const timestamps = Array.from({ length: n }, (_, i) => range.from + i * stepMs);
  const fill = zeroFilled(measure) ? 0 : null;
  const scale = scaleOf(measure);
  const byKey = new Map<string, MetricSeries>();
  if (p.groupBy.length === 0) {
    // One series even without data: an alert rule then sees 0, not "no data".
    byKey.set('', { labels: {}, values: new Array<number | null>(n).fill(fill) });
  }
  for (const r of res.rows) {
    const key = r.labels.join('\u0000');
    let s = byKey.get(key);
    if (!s) {
      s = { labels: Object.fromEntries(p.groupBy.map((g, i) => [g, r.labels[i]!])), values: new Array<number | null>(n).fill(fill) };
      byKey.set(key, s);
    }
    const i = (r.bucketMs! - range.from) / stepMs;
    const v = r.values[0];
    s.values[i] = v === null || v === undefined ? fill : scale === 1 ? v : v / scale;
  }
  const series = [...byKey.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, s]) => s);
  return {
    metric: p.metric,
    aggregation: p.aggregation,
    unit: unitOf(measure),
    stepMs,
    from: range.from,
    to: range.to,
    timestamps,
    groupBy: p.groupBy,
    series,
    source: res.source,
    seriesTotal: p.groupBy.length ? res.groupCount : 1,
  };
}
