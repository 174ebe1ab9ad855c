import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { DuckDbStorage } from '../storage/duckdb.js';
import type { SpanRow } from '../storage/types.js';
import { makeTempDir } from '../testing/service.js';
import { randomTraces, rng } from '../testing/spans.js';
import { budgetRecord, budgetStatus, periodBounds } from './budgets.js';
import { costBreakdown, costForecast, costSummary, costTimeline } from './costs.js';
import { backtest, fit, forecastDaily, predict, t95, type DailyPoint } from './forecast.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const T0 = Date.parse('2026-02-02T00:00:00Z'); // a Monday
let dir: string;
let db: DuckDbStorage;
let rows: SpanRow[];

before(async () => {
  dir = await makeTempDir('pyflare-costs-');
  db = await DuckDbStorage.open({ dataDir: dir });
  // Two days of traffic starting at T0, then day 3 and 4 only for the forecast history.
  rows = randomTraces(21, 400, T0, 2 * DAY);
  await db.applyBatch(rows, 1n);
});
after(async () => {
  await db.close();
  await fs.rm(dir, { recursive: true, force: true });
});

const inRange = (r: SpanRow, from: number, to: number) => r.startNs >= BigInt(from) * 1_000_000n && r.startNs < BigInt(to) * 1_000_000n;

describe('cost views', () => {
  it('summarizes a range exactly, with the previous period', async () => {
    const from = T0 + DAY + 12_345; // not whole minutes: rollup plus raw edges
    const to = T0 + 2 * DAY - 999;
    const s = await costSummary(db, { from, to, filter: '' });
    const cur = rows.filter((r) => inRange(r, from, to));
    const prev = rows.filter((r) => inRange(r, from - (to - from), from));
    const micros = (xs: SpanRow[]) => xs.reduce((a, r) => a + (r.costMicros ?? 0), 0);
    assert.equal(Math.round(s.totalUsd * 1e6), micros(cur));
    assert.equal(Math.round(s.previousUsd * 1e6), micros(prev));
    assert.ok(Math.abs(s.changeRatio! - (micros(cur) - micros(prev)) / micros(prev)) < 1e-12);
    assert.equal(s.requests, cur.filter((r) => r.costSource !== null).length);
    assert.equal(s.pricedRequests, cur.filter((r) => r.costMicros !== null).length);
    assert.equal(s.unpricedRequests, cur.filter((r) => r.costSource === 'unknown').length);
    assert.equal(s.inputTokens, cur.reduce((a, r) => a + (r.inputTokens ?? 0), 0));
    assert.equal(s.cachedTokens, cur.reduce((a, r) => a + (r.cacheReadTokens ?? 0), 0));
    const filtered = await costSummary(db, { from, to, filter: 'service:checkout' });
    assert.equal(Math.round(filtered.totalUsd * 1e6), micros(cur.filter((r) => r.service === 'checkout')));
  });

  it('breaks cost down by a dimension, largest first, with shares and the rest', async () => {
    const b = await costBreakdown(db, { from: T0, to: T0 + 2 * DAY, filter: '', groupBy: 'model', limit: 2 });
    const by = new Map<string, number>();
    for (const r of rows) {
      const k = r.responseModel ?? r.requestModel ?? '';
      by.set(k, (by.get(k) ?? 0) + (r.costMicros ?? 0));
    }
    const sorted = [...by.entries()].sort((x, y) => y[1] - x[1]);
    const total = sorted.reduce((a, x) => a + x[1], 0);
    assert.deepEqual(b.rows.map((r) => [r.key, Math.round(r.costUsd * 1e6)]), sorted.slice(0, 2));
    assert.equal(Math.round(b.totalUsd * 1e6), total);
    assert.equal(Math.round(b.otherUsd * 1e6), total - sorted[0]![1] - sorted[1]![1]);
    assert.equal(b.groupCount, by.size);
    assert.ok(Math.abs(b.rows[0]!.share - sorted[0]![1] / total) < 1e-12);
    const byTier = await costBreakdown(db, { from: T0, to: T0 + 2 * DAY, filter: 'kind:llm', groupBy: 'attr.user.tier', limit: 10 });
    assert.deepEqual(byTier.rows.map((r) => r.key).sort(), ['free', 'gold', 'silver']);
  });

  it('gives the cost timeline in USD per step', async () => {
    const t = await costTimeline(db, { from: T0, to: T0 + 2 * DAY, filter: '', groupBy: ['provider'], intervalMs: HOUR, maxDataPoints: 1000 });
    assert.equal(t.stepMs, HOUR);
    assert.equal(t.unit, 'currencyUSD');
    const sum = t.series.flatMap((s) => s.values).reduce((a, b) => a! + b!, 0)!;
    assert.ok(Math.abs(sum - rows.reduce((a, r) => a + (r.costMicros ?? 0), 0) / 1e6) < 1e-6);
  });
});

