import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { normalizeRequest } from '../normalize/index.js';
import { hex, request, span, type AttrValue } from '../testing/otlp.js';
import { makeTempDir } from '../testing/service.js';
import { parseSearch } from '../search/parser.js';
import { DuckDbStorage, globToLike } from './duckdb.js';
import type { SpanRow, TraceSearch } from './types.js';

const MS = 1_000_000n;
const T0 = BigInt(Date.parse('2026-01-10T00:00:00Z')) * MS;

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
  return specs.flatMap((s) =>
    normalizeRequest(
      request(
        [
          span({
            traceId: s.traceId,
            spanId: s.spanId ?? hex(8),
            parentSpanId: s.parent ?? '',
            name: s.name,
            startTimeUnixNano: T0 + BigInt(s.startMs) * MS,
            endTimeUnixNano: T0 + BigInt(s.startMs + s.durMs) * MS,
            attrs: s.attrs,
            status: s.error ? { code: 2, message: 'failed' } : { code: 0, message: '' },
          }),
        ],
        { 'service.name': s.service ?? 'svc-a' }
      ),
      { nowNs: T0 + 86_400_000n * MS }
    ).rows
  );
}

const A = hex(16);
const B = hex(16);
const C = hex(16);
const rootA = hex(8);
const rootB = hex(8);
let dir: string;
let db: DuckDbStorage;

const base: TraceSearch = {
  fromNs: T0,
  toNs: T0 + 3_600_000n * MS,
  where: null,
  sortBy: 'time',
  limit: 100,
};

before(async () => {
  dir = await makeTempDir('pyflare-duck-');
  db = await DuckDbStorage.open({ dataDir: dir });
  await db.applyBatch(
    rowsOf([
      { traceId: A, spanId: rootA, name: 'POST /chat', startMs: 1000, durMs: 3000, service: 'checkout' },
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
        },
      },
      { traceId: B, spanId: rootB, name: 'GET /search', startMs: 2000, durMs: 500, service: 'search', error: true },
      {
        traceId: B,
        parent: rootB,
        name: 'chat claude',
        startMs: 2100,
        durMs: 300,
        service: 'search',
        attrs: { 'gen_ai.request.model': 'claude-sonnet-4-20250514', 'gen_ai.usage.input_tokens': 7, 'tenant.id': 'globex' },
      },
    ]),
    1n
  );
  // Outside the search window.
  await db.applyBatch(rowsOf([{ traceId: C, name: 'old', startMs: -86_400_000, durMs: 10 }]), 2n);
});

