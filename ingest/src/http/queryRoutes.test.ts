// The query REST API and the metrics/costs query types against the real service, seeded with
// the demo data over OTLP. Every answer is checked against the zod schema the OpenAPI
// document is generated from.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { z } from 'zod';
import type { QueryResponseJSON } from '@pyflare/query-model';
import { seedDemo } from '../demo/seed.js';
import { auth, getJson, postJson, startTestService, TEST_API_KEY, type TestService } from '../testing/service.js';
import { dataFrameFromJSON, isTimeSeriesFrame } from '../testing/grafanaData.js';
import * as api from './api.js';

const NOW = Date.parse('2026-01-15T12:00:00Z');
const RANGE = { from: NOW - 3_600_000, to: NOW };
let svc: TestService;
let traceIds: string[];
let readKey: string;

before(async () => {
  svc = await startTestService({}, { now: () => NOW });
  traceIds = (await seedDemo({ url: svc.otlpUrl, apiKey: TEST_API_KEY, seed: 9, traces: 40, now: NOW })).traceIds;
  await svc.service.intake.flush();
  const created = await postJson(`${svc.apiUrl}/api/v1/keys`, { name: 'reader', scopes: ['read'] });
  readKey = ((await created.json()) as { key: string }).key;
});
after(async () => {
  await svc.stop();
});

async function get<S extends z.ZodType>(schema: S, path: string, headers = auth()): Promise<z.output<S>> {
  const r = await getJson(`${svc.apiUrl}${path}`, headers);
  assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
  const parsed = schema.safeParse(r.body);
  assert.ok(parsed.success, `${path}: ${parsed.success ? '' : JSON.stringify(parsed.error.issues)}`);
  return parsed.data;
}

