// The storage conformance suite: the same cases, unchanged, against every Storage
// implementation (conformance.test.ts runs it on DuckDB and on ClickHouse). Results are checked
// against brute-force computations over the rows written (brute.ts), so a backend passes by
// giving the right answers, not the same SQL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { normalizeRequest } from '../../normalize/index.js';
import { parseSearch } from '../../search/parser.js';
import { hex, request, span, type AttrValue } from '../../testing/otlp.js';
import { quantileCont, randomTraces } from '../../testing/spans.js';
import { planAggregate } from '../queries.js';
import type { AggregateQuery, SpanRow, Storage, TraceSearch, TraceSummary } from '../types.js';
import { ALL_ROLLUP_MEASURES, brute, bruteTraces, QUANTILES } from './brute.js';

export interface StorageBackend {
  name: string;
  /**
   * Opens the store named `key` (a fresh one the first time; the same data when opened again
   * after close). `compactAfter` tunes DuckDB's rollup compaction; others ignore it.
   */
  open(key: string, opts?: { compactAfter?: number }): Promise<Storage>;
  /** Removes everything the backend created (after all tests). */
  cleanup(): Promise<void>;
}

const MS = 1_000_000n;
const HOUR = 3_600_000;
const range = (fromMs: number, toMs: number) => ({ fromNs: BigInt(fromMs) * MS, toNs: BigInt(toMs) * MS });

// ---- the small, hand-written fixture (OTLP through normalization) ------------------------------

const T1 = BigInt(Date.parse('2026-01-10T00:00:00Z')) * MS;

interface SpanSpec {
  traceId: string;
  parent?: string;
  spanId?: string;
  name: string;
  startMs: number;
  durMs: number;
  service?: string;
  error?: boolean;
  attrs?: Record<string, AttrValue>;
}

function rowsOf(specs: SpanSpec[]): SpanRow[] {
  return specs.flatMap(
    (s) =>
      normalizeRequest(
        request(
          [
            span({
              traceId: s.traceId,
              spanId: s.spanId ?? hex(8),
              parentSpanId: s.parent ?? '',
              name: s.name,
              startTimeUnixNano: T1 + BigInt(s.startMs) * MS,
              endTimeUnixNano: T1 + BigInt(s.startMs + s.durMs) * MS,
              attrs: s.attrs,
              status: s.error ? { code: 2, message: 'failed' } : { code: 0, message: '' },
            }),
          ],
          { 'service.name': s.service ?? 'svc-a' }
        ),
        { nowNs: T1 + 86_400_000n * MS }
      ).rows
  );
}

export function storageConformance(b: StorageBackend): void {
  describe(`Storage conformance: ${b.name}`, () => {
    after(() => b.cleanup());
    smallFixture(b);
    randomFixture(b);
    otherStores(b);
  });
}

