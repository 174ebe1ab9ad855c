// Frames of the costs query type. Money fields are USD numbers with unit "currencyUSD"
// (converted from integer micro-dollars by the cost views), shares use "percentunit".
import type { BudgetView } from '../costs/budgets.js';
import type { CostBreakdown, CostSummary } from '../costs/costs.js';
import type { Forecast } from '../costs/forecast.js';
import type { FrameJSON } from '../queryModel.js';
import { buildFrame, type FieldSpec } from './frame.js';

const USD = { unit: 'currencyUSD', decimals: 4 };
const SHARE = { unit: 'percentunit' };
const COUNT = { unit: 'short' };

const num = (name: string, values: Array<number | null>, config: Record<string, unknown>): FieldSpec => ({
  name,
  type: 'number',
  values,
  config,
  ...(values.includes(null) ? { nullable: true } : {}),
});

export function costSummaryFrame(s: CostSummary, refId: string): FrameJSON {
  return buildFrame({
    name: 'cost-summary',
    refId,
    meta: { preferredVisualisationType: 'table', custom: { pyflareFrame: 'cost-summary', from: s.from, to: s.to } },
    fields: [
      num('totalUsd', [s.totalUsd], USD),
      num('previousUsd', [s.previousUsd], USD),
      num('changeRatio', [s.changeRatio], SHARE),
      num('requests', [s.requests], COUNT),
      num('pricedRequests', [s.pricedRequests], COUNT),
      num('unpricedRequests', [s.unpricedRequests], COUNT),
      num('inputTokens', [s.inputTokens], COUNT),
      num('outputTokens', [s.outputTokens], COUNT),
      num('cachedTokens', [s.cachedTokens], COUNT),
      num('avgCostPerRequestUsd', [s.avgCostPerRequestUsd], USD),
      num('costPer1kTokensUsd', [s.costPer1kTokensUsd], USD),
    ],
  });
}

export function costBreakdownFrame(b: CostBreakdown, refId: string): FrameJSON {
  const col = <T>(f: (r: CostBreakdown['rows'][number]) => T): T[] => b.rows.map(f);
  return buildFrame({
    name: 'cost-breakdown',
    refId,
    meta: {
      preferredVisualisationType: 'table',
      custom: { pyflareFrame: 'cost-breakdown', groupBy: b.groupBy, totalUsd: b.totalUsd, otherUsd: b.otherUsd, groupCount: b.groupCount },
    },
    fields: [
      { name: b.groupBy, type: 'string', values: col((r) => r.key) },
      num('costUsd', col((r) => r.costUsd), USD),
      num('share', col((r) => r.share), SHARE),
      num('requests', col((r) => r.requests), COUNT),
      num('inputTokens', col((r) => r.inputTokens), COUNT),
      num('outputTokens', col((r) => r.outputTokens), COUNT),
      num('avgCostPerRequestUsd', col((r) => r.avgCostPerRequestUsd), USD),
    ],
  });
}

export function budgetsFrame(budgets: BudgetView[], refId: string): FrameJSON {
  const col = <T>(f: (b: BudgetView) => T): T[] => budgets.map(f);
  return buildFrame({
    name: 'budgets',
    refId,
    meta: { preferredVisualisationType: 'table', custom: { pyflareFrame: 'budgets' } },
    fields: [
      { name: 'id', type: 'string', values: col((b) => b.id) },
      { name: 'name', type: 'string', values: col((b) => b.name) },
      { name: 'scope', type: 'string', values: col((b) => (b.scope ? `${b.scope.dimension}=${b.scope.value}` : 'all')) },
      { name: 'period', type: 'string', values: col((b) => b.period) },
      num('amountUsd', col((b) => b.amountUsd), USD),
      num('spentUsd', col((b) => b.status.spentUsd), USD),
      num('usedShare', col((b) => b.status.usedShare), SHARE),
      num('projectedUsd', col((b) => b.status.projectedUsd), USD),
      num('projectedOverageUsd', col((b) => b.status.projectedOverageUsd), USD),
      num('alertThreshold', col((b) => b.alertThreshold), SHARE),
      { name: 'state', type: 'string', values: col((b) => b.status.state) },
      { name: 'periodStart', type: 'time', values: col((b) => b.status.periodStart) },
      { name: 'periodEnd', type: 'time', values: col((b) => b.status.periodEnd) },
    ],
  });
}

/** One wide frame: history days carry actualUsd, forecast days forecastUsd and the interval. */
export function forecastFrame(f: Forecast & { todaySoFarUsd: number }, refId: string): FrameJSON {
  const time = [...f.history.map((h) => h.dayMs), ...f.forecast.map((p) => p.dayMs)];
  const pad = <T>(n: number): Array<T | null> => new Array<T | null>(n).fill(null);
  return buildFrame({
    name: 'cost-forecast',
    refId,
    meta: {
      type: 'timeseries-wide',
      typeVersion: [0, 1],
      custom: {
        pyflareFrame: 'cost-forecast',
        method: f.method,
        model: f.model,
        interval: f.interval,
        backtest: f.backtest,
        todaySoFarUsd: f.todaySoFarUsd,
      },
    },
    fields: [
      { name: 'time', type: 'time', values: time, config: { interval: 86_400_000 } },
      num('actualUsd', [...f.history.map((h) => h.usd), ...pad<number>(f.forecast.length)], USD),
      num('forecastUsd', [...pad<number>(f.history.length), ...f.forecast.map((p) => p.usd)], USD),
      num('lowerUsd', [...pad<number>(f.history.length), ...f.forecast.map((p) => p.lowerUsd)], USD),
      num('upperUsd', [...pad<number>(f.history.length), ...f.forecast.map((p) => p.upperUsd)], USD),
    ],
  });
}