after(async () => {
  await db.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('DuckDbStorage', () => {
  it('records the applied WAL seq', async () => {
    assert.equal(await db.appliedSeq(), 2n);
  });

  it('reads a trace back losslessly', async () => {
    const spans = await db.getTrace(A.toUpperCase());
    assert.equal(spans.length, 2);
    const [root, llm] = spans;
    assert.equal(root!.spanId, rootA);
    assert.equal(root!.parentSpanId, '');
    assert.equal(root!.startNs, T0 + 1000n * MS);
    assert.equal(typeof root!.startNs, 'bigint');
    assert.equal(llm!.parentSpanId, rootA);
    assert.equal(llm!.spanKind, 'llm');
    assert.equal(llm!.costMicros, 500_000);
    assert.equal(llm!.costSource, 'provided');
    assert.equal(llm!.inputTokens, 100);
    assert.deepEqual(llm!.finishReasons, []);
    assert.equal(JSON.parse(llm!.attributes)['tenant.id'], 'acme');
    assert.equal(llm!.service, 'checkout');
  });

  it('summarizes traces in the window, newest first', async () => {
    const traces = await db.searchTraces(base);
    assert.deepEqual(traces.map((t) => t.traceId), [B, A]);
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
    assert.deepEqual(a.waterfall.map((w) => [w.spanId === rootA, w.startNs - a.startNs]), [
      [true, 0n],
      [false, 100n * MS],
    ]);
    assert.equal(traces[0]!.costMicros, null);
    assert.equal(traces[0]!.errorCount, 1);
  });

  it('filters by span terms, status and duration', async () => {
    const ids = async (q: Partial<TraceSearch>) => (await db.searchTraces({ ...base, ...q })).map((t) => t.traceId);
    const w = (q: string) => ({ where: parseSearch(q) });
    assert.deepEqual(await ids(w('service:checkout')), [A]);
    assert.deepEqual(await ids(w('model:GPT-4o*')), [A]);
    assert.deepEqual(await ids(w('model:claude-*')), [B]);
    assert.deepEqual(await ids(w('model:gpt-4')), []);
    assert.deepEqual(await ids(w('model:GPT-4O-2024-08-06')), [A], 'models match case-insensitively');
    assert.deepEqual(await ids(w('model:GPT-4O-2024-08-06 tenant.id:acme')), [A], 'also on the span path');
    assert.deepEqual(await ids(w('model:gpt-4o-*-06')), [A]);
    assert.deepEqual(await ids(w('model:*-20250514 OR service:nothing')), [B]);
    assert.deepEqual(await ids(w('name:search')), [B]);
    assert.deepEqual(await ids(w('tenant.id:acme')), [A]);
    assert.deepEqual(await ids(w('kind:llm')), [B, A]);
    assert.deepEqual(await ids(w('-service:checkout')), [B]);
    assert.deepEqual(await ids(w('service:checkout model:claude*')), []);
    assert.deepEqual(await ids(w('service:checkout OR model:claude*')), [B, A]);
    assert.deepEqual(await ids(w('status:error')), [B]);
    assert.deepEqual(await ids(w('status:ok')), [A]);
    assert.deepEqual(await ids(w('duration:>=1000ms')), [A]);
    assert.deepEqual(await ids(w('duration:<=500ms')), [B]);
    assert.deepEqual(await ids(w('cost:>=0.5')), [A]);
    assert.deepEqual(await ids(w('tokens:>100')), [A]);
    assert.deepEqual(await ids({ sortBy: 'duration' }), [A, B]);
    assert.deepEqual(await ids({ sortBy: 'cost' }), [A, B]);
    assert.deepEqual(await ids({ limit: 1 }), [B]);
    assert.deepEqual(await ids({ fromNs: T0 - 2n * 86_400_000n * MS }), [B, A, C]);
  });

  it('treats SQL wildcards in user input literally', () => {
    assert.equal(globToLike('gpt-4o*'), 'gpt-4o%');
    assert.equal(globToLike('a_b%c\\'), 'a\\_b\\%c\\\\');
  });

  it('serves the catalogs', async () => {
    assert.deepEqual(await db.services(), ['checkout', 'search', 'svc-a']);
    assert.deepEqual(await db.services({ fromNs: T0 }), ['checkout', 'search']);
    assert.deepEqual(await db.models(), ['claude-sonnet-4-20250514', 'gpt-4o-2024-08-06']);
    const keys = await db.attributeKeys();
    assert.ok(keys.includes('tenant.id') && keys.includes('gen_ai.request.model'), keys.join(','));
    assert.deepEqual(await db.attributeValues('tenant.id'), ['acme', 'globex']);
    assert.deepEqual(await db.attributeValues('no"such\\key'), []);
  });

  it('reports status and size', async () => {
    const st = await db.status();
    assert.equal(st.spanCount, 5);
    assert.equal(st.lastSpanNs, T0 + 2100n * MS);
    assert.ok((await db.sizeBytes()) > 0);
  });

  it('stores API keys', async () => {
    const rec = { id: 'k1', name: 'ci', keyHash: 'ab'.repeat(32), scopes: ['ingest' as const], createdAt: new Date('2026-01-01T00:00:00Z') };
    await db.putApiKey(rec);
    await db.putApiKey({ ...rec, scopes: ['ingest', 'read'] });
    const keys = await db.listApiKeys();
    assert.equal(keys.length, 1);
    assert.deepEqual(keys[0]!.scopes, ['ingest', 'read']);
    assert.equal(keys[0]!.createdAt.toISOString(), '2026-01-01T00:00:00.000Z');
    assert.equal(await db.deleteApiKey('k1'), true);
    assert.equal(await db.deleteApiKey('k1'), false);
  });

  it('keeps data across reopen and deletes by retention cutoff', async () => {
    const d2 = await makeTempDir('pyflare-duck2-');
    try {
      const s1 = await DuckDbStorage.open({ dataDir: d2 });
      await s1.applyBatch(rowsOf([{ traceId: A, name: 'x', startMs: 0, durMs: 1 }, { traceId: B, name: 'y', startMs: 5000, durMs: 1 }]), 7n);
      await s1.close();
      const s2 = await DuckDbStorage.open({ dataDir: d2 });
      assert.equal(await s2.appliedSeq(), 7n);
      assert.equal((await s2.status()).spanCount, 2);
      assert.equal(await s2.deleteBefore(T0 + 1000n * MS), 1);
      assert.deepEqual((await s2.getTrace(B)).map((s) => s.name), ['y']);
      await s2.close();
    } finally {
      await fs.rm(d2, { recursive: true, force: true });
    }
  });
});
