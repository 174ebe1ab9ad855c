// The aggregate engine (rollup, raw and mixed paths) and trace search against brute-force
// computations over the same rows in TypeScript.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { parseSearch, type SearchExpr, type Term } from '../search/parser.js';
import { quantileCont, randomTraces } from '../testing/spans.js';
import { makeTempDir } from '../testing/service.js';
import { DuckDbStorage } from './duckdb.js';
import { planAggregate } from './queries.js';
import type { AggFn, AggregateQuery, Measure, SpanRow, TraceSummary } from './types.js';

const MS = 1_000_000n;
const T0 = Date.parse('2026-02-01T10:00:00Z');
const HOUR = 3_600_000;
let dir: string;
let db: DuckDbStorage;
let rows: SpanRow[];

before(async () => {
  dir = await makeTempDir('pyflare-queries-');
  db = await DuckDbStorage.open({ dataDir: dir, rollupCompactAfter: 60 });
  rows = randomTraces(11, 500, T0, 2 * HOUR);
  // Uneven batches, out of time order, so rollup rows arrive as partials and get compacted.
  const shuffled = [...rows].sort((a, b) => (a.spanId < b.spanId ? -1 : 1));
  let seq = 1n;
  for (let i = 0; i < shuffled.length; ) {
    const n = 1 + ((i * 7919) % 400);
    await db.applyBatch(shuffled.slice(i, i + n), seq++);
    i += n;
  }
});
after(async () => {
  await db.close();
  await fs.rm(dir, { recursive: true, force: true });
});

// ---- brute force ---------------------------------------------------------------------------

function label(r: SpanRow, g: string): string {
  switch (g) {
    case 'service':
      return r.service;
    case 'provider':
      return r.provider ?? '';
    case 'model':
      return r.responseModel ? r.responseModel : (r.requestModel ?? '');
    case 'operation':
      return r.operation ?? '';
    case 'span_kind':
      return r.spanKind;
    case 'user':
      return r.userId ?? '';
    default: {
      const v = (JSON.parse(r.attributes) as Record<string, unknown>)[g.slice(5)];
      return v === undefined || v === null ? '' : String(v);
    }
  }
}

