// Budgets: a spend limit per period (UTC day, ISO week from Monday, calendar month) for all
// spend or one dimension value, with an alert threshold. Status: spend so far in the current
// period; projected spend at period end = spend so far + (spend over the trailing window /
// window length) x time left, the window being min(period length, 7 days); projected overage
// = max(0, projected - amount).
import { randomUUID } from 'node:crypto';
import type { BudgetInput } from '../queryModel.js';
import { termExpr } from '../search/parser.js';
import type { BudgetRecord, Storage } from '../storage/types.js';
import { dimensionTerm } from './costs.js';

const DAY_MS = 86_400_000;
const MS_NS = 1_000_000n;
export const PROJECTION_METHOD = 'spent + (spend over the trailing min(period, 7 days) / window) x time left in the period';

export function periodBounds(period: BudgetRecord['period'], nowMs: number): { start: number; end: number } {
  const d = new Date(nowMs);
  if (period === 'daily') {
    const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    return { start, end: start + DAY_MS };
  }
  if (period === 'weekly') {
    const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    const sinceMonday = (d.getUTCDay() + 6) % 7;
    const start = day - sinceMonday * DAY_MS;
    return { start, end: start + 7 * DAY_MS };
  }
  return { start: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
}

export interface BudgetStatus {
  periodStart: number;
  periodEnd: number;
  spentUsd: number;
  /** spent / amount. */
  usedShare: number;
  projectedUsd: number;
  projectedOverageUsd: number;
  thresholdReached: boolean;
  /** exceeded: spent >= amount; warning: threshold reached or projected overage; else ok. */
  state: 'ok' | 'warning' | 'exceeded';
  rateWindowDays: number;
}

export interface BudgetView {
  id: string;
  name: string;
  scope: { dimension: string; value: string } | null;
  period: BudgetRecord['period'];
  amountUsd: number;
  alertThreshold: number;
  createdAt: string;
  updatedAt: string;
  status: BudgetStatus;
}

async function spendMicros(storage: Storage, b: BudgetRecord, fromMs: number, toMs: number): Promise<number> {
  if (toMs <= fromMs) {
    return 0;
  }
  const r = await storage.aggregate({
    fromNs: BigInt(fromMs) * MS_NS,
    toNs: BigInt(toMs) * MS_NS,
    groupBy: [],
    filter: b.scope ? termExpr(dimensionTerm(b.scope.dimension, b.scope.value)) : null,
    spans: 'all',
    measures: [{ metric: 'cost', fn: 'sum' }],
  });
  return r.rows[0]?.values[0] ?? 0;
}

export async function budgetStatus(storage: Storage, b: BudgetRecord, nowMs: number): Promise<BudgetStatus> {
  const { start, end } = periodBounds(b.period, nowMs);
  const spent = await spendMicros(storage, b, start, nowMs);
  const windowMs = Math.min(end - start, 7 * DAY_MS);
  const trailing = await spendMicros(storage, b, nowMs - windowMs, nowMs);
  const projected = spent + (trailing / windowMs) * Math.max(0, end - nowMs);
  const amount = Number(b.amountMicros);
  const thresholdReached = spent >= b.alertThreshold * amount;
  const overage = Math.max(0, projected - amount);
  return {
    periodStart: start,
    periodEnd: end,
    spentUsd: spent / 1e6,
    usedShare: amount > 0 ? spent / amount : 0,
    projectedUsd: Math.round(projected) / 1e6,
    projectedOverageUsd: Math.round(overage) / 1e6,
    thresholdReached,
    state: spent >= amount ? 'exceeded' : thresholdReached || overage > 0 ? 'warning' : 'ok',
    rateWindowDays: windowMs / DAY_MS,
  };
}

export async function budgetView(storage: Storage, b: BudgetRecord, nowMs: number): Promise<BudgetView> {
  return {
    id: b.id,
    name: b.name,
    scope: b.scope,
    period: b.period,
    amountUsd: Number(b.amountMicros) / 1e6,
    alertThreshold: b.alertThreshold,
    createdAt: b.createdAt.toISOString(),
    updatedAt: b.updatedAt.toISOString(),
    status: await budgetStatus(storage, b, nowMs),
  };
}

export async function listBudgetViews(storage: Storage, nowMs: number): Promise<BudgetView[]> {
  const out: BudgetView[] = [];
  for (const b of await storage.listBudgets()) {
    out.push(await budgetView(storage, b, nowMs));
  }
  return out;
}

/** USD (from JSON) -> integer micro-dollars, rounded to the nearest micro. */
export function usdToMicros(v: number): bigint {
  return BigInt(Math.round(v * 1e6));
}

export function budgetRecord(input: BudgetInput, existing?: BudgetRecord, now = new Date()): BudgetRecord {
  return {
    id: existing?.id ?? randomUUID(),
    name: input.name,
    scope: input.scope,
    period: input.period,
    amountMicros: usdToMicros(input.amountUsd),
    alertThreshold: input.alertThreshold,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
}