function smallFixture(b: StorageBackend): void {
  const A = hex(16);
  const B = hex(16);
  const C = hex(16);
  const rootA = hex(8);
  const rootB = hex(8);
  let db: Storage;
  const base: TraceSearch = { fromNs: T1, toNs: T1 + 3_600_000n * MS, where: null, sortBy: 'time', limit: 100 };

  describe('small fixture', () => {
    before(async () => {
      db = await b.open('small');
      await db.applyBatch(
        rowsOf([
          // num.odd: text that only looks numeric to a lenient parser ("NaN" sorted above all numbers on DuckDB).
          { traceId: A, spanId: rootA, name: 'POST /chat', startMs: 1000, durMs: 3000, service: 'checkout', attrs: { 'num.odd': 'NaN', 'num.sci': '2.5e3' } },
          {
            traceId: A,
            parent: rootA,
            name: 'chat gpt-4o',
            startMs: 1100,
            durMs: 2000,
            service: 'checkout',
            attrs: {
              'gen_ai.provider.name': 'openai',
              'gen_ai.request.model': 'gpt-4o',
              'gen_ai.response.model': 'gpt-4o-2024-08-06',
              'gen_ai.usage.input_tokens': 100,
              'gen_ai.usage.output_tokens': 20,
              'llm.cost.total': 0.5,
              'tenant.id': 'acme',
              'retry.count': 3,
              'cache.hit': true,
            },
          },
          { traceId: B, spanId: rootB, name: 'GET /search', startMs: 2000, durMs: 500, service: 'search', error: true, attrs: { 'num.odd': ' 7', 'num.sci': '-1_0' } },
          {
            traceId: B,
            parent: rootB,
            name: 'chat claude',
            startMs: 2100,
            durMs: 300,
            service: 'search',
            attrs: { 'gen_ai.request.model': 'claude-sonnet-4-20250514', 'gen_ai.usage.input_tokens': 7, 'tenant.id': 'globex', 'retry.count': 0 },
          },
        ]),
        1n
      );
      // Outside the search window.
      await db.applyBatch(rowsOf([{ traceId: C, name: 'old', startMs: -86_400_000, durMs: 10 }]), 2n);
    });
    after(() => db.close());

    it('records the applied batch seq', async () => {
      assert.equal(await db.appliedSeq(), 2n);
    });

    it('reads a trace back losslessly, by id in any case', async () => {
      const spans = await db.getTrace(A.toUpperCase());
      assert.equal(spans.length, 2);
      const [root, llm] = spans;
      assert.equal(root!.spanId, rootA);
      assert.equal(root!.parentSpanId, '');
      assert.equal(root!.startNs, T1 + 1000n * MS);
      assert.equal(typeof root!.startNs, 'bigint');
      assert.equal(root!.durationNs, 3000n * MS);
      assert.equal(root!.kind, 'internal');
      assert.equal(llm!.parentSpanId, rootA);
      assert.equal(llm!.spanKind, 'llm');
      assert.equal(llm!.costMicros, 500_000);
      assert.equal(llm!.costSource, 'provided');
      assert.equal(llm!.inputTokens, 100);
      assert.equal(llm!.cacheReadTokens, null);
      assert.deepEqual(llm!.finishReasons, []);
      assert.equal(JSON.parse(llm!.attributes)['tenant.id'], 'acme');
      assert.equal(llm!.service, 'checkout');
      assert.equal(llm!.truncated, false);
      assert.deepEqual(await db.getTrace(hex(16)), []);
      assert.equal((await db.getTrace(A, 1)).length, 1);
    });

    it('summarizes traces in the window, newest first', async () => {
      const traces = await db.searchTraces(base);
      assert.deepEqual(
        traces.map((t) => t.traceId),
        [B, A]
      );
      const a = traces[1]!;
      assert.equal(a.rootName, 'POST /chat');
      assert.equal(a.rootService, 'checkout');
      assert.deepEqual(a.models, ['gpt-4o-2024-08-06']);
      assert.equal(a.spanCount, 2);
      assert.equal(a.errorCount, 0);
      assert.equal(a.inputTokens, 100);
      assert.equal(a.outputTokens, 20);
      assert.equal(a.costMicros, 500_000);
      assert.equal(a.endNs - a.startNs, 3000n * MS);
      assert.deepEqual(
        a.waterfall.map((w) => [w.spanId === rootA, w.startNs - a.startNs, w.spanKind, w.statusCode]),
        [
          [true, 0n, 'span', 0],
          [false, 100n * MS, 'llm', 0],
        ]
      );
      assert.equal(traces[0]!.costMicros, null);
      assert.equal(traces[0]!.errorCount, 1);
      assert.deepEqual(traces[0]!.models, ['claude-sonnet-4-20250514']);
    });

    it('filters by every kind of term, with AND/OR/NOT', async () => {
      const ids = async (q: Partial<TraceSearch>) => (await db.searchTraces({ ...base, ...q })).map((t) => t.traceId);
      const w = (q: string) => ({ where: parseSearch(q) });
      const cases: Array<[string, string[]]> = [
        ['service:checkout', [A]],
        ['service:check*', [A]],
        ['model:GPT-4o*', [A]],
        ['model:claude-*', [B]],
        ['model:gpt-4', []],
        ['model:GPT-4O-2024-08-06', [A]],
        ['model:GPT-4O-2024-08-06 tenant.id:acme', [A]],
        ['model:gpt-4o-*-06', [A]],
        ['model:*-20250514 OR service:nothing', [B]],
        ['provider:OpenAI', [A]],
        ['name:search', [B]],
        ['search', [B]],
        ['"chat"', [B, A]],
        ['tenant.id:acme', [A]],
        ['attr.tenant.id=glo*', [B]],
        ['attr.retry.count>=3', [A]],
        ['attr.retry.count<1', [B]],
        ['attr.cache.hit=true', [A]],
        ['attr.no.such.key=x', []],
        // Numbers beyond 2^63 and 2^53 (bound as text: no overflow), a key that is a JSON-path wildcard elsewhere.
        ['attr.retry.count<1e20', [B, A]],
        ['attr.retry.count>1e20', []],
        ['attr.retry.count>-1e16', [B, A]],
        ['attr.*=x', []],
        // One number rule on both backends: decimal or exponent notation, nothing else.
        ['attr.num.odd>1', []],
        ['attr.num.odd<100', []],
        ['attr.num.sci>=2500', [A]],
        ['attr.num.sci<0', []],
        ['attr.*=*', []],
        ['kind:llm', [B, A]],
        ['-service:checkout', [B]],
        ['NOT service:checkout', [B]],
        ['service:checkout model:claude*', []],
        ['service:checkout AND model:claude*', []],
        ['service:checkout OR model:claude*', [B, A]],
        ['(service:checkout OR service:search) NOT status:error', [A]],
        ['status:error', [B]],
        ['status:ok', [A]],
        ['duration:>=1000ms', [A]],
        ['duration:<=500ms', [B]],
        ['duration:>2.5s', [A]],
        ['cost:>=0.5', [A]],
        ['cost:<0.5', [B]],
        ['tokens:>100', [A]],
        ['tokens:<=7', [B]],
        ['operation:chat', [B, A]],
        ['operation:chat provider:openai', [A]],
        ['user:nobody OR session:none OR agent:x OR tool:y', []],
      ];
      for (const [q, want] of cases) {
        assert.deepEqual(await ids(w(q)), want, q);
      }
      assert.deepEqual(await ids({ sortBy: 'duration' }), [A, B]);
      assert.deepEqual(await ids({ sortBy: 'cost' }), [A, B]);
      assert.deepEqual(await ids({ limit: 1 }), [B]);
      assert.deepEqual(await ids({ fromNs: T1 - 2n * 86_400_000n * MS }), [B, A, C]);
    });

    it('serves the catalogs', async () => {
      assert.deepEqual(await db.services(), ['checkout', 'search', 'svc-a']);
      assert.deepEqual(await db.services({ fromNs: T1 }), ['checkout', 'search']);
      assert.deepEqual(await db.services({ toNs: T1 }), ['svc-a']);
      assert.deepEqual(await db.models(), ['claude-sonnet-4-20250514', 'gpt-4o-2024-08-06']);
      assert.deepEqual(await db.models({ toNs: T1 }), []);
      const keys = await db.attributeKeys();
      assert.ok(keys.includes('tenant.id') && keys.includes('gen_ai.request.model'), keys.join(','));
      assert.deepEqual(keys, [...keys].sort());
      assert.deepEqual(await db.attributeValues('tenant.id'), ['acme', 'globex']);
      assert.deepEqual(await db.attributeValues('retry.count'), ['0', '3']);
      assert.deepEqual(await db.attributeValues('tenant.id', { toNs: T1 }), []);
      assert.deepEqual(await db.attributeValues('no"such\\key'), []);
    });

    it('reports status and size', async () => {
      const st = await db.status();
      assert.equal(st.spanCount, 5);
      assert.equal(st.lastSpanNs, T1 + 2100n * MS);
      assert.ok((await db.sizeBytes()) > 0);
    });

    it('stores API keys', async () => {
      const rec = { id: 'k1', name: 'ci', keyHash: 'ab'.repeat(32), scopes: ['ingest' as const], createdAt: new Date('2026-01-01T00:00:00Z') };
      await db.putApiKey(rec);
      await db.putApiKey({ ...rec, scopes: ['ingest', 'read'] });
      await db.putApiKey({ ...rec, id: 'k2', name: 'admin', scopes: ['admin'], createdAt: new Date('2026-01-02T00:00:00.123Z') });
      const keys = await db.listApiKeys();
      assert.deepEqual(
        keys.map((k) => [k.id, k.name, k.keyHash, k.scopes, k.createdAt.toISOString()]),
        [
          ['k1', 'ci', 'ab'.repeat(32), ['ingest', 'read'], '2026-01-01T00:00:00.000Z'],
          ['k2', 'admin', 'ab'.repeat(32), ['admin'], '2026-01-02T00:00:00.123Z'],
        ]
      );
      assert.equal(await db.deleteApiKey('k1'), true);
      assert.equal(await db.deleteApiKey('k1'), false);
      assert.deepEqual(
        (await db.listApiKeys()).map((k) => k.id),
        ['k2']
      );
      // Re-created after a delete.
      await db.putApiKey(rec);
      assert.deepEqual(
        (await db.listApiKeys()).map((k) => k.id),
        ['k1', 'k2']
      );
      await db.deleteApiKey('k1');
      await db.deleteApiKey('k2');
      assert.deepEqual(await db.listApiKeys(), []);
    });

    it('stores budgets: create, update, list, delete', async () => {
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
      await db.putBudget({ ...rec, id: 'b2', scope: null, period: 'daily', amountMicros: 9_007_199_254_740_993n });
      await db.putBudget({ ...rec, name: 'renamed', amountMicros: 5n, updatedAt: new Date('2026-01-02T00:00:00Z') });
      const list = await db.listBudgets();
      assert.deepEqual(
        list.map((x) => [x.id, x.name, x.amountMicros, x.scope?.value ?? null, x.period, x.alertThreshold]),
        [
          ['b1', 'renamed', 5n, 'gpt-4o*', 'monthly', 0.8],
          ['b2', 'LLM monthly', 9_007_199_254_740_993n, null, 'daily', 0.8],
        ]
      );
      assert.equal(list[0]!.createdAt.toISOString(), '2026-01-01T00:00:00.000Z');
      assert.equal(list[0]!.updatedAt.toISOString(), '2026-01-02T00:00:00.000Z');
      assert.equal(await db.deleteBudget('b1'), true);
      assert.equal(await db.deleteBudget('b1'), false);
      assert.deepEqual(
        (await db.listBudgets()).map((x) => x.id),
        ['b2']
      );
      await db.deleteBudget('b2');
      assert.deepEqual(await db.listBudgets(), []);
    });
  });
}

