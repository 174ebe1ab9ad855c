// REST API against the real service, seeded with the demo data over OTLP/HTTP JSON.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FrameJSON, QueryResponseJSON } from '@pyflare/query-model';
import { buildDemoRequests, seedDemo } from '../demo/seed.js';
import { jsonBody } from '../testing/otlp.js';
import { auth, getJson, postJson, startTestService, TEST_API_KEY, type TestService } from '../testing/service.js';

const NOW = Date.parse('2026-01-15T12:00:00Z');
let svc: TestService;
let seeded: { traces: number; spans: number; traceIds: string[] };

before(async () => {
  svc = await startTestService();
  seeded = await seedDemo({ url: svc.otlpUrl, apiKey: TEST_API_KEY, seed: 7, traces: 30, now: NOW });
  await svc.service.intake.flush();
});
after(async () => {
  await svc.stop();
});

const RANGE = { from: NOW - 3_600_000, to: NOW };

async function query(queries: unknown[], headers: Record<string, string> = {}): Promise<{ status: number; body: QueryResponseJSON }> {
  const res = await postJson(`${svc.apiUrl}/api/v1/query`, { queries }, headers);
  return { status: res.status, body: (await res.json()) as QueryResponseJSON };
}

function column(frame: FrameJSON, name: string): unknown[] {
  const i = frame.schema.fields.findIndex((f) => f.name === name);
  assert.ok(i >= 0, `field ${name}`);
  return frame.data.values[i]!;
}

describe('demo seed', () => {
  it('is deterministic for a seed and clock', () => {
    const a = buildDemoRequests({ seed: 7, now: NOW });
    const b = buildDemoRequests({ seed: 7, now: NOW });
    assert.deepEqual(a, b);
    assert.notDeepEqual(buildDemoRequests({ seed: 8, now: NOW }).traceIds, a.traceIds);
    assert.equal(a.traceIds.length, 30);
    assert.equal(a.requests.length, 3, 'one request per service');
  });
});

