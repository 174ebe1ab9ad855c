// Cost views over the aggregate engine. Money stays in integer micro-dollars down to here;
// USD numbers are produced only in the JSON/frame shapes returned below.
import { QueryError } from '../query/errors.js';
import { runMetrics, type MetricsResult } from '../query/metrics.js';
import { parseSearch, type SearchExpr, type Term } from '../search/parser.js';
import type { Measure, Storage } from '../storage/types.js';
import { forecastDaily, type Forecast } from './forecast.js';

const MS_NS = 1_000_000n;
export const DAY_MS = 86_400_000;
const usd = (micros: number): number => micros / 1e6;

export interface CostRange {
  /** Epoch ms, [from, to). */
  from: number;
  to: number;
  filter: string;
}

function checkRange(r: { from: number; to: number }): void {
  if (!(r.to > r.from)) {
    throw new QueryError('timeRange', `to (${r.to}) must be after from (${r.from})`);
  }
}

const SUMMARY_MEASURES: Measure[] = [
  { metric: 'cost', fn: 'sum' },
  { metric: 'cost', fn: 'count' },
  { metric: 'usage' },
  { metric: 'unpriced' },
  { metric: 'in', fn: 'sum' },
  { metric: 'out', fn: 'sum' },
  { metric: 'cached', fn: 'sum' },
];

export interface CostSummary {
  from: number;
  to: number;
  totalUsd: number;
  /** The same-length period right before `from`. */
  previousUsd: number;
  /** (total - previous) / previous; null when previous is 0. */
  changeRatio: number | null;
  /** Spans with LLM usage (a cost source), priced or not. */
  requests: number;
  pricedRequests: number;
  /** LLM spans whose model has no known price (cost unknown, not counted in the totals). */
  unpricedRequests: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  avgCostPerRequestUsd: number | null;
  costPer1kTokensUsd: number | null;
}

async function totals(storage: Storage, fromMs: number, toMs: number, filter: SearchExpr | null): Promise<number[]> {
  const r = await storage.aggregate({
    fromNs: BigInt(fromMs) * MS_NS,
    toNs: BigInt(toMs) * MS_NS,
    groupBy: [],
    filter,
    spans: 'all',
    measures: SUMMARY_MEASURES,
  });
  return SUMMARY_MEASURES.map((_, i) => r.rows[0]?.values[i] ?? 0);
}

export async function costSummary(storage: Storage, r: CostRange): Promise<CostSummary> {
  checkRange(r);
  const filter = parseSearch(r.filter);
  const [cost, priced, usage, unpriced, input, output, cached] = await totals(storage, r.from, r.to, filter);
  const [prev] = await totals(storage, r.from - (r.to - r.from), r.from, filter);
  const tokens = input! + output!;
  return {
    from: r.from,
    to: r.to,
    totalUsd: usd(cost!),
    previousUsd: usd(prev!),
    changeRatio: prev! > 0 ? (cost! - prev!) / prev! : null,
    requests: usage!,
    pricedRequests: priced!,
    unpricedRequests: unpriced!,
    inputTokens: input!,
    outputTokens: output!,
    cachedTokens: cached!,
    avgCostPerRequestUsd: priced! > 0 ? usd(cost!) / priced! : null,
    costPer1kTokensUsd: tokens > 0 ? (usd(cost!) * 1000) / tokens : null,
  };
}

export interface CostBreakdownRow {
  /** The dimension value ('' = spans without one). */
  key: string;
  costUsd: number;
  /** Share of the total cost of the range (0..1). */
  share: number;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  avgCostPerRequestUsd: number | null;
}

export interface CostBreakdown {
  from: number;
  to: number;
  groupBy: string;
  totalUsd: number;
  rows: CostBreakdownRow[];
  /** Cost of the values beyond `limit`. */
  otherUsd: number;
  /** Distinct values before the limit. */
  groupCount: number;
}