function randomFixture(b: StorageBackend): void {
  const T0 = Date.parse('2026-02-01T10:00:00Z');
  let db: Storage;
  let rows: SpanRow[];

  async function check(q: AggregateQuery, source?: string): Promise<void> {
    const res = await db.aggregate(q);
    if (source) {
      assert.equal(res.source, source, JSON.stringify(planAggregate(q), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
    }
    const want = brute(rows, q);
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

  describe('random fixture: aggregate engine and trace search vs brute force', () => {
    before(async () => {
      db = await b.open('random', { compactAfter: 60 });
      rows = randomTraces(11, 500, T0, 2 * HOUR);
      // Uneven batches, out of time order, so rollup rows arrive as partials.
      const shuffled = [...rows].sort((x, y) => (x.spanId < y.spanId ? -1 : 1));
      let seq = 1n;
      for (let i = 0; i < shuffled.length; ) {
        const n = 1 + ((i * 7919) % 400);
        await db.applyBatch(shuffled.slice(i, i + n), seq++);
        i += n;
      }
    });
    after(() => db.close());

    it('answers every count/sum/avg/min/max from the rollup, exactly', async () => {
      for (const groupBy of [[], ['model'], ['service', 'span_kind'], ['provider', 'operation']]) {
        for (const spans of ['llm', 'root', 'all'] as const) {
          await check({ ...range(T0, T0 + 2 * HOUR), stepMs: 60_000, groupBy, filter: null, spans, measures: ALL_ROLLUP_MEASURES }, 'rollup');
        }
      }
      await check(
        { ...range(T0, T0 + 2 * HOUR), stepMs: 300_000, groupBy: ['model'], filter: parseSearch('service:checkout (model:gpt-4o* OR provider:anthropic) NOT kind:embedding'), spans: 'all', measures: ALL_ROLLUP_MEASURES },
        'rollup'
      );
      await check({ ...range(T0, T0 + 2 * HOUR), stepMs: HOUR, groupBy: ['service'], filter: null, spans: 'all', measures: ALL_ROLLUP_MEASURES }, 'rollup');
    });

    it('answers percentiles (exact, interpolated), sub-minute steps and raw-only filters and dimensions from the raw spans', async () => {
      for (const groupBy of [[], ['model'], ['user'], ['attr.user.tier']]) {
        await check({ ...range(T0, T0 + 2 * HOUR), stepMs: 600_000, groupBy, filter: null, spans: 'llm', measures: QUANTILES }, 'raw');
      }
      await check({ ...range(T0, T0 + 2 * HOUR), stepMs: 30_000, groupBy: ['service'], filter: null, spans: 'all', measures: ALL_ROLLUP_MEASURES }, 'raw');
      await check({ ...range(T0, T0 + 2 * HOUR), stepMs: 60_000, groupBy: ['model'], filter: parseSearch('status:error OR user:u1'), spans: 'all', measures: ALL_ROLLUP_MEASURES }, 'raw');
      await check(
        { ...range(T0, T0 + 2 * HOUR), stepMs: 900_000, groupBy: ['user'], filter: parseSearch('attr.user.tier=gold'), spans: 'all', measures: [...ALL_ROLLUP_MEASURES, ...QUANTILES] },
        'raw'
      );
      await check({ ...range(T0, T0 + 2 * HOUR), groupBy: ['session', 'agent', 'tool'], filter: parseSearch('duration:>100ms cost:>0 tokens:>=10'), spans: 'all', measures: ALL_ROLLUP_MEASURES }, 'raw');
    });

    it('mixes rollup minutes with raw edges for ranges that are not whole minutes', async () => {
      const from = T0 + 12_345;
      const to = T0 + HOUR + 54_321;
      await check({ ...range(from, to), groupBy: ['model'], filter: null, spans: 'all', measures: ALL_ROLLUP_MEASURES }, 'rollup+raw');
      await check({ ...range(from, to), groupBy: [], filter: parseSearch('kind:llm'), spans: 'root', measures: ALL_ROLLUP_MEASURES }, 'rollup+raw');
      await check({ ...range(T0, T0 + 2 * HOUR), groupBy: [], filter: null, spans: 'llm', measures: ALL_ROLLUP_MEASURES }, 'rollup');
      await check({ ...range(from, from + 30_000), groupBy: [], filter: null, spans: 'all', measures: ALL_ROLLUP_MEASURES }, 'raw');
      await check({ ...range(from, to), groupBy: ['service'], filter: null, spans: 'all', measures: QUANTILES }, 'raw');
      assert.deepEqual((await db.aggregate({ ...range(T0 - 10 * HOUR, T0 - 9 * HOUR), groupBy: [], filter: null, spans: 'all', measures: ALL_ROLLUP_MEASURES })).rows, []);
      assert.deepEqual((await db.aggregate({ ...range(T0 - 10 * HOUR, T0 - 9 * HOUR), groupBy: [], filter: null, spans: 'all', measures: QUANTILES })).rows, []);
    });

    it('keeps the largest groups by a measure and counts all of them', async () => {
      const q: AggregateQuery = { ...range(T0, T0 + 2 * HOUR), groupBy: ['user'], filter: null, spans: 'all', measures: [{ metric: 'cost', fn: 'sum' }] };
      const res = await db.aggregate({ ...q, maxGroups: 2, rankBy: 0 });
      const all = brute(rows, q);
      const top = [...all.entries()].sort((x, y) => y[1][0]! - x[1][0]!).slice(0, 2);
      assert.equal(res.groupCount, all.size);
      assert.deepEqual(res.rows.map((r) => [r.labels[0], r.values[0]]).sort(), top.map(([k, v]) => [k.split('|')[1], v[0]]).sort());
      // By span count, over a time series.
      const byCount = await db.aggregate({ ...q, stepMs: 600_000, groupBy: ['model'], measures: [{ metric: 'requests' }], maxGroups: 1 });
      const counts = new Map<string, number>();
      for (const [k, v] of brute(rows, { ...q, groupBy: ['model'], measures: [{ metric: 'requests' }] })) {
        counts.set(k.split('|')[1]!, v[0]!);
      }
      const biggest = [...counts.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0]![0];
      assert.equal(byCount.groupCount, counts.size);
      assert.deepEqual([...new Set(byCount.rows.map((r) => r.labels[0]))], [biggest]);
    });

    const search = (where: string, sortBy: 'time' | 'duration' | 'cost' = 'time', limit = 10_000, afterKey?: { key: bigint; traceId: string }) =>
      db.searchTraces({ fromNs: BigInt(T0 + HOUR / 2) * MS, toNs: BigInt(T0 + HOUR) * MS + 999_999n, where: parseSearch(where), sortBy, limit, after: afterKey });

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
        'provider:openai NOT (model:gpt-4o-mini OR status:error)',
      ]) {
        const got = (await search(q)).map((t) => t.traceId).sort();
        const want = bruteTraces(rows, T0 + HOUR / 2, T0 + HOUR, parseSearch(q))
          .map((t) => t.traceId)
          .sort();
        assert.deepEqual(got, want, q);
        assert.ok(q === '' || want.length < bruteTraces(rows, T0 + HOUR / 2, T0 + HOUR, null).length, `${q} filters`);
      }
    });

    it('summarizes each trace from all its spans', async () => {
      const got = await search('service:agent');
      const want = new Map(bruteTraces(rows, T0 + HOUR / 2, T0 + HOUR, parseSearch('service:agent')).map((t) => [t.traceId, t]));
      assert.equal(got.length, want.size);
      for (const t of got) {
        const w = want.get(t.traceId)!;
        assert.equal(t.startNs, w.start);
        assert.equal(t.endNs, w.end);
        assert.equal(t.spanCount, w.spans.length);
        assert.equal(t.errorCount, w.spans.filter((s) => s.statusCode === 2).length);
        assert.equal(t.costMicros === null ? null : BigInt(t.costMicros), w.cost);
        assert.equal(t.inputTokens + t.outputTokens, w.tokens);
        const sorted = [...w.spans].sort((x, y) => (x.startNs < y.startNs ? -1 : x.startNs > y.startNs ? 1 : x.spanId < y.spanId ? -1 : 1));
        assert.deepEqual(
          t.waterfall.map((s) => s.spanId),
          sorted.slice(0, 50).map((s) => s.spanId)
        );
        const models = [...new Set(w.spans.map((s) => s.responseModel ?? s.requestModel).filter((m): m is string => m !== null))].sort();
        assert.deepEqual(t.models, models);
      }
    });

    it('sorts by time, duration and cost and pages without gaps or repeats', async () => {
      const sortKey = (t: TraceSummary, s: string) => (s === 'time' ? t.startNs : s === 'duration' ? t.endNs - t.startNs : BigInt(t.costMicros ?? -1));
      for (const sortBy of ['time', 'duration', 'cost'] as const) {
        const all = await search('', sortBy);
        for (let i = 1; i < all.length; i++) {
          const x = sortKey(all[i - 1]!, sortBy);
          const y = sortKey(all[i]!, sortBy);
          assert.ok(x > y || (x === y && all[i - 1]!.traceId > all[i]!.traceId), `${sortBy} order at ${i}`);
        }
        const paged: string[] = [];
        let afterKey: { key: bigint; traceId: string } | undefined;
        for (;;) {
          const page = await search('', sortBy, 17, afterKey);
          paged.push(...page.map((t) => t.traceId));
          if (page.length < 17) {
            break;
          }
          const last = page[page.length - 1]!;
          afterKey = { key: sortKey(last, sortBy), traceId: last.traceId };
        }
        assert.deepEqual(
          paged,
          all.map((t) => t.traceId),
          sortBy
        );
      }
    });

    it('computes trace stats over the matching traces', async () => {
      for (const where of [parseSearch('kind:llm'), null, parseSearch('service:nothing')]) {
        const s = await db.traceStats({ fromNs: BigInt(T0 + HOUR / 2) * MS, toNs: BigInt(T0 + HOUR) * MS + 999_999n, where });
        const want = bruteTraces(rows, T0 + HOUR / 2, T0 + HOUR, where);
        assert.equal(s.traceCount, want.length);
        assert.equal(s.errorTraceCount, want.filter((t) => t.error).length);
        assert.equal(s.spanCount, want.reduce((a, t) => a + t.spans.length, 0));
        assert.equal(s.costMicros, Number(want.reduce((a, t) => a + (t.cost ?? 0n), 0n)));
        assert.equal(s.inputTokens, want.reduce((a, t) => a + t.spans.reduce((x, sp) => x + (sp.inputTokens ?? 0), 0), 0));
        const ms = want.map((t) => Number(t.end - t.start) / 1e6);
        if (want.length === 0) {
          assert.deepEqual(s.durationMs, { avg: null, p50: null, p90: null, p95: null, p99: null, max: null });
          continue;
        }
        for (const [got, p] of [
          [s.durationMs.p50, 0.5],
          [s.durationMs.p90, 0.9],
          [s.durationMs.p95, 0.95],
          [s.durationMs.p99, 0.99],
        ] as const) {
          assert.ok(Math.abs(got! - quantileCont(ms, p)!) < 1e-9, `p${p * 100}: ${got} vs ${quantileCont(ms, p)}`);
        }
        assert.ok(Math.abs(s.durationMs.avg! - ms.reduce((a, x) => a + x, 0) / ms.length) < 1e-9);
        assert.equal(s.durationMs.max, Math.max(...ms));
      }
    });
  });
}