const glob = (pat: string, v: string | null) =>
  v !== null && new RegExp(`^${pat.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i').test(v);

function spanMatches(t: Term, r: SpanRow): boolean {
  switch (t.kind) {
    case 'match':
      switch (t.field) {
        case 'service':
          return r.service === t.value;
        case 'kind':
          return r.spanKind === t.value;
        case 'provider':
          return r.provider === t.value;
        case 'user':
          return r.userId === t.value;
        case 'model':
          return glob(t.value, r.requestModel) || glob(t.value, r.responseModel);
        case 'name':
          return r.name.toLowerCase().includes(t.value.toLowerCase());
        default:
          throw new Error(`brute force lacks ${t.field}`);
      }
    case 'status':
      return (r.statusCode === 2) === (t.value === 'error');
    case 'attr':
      return String((JSON.parse(r.attributes) as Record<string, unknown>)[t.key]) === t.value;
    default:
      throw new Error(`brute force lacks ${t.kind}`);
  }
}

function evalExpr(e: SearchExpr | null, leaf: (t: Term) => boolean): boolean {
  if (e === null) {
    return true;
  }
  switch (e.type) {
    case 'and':
      return e.items.every((x) => evalExpr(x, leaf));
    case 'or':
      return e.items.some((x) => evalExpr(x, leaf));
    case 'not':
      return !evalExpr(e.item, leaf);
    case 'term':
      return leaf(e.term);
  }
}

function valueOf(r: SpanRow, m: string): number | null {
  switch (m) {
    case 'dur':
      return Number(r.durationNs);
    case 'in':
      return r.inputTokens;
    case 'out':
      return r.outputTokens;
    case 'cached':
      return r.cacheReadTokens;
    case 'total':
      return r.inputTokens === null && r.outputTokens === null ? null : (r.inputTokens ?? 0) + (r.outputTokens ?? 0);
    case 'cost':
      return r.costMicros;
  }
  throw new Error(m);
}

function brute(q: AggregateQuery): Map<string, Array<number | null>> {
  const groups = new Map<string, SpanRow[]>();
  for (const r of rows) {
    if (r.startNs < q.fromNs || r.startNs >= q.toNs) {
      continue;
    }
    if (q.spans === 'llm' && !['llm', 'embedding', 'reranker'].includes(r.spanKind)) {
      continue;
    }
    if (q.spans === 'root' && r.parentSpanId !== '') {
      continue;
    }
    if (!evalExpr(q.filter, (t) => spanMatches(t, r))) {
      continue;
    }
    const b = q.stepMs === undefined ? '' : String(Number(r.startNs / (BigInt(q.stepMs) * MS)) * q.stepMs);
    const key = [b, ...q.groupBy.map((g) => label(r, g))].join('|');
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out = new Map<string, Array<number | null>>();
  for (const [key, rs] of groups) {
    out.set(
      key,
      q.measures.map((m) => {
        switch (m.metric) {
          case 'requests':
            return rs.length;
          case 'errors':
            return rs.filter((r) => r.statusCode === 2).length;
          case 'error_rate':
            return rs.filter((r) => r.statusCode === 2).length / rs.length;
          case 'usage':
            return rs.filter((r) => r.costSource !== null).length;
          case 'unpriced':
            return rs.filter((r) => r.costSource === 'unknown').length;
        }
        const vs = rs.map((r) => valueOf(r, m.metric)).filter((v): v is number => v !== null);
        const fn = m.fn;
        if (typeof fn === 'object') {
          return quantileCont(vs, fn.quantile);
        }
        switch (fn) {
          case 'sum':
            return vs.reduce((a, b) => a + b, 0);
          case 'count':
            return vs.length;
          case 'avg':
            return vs.length ? vs.reduce((a, b) => a + b, 0) / vs.length : null;
          case 'min':
            return vs.length ? Math.min(...vs) : null;
          case 'max':
            return vs.length ? Math.max(...vs) : null;
        }
      })
    );
  }
  return out;
}

async function check(q: AggregateQuery, source?: string): Promise<void> {
  const res = await db.aggregate(q);
  if (source) {
    assert.equal(res.source, source, JSON.stringify(planAggregate(q), (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
  }
  const want = brute(q);
  const got = new Map(res.rows.map((r) => [[r.bucketMs === null ? '' : String(r.bucketMs), ...r.labels].join('|'), r.values]));
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), 'same groups');
  for (const [k, w] of want) {
    const g = got.get(k)!;
    w.forEach((wv, i) => {
      const gv = g[i];
      const what = `${k} measure ${JSON.stringify(q.measures[i])}: got ${gv} want ${wv}`;
      if (wv === null || gv === null) {
        assert.equal(gv, wv, what);
      } else {
        assert.ok(Math.abs(gv! - wv) <= 1e-9 * Math.max(1, Math.abs(wv)), what);
      }
    });
  }
}

const FNS: AggFn[] = ['sum', 'avg', 'count', 'min', 'max'];
const VALUE_METRICS = ['dur', 'in', 'out', 'cached', 'total', 'cost'] as const;
const ALL_ROLLUP_MEASURES: Measure[] = [
  { metric: 'requests' },
  { metric: 'errors' },
  { metric: 'error_rate' },
  { metric: 'usage' },
  { metric: 'unpriced' },
  ...VALUE_METRICS.flatMap((m) => FNS.map((fn): Measure => ({ metric: m, fn }))),
];
const QUANTILES: Measure[] = VALUE_METRICS.flatMap((m) => [0.5, 0.9, 0.95, 0.99].map((q): Measure => ({ metric: m, fn: { quantile: q } })));

const range = (fromMs: number, toMs: number) => ({ fromNs: BigInt(fromMs) * MS, toNs: BigInt(toMs) * MS });

describe('aggregate engine vs brute force', () => {
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

  it('answers every count/sum/avg/min/max from the rollup, exactly', async () => {
    for (const groupBy of [[], ['model'], ['service', 'span_kind'], ['provider', 'operation']]) {
      for (const spans of ['llm', 'root', 'all'] as const) {
        await check({ ...range(T0, T0 + 2 * HOUR), stepMs: 60_000, groupBy, filter: null, spans, measures: ALL_ROLLUP_MEASURES }, 'rollup');
      }
    }
    await check({ ...range(T0, T0 + 2 * HOUR), stepMs: 300_000, groupBy: ['model'], filter: parseSearch('service:checkout (model:gpt-4o* OR provider:anthropic) NOT kind:embedding'), spans: 'all', measures: ALL_ROLLUP_MEASURES }, 'rollup');
  });

  it('answers percentiles, sub-minute steps and raw-only filters and dimensions from the raw spans', async () => {
    for (const groupBy of [[], ['model'], ['user'], ['attr.user.tier']]) {
      await check({ ...range(T0, T0 + 2 * HOUR), stepMs: 600_000, groupBy, filter: null, spans: 'llm', measures: QUANTILES }, 'raw');
    }
    await check({ ...range(T0, T0 + 2 * HOUR), stepMs: 30_000, groupBy: ['service'], filter: null, spans: 'all', measures: ALL_ROLLUP_MEASURES }, 'raw');
    await check({ ...range(T0, T0 + 2 * HOUR), stepMs: 60_000, groupBy: ['model'], filter: parseSearch('status:error OR user:u1'), spans: 'all', measures: ALL_ROLLUP_MEASURES }, 'raw');
    await check({ ...range(T0, T0 + 2 * HOUR), stepMs: 900_000, groupBy: ['user'], filter: parseSearch('attr.user.tier=gold'), spans: 'all', measures: [...ALL_ROLLUP_MEASURES, ...QUANTILES] }, 'raw');
  });

  it('mixes rollup minutes with raw edges for ranges that are not whole minutes', async () => {
    const from = T0 + 12_345;
    const to = T0 + HOUR + 54_321;
    await check({ ...range(from, to), groupBy: ['model'], filter: null, spans: 'all', measures: ALL_ROLLUP_MEASURES }, 'rollup+raw');
    await check({ ...range(T0, T0 + 2 * HOUR), groupBy: [], filter: null, spans: 'llm', measures: ALL_ROLLUP_MEASURES }, 'rollup');
    await check({ ...range(from, from + 30_000), groupBy: [], filter: null, spans: 'all', measures: ALL_ROLLUP_MEASURES }, 'raw');
    // Whole-range percentiles and empty ranges.
    await check({ ...range(from, to), groupBy: ['service'], filter: null, spans: 'all', measures: QUANTILES }, 'raw');
    assert.deepEqual((await db.aggregate({ ...range(T0 - 10 * HOUR, T0 - 9 * HOUR), groupBy: [], filter: null, spans: 'all', measures: ALL_ROLLUP_MEASURES })).rows, []);
  });

  it('keeps the largest groups by a measure and counts all of them', async () => {
    const res = await db.aggregate({ ...range(T0, T0 + 2 * HOUR), groupBy: ['user'], filter: null, spans: 'all', measures: [{ metric: 'cost', fn: 'sum' }], maxGroups: 2, rankBy: 0 });
    const all = brute({ ...range(T0, T0 + 2 * HOUR), groupBy: ['user'], filter: null, spans: 'all', measures: [{ metric: 'cost', fn: 'sum' }] });
    const top = [...all.entries()].sort((a, b) => b[1][0]! - a[1][0]!).slice(0, 2);
    assert.equal(res.groupCount, all.size);
    assert.deepEqual(
      res.rows.map((r) => [r.labels[0], r.values[0]]).sort(),
      top.map(([k, v]) => [k.split('|')[1], v[0]]).sort()
    );
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
      const saved = rows;
      rows = kept;
      try {
        const viaRollup = await s.aggregate(q);
        assert.equal(viaRollup.source, 'rollup');
        const want = brute(q);
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
        rows = saved;
        await s.close();
      }
    } finally {
      await fs.rm(d2, { recursive: true, force: true });
    }
  });
});

// ---- trace search ---------------------------------------------------------------------------

interface BruteTrace {
  traceId: string;
  spans: SpanRow[];
  start: bigint;
  end: bigint;
  cost: bigint | null;
  tokens: number;
  error: boolean;
}

function bruteTraces(fromMs: number, toMs: number, where: SearchExpr | null): BruteTrace[] {
  const by = new Map<string, SpanRow[]>();
  for (const r of rows) {
    by.set(r.traceId, [...(by.get(r.traceId) ?? []), r]);
  }
  const out: BruteTrace[] = [];
  for (const [traceId, spans] of by) {
    const from = BigInt(fromMs) * MS;
    const to = BigInt(toMs) * MS + 999_999n;
    if (!spans.some((s) => s.startNs >= from && s.startNs <= to)) {
      continue;
    }
    const t: BruteTrace = {
      traceId,
      spans,
      start: spans.reduce((m, s) => (s.startNs < m ? s.startNs : m), spans[0]!.startNs),
      end: spans.reduce((m, s) => (s.endNs > m ? s.endNs : m), spans[0]!.endNs),
      cost: spans.some((s) => s.costMicros !== null) ? spans.reduce((a, s) => a + BigInt(s.costMicros ?? 0), 0n) : null,
      tokens: spans.reduce((a, s) => a + (s.inputTokens ?? 0) + (s.outputTokens ?? 0), 0),
      error: spans.some((s) => s.statusCode === 2),
    };
    const cmp = (a: bigint, op: string, b: bigint) => (op === '>' ? a > b : op === '>=' ? a >= b : op === '<' ? a < b : op === '<=' ? a <= b : a === b);
    const ok = evalExpr(where, (term) => {
      switch (term.kind) {
        case 'status':
          return t.error === (term.value === 'error');
        case 'duration':
          return cmp(t.end - t.start, term.cmp, term.ns);
        case 'cost':
          return cmp(t.cost ?? 0n, term.cmp, term.micros);
        case 'tokens':
          return cmp(BigInt(t.tokens), term.cmp, term.value);
        default:
          return spans.some((s) => spanMatches(term, s));
      }
    });
    if (ok) {
      out.push(t);
    }
  }
  return out;
}

describe('trace search vs brute force', () => {
  const search = (where: string, sortBy: 'time' | 'duration' | 'cost' = 'time', limit = 10_000, after?: { key: bigint; traceId: string }) =>
    db.searchTraces({ fromNs: BigInt(T0 + HOUR / 2) * MS, toNs: BigInt(T0 + HOUR) * MS + 999_999n, where: parseSearch(where), sortBy, limit, after });

  it('matches span terms on any span and totals on the trace, with AND/OR/NOT', async () => {
    for (const q of [
      '',
      'service:checkout',
      'kind:tool model:gpt-4o*',
      'NOT kind:tool',
      '(service:search OR service:agent) status:error',
      'NOT status:error duration:>1s',
      'cost:>0.02 tokens:<=6000',
      'tokens:>=5000 OR cost:<0.000001',
      'attr.user.tier=gold user:u2',
      'POST -"checkout"',
    ]) {
      const got = (await search(q)).map((t) => t.traceId).sort();
      const want = bruteTraces(T0 + HOUR / 2, T0 + HOUR, parseSearch(q)).map((t) => t.traceId).sort();
      assert.deepEqual(got, want, q);
      assert.ok(q === '' || want.length < bruteTraces(T0 + HOUR / 2, T0 + HOUR, null).length, `${q} filters`);
    }
  });

  it('summarizes each trace from all its spans', async () => {
    const got = await search('service:agent');
    const want = new Map(bruteTraces(T0 + HOUR / 2, T0 + HOUR, parseSearch('service:agent')).map((t) => [t.traceId, t]));
    for (const t of got) {
      const w = want.get(t.traceId)!;
      assert.equal(t.startNs, w.start);
      assert.equal(t.endNs, w.end);
      assert.equal(t.spanCount, w.spans.length);
      assert.equal(t.costMicros === null ? null : BigInt(t.costMicros), w.cost);
      assert.equal(t.inputTokens + t.outputTokens, w.tokens);
    }
  });

  it('sorts by time, duration and cost and pages without gaps or repeats', async () => {
    const sortKey = (t: TraceSummary, s: string) => (s === 'time' ? t.startNs : s === 'duration' ? t.endNs - t.startNs : BigInt(t.costMicros ?? -1));
    for (const sortBy of ['time', 'duration', 'cost'] as const) {
      const all = await search('', sortBy);
      for (let i = 1; i < all.length; i++) {
        const a = sortKey(all[i - 1]!, sortBy);
        const b = sortKey(all[i]!, sortBy);
        assert.ok(a > b || (a === b && all[i - 1]!.traceId > all[i]!.traceId), `${sortBy} order at ${i}`);
      }
      const paged: string[] = [];
      let after: { key: bigint; traceId: string } | undefined;
      for (;;) {
        const page = await search('', sortBy, 17, after);
        paged.push(...page.map((t) => t.traceId));
        if (page.length < 17) {
          break;
        }
        const last = page[page.length - 1]!;
        after = { key: sortKey(last, sortBy), traceId: last.traceId };
      }
      assert.deepEqual(paged, all.map((t) => t.traceId), sortBy);
    }
  });

  it('computes trace stats over the matching traces', async () => {
    const where = parseSearch('kind:llm');
    const s = await db.traceStats({ fromNs: BigInt(T0 + HOUR / 2) * MS, toNs: BigInt(T0 + HOUR) * MS + 999_999n, where });
    const want = bruteTraces(T0 + HOUR / 2, T0 + HOUR, where);
    assert.equal(s.traceCount, want.length);
    assert.equal(s.errorTraceCount, want.filter((t) => t.error).length);
    assert.equal(s.spanCount, want.reduce((a, t) => a + t.spans.length, 0));
    assert.equal(s.costMicros, Number(want.reduce((a, t) => a + (t.cost ?? 0n), 0n)));
    const ms = want.map((t) => Number(t.end - t.start) / 1e6);
    assert.ok(Math.abs(s.durationMs.p99! - quantileCont(ms, 0.99)!) < 1e-9);
    assert.ok(Math.abs(s.durationMs.p50! - quantileCont(ms, 0.5)!) < 1e-9);
    assert.equal(s.durationMs.max, Math.max(...ms));
  });
});

describe('budgets storage', () => {
  it('creates, updates, lists and deletes', async () => {
    const rec = {
      id: 'b1',
      name: 'LLM monthly',
      scope: { dimension: 'model', value: 'gpt-4o*' },
      period: 'monthly' as const,
      amountMicros: 100_000_000n,
      alertThreshold: 0.8,
      createdAt: new Date('2026-01-01T00:00:00Z'),
      updatedAt: new Date('2026-01-01T00:00:00Z'),
    };
    await db.putBudget(rec);
    await db.putBudget({ ...rec, id: 'b2', scope: null, period: 'daily' });
    await db.putBudget({ ...rec, name: 'renamed', amountMicros: 5n, updatedAt: new Date('2026-01-02T00:00:00Z') });
    const list = await db.listBudgets();
    assert.deepEqual(list.map((b) => [b.id, b.name, b.amountMicros, b.scope?.value ?? null, b.period]), [
      ['b1', 'renamed', 5n, 'gpt-4o*', 'monthly'],
      ['b2', 'LLM monthly', 100_000_000n, null, 'daily'],
    ]);
    assert.equal(list[0]!.updatedAt.toISOString(), '2026-01-02T00:00:00.000Z');
    assert.equal(await db.deleteBudget('b1'), true);
    assert.equal(await db.deleteBudget('b1'), false);
    assert.deepEqual((await db.listBudgets()).map((b) => b.id), ['b2']);
    await db.deleteBudget('b2');
  });
});
