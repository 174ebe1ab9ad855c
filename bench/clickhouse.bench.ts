// Storage comparison in one run: DuckDB (the embedded default) and ClickHouse (the real engine
// in-process via chdb, through @clickhouse/client, as the conformance suite runs it) get the
// same spans, written through each storage's own write path (DuckDbStorage.applyBatch: spans,
// trace-id index and rollups in one transaction; ClickHouseStorage.insertSpans: one insert
// with a dedup token, rollups by materialized views), then the query figures of
// bench/query.bench.ts are timed on both with the same service functions.
//
//   npx tsx bench/clickhouse.bench.ts          # from the repo root; PYFLARE_BENCH_SPANS (1M)
//
// Data: ingest/src/testing/spans.ts randomTraces (the conformance suite's generator: services,
// models, kinds, users, tiers, errors, costs), over 30 days, in time order, in batches of
// PYFLARE_BENCH_BATCH (5000) spans. query.bench.ts's own data (query-data.ts) is written with
// DuckDB SQL straight into a DuckDB file, so it cannot feed ClickHouse; its timing helper is not
// exported, hence the small one here (warm-up pass, then RUNS timed runs, p50/p99).
// Writes bench/results/storage-compare.json.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { costBreakdown } from '../ingest/src/costs/costs.js';
import { runMetrics } from '../ingest/src/query/metrics.js';
import { traceSearchFrom } from '../ingest/src/query/traces.js';
import { ClickHouseStorage } from '../ingest/src/storage/clickhouse/storage.js';
import { DuckDbStorage } from '../ingest/src/storage/duckdb.js';
import type { SpanRow, Storage } from '../ingest/src/storage/types.js';
import { randomTraces } from '../ingest/src/testing/spans.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SPANS = Number(process.env.PYFLARE_BENCH_SPANS ?? 1_000_000);
const BATCH = Number(process.env.PYFLARE_BENCH_BATCH ?? 5000);
const RUNS = Number(process.env.PYFLARE_BENCH_RUNS ?? 20);
const DAYS = 30;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const END = Date.parse('2026-03-01T00:00:00Z');
const round = (x: number) => Math.round(x * 100) / 100;

interface Timing {
  p50Ms: number;
  p99Ms: number;
  minMs: number;
}

async function time(fn: (i: number) => Promise<unknown>): Promise<Timing> {
  for (let i = 0; i < RUNS; i++) {
    await fn(i); // warm: every input the timed runs use
  }
  const ts: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn(i);
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  const pct = (p: number) => ts[Math.min(ts.length - 1, Math.ceil(p * ts.length) - 1)]!;
  return { p50Ms: round(pct(0.5)), p99Ms: round(pct(0.99)), minMs: round(ts[0]!) };
}

/** The spans, as time-ordered batches: generated lazily, the same for both backends (fixed seeds). */
function* batches(): Generator<SpanRow[]> {
  // randomTraces makes ~4.5 spans per trace; a chunk of traces covers an equal slice of the range.
  const chunks = Math.max(1, Math.round(SPANS / BATCH));
  const sliceMs = (DAYS * DAY) / chunks;
  let made = 0;
  for (let c = 0; c < chunks && made < SPANS; c++) {
    const rows = randomTraces(1000 + c, Math.max(1, Math.round(BATCH / 4.5)), END - DAYS * DAY + c * sliceMs, sliceMs);
    rows.sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
    made += rows.length;
    yield rows;
  }
}

async function ingest(write: (rows: SpanRow[], i: number) => Promise<void>): Promise<{ spans: number; sec: number; spansPerSec: number }> {
  let spans = 0;
  let ms = 0;
  let i = 0;
  for (const rows of batches()) {
    const t0 = performance.now();
    await write(rows, i++);
    ms += performance.now() - t0;
    spans += rows.length;
  }
  return { spans, sec: round(ms / 1000), spansPerSec: Math.round(spans / (ms / 1000)) };
}