export async function costBreakdown(storage: Storage, r: CostRange & { groupBy: string; limit: number }): Promise<CostBreakdown> {
  checkRange(r);
  const filter = parseSearch(r.filter);
  const [total] = await totals(storage, r.from, r.to, filter);
  const res = await storage.aggregate({
    fromNs: BigInt(r.from) * MS_NS,
    toNs: BigInt(r.to) * MS_NS,
    groupBy: [r.groupBy],
    filter,
    spans: 'all',
    measures: [{ metric: 'cost', fn: 'sum' }, { metric: 'usage' }, { metric: 'cost', fn: 'count' }, { metric: 'in', fn: 'sum' }, { metric: 'out', fn: 'sum' }],
    maxGroups: r.limit,
    rankBy: 0,
  });
  const rows = res.rows
    .map((x): CostBreakdownRow => {
      const [cost, usage, priced, input, output] = x.values.map((v) => v ?? 0) as [number, number, number, number, number];
      return {
        key: x.labels[0]!,
        costUsd: usd(cost),
        share: total! > 0 ? cost / total! : 0,
        requests: usage,
        inputTokens: input,
        outputTokens: output,
        avgCostPerRequestUsd: priced > 0 ? usd(cost) / priced : null,
      };
    })
    .sort((a, b) => b.costUsd - a.costUsd || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const shown = rows.reduce((a, x) => a + Math.round(x.costUsd * 1e6), 0);
  return {
    from: r.from,
    to: r.to,
    groupBy: r.groupBy,
    totalUsd: usd(total!),
    rows,
    otherUsd: usd(Math.max(0, total! - shown)),
    groupCount: res.groupCount,
  };
}

/** Cost per step, one series per value of groupBy (none: one series). */
export async function costTimeline(
  storage: Storage,
  r: CostRange & { groupBy: string[]; intervalMs: number; maxDataPoints: number }
): Promise<MetricsResult> {
  return runMetrics(storage, {
    metric: 'cost_usd',
    aggregation: 'sum',
    groupBy: r.groupBy,
    filter: r.filter,
    spans: 'all',
    from: r.from,
    to: r.to,
    intervalMs: r.intervalMs,
    maxDataPoints: r.maxDataPoints,
  });
}

/** Daily cost totals (UTC days) in [fromDayMs, toDayMs), zero-filled, in micro-dollars. */
export async function dailyCostMicros(storage: Storage, fromDayMs: number, toDayMs: number, filter: SearchExpr | null): Promise<number[]> {
  const res = await storage.aggregate({
    fromNs: BigInt(fromDayMs) * MS_NS,
    toNs: BigInt(toDayMs) * MS_NS,
    stepMs: DAY_MS,
    groupBy: [],
    filter,
    spans: 'all',
    measures: [{ metric: 'cost', fn: 'sum' }],
  });
  const out = new Array<number>((toDayMs - fromDayMs) / DAY_MS).fill(0);
  for (const row of res.rows) {
    out[(row.bucketMs! - fromDayMs) / DAY_MS] = row.values[0] ?? 0;
  }
  return out;
}

export const FORECAST_HISTORY_DAYS = 90;

/**
 * Forecast of daily cost from `anchorMs`'s UTC day on. History: the complete days before it
 * (up to 90), starting at the first day with any cost.
 */
export async function costForecast(storage: Storage, p: { anchorMs: number; horizonDays: number; filter: string }): Promise<Forecast & { todaySoFarUsd: number }> {
  const filter = parseSearch(p.filter);
  const today = Math.floor(p.anchorMs / DAY_MS) * DAY_MS;
  const from = today - FORECAST_HISTORY_DAYS * DAY_MS;
  const daily = await dailyCostMicros(storage, from, today + DAY_MS, filter);
  const todayMicros = daily.pop()!;
  const first = daily.findIndex((v) => v > 0);
  const history = first < 0 ? [] : daily.slice(first).map((v, i) => ({ dayMs: from + (first + i) * DAY_MS, usd: usd(v) }));
  return { ...forecastDaily(history, today, p.horizonDays), todaySoFarUsd: usd(todayMicros) };
}

/** The filter term of a budget scope / dimension value. */
export function dimensionTerm(dimension: string, value: string): Term {
  if (dimension.startsWith('attr.')) {
    return { kind: 'attr', key: dimension.slice(5), cmp: '=', value };
  }
  const field = dimension === 'span_kind' ? 'kind' : dimension;
  return { kind: 'match', field: field as Extract<Term, { kind: 'match' }>['field'], value };
}