function otherStores(b: StorageBackend): void {
  const T0 = Date.parse('2026-02-01T10:00:00Z');
  describe('retention and persistence', () => {
    it('keeps data across reopen', async () => {
      const A = hex(16);
      const s1 = await b.open('reopen');
      await s1.applyBatch(rowsOf([{ traceId: A, name: 'x', startMs: 0, durMs: 1 }]), 7n);
      await s1.close();
      const s2 = await b.open('reopen');
      try {
        assert.equal(await s2.appliedSeq(), 7n);
        assert.deepEqual(
          (await s2.getTrace(A)).map((s) => s.name),
          ['x']
        );
      } finally {
        await s2.close();
      }
    });

    it('deletes by retention cutoff and keeps rollups, search and stats consistent', async () => {
      const s = await b.open('retention', { compactAfter: 10 });
      try {
        const mine = randomTraces(5, 200, T0, HOUR);
        await s.applyBatch(mine.slice(0, 400), 1n);
        await s.applyBatch(mine.slice(400), 2n);
        const cutoff = BigInt(T0 + 20 * 60_000 + 30_000) * MS; // mid-minute
        const kept = mine.filter((r) => r.startNs >= cutoff);
        assert.equal(await s.deleteBefore(cutoff), mine.length - kept.length);
        assert.equal(await s.deleteBefore(cutoff), 0);
        assert.equal((await s.status()).spanCount, kept.length);
        const q: AggregateQuery = { ...range(T0, T0 + HOUR), stepMs: 60_000, groupBy: ['model'], filter: null, spans: 'all', measures: ALL_ROLLUP_MEASURES };
        const viaRollup = await s.aggregate(q);
        assert.equal(viaRollup.source, 'rollup');
        const want = brute(kept, q);
        assert.equal(viaRollup.rows.length, want.size);
        const round = (v: number | null) => (v === null ? null : Math.round(v * 1e6) / 1e6);
        for (const r of viaRollup.rows) {
          assert.deepEqual(r.values.map(round), want.get([String(r.bucketMs), ...r.labels].join('|'))!.map(round));
        }
        // Hourly rollup too (no step: whole hour from rollup_1h).
        const hq: AggregateQuery = { ...range(T0, T0 + HOUR), groupBy: [], filter: null, spans: 'all', measures: [{ metric: 'requests' }, { metric: 'cost', fn: 'sum' }] };
        const h = await s.aggregate(hq);
        assert.deepEqual(h.rows[0]!.values.map(round), brute(kept, hq).get('')!.map(round));
        const llmTraces = new Set(kept.filter((r) => r.spanKind === 'llm').map((r) => r.traceId)).size;
        const afterCut = await s.searchTraces({ fromNs: BigInt(T0) * MS, toNs: BigInt(T0 + HOUR) * MS, where: parseSearch('kind:llm'), sortBy: 'cost', limit: 1000 });
        assert.equal(afterCut.length, llmTraces);
        const st = await s.traceStats({ fromNs: BigInt(T0) * MS, toNs: BigInt(T0 + HOUR) * MS, where: null });
        assert.equal(st.spanCount, kept.length);
      } finally {
        await s.close();
      }
    });
  });
}