describe('budgets', () => {
  it('computes period bounds in UTC', () => {
    const now = Date.parse('2026-02-18T15:30:00Z'); // Wednesday
    assert.deepEqual(periodBounds('daily', now), { start: Date.parse('2026-02-18T00:00:00Z'), end: Date.parse('2026-02-19T00:00:00Z') });
    assert.deepEqual(periodBounds('weekly', now), { start: Date.parse('2026-02-16T00:00:00Z'), end: Date.parse('2026-02-23T00:00:00Z') });
    assert.deepEqual(periodBounds('monthly', now), { start: Date.parse('2026-02-01T00:00:00Z'), end: Date.parse('2026-03-01T00:00:00Z') });
    assert.deepEqual(periodBounds('weekly', Date.parse('2026-02-22T23:59:59Z')).start, Date.parse('2026-02-16T00:00:00Z'));
  });

  it('reports spend, projection at period end, overage and state', async () => {
    const now = T0 + DAY + 6 * HOUR; // Tuesday 06:00
    const weekly = budgetRecord({ name: 'all', scope: null, period: 'weekly', amountUsd: 1, alertThreshold: 0.5 });
    const s = await budgetStatus(db, weekly, now);
    const spent = rows.filter((r) => inRange(r, T0, now)).reduce((a, r) => a + (r.costMicros ?? 0), 0);
    assert.equal(Math.round(s.spentUsd * 1e6), spent);
    // Trailing window = 7 days; all spend so far is inside it.
    const projected = spent + (spent / (7 * DAY)) * (7 * DAY - (now - T0));
    assert.ok(Math.abs(s.projectedUsd - projected / 1e6) < 1e-6);
    assert.equal(s.projectedOverageUsd, Math.round(Math.max(0, projected - 1e6)) / 1e6);
    assert.equal(s.rateWindowDays, 7);
    assert.equal(s.state, spent >= 1e6 ? 'exceeded' : 'warning');

    const scoped = budgetRecord({ name: 'gpt', scope: { dimension: 'model', value: 'gpt-4o*' }, period: 'daily', amountUsd: 1000, alertThreshold: 0.8 });
    const d = await budgetStatus(db, scoped, now);
    const gptToday = rows
      .filter((r) => inRange(r, T0 + DAY, now))
      .filter((r) => /^gpt-4o/i.test(r.requestModel ?? '') || /^gpt-4o/i.test(r.responseModel ?? ''))
      .reduce((a, r) => a + (r.costMicros ?? 0), 0);
    assert.equal(Math.round(d.spentUsd * 1e6), gptToday);
    assert.equal(d.state, 'ok');
    assert.equal(d.rateWindowDays, 1);
  });
});

describe('forecast', () => {
  const days = (n: number, f: (i: number, dayMs: number) => number): DailyPoint[] =>
    Array.from({ length: n }, (_, i) => ({ dayMs: T0 + i * DAY, usd: f(i, T0 + i * DAY) }));
  const weekly = [1.0, 1.2, 1.1, 1.3, 1.25, 0.4, 0.3]; // Mon..Sun

  it('recovers a noiseless trend with weekly seasonality', () => {
    const h = days(35, (i, d) => 10 + 0.5 * i + 5 * weekly[(new Date(d).getUTCDay() + 6) % 7]!);
    const f = forecastDaily(h, T0 + 35 * DAY, 7);
    assert.equal(f.model, 'trend+weekday');
    f.forecast.forEach((p, k) => {
      const i = 35 + k;
      const want = 10 + 0.5 * i + 5 * weekly[(new Date(p.dayMs).getUTCDay() + 6) % 7]!;
      assert.ok(Math.abs(p.usd - want) < 1e-6, `day ${k}: ${p.usd} vs ${want}`);
      assert.ok(p.upperUsd! - p.lowerUsd! < 1e-6);
    });
  });

  it('has a prediction interval whose backtested coverage is near its nominal 90 %', () => {
    const r = rng(7);
    const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
    const h = days(90, (i, d) => Math.max(0, 50 + 0.3 * i + 20 * weekly[(new Date(d).getUTCDay() + 6) % 7]! + 4 * gauss()));
    const b = backtest(h, 7);
    assert.equal(b.points, 28 * 7 - 21, 'origins x horizons inside the history');
    assert.ok(b.coverage! > 0.8 && b.coverage! <= 1, `coverage ${b.coverage}`);
    assert.ok(b.mape! < 0.1, `mape ${b.mape}`);
    const f = forecastDaily(h, T0 + 90 * DAY, 14);
    assert.ok(f.forecast.every((p) => p.lowerUsd! <= p.usd && p.usd <= p.upperUsd!));
    // Intervals widen with the horizon (leverage of the trend term).
    const width = (k: number) => f.forecast[k]!.upperUsd! - f.forecast[k]!.lowerUsd!;
    assert.ok(width(13) > width(0));
  });

  it('falls back to simpler models on short history', () => {
    assert.equal(forecastDaily([], T0, 3).model, 'none');
    assert.equal(forecastDaily(days(2, () => 5), T0 + 2 * DAY, 3).model, 'mean');
    const trend = forecastDaily(days(5, (i) => 2 * i), T0 + 5 * DAY, 2);
    assert.equal(trend.model, 'trend');
    assert.ok(Math.abs(trend.forecast[0]!.usd - 10) < 1e-9);
    const f = fit(days(20, (i) => i))!;
    assert.ok(Math.abs(predict(f, 25, T0 + 25 * DAY).usd - 25) < 1e-6);
  });

  it('uses Student t quantiles', () => {
    assert.ok(Math.abs(t95(3) - 2.353) < 0.01);
    assert.ok(Math.abs(t95(10) - 1.812) < 0.002);
    assert.ok(Math.abs(t95(100) - 1.660) < 0.001);
  });

  it('forecasts stored daily costs from the anchor day', async () => {
    const f = await costForecast(db, { anchorMs: T0 + 2 * DAY + 5 * HOUR, horizonDays: 3, filter: '' });
    assert.equal(f.history.length, 2);
    assert.equal(f.history[0]!.dayMs, T0);
    assert.equal(f.model, 'mean');
    assert.equal(f.forecast[0]!.dayMs, T0 + 2 * DAY);
    const day0 = rows.filter((r) => inRange(r, T0, T0 + DAY)).reduce((a, r) => a + (r.costMicros ?? 0), 0);
    assert.equal(Math.round(f.history[0]!.usd * 1e6), day0);
    assert.equal(f.todaySoFarUsd, 0);
  });
});