describe('REST API', () => {
  it('serves health, readiness and the status', async () => {
    assert.equal((await getJson(`${svc.apiUrl}/healthz`, {})).status, 200);
    assert.deepEqual((await getJson(`${svc.apiUrl}/readyz`, {})).body, { status: 'ready' });
    const st = await getJson<Record<string, unknown>>(`${svc.apiUrl}/api/v1/status`);
    assert.equal(st.status, 200);
    assert.equal(st.body.version, '0.1.0');
    assert.equal(st.body.storage, 'duckdb');
    assert.deepEqual(st.body.scopes, ['ingest', 'read', 'admin']);
    assert.equal(st.body.spanCount, seeded.spans);
    assert.match(String(st.body.lastSpanTime), /^2026-01-15T1\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('answers per refId: trace list, trace, metrics and validation errors', async () => {
    const r = await query([
      { refId: 'A', timeRange: RANGE, query: { queryType: 'traces', pluginVersion: '1', limit: 100 } },
      { refId: 'B', timeRange: RANGE, query: { queryType: 'traces', limit: 0 } },
      { refId: 'M', timeRange: RANGE, query: { queryType: 'metrics', pluginVersion: '1' } },
      { refId: 'D', timeRange: RANGE, query: { queryType: 'trace', traceId: seeded.traceIds[0], pluginVersion: '1' } },
      { refId: 'E', timeRange: RANGE, query: { queryType: 'traces', pluginVersion: '1', search: 'colour:red' } },
    ]);
    assert.equal(r.status, 200);
    const A = r.body.results.A!;
    assert.equal(A.status, 200);
    const list = A.frames![0]!;
    assert.equal(list.schema.name, 'traces');
    assert.equal(column(list, 'traceID').length, 30);
    assert.deepEqual(new Set(column(list, 'serviceName')), new Set(['support-agent', 'checkout-api', 'rag-search']));
    const starts = column(list, 'startTime') as number[];
    assert.deepEqual([...starts].sort((x, y) => y - x), starts, 'newest first');
    assert.equal((column(list, 'status') as string[]).filter((s) => s === 'error').length, 1);
    const costs = column(list, 'costUsd') as Array<number | null>;
    const statuses = column(list, 'status') as string[];
    assert.ok(costs.every((c, i) => statuses[i] === 'error' || (c !== null && c > 0)), 'every successful demo trace has priced LLM calls');

    assert.deepEqual(r.body.results.B, { status: 400, error: 'limit: Too small: expected number to be >=1', errorSource: 'downstream' });
    assert.equal(r.body.results.M!.status, 200);
    const D = r.body.results.D!.frames![0]!;
    assert.equal(D.schema.name, 'trace');
    assert.ok(column(D, 'spanID').length >= 3);
    assert.deepEqual(new Set(column(D, 'traceID')), new Set([seeded.traceIds[0]]));
    assert.equal(r.body.results.E!.status, 400);
    assert.match(r.body.results.E!.error!, /^search: unknown key "colour"/);
  });

  it('filters traces by the query fields and the search string', async () => {
    const ids = async (q: Record<string, unknown>) => {
      const r = await query([{ refId: 'A', timeRange: RANGE, query: { queryType: 'traces', pluginVersion: '1', ...q } }]);
      assert.equal(r.body.results.A!.status, 200, r.body.results.A!.error);
      return column(r.body.results.A!.frames![0]!, 'traceID') as string[];
    };
    const all = await ids({});
    const err = await ids({ status: 'error' });
    assert.equal(err.length, 1);
    assert.deepEqual(await ids({ search: 'status:error' }), err);
    const claude = await ids({ modelId: 'claude-*' });
    assert.ok(claude.length > 0 && claude.length < all.length);
    const checkout = await ids({ serviceName: 'checkout-api' });
    const listed = await query([{ refId: 'A', timeRange: RANGE, query: { queryType: 'traces', pluginVersion: '1' } }]);
    const frame = listed.body.results.A!.frames![0]!;
    const svcCol = column(frame, 'serviceName');
    assert.deepEqual(
      new Set(checkout),
      new Set((column(frame, 'traceID') as string[]).filter((_, i) => svcCol[i] === 'checkout-api'))
    );
    assert.ok(checkout.length > 0);
    assert.deepEqual(await ids({ search: 'service:checkout-api' }), checkout);
    assert.deepEqual(await ids({ search: 'kind:tool' }), await ids({ search: 'execute_tool' }));
    assert.equal((await ids({ limit: 5 })).length, 5);
    const slow = await ids({ minDurationMs: 3000 });
    assert.ok(slow.length > 0 && slow.length < all.length);
    assert.equal((await ids({ maxDurationMs: 1 })).length, 0);
    // Legacy query fields of PyFlare's original data source are migrated.
    assert.deepEqual(await query([{ refId: 'L', timeRange: RANGE, query: { queryType: 'traces', serviceName: 'checkout-api', minDuration: '0' } }]).then((r) => column(r.body.results.L!.frames![0]!, 'traceID')), checkout);
    const byCost = await query([{ refId: 'A', timeRange: RANGE, query: { queryType: 'traces', pluginVersion: '1', sortBy: 'cost' } }]);
    const costs = column(byCost.body.results.A!.frames![0]!, 'costUsd') as number[];
    assert.deepEqual([...costs].sort((x, y) => y - x), costs);
  });

  it('puts the datasource UID from the header into the trace link', async () => {
    const r = await query([{ refId: 'A', timeRange: RANGE, query: { queryType: 'traces', limit: 1 } }], { 'x-pyflare-datasource-uid': 'abc' });
    const links = r.body.results.A!.frames![0]!.schema.fields[0]!.config!.links as Array<{ internal: { datasourceUid: string } }>;
    assert.equal(links[0]!.internal.datasourceUid, 'abc');
  });

  it('rejects a malformed query request naming the field', async () => {
    const res = await postJson(`${svc.apiUrl}/api/v1/query`, { queries: [{ refId: 'A', timeRange: { from: 'x', to: 1 }, query: {} }] });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error: string }).error, /^queries\.0\.timeRange\.from: /);
  });

  it('searches and fetches traces over GET', async () => {
    const r = await getJson<{ traces: Array<Record<string, unknown>> }>(
      `${svc.apiUrl}/api/v1/traces?from=${RANGE.from}&to=${RANGE.to}&search=service:rag-search&limit=3`
    );
    assert.equal(r.status, 200);
    assert.equal(r.body.traces.length, 3);
    assert.ok(r.body.traces.every((t) => t.serviceName === 'rag-search'));
    const id = String(r.body.traces[0]!.traceId);
    const t = await getJson<{ traceId: string; spans: Array<Record<string, any>> }>(`${svc.apiUrl}/api/v1/traces/${id}`);
    assert.equal(t.status, 200);
    assert.equal(t.body.traceId, id);
    const emb = t.body.spans.find((s) => s.spanKind === 'embedding');
    assert.equal(emb?.requestModel, 'text-embedding-3-small');
    assert.equal(emb?.cost.source, 'computed');
    assert.equal((await getJson(`${svc.apiUrl}/api/v1/traces/${'f'.repeat(32)}`)).status, 404);
    const bad = await getJson<{ error: string }>(`${svc.apiUrl}/api/v1/traces/xyz`);
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /traceId: must be 32 hex characters/);
    const badLimit = await getJson<{ error: string }>(`${svc.apiUrl}/api/v1/traces?limit=abc`);
    assert.equal(badLimit.status, 400);
    assert.equal(badLimit.body.error, 'limit: must be a number');
  });

  it('serves the catalogs', async () => {
    const services = await getJson<{ values: string[] }>(`${svc.apiUrl}/api/v1/catalog/services`);
    assert.deepEqual(services.body.values, ['checkout-api', 'rag-search', 'support-agent']);
    const models = await getJson<{ values: string[] }>(`${svc.apiUrl}/api/v1/catalog/models`);
    assert.ok(models.body.values.includes('gpt-4o-2024-08-06') && models.body.values.includes('claude-sonnet-4-20250514'));
    const keys = await getJson<{ values: string[] }>(`${svc.apiUrl}/api/v1/catalog/attribute-keys`);
    assert.ok(keys.body.values.includes('gen_ai.request.model'));
    const vals = await getJson<{ values: string[] }>(`${svc.apiUrl}/api/v1/catalog/attribute-values?key=gen_ai.tool.name`);
    assert.deepEqual(vals.body.values, ['search_orders']);
    const missing = await getJson<{ error: string }>(`${svc.apiUrl}/api/v1/catalog/attribute-values`);
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, 'key: is required');
    const unknown = await getJson<{ error: string }>(`${svc.apiUrl}/api/v1/catalog/models?from=1&foo=bar`);
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error, 'foo: unknown parameter');
    const negative = await getJson<{ error: string }>(`${svc.apiUrl}/api/v1/catalog/services?from=-1`);
    assert.equal(negative.body.error, 'from: must be >= 0');
  });

  it('exposes Prometheus metrics', async () => {
    const res = await fetch(`${svc.apiUrl}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    const text = await res.text();
    assert.match(text, new RegExp(`^pyflare_spans_accepted_total\\{protocol="http"\\} ${seeded.spans}$`, 'm'));
    assert.match(text, /^pyflare_queue_depth_spans 0$/m);
    assert.match(text, /^pyflare_wal_commit_seconds_count \d+$/m);
    assert.match(text, /^pyflare_storage_apply_seconds_count [1-9]\d*$/m);
    assert.match(text, /^pyflare_storage_size_bytes [1-9]\d*$/m);
    // Where the memory is: the whole process, the V8 heap, and DuckDB's buffer manager.
    const memory = (area: string) => Number(new RegExp(`^pyflare_process_memory_bytes\\{area="${area}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
    assert.ok(memory('rss') > 50 * 1048576, `rss ${memory('rss')}`);
    assert.ok(memory('heap_used') > 0 && memory('heap_used') <= memory('heap_total'));
    assert.ok(memory('heap_total') < memory('rss'));
    assert.ok(memory('duckdb') > 0 && memory('duckdb') < memory('rss'), `duckdb ${memory('duckdb')}`);
    assert.match(text, /^pyflare_llm_requests_total\{provider="anthropic",model="claude-sonnet-4-20250514",service="support-agent"\} \d+$/m);
    assert.match(text, /^pyflare_llm_tokens_total\{provider="openai",model="gpt-4o-2024-08-06",service="\w[\w-]+",type="cache_read"\} \d+$/m);
    assert.match(text, /^pyflare_llm_cost_usd_total\{provider="openai",model="gpt-4o-mini-2024-07-18",service="checkout-api"\} [\d.e-]+$/m);
  });

  it('times storage checkpoints', async () => {
    // A checkpoint after every apply (the shared service checkpoints every 10 s).
    const small = await startTestService({}, { checkpointBytes: 1 });
    try {
      assert.equal((await postJson(`${small.otlpUrl}/v1/traces`, jsonBody([{ name: 'one' }]))).status, 200);
      await small.service.intake.flush();
      const text = await (await fetch(`${small.apiUrl}/metrics`)).text();
      assert.match(text, /^pyflare_storage_checkpoint_seconds_count [1-9]\d*$/m);
      assert.match(text, /^pyflare_storage_checkpoint_seconds_bucket\{le="\+Inf"\} [1-9]\d*$/m);
    } finally {
      await small.stop();
    }
  });

  it('enforces auth on the API with clear messages', async () => {
    const none = await getJson<{ error: string }>(`${svc.apiUrl}/api/v1/status`, {});
    assert.equal(none.status, 401);
    assert.match(none.body.error, /missing API key/);
    const wrong = await getJson<{ error: string }>(`${svc.apiUrl}/api/v1/status`, { 'x-api-key': 'wrong' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error, 'unknown API key');
    const created = await postJson(`${svc.apiUrl}/api/v1/keys`, { name: 'ingest-only', scopes: ['ingest'] });
    assert.equal(created.status, 201);
    const { id, key } = (await created.json()) as { id: string; key: string };
    const forbidden = await getJson<{ error: string }>(`${svc.apiUrl}/api/v1/status`, auth(key));
    assert.equal(forbidden.status, 403);
    assert.match(forbidden.body.error, /lacks the "read" scope/);
    const list = await getJson<{ keys: Array<{ id: string; name: string; keyHash?: string }> }>(`${svc.apiUrl}/api/v1/keys`);
    assert.ok(list.body.keys.some((k) => k.id === id && k.name === 'ingest-only'));
    assert.ok(list.body.keys.every((k) => k.keyHash === undefined), 'hashes are not exposed');
    assert.equal((await getJson(`${svc.apiUrl}/api/v1/keys`, auth(key))).status, 403);
    const badKey = await postJson(`${svc.apiUrl}/api/v1/keys`, { name: 'x', scopes: ['root'] });
    assert.equal(badKey.status, 400);
    assert.equal(((await badKey.json()) as { error: string }).error, 'scopes.0: must be one of ingest, read, admin');
    const extraField = await postJson(`${svc.apiUrl}/api/v1/keys`, { name: 'x', scopes: ['read'], expires: 1 });
    assert.equal(extraField.status, 400);
    assert.equal(((await extraField.json()) as { error: string }).error, 'expires: unknown field');
    const notObject = await postJson(`${svc.apiUrl}/api/v1/keys`, ['read']);
    assert.equal(((await notObject.json()) as { error: string }).error, 'body: must be an object');
    const del = await fetch(`${svc.apiUrl}/api/v1/keys/${id}`, { method: 'DELETE', headers: auth() });
    assert.equal(del.status, 204);
    assert.equal((await getJson(`${svc.apiUrl}/api/v1/status`, auth(key))).status, 401);
    assert.equal((await getJson(`${svc.apiUrl}/nope`)).status, 404);
  });
});

describe('auth disabled', () => {
  it('lets requests through without a key', async () => {
    const open = await startTestService({ authDisabled: true, apiKey: undefined });
    try {
      assert.equal((await getJson(`${open.apiUrl}/api/v1/status`, {})).status, 200);
    } finally {
      await open.stop();
    }
  });
});
