// Budget breaches: when, in each budget period, cumulative spend reached the budget's alert
// threshold (warning) and its amount (exceeded). Answers the costs query view `breaches`,
// whose frame is shaped for Grafana annotations (time, timeEnd, title, text, tags).
import { buildFrame } from '../frames/frame.js';
import type { FrameJSON } from '../queryModel.js';
import { termExpr } from '../search/parser.js';
import type { BudgetRecord, Storage } from '../storage/types.js';
import { periodBounds } from './budgets.js';
import { dimensionTerm } from './costs.js';

const MS_NS = 1_000_000n;
/** Spend is summed per step; a crossing is placed at the end of the step it happened in. */
const STEP_MS: Record<BudgetRecord['period'], number> = { daily: 300_000, weekly: 3_600_000, monthly: 3_600_000 };
/** Periods looked at per budget (a monthly budget over 30 years). */
const MAX_PERIODS = 400;

export interface BudgetBreach {
  budgetId: string;
  name: string;
  period: BudgetRecord['period'];
  level: 'warning' | 'exceeded';
  /** When cumulative spend in the period crossed the level (end of the step), epoch ms. */
  timeMs: number;
  periodStart: number;
  periodEnd: number;
  /** Cumulative spend of the period at that time. */
  spentUsd: number;
  /** The level's amount: alertThreshold x amount (warning) or the amount (exceeded). */
  levelUsd: number;
  amountUsd: number;
}

/** Breaches of `budgets` whose crossing time lies in [from, to], oldest first. */
export async function budgetBreaches(
  storage: Storage,
  budgets: readonly BudgetRecord[],
  range: { from: number; to: number },
  nowMs: number
): Promise<BudgetBreach[]> {
  const out: BudgetBreach[] = [];
  const until = Math.min(range.to, nowMs);
  for (const b of budgets) {
    const first = periodBounds(b.period, range.from).start;
    if (!(until > first)) {
      continue;
    }
    const step = STEP_MS[b.period];
    const r = await storage.aggregate({
      fromNs: BigInt(first) * MS_NS,
      toNs: BigInt(until) * MS_NS,
      stepMs: step,
      groupBy: [],
      filter: b.scope ? termExpr(dimensionTerm(b.scope.dimension, b.scope.value)) : null,
      spans: 'all',
      measures: [{ metric: 'cost', fn: 'sum' }],
    });
    const buckets = r.rows
      .filter((row) => row.bucketMs !== null)
      .map((row) => ({ at: row.bucketMs!, micros: row.values[0] ?? 0 }))
      .sort((x, y) => x.at - y.at);
    const amount = Number(b.amountMicros);
    const levels = [
      { level: 'warning' as const, micros: b.alertThreshold * amount },
      { level: 'exceeded' as const, micros: amount },
    ];
    let i = 0;
    for (let start = first, n = 0; start < until && n < MAX_PERIODS; n++) {
      const end = periodBounds(b.period, start).end;
      let spent = 0;
      const pending = new Set(levels.map((l) => l.level));
      for (; i < buckets.length && buckets[i]!.at < end; i++) {
        spent += buckets[i]!.micros;
        for (const l of levels) {
          if (pending.has(l.level) && spent >= l.micros && l.micros > 0) {
            pending.delete(l.level);
            const timeMs = Math.min(buckets[i]!.at + step, end, until);
            if (timeMs >= range.from && timeMs <= range.to) {
              out.push({
                budgetId: b.id,
                name: b.name,
                period: b.period,
                level: l.level,
                timeMs,
                periodStart: start,
                periodEnd: end,
                spentUsd: spent / 1e6,
                levelUsd: l.micros / 1e6,
                amountUsd: amount / 1e6,
              });
            }
          }
        }
      }
      start = end;
    }
  }
  return out.sort((x, y) => x.timeMs - y.timeMs || x.budgetId.localeCompare(y.budgetId));
}

const usd = (v: number) => `$${v.toFixed(v < 1 ? 4 : 2)}`;

/** The breaches as an annotation-shaped table frame: `time` first, then timeEnd, title, text, tags. */
export function breachesFrame(breaches: readonly BudgetBreach[], refId: string): FrameJSON {
  const col = <T>(f: (b: BudgetBreach) => T): T[] => breaches.map(f);
  return buildFrame({
    name: 'budget-breaches',
    refId,
    meta: { preferredVisualisationType: 'table', custom: { pyflareFrame: 'budget-breaches' } },
    fields: [
      { name: 'time', type: 'time', values: col((b) => b.timeMs) },
      // The region runs to the end of the budget period: spend stays over the level until then.
      { name: 'timeEnd', type: 'time', values: col((b) => b.periodEnd) },
      {
        name: 'title',
        type: 'string',
        values: col((b) => `Budget ${b.level === 'exceeded' ? 'exceeded' : 'warning'}: ${b.name}`),
      },
      {
        name: 'text',
        type: 'string',
        values: col(
          (b) =>
            `${b.period} budget "${b.name}" ${b.level === 'exceeded' ? 'reached its amount' : 'reached its alert threshold'}: ` +
            `${usd(b.spentUsd)} spent of ${usd(b.amountUsd)} (level ${usd(b.levelUsd)})`
        ),
      },
      { name: 'tags', type: 'string', values: col((b) => ['pyflare', 'budget', b.level, b.period, b.name].join(',')) },
      { name: 'id', type: 'string', values: col((b) => `${b.budgetId}:${b.periodStart}:${b.level}`) },
      { name: 'budgetId', type: 'string', values: col((b) => b.budgetId) },
      { name: 'budget', type: 'string', values: col((b) => b.name) },
      { name: 'level', type: 'string', values: col((b) => b.level) },
      { name: 'spentUsd', type: 'number', values: col((b) => b.spentUsd), config: { unit: 'currencyUSD' } },
      { name: 'amountUsd', type: 'number', values: col((b) => b.amountUsd), config: { unit: 'currencyUSD' } },
    ],
  });
}