async function bad(path: string, pattern: RegExp): Promise<Record<string, unknown>> {
  const r = await getJson<Record<string, unknown>>(`${svc.apiUrl}${path}`);
  assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.body)}`);
  assert.match(String(r.body.error), pattern);
  return r.body;
}

const qs = (o: Record<string, string | number>) => new URLSearchParams(Object.entries(o).map(([k, v]): [string, string] => [k, String(v)])).toString();

describe('OpenAPI', () => {
  it('documents every query resource with its parameters', async () => {
    const doc = (await getJson<Record<string, any>>(`${svc.apiUrl}/api/v1/openapi.json`, {})).body;
    assert.equal(doc.openapi, '3.1.0');
    for (const p of [
      '/api/v1/traces',
      '/api/v1/traces/stats',
      '/api/v1/traces/{traceId}',
      '/api/v1/traces/{traceId}/timeline',
      '/api/v1/metrics',
      '/api/v1/query',
      '/api/v1/costs/summary',
      '/api/v1/costs/breakdown',
      '/api/v1/costs/timeline',
      '/api/v1/costs/forecast',
      '/api/v1/costs/budgets',
      '/api/v1/costs/budgets/{id}',
    ]) {
      assert.ok(doc.paths[p], p);
    }
    const metric = doc.paths['/api/v1/metrics'].get.parameters.find((x: { name: string }) => x.name === 'metric');
    assert.ok(metric.schema.enum.includes('latency_ms'));
    assert.equal(doc.paths['/api/v1/traces'].get.parameters.find((x: { name: string }) => x.name === 'limit').schema.type, 'integer');
    assert.ok(doc.components.schemas.BudgetInput.properties.period.enum.includes('monthly'));
    assert.ok(doc.components.schemas.PyflareQuery);
  });
});

describe('traces REST', () => {
  it('pages through a search with a stable cursor', async () => {
    const all = await get(api.tracesResponse, `/api/v1/traces?${qs({ ...RANGE, limit: 100 })}`);
    assert.equal(all.traces.length, 40);
    assert.equal(all.nextCursor, null);
    for (const sortBy of ['time', 'cost', 'duration']) {
      const full = await get(api.tracesResponse, `/api/v1/traces?${qs({ ...RANGE, sortBy, limit: 100 })}`);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: z.output<typeof api.tracesResponse> = await get(
          api.tracesResponse,
          `/api/v1/traces?${qs({ sortBy, limit: 7, ...(cursor ? { cursor } : RANGE) })}`
        );
        assert.ok(page.traces.length <= 7);
        seen.push(...page.traces.map((t) => t.traceId));
        cursor = page.nextCursor;
      } while (cursor);
      assert.deepEqual(seen, full.traces.map((t) => t.traceId), sortBy);
    }
    const first = await get(api.tracesResponse, `/api/v1/traces?${qs({ ...RANGE, limit: 5, search: 'kind:llm' })}`);
    assert.ok(first.nextCursor);
    await bad(`/api/v1/traces?${qs({ limit: 5, search: 'kind:tool', cursor: first.nextCursor! })}`, /^cursor: belongs to a different search/);
    await bad(`/api/v1/traces?cursor=nonsense`, /^cursor: not a cursor/);
    // A tampered cursor (its range beyond 64-bit nanoseconds, or reversed) is refused too.
    const body = JSON.parse(Buffer.from(first.nextCursor!, 'base64url').toString('utf8')) as Record<string, unknown>;
    for (const change of [{ to: 1e19 }, { from: -1e300 }, { from: Number(body.to) + 1 }, { key: '9'.repeat(30) }]) {
      const tampered = Buffer.from(JSON.stringify({ ...body, ...change })).toString('base64url');
      await bad(`/api/v1/traces?${qs({ limit: 5, search: 'kind:llm', cursor: tampered })}`, /^cursor: not a cursor/);
    }
  });

  it('refuses time and duration bounds beyond 64-bit nanoseconds (year 2262)', async () => {
    await bad(`/api/v1/traces?${qs({ from: 0, to: 9223372036854 })}`, /^to: must be <= 9223372036853 \(epoch ms; times are 64-bit nanoseconds/);
    await bad(`/api/v1/traces?minDurationMs=1e300`, /^minDurationMs: must be <= 9223372036853/);
    await bad(`/api/v1/traces?maxDurationMs=1e13`, /^maxDurationMs: must be <= /);
    await bad(`/api/v1/traces?${qs({ search: `cost:>${'9'.repeat(40)}` })}`, /^search: cost ".*" is too large/);
    const edge = await get(api.tracesResponse, `/api/v1/traces?${qs({ from: 0, to: 9223372036853, limit: 100 })}`);
    assert.equal(edge.traces.length, 40, 'the largest bound still answers');
  });

  it('answers search errors with the offset and what was expected', async () => {
    const body = await bad(`/api/v1/traces?${qs({ search: 'service:checkout (model:gpt* OR' })}`, /^search: unexpected end of input at offset 31/);
    assert.equal(body.offset, 31);
    assert.ok((body.expected as string[]).includes('term'));
    await bad(`/api/v1/traces?colour=red`, /^colour: unknown parameter$/);
    await bad(`/api/v1/traces?limit=5000`, /^limit: must be <= 1000$/);
    await bad(`/api/v1/metrics?metric=bogus`, /^metric: must be one of request_count, /);
    await bad(`/api/v1/catalog/services?foo=1`, /^foo: unknown parameter$/);
    await bad(`/api/v1/traces?limit=0`, /^limit: /);
    await bad(`/api/v1/traces?${qs({ from: 10, to: 5 })}`, /^to: must be after from/);
  });

  it('filters with the full language', async () => {
    const ids = async (search: string) => (await get(api.tracesResponse, `/api/v1/traces?${qs({ ...RANGE, search, limit: 100 })}`)).traces.map((t) => t.traceId);
    const all = await ids('');
    const rag = await ids('service:rag-search');
    const agent = await ids('service:support-agent');
    assert.deepEqual((await ids('service:rag-search OR service:support-agent')).sort(), [...rag, ...agent].sort());
    assert.deepEqual((await ids('NOT (service:rag-search OR service:support-agent)')).sort(), all.filter((x) => !rag.includes(x) && !agent.includes(x)).sort());
    const costly = await get(api.tracesResponse, `/api/v1/traces?${qs({ ...RANGE, search: 'cost:>0.001 tokens:>=100', limit: 100 })}`);
    assert.ok(costly.traces.length > 0 && costly.traces.every((t) => t.costUsd! > 0.001 && t.totalTokens >= 100));
  });

  it('serves stats and the timeline of a trace', async () => {
    const list = await get(api.tracesResponse, `/api/v1/traces?${qs({ ...RANGE, limit: 100 })}`);
    const stats = await get(api.traceStatsResponse, `/api/v1/traces/stats?${qs(RANGE)}`);
    assert.equal(stats.traceCount, 40);
    assert.equal(stats.errorTraceCount, list.traces.filter((t) => t.status === 'error').length);
    assert.equal(stats.spanCount, list.traces.reduce((a, t) => a + t.spanCount, 0));
    assert.ok(Math.abs(stats.costUsd - list.traces.reduce((a, t) => a + (t.costUsd ?? 0), 0)) < 1e-9);
    assert.equal(stats.durationMs.max, Math.max(...list.traces.map((t) => t.durationMs)));

    const t = list.traces.find((x) => x.spanCount >= 3)!;
    const tl = await get(api.timelineResponse, `/api/v1/traces/${t.traceId}/timeline`);
    assert.equal(tl.spans.length, t.spanCount);
    assert.equal(tl.spans[0]!.depth, 0);
    assert.equal(tl.spans[0]!.offsetMs, 0);
    assert.equal(tl.criticalPath[0], tl.spans[0]!.spanId);
    assert.ok(tl.spans.every((s) => s.selfTimeMs >= 0 && s.selfTimeMs <= s.durationMs + 1e-9));
    assert.equal((await getJson(`${svc.apiUrl}/api/v1/traces/${'e'.repeat(32)}/timeline`)).status, 404);
    await get(api.traceResponse, `/api/v1/traces/${traceIds[0]}`);
  });
});

describe('metrics REST and query type', () => {
  it('serves time series that match the trace data', async () => {
    const m = await get(api.metricsResponse, `/api/v1/metrics?${qs({ ...RANGE, metric: 'request_count', groupBy: 'model,provider' })}`);
    assert.equal(m.stepMs, 60_000);
    assert.equal(m.timestamps.length, 60);
    assert.ok(m.series.length >= 3);
    assert.ok(m.series.every((s) => s.labels.model !== undefined && s.labels.provider !== undefined));
    const stats = await get(api.traceStatsResponse, `/api/v1/traces/stats?${qs(RANGE)}`);
    const tokens = await get(api.metricsResponse, `/api/v1/metrics?${qs({ ...RANGE, metric: 'tokens_input', spans: 'all' })}`);
    assert.equal(tokens.series[0]!.values.reduce((a, b) => a! + b!, 0), stats.inputTokens);
    const cost = await get(api.metricsResponse, `/api/v1/metrics?${qs({ ...RANGE, metric: 'cost_usd', spans: 'all', intervalMs: 600_000 })}`);
    assert.ok(Math.abs(cost.series[0]!.values.reduce((a, b) => a! + b!, 0)! - stats.costUsd) < 1e-9);
    await bad(`/api/v1/metrics?metric=latency`, /^metric: /);
    await bad(`/api/v1/metrics?groupBy=model,colour`, /^groupBy\.1: must be a known dimension/);
    await bad(`/api/v1/metrics?${qs({ metric: 'request_count', aggregation: 'p99' })}`, /^aggregation: request_count supports sum or count/);
    await bad(`/api/v1/metrics?${qs({ filter: 'model:gpt-4o* OR' })}`, /^filter: unexpected end of input at offset 16/);
  });

  it('answers metrics and costs queries with frames Grafana decodes', async () => {
    const q = (refId: string, query: Record<string, unknown>) => ({ refId, timeRange: RANGE, intervalMs: 60_000, maxDataPoints: 500, query: { pluginVersion: '1', ...query } });
    const res = await postJson(`${svc.apiUrl}/api/v1/query`, {
      queries: [
        q('M', { queryType: 'metrics', metric: 'request_count', aggregation: 'sum', groupBy: ['model'], format: 'time_series' }),
        q('P', { queryType: 'metrics', metric: 'latency_ms', aggregation: 'p95', groupBy: ['service'], spans: 'root' }),
        q('T', { queryType: 'metrics', metric: 'error_rate', aggregation: 'avg', format: 'table', groupBy: ['service'], spans: 'all' }),
        q('L', { queryType: 'metrics', metric: 'latency_ms', groupBy: 'model_id', pluginVersion: undefined }),
        q('X', { queryType: 'metrics', metric: 'request_count', aggregation: 'p99' }),
        q('Y', { queryType: 'metrics', filter: 'colour:red' }),
        q('S', { queryType: 'costs', view: 'summary' }),
        q('B', { queryType: 'costs', view: 'breakdown', groupBy: 'service' }),
        q('C', { queryType: 'costs', view: 'timeline', groupBy: 'provider' }),
        q('F', { queryType: 'costs', view: 'forecast', horizonDays: 5 }),
        q('G', { queryType: 'costs', view: 'budgets' }),
      ],
    });
    assert.equal(res.status, 200);
    const r = ((await res.json()) as QueryResponseJSON).results;
    for (const id of ['M', 'P', 'T', 'L', 'S', 'B', 'C', 'F', 'G']) {
      assert.equal(r[id]!.status, 200, `${id}: ${r[id]!.error}`);
      for (const json of r[id]!.frames!) {
        const f = dataFrameFromJSON(json);
        assert.ok(f.fields.every((x) => ['time', 'number', 'string'].includes(x.type)), id);
      }
    }
    for (const id of ['M', 'P', 'C']) {
      for (const json of r[id]!.frames!) {
        const f = dataFrameFromJSON(json);
        assert.ok(isTimeSeriesFrame(f), id);
        assert.equal(f.fields[0]!.type, 'time');
        assert.equal(f.fields.length, 2);
        assert.ok(f.fields[1]!.labels, id);
      }
    }
    assert.equal(r.M!.frames!.length, new Set(r.M!.frames!.map((f) => JSON.stringify(f.schema.fields[1]!.labels))).size, 'one frame per label set');
    assert.equal(r.P!.frames![0]!.schema.fields[1]!.config!.unit, 'ms');
    assert.equal(r.T!.frames!.length, 1);
    assert.deepEqual(r.T!.frames![0]!.schema.fields.map((f) => f.name), ['time', 'service', 'error_rate']);
    assert.equal(r.T!.frames![0]!.schema.fields[2]!.config!.unit, 'percentunit');
    // Legacy query (PyFlare's original data source): groupBy model_id -> model.
    assert.ok(r.L!.frames!.every((f) => f.schema.fields[1]!.labels!.model !== undefined));
    assert.deepEqual(r.X, { status: 400, error: 'aggregation: request_count supports sum or count, not p99', errorSource: 'downstream' });
    assert.match(r.Y!.error!, /^filter: unknown key "colour" at offset 0/);
    const summary = dataFrameFromJSON(r.S!.frames![0]!);
    const stats = await get(api.traceStatsResponse, `/api/v1/traces/stats?${qs(RANGE)}`);
    assert.ok(Math.abs((summary.fields.find((f) => f.name === 'totalUsd')!.values[0] as number) - stats.costUsd) < 1e-9);
    assert.equal(r.F!.frames![0]!.schema.name, 'cost-forecast');
  });
});

describe('costs REST', () => {
  it('serves summary, breakdown, timeline and forecast', async () => {
    const s = await get(api.costSummaryResponse, `/api/v1/costs/summary?${qs(RANGE)}`);
    const b = await get(api.costBreakdownResponse, `/api/v1/costs/breakdown?${qs({ ...RANGE, groupBy: 'model', limit: 2 })}`);
    assert.equal(b.totalUsd, s.totalUsd);
    assert.equal(b.rows.length, 2);
    assert.ok(Math.abs(b.rows.reduce((a, x) => a + x.costUsd, 0) + b.otherUsd - s.totalUsd) < 1e-9);
    assert.ok(b.rows[0]!.costUsd >= b.rows[1]!.costUsd);
    const t = await get(api.metricsResponse, `/api/v1/costs/timeline?${qs({ ...RANGE, groupBy: 'service' })}`);
    assert.ok(Math.abs(t.series.flatMap((x) => x.values).reduce((a, v) => a! + v!, 0)! - s.totalUsd) < 1e-9);
    const f = await get(api.forecastResponse, `/api/v1/costs/forecast?${qs({ horizonDays: 3, at: NOW })}`);
    assert.equal(f.forecast.length, 3);
    assert.equal(f.history.length, 0, 'no complete day of history yet');
    assert.ok(f.todaySoFarUsd > 0);
    await bad(`/api/v1/costs/breakdown?groupBy=colour`, /^groupBy: /);
    await bad(`/api/v1/costs/forecast?horizonDays=365`, /^horizonDays: /);
  });

  it('manages budgets with the admin scope and reports their state', async () => {
    const create = await postJson(`${svc.apiUrl}/api/v1/costs/budgets`, { name: 'daily', period: 'daily', amountUsd: 0.0001, alertThreshold: 0.5 });
    assert.equal(create.status, 201);
    const b = api.budgetResponse.parse(await create.json());
    assert.equal(b.status.state, 'exceeded');
    assert.ok(b.status.spentUsd > 0);
    const denied = await postJson(`${svc.apiUrl}/api/v1/costs/budgets`, { name: 'x', period: 'daily', amountUsd: 1 }, { authorization: `Bearer ${readKey}` });
    assert.equal(denied.status, 403);
    const invalid = await postJson(`${svc.apiUrl}/api/v1/costs/budgets`, { name: 'x', period: 'yearly', amountUsd: -1 });
    assert.equal(invalid.status, 400);
    assert.match(((await invalid.json()) as { error: string }).error, /^period: .*; amountUsd: /);
    const put = await fetch(`${svc.apiUrl}/api/v1/costs/budgets/${b.id}`, {
      method: 'PUT',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'gpt monthly', period: 'monthly', amountUsd: 1000, scope: { dimension: 'model', value: 'gpt-4o*' } }),
    });
    assert.equal(put.status, 200);
    const updated = api.budgetResponse.parse(await put.json());
    assert.equal(updated.createdAt, b.createdAt);
    assert.equal(updated.status.state, 'ok');
    assert.equal(updated.status.periodStart, Date.parse('2026-01-01T00:00:00Z'));
    const list = await get(api.budgetsResponse, '/api/v1/costs/budgets', auth(readKey));
    assert.deepEqual(list.budgets.map((x) => x.name), ['gpt monthly']);
    await get(api.budgetResponse, `/api/v1/costs/budgets/${b.id}`);
    const del = await fetch(`${svc.apiUrl}/api/v1/costs/budgets/${b.id}`, { method: 'DELETE', headers: auth() });
    assert.equal(del.status, 204);
    assert.equal((await getJson(`${svc.apiUrl}/api/v1/costs/budgets/${b.id}`)).status, 404);
    assert.equal((await getJson(`${svc.apiUrl}/api/v1/costs/summary`, {})).status, 401);
  });

  it('answers budget breaches (costs view breaches) as annotation-shaped frames', async () => {
    const create = await postJson(`${svc.apiUrl}/api/v1/costs/budgets`, { name: 'tiny daily', period: 'daily', amountUsd: 0.0001, alertThreshold: 0.5 });
    assert.equal(create.status, 201);
    const b = api.budgetResponse.parse(await create.json());
    const q = (refId: string, query: Record<string, unknown>) => ({ refId, timeRange: RANGE, intervalMs: 60_000, maxDataPoints: 500, query: { pluginVersion: '1', ...query } });
    const res = await postJson(`${svc.apiUrl}/api/v1/query`, {
      queries: [
        q('A', { queryType: 'costs', view: 'breaches' }),
        q('B', { queryType: 'costs', view: 'breaches', budget: 'no such budget' }),
        q('C', { queryType: 'costs', view: 'budgets', budget: 'tiny daily' }),
      ],
    });
    const r = ((await res.json()) as QueryResponseJSON).results;
    assert.equal(r.A!.status, 200, r.A!.error);
    const frame = r.A!.frames![0]!;
    assert.equal(frame.schema.name, 'budget-breaches');
    assert.deepEqual(frame.schema.fields.slice(0, 5).map((f) => [f.name, f.type]), [
      ['time', 'time'],
      ['timeEnd', 'time'],
      ['title', 'string'],
      ['text', 'string'],
      ['tags', 'string'],
    ]);
    const f = dataFrameFromJSON(frame);
    const col = (name: string) => f.fields.find((x) => x.name === name)!.values as unknown[];
    assert.deepEqual(col('level'), ['warning', 'exceeded']);
    const [warnAt, exceededAt] = col('time') as number[];
    assert.ok(warnAt! <= exceededAt!, 'the threshold is reached first');
    assert.ok(warnAt! >= RANGE.from && exceededAt! <= RANGE.to);
    assert.deepEqual(col('timeEnd'), [Date.parse('2026-01-16T00:00:00Z'), Date.parse('2026-01-16T00:00:00Z')]);
    assert.deepEqual(col('budgetId'), [b.id, b.id]);
    assert.ok((col('spentUsd') as number[])[1]! >= 0.0001);
    assert.equal(col('tags')[1], 'pyflare,budget,exceeded,daily,tiny daily');
    assert.match(String(col('title')[1]), /^Budget exceeded: tiny daily$/);
    assert.equal(r.B!.frames![0]!.data.values[0]!.length, 0, 'budget filter');
    assert.deepEqual(dataFrameFromJSON(r.C!.frames![0]!).fields.find((x) => x.name === 'name')!.values, ['tiny daily']);
    const del = await fetch(`${svc.apiUrl}/api/v1/costs/budgets/${b.id}`, { method: 'DELETE', headers: auth() });
    assert.equal(del.status, 204);
  });
});
