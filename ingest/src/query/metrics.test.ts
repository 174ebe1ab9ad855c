import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { DuckDbStorage } from '../storage/duckdb.js';
import type { SpanRow } from '../storage/types.js';
import { makeTempDir } from '../testing/service.js';
import { quantileCont, randomTraces } from '../testing/spans.js';
import { QueryError } from './errors.js';
import { bucketRange, measureOf, runMetrics, stepFor, type MetricsParams } from './metrics.js';

const T0 = Date.parse('2026-02-01T10:00:00Z');
const HOUR = 3_600_000;
let dir: string;
let db: DuckDbStorage;
let rows: SpanRow[];

before(async () => {
  dir = await makeTempDir('pyflare-metrics-');
  db = await DuckDbStorage.open({ dataDir: dir });
  rows = randomTraces(3, 300, T0, HOUR);
  await db.applyBatch(rows, 1n);
});
after(async () => {
  await db.close();
  await fs.rm(dir, { recursive: true, force: true });
});

const params = (p: Partial<MetricsParams>): MetricsParams => ({
  metric: 'request_count',
  aggregation: 'sum',
  groupBy: [],
  filter: '',
  spans: 'llm',
  from: T0,
  to: T0 + HOUR,
  intervalMs: 60_000,
  maxDataPoints: 1000,
  ...p,
});

describe('metrics step and buckets', () => {
  it('derives a nice step from the range, maxDataPoints and intervalMs', () => {
    assert.equal(stepFor(0, 24 * HOUR, 60_000, 1440), 60_000);
    assert.equal(stepFor(0, 24 * HOUR, 60_000, 1000), 120_000);
    assert.equal(stepFor(0, 24 * HOUR, 15_000, 100_000), 15_000);
    assert.equal(stepFor(0, 300_000, 200, 1000), 1000, 'at least 1 s');
    assert.equal(stepFor(0, HOUR, 25_000, 1000), 30_000);
    assert.equal(stepFor(0, 365 * 24 * HOUR, 1, 100), 4 * 24 * HOUR, 'whole days beyond 1 d');
  });

  it('aligns buckets to multiples of the step and covers the range', () => {
    assert.deepEqual(bucketRange(90_500, 250_000, 60_000), { from: 60_000, to: 300_000 });
    assert.deepEqual(bucketRange(120_000, 240_000, 60_000), { from: 120_000, to: 240_000 });
    assert.deepEqual(bucketRange(5, 6, 60_000), { from: 0, to: 60_000 });
  });

  it('validates metric and aggregation pairs, naming the parameter', () => {
    assert.throws(() => measureOf('request_count', 'p99'), (e: unknown) => e instanceof QueryError && /^aggregation: request_count supports sum or count, not p99$/.test(e.message));
    assert.throws(() => measureOf('error_rate', 'max'), /QueryError: aggregation: error_rate supports avg or sum/);
    assert.deepEqual(measureOf('latency_ms', 'p95'), { metric: 'dur', fn: { quantile: 0.95 } });
    assert.deepEqual(measureOf('tokens_cached', 'avg'), { metric: 'cached', fn: 'avg' });
  });
});

describe('runMetrics', () => {
  it('zero-fills counts and sums and leaves averages, percentiles and rates null where nothing exists', async () => {
    // One hour of data inside a three-hour range at 10-minute steps.
    const base = { from: T0 - HOUR, to: T0 + 2 * HOUR, intervalMs: 600_000 };
    const count = await runMetrics(db, params(base));
    assert.equal(count.stepMs, 600_000);
    assert.equal(count.timestamps.length, 18);
    assert.equal(count.series.length, 1);
    assert.deepEqual(count.series[0]!.labels, {});
    assert.deepEqual(count.series[0]!.values.slice(0, 6), [0, 0, 0, 0, 0, 0]);
    const llm = rows.filter((r) => ['llm', 'embedding', 'reranker'].includes(r.spanKind));
    assert.equal(count.series[0]!.values.reduce((a, b) => a! + b!, 0), llm.length);
    assert.equal(count.source, 'rollup');
    assert.equal(count.unit, 'short');

    const cost = await runMetrics(db, params({ ...base, metric: 'cost_usd' }));
    assert.equal(cost.unit, 'currencyUSD');
    assert.equal(cost.series[0]!.values[0], 0);
    const totalMicros = llm.reduce((a, r) => a + (r.costMicros ?? 0), 0);
    assert.ok(Math.abs(cost.series[0]!.values.reduce((a, b) => a! + b!, 0)! - totalMicros / 1e6) < 1e-9);

    for (const aggregation of ['avg', 'p99', 'min'] as const) {
      const r = await runMetrics(db, params({ ...base, metric: 'latency_ms', aggregation }));
      assert.equal(r.unit, 'ms');
      assert.equal(r.series[0]!.values[0], null, aggregation);
      assert.ok(r.series[0]!.values.slice(6, 12).every((v) => typeof v === 'number'), aggregation);
    }
    const rate = await runMetrics(db, params({ ...base, metric: 'error_rate', aggregation: 'avg' }));
    assert.equal(rate.unit, 'percentunit');
    assert.equal(rate.series[0]!.values[0], null);
    const first = llm.filter((r) => r.startNs < BigInt(T0 + 600_000) * 1_000_000n);
    assert.equal(rate.series[0]!.values[6], first.filter((r) => r.statusCode === 2).length / first.length);
  });

  it('converts latency to ms and matches quantile_cont per bucket and label', async () => {
    const r = await runMetrics(db, params({ metric: 'latency_ms', aggregation: 'p90', groupBy: ['model'], intervalMs: 900_000 }));
    assert.equal(r.source, 'raw');
    assert.deepEqual(r.series.map((s) => s.labels.model), ['claude-sonnet-4-20250514', 'gpt-4o-2024-08-06', 'gpt-4o-mini', 'mystery-model']);
    for (const s of r.series) {
      r.timestamps.forEach((t, i) => {
        const ms = rows
          .filter((x) => ['llm', 'embedding', 'reranker'].includes(x.spanKind))
          .filter((x) => (x.responseModel ?? x.requestModel) === s.labels.model)
          .filter((x) => x.startNs >= BigInt(t) * 1_000_000n && x.startNs < BigInt(t + r.stepMs) * 1_000_000n)
          .map((x) => Number(x.durationNs) / 1e6);
        const want = quantileCont(ms, 0.9);
        const got = s.values[i];
        assert.ok(want === null ? got === null : Math.abs(got! - want) < 1e-9 * Math.max(1, want), `${s.labels.model} ${t}: ${got} vs ${want}`);
      });
    }
  });

  it('groups by several dimensions and filters spans', async () => {
    const r = await runMetrics(db, params({ metric: 'tokens_total', groupBy: ['service', 'provider'], filter: 'model:gpt-4o*', spans: 'all' }));
    assert.ok(r.series.every((s) => s.labels.provider === 'openai'));
    assert.equal(r.source, 'rollup');
    const want = rows
      .filter((x) => /^gpt-4o/i.test(x.requestModel ?? '') || /^gpt-4o/i.test(x.responseModel ?? ''))
      .reduce((a, x) => a + (x.inputTokens ?? 0) + (x.outputTokens ?? 0), 0);
    assert.equal(r.series.flatMap((s) => s.values).reduce((a, b) => a! + b!, 0), want);
    await assert.rejects(runMetrics(db, params({ filter: 'service:' })), /needs a value/);
    await assert.rejects(runMetrics(db, params({ from: T0, to: T0 })), /^QueryError: timeRange: /);
  });
});