const QUERIES: Array<[string, (s: Storage, ids: string[]) => (i: number) => Promise<unknown>]> = [
  ['trace by id', (s, ids) => (i) => s.getTrace(ids[i % ids.length]!)],
  [
    'search 3 filters, 24 h (service model status)',
    (s) => (i) => s.searchTraces(traceSearchFrom({ search: 'service:checkout model:gpt-4o* status:error', sortBy: 'time', limit: 100, status: 'all' }, { from: END - DAY - i * 60_000, to: END - i * 60_000 })),
  ],
  [
    'metrics 24 h @1 min by model (request_count)',
    (s) => (i) => runMetrics(s, { metric: 'request_count', aggregation: 'sum', groupBy: ['model'], filter: '', spans: 'llm', from: END - DAY - i * 60_000, to: END - i * 60_000, intervalMs: 60_000, maxDataPoints: 1440 }),
  ],
  [
    'metrics 24 h @1 min by model (latency p99, raw)',
    (s) => (i) => runMetrics(s, { metric: 'latency_ms', aggregation: 'p99', groupBy: ['model'], filter: '', spans: 'llm', from: END - DAY - i * 60_000, to: END - i * 60_000, intervalMs: 60_000, maxDataPoints: 1440 }),
  ],
  ['cost breakdown 30 d by model', (s) => (i) => costBreakdown(s, { from: END - 30 * DAY - i * 60_000, to: END - i * 60_000, filter: '', groupBy: 'model', limit: 50 })],
];

async function bench(name: string, s: Storage, write: (rows: SpanRow[], i: number) => Promise<void>) {
  console.log(`${name}: ingesting ~${SPANS} spans ...`);
  const ing = await ingest(write);
  console.log(`${name}: ${ing.spans} spans in ${ing.sec} s = ${ing.spansPerSec} spans/s`);
  const ids: string[] = [];
  for (let i = 0; ids.length < RUNS && i < RUNS * 3; i++) {
    const t = await s.searchTraces(traceSearchFrom({ sortBy: 'time', limit: 1, status: 'all' }, { from: END - (i + 1) * 13 * HOUR, to: END - i * 13 * HOUR }));
    if (t[0]) {
      ids.push(t[0].traceId);
    }
  }
  const queries: Record<string, Timing> = {};
  for (const [q, f] of QUERIES) {
    queries[q] = await time(f(s, ids));
    console.log(`${name}: ${q.padEnd(50)} p50 ${queries[q].p50Ms} ms  p99 ${queries[q].p99Ms} ms`);
  }
  return { ingest: ing, spanCount: (await s.status()).spanCount, queries };
}

async function main(): Promise<void> {
  const load0 = os.loadavg().map(round);
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'pyflare-storage-compare-'));
  try {
    const duck = await DuckDbStorage.open({ dataDir: path.join(root, 'duckdb') });
    let duckdb;
    try {
      duckdb = await bench('duckdb', duck, (rows, i) => duck.applyBatch(rows, BigInt(i + 1)));
    } finally {
      await duck.close();
    }
    const ch = await ClickHouseStorage.open({ settings: { url: `chdb:${path.join(root, 'chdb')}`, username: 'default', password: '', database: 'pyflare_bench', cluster: undefined } });
    let clickhouse;
    try {
      clickhouse = await bench('clickhouse (chdb)', ch, (rows, i) => ch.insertSpans(rows, `bench-${i}`));
    } finally {
      await ch.close();
    }
    const load1 = os.loadavg().map(round);
    const rows = [
      ['ingest (spans/s, storage write path)', String(duckdb.ingest.spansPerSec), String(clickhouse.ingest.spansPerSec)],
      ...QUERIES.map(([q]) => [`${q} p50 / p99 ms`, `${duckdb.queries[q]!.p50Ms} / ${duckdb.queries[q]!.p99Ms}`, `${clickhouse.queries[q]!.p50Ms} / ${clickhouse.queries[q]!.p99Ms}`]),
    ];
    console.log(`\n${duckdb.spanCount} spans (DuckDB) / ${clickhouse.spanCount} (ClickHouse), ${DAYS} days, batches of ${BATCH}, ${RUNS} warm runs per query`);
    console.log(`load average before ${load0.join(' ')}, after ${load1.join(' ')} (${os.cpus().length} cores, shared machine)\n`);
    console.log(`| ${'figure'.padEnd(62)} | ${'DuckDB'.padEnd(16)} | ${'ClickHouse (chdb)'.padEnd(17)} |`);
    console.log(`|${'-'.repeat(64)}|${'-'.repeat(18)}|${'-'.repeat(19)}|`);
    for (const [a, b, c] of rows) {
      console.log(`| ${a!.padEnd(62)} | ${b!.padEnd(16)} | ${c!.padEnd(17)} |`);
    }
    const out = {
      spans: { duckdb: duckdb.spanCount, clickhouse: clickhouse.spanCount },
      days: DAYS,
      batch: BATCH,
      runs: RUNS,
      machine: { cpus: os.cpus().length, loadavgBefore: load0, loadavgAfter: load1, node: process.version },
      duckdb,
      clickhouse,
      date: new Date().toISOString(),
    };
    await fs.mkdir(path.join(here, 'results'), { recursive: true });
    await fs.writeFile(path.join(here, 'results', 'storage-compare.json'), `${JSON.stringify(out, null, 2)}\n`);
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
