// DuckDB-only parts of the query engine: the percentile definition every backend must match,
// and the rebuild of the DuckDB rollups. The engine itself (rollup, raw and mixed paths, trace
// search) is checked against brute force on every backend by the conformance suite.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { parseSearch } from '../search/parser.js';
import { quantileCont, randomTraces } from '../testing/spans.js';
import { ALL_ROLLUP_MEASURES, brute } from './conformance/brute.js';
import { DuckDbStorage } from './duckdb.js';

const MS = 1_000_000n;
const T0 = Date.parse('2026-02-01T10:00:00Z');
const HOUR = 3_600_000;
const makeTempDir = (prefix: string) => fs.mkdtemp(path.join(os.tmpdir(), prefix));
const range = (fromMs: number, toMs: number) => ({ fromNs: BigInt(fromMs) * MS, toNs: BigInt(toMs) * MS });

describe('DuckDB query engine', () => {
  it('defines percentiles as DuckDB quantile_cont', async () => {
    const xs = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3.5];
    const inst = await DuckDBInstance.create(':memory:');
    const c = await inst.connect();
    const r = await c.runAndReadAll(
      `SELECT quantile_cont(x, [0.5, 0.9, 0.95, 0.99, 0.0, 1.0]) AS q FROM (SELECT unnest(${JSON.stringify(xs)}::DOUBLE[]) AS x)`
    );
    const q = (r.getRowObjectsJS()[0]!.q as number[]).map(Number);
    assert.deepEqual(q, [0.5, 0.9, 0.95, 0.99, 0, 1].map((p) => quantileCont(xs, p)));
    c.closeSync();
    inst.closeSync();
  });

  it('keeps the rollup consistent through retention and a rebuild', async () => {
    const d2 = await makeTempDir('pyflare-rollup2-');
    try {
      let s = await DuckDbStorage.open({ dataDir: d2, rollupCompactAfter: 10 });
      const mine = randomTraces(5, 200, T0, HOUR);
      await s.applyBatch(mine.slice(0, 400), 1n);
      await s.applyBatch(mine.slice(400), 2n);
      const cutoff = BigInt(T0 + 20 * 60_000 + 30_000) * MS; // mid-minute
      await s.deleteBefore(cutoff);
      const kept = mine.filter((r) => r.startNs >= cutoff);
      const q = { ...range(T0, T0 + HOUR), stepMs: 60_000, groupBy: ['model'], filter: null, spans: 'all' as const, measures: ALL_ROLLUP_MEASURES };
      try {
        const viaRollup = await s.aggregate(q);
        assert.equal(viaRollup.source, 'rollup');
        const want = brute(kept, q);
        assert.equal(viaRollup.rows.length, want.size);
        for (const r of viaRollup.rows) {
          assert.deepEqual(r.values.map((v) => (v === null ? null : Math.round(v * 1e6) / 1e6)), want.get([String(r.bucketMs), ...r.labels].join('|'))!.map((v) => (v === null ? null : Math.round(v * 1e6) / 1e6)));
        }
        const llmTraces = new Set(kept.filter((r) => r.spanKind === 'llm').map((r) => r.traceId)).size;
        const afterCut = await s.searchTraces({ fromNs: BigInt(T0) * MS, toNs: BigInt(T0 + HOUR) * MS, where: parseSearch('kind:llm'), sortBy: 'cost', limit: 1000 });
        assert.equal(afterCut.length, llmTraces);
        const st = await s.traceStats({ fromNs: BigInt(T0) * MS, toNs: BigInt(T0 + HOUR) * MS, where: null });
        assert.equal(st.spanCount, kept.length);
        // Drop the rollup and its version: open() rebuilds it from the spans.
        await s.close();
        const inst = await DuckDBInstance.create(s.file);
        const c = await inst.connect();
        await c.run("DELETE FROM pyflare_meta WHERE key = 'rollup_version'");
        for (const t of ['rollup_1m', 'rollup_1h', 'trace_rollup']) {
          await c.run(`DELETE FROM ${t}`);
        }
        c.closeSync();
        inst.closeSync();
        s = await DuckDbStorage.open({ dataDir: d2 });
        const sorted = (xs: typeof viaRollup.rows) => [...xs].sort((a, b) => (JSON.stringify([a.bucketMs, a.labels]) < JSON.stringify([b.bucketMs, b.labels]) ? -1 : 1));
        assert.deepEqual(sorted((await s.aggregate(q)).rows), sorted(viaRollup.rows));
        // The trace rollup too: the same search answers the same after the rebuild.
        const search = { fromNs: BigInt(T0) * MS, toNs: BigInt(T0 + HOUR) * MS, where: parseSearch('kind:llm'), sortBy: 'cost' as const, limit: 1000 };
        assert.equal((await s.searchTraces(search)).length, new Set(kept.filter((r) => r.spanKind === 'llm').map((r) => r.traceId)).size);
      } finally {
        await s.close();
      }
    } finally {
      await fs.rm(d2, { recursive: true, force: true });
    }
  });
});
