// Fuzzing of the query REST API on both storage engines (DuckDB, ClickHouse on chdb): any
// combination of the documented parameters, with hostile values (bounds past 64 bits, NaN,
// negative, unicode, SQL and JSON-path metacharacters, deep and odd search expressions), gets
// an answer below 500 in JSON, never a server error or a hang. Found before it existed: 500s on
// cost:>1e40 and attr.x>1e20, a JSON-path wildcard in attribute keys, ClickHouse wrapping
// bounds past 2^63 into wrong answers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { fcParams, fuzzAssertAsync, FUZZ_RUNS, INPUT_BUDGET_MS, TEST_TIMEOUT_MS } from '../fuzz/fuzz.js';
import { jsonBody, type JsonSpanSpec } from '../testing/otlp.js';
import { auth, postJson, startTestService, type TestService } from '../testing/service.js';

const NOW = Date.now();

// ---- generators --------------------------------------------------------------------------

const hostileText = fc.oneof(
  fc.constantFrom('', ' ', '*', '?', '%', '_', '\\', "'", '"', "x' OR 1=1 --", '$.a', '/', '~', '[0]', 'NaN', 'Infinity', '1_0', ' 7', 'é', 'ΣΊΣΥΦΟΣ', '\u212a', 'İ', '\u0001'),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 })
);
/** Mostly valid, sometimes hostile: most requests must get past validation into the queries. */
const mostly = <T,>(valid: fc.Arbitrary<T>, hostile: fc.Arbitrary<T>) => fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: hostile, weight: 1 });
const hugeNumber = fc.constantFrom('0', '-1', '1e20', '1e300', '-1e300', '9223372036853', '9223372036854', '9223372036854775807', '9223372036854775808', '9'.repeat(40), 'NaN', '0.0000001', '1.5');
const number = mostly(fc.integer({ min: 0, max: 5_000 }).map(String), fc.oneof(hugeNumber, fc.double().map(String)));
const stringField = fc.constantFrom('service', 'model', 'provider', 'operation', 'agent', 'tool', 'user', 'session', 'name');
const numericTerm = fc
  .tuple(fc.constantFrom('duration', 'cost', 'tokens'), fc.constantFrom(':>', ':<', ':>=', ':<=', ':'), number, fc.constantFrom('', 'ms', 's', 'h', 'k'))
  .map(([f, o, n, u]) => `${f}${o}${n}${f === 'duration' || (f === 'tokens' && u === 'k') ? u : ''}`);
const attrKey = fc.oneof(fc.constantFrom('retry.count', 'tenant.id', '*', 'a.b', 'x/y', 'a~b', 'q"k', '[0]', 'gen_ai.usage.input_tokens'), fc.string({ minLength: 1, maxLength: 8 }));
const quoted = (s: string) => (/[\s()"]/.test(s) || s === '' ? `"${s.replace(/["\\]/g, '\\$&')}"` : s);
const term = mostly(
  fc.oneof(
    { weight: 1, arbitrary: fc.tuple(stringField, fc.constantFrom(':', '='), hostileText).map(([f, o, v]) => `${f}${o}${quoted(v)}`) },
    { weight: 1, arbitrary: numericTerm },
    { weight: 1, arbitrary: fc.constantFrom('status:error', 'status:ok', 'kind:llm', 'kind:tool') },
    {
      weight: 3,
      arbitrary: fc
        .tuple(attrKey, fc.constantFrom('=', '>', '<', '>=', '<='), fc.oneof(fc.integer({ min: -5, max: 5_000 }).map(String), hugeNumber, fc.double().map(String), hostileText))
        .map(([k, o, v]) => `attr.${quoted(k)}${o}${quoted(v)}`),
    },
    { weight: 1, arbitrary: hostileText.map(quoted) }
  ),
  fc.tuple(fc.constantFrom('status', 'kind', 'duration', 'cost', 'tokens', 'colour'), fc.constantFrom(':', ':>', '='), hostileText).map(([f, o, v]) => `${f}${o}${quoted(v)}`)
);
const { expr } = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    term,
    fc.tuple(tie('expr'), fc.constantFrom(' ', ' AND ', ' OR '), tie('expr')).map(([a, j, b]) => `${a}${j}${b}`),
    tie('expr').map((e) => `NOT (${e})`),
    tie('expr').map((e) => `-${e}`),
    tie('expr').map((e) => `(${e})`)
  ),
}));
const search = mostly(expr, fc.string({ maxLength: 40 }));
const epoch = mostly(fc.constantFrom(String(NOW), String(NOW - 3_600_000), String(NOW - 86_400_000), '0'), fc.oneof(hugeNumber, fc.integer().map(String)));
const dims = fc
  .array(mostly(fc.oneof(fc.constantFrom('provider', 'model', 'service', 'operation', 'span_kind', 'user', 'session', 'agent', 'tool'), attrKey.map((k) => `attr.${k}`)), hostileText), { minLength: 1, maxLength: 3 })
  .map((d) => d.join(','));
const oneOfOr = (valid: string[]) => mostly(fc.constantFrom(...valid), hostileText);

const common = { from: epoch, to: epoch };
const searchParams = { ...common, search, service: hostileText, model: hostileText, status: oneOfOr(['all', 'ok', 'error']), minDurationMs: number, maxDurationMs: number };
const ROUTES: Record<string, Record<string, fc.Arbitrary<string>>> = {
  '/api/v1/traces': { ...searchParams, sortBy: oneOfOr(['time', 'duration', 'cost']), limit: mostly(fc.integer({ min: 1, max: 1000 }).map(String), number) },
  '/api/v1/traces/stats': searchParams,
  '/api/v1/metrics': {
    ...common,
    metric: oneOfOr(['request_count', 'error_rate', 'latency_ms', 'input_tokens', 'output_tokens', 'total_tokens', 'cost_usd']),
    aggregation: oneOfOr(['sum', 'avg', 'min', 'max', 'count', 'p50', 'p95', 'p99']),
    groupBy: dims,
    filter: search,
    spans: oneOfOr(['llm', 'root', 'all']),
    intervalMs: number,
    maxDataPoints: number,
  },
  '/api/v1/costs/summary': { ...common, filter: search },
  '/api/v1/costs/breakdown': { ...common, filter: search, groupBy: dims, limit: mostly(fc.integer({ min: 1, max: 100 }).map(String), number) },
  '/api/v1/costs/timeline': { ...common, filter: search, groupBy: dims, intervalMs: number },
  '/api/v1/costs/forecast': { at: epoch, filter: search },
  '/api/v1/catalog/attribute-values': { ...common, key: attrKey },
  '/api/v1/catalog/attribute-keys': common,
  '/api/v1/catalog/services': common,
};
const request = fc
  .constantFrom(...Object.keys(ROUTES))
  .chain((route) => {
    const spec = ROUTES[route]!;
    return fc.record(Object.fromEntries(Object.entries(spec).map(([k, a]) => [k, a])), { requiredKeys: [] }).map((params) => ({ route, params: params as Record<string, string> }));
  });

// ---- the property, on each engine ----------------------------------------------------------

for (const storage of ['duckdb', 'clickhouse'] as const) {
  describe(`fuzz: query API on ${storage}`, () => {
    let svc: TestService;
    before(async () => {
      svc = await startTestService({ storage });
      const spans: JsonSpanSpec[] = [
        { attrs: { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 100, 'retry.count': 3, 'tenant.id': 'acme', '*': 'star' } },
        { attrs: { 'gen_ai.request.model': 'claude-sonnet-4', 'gen_ai.usage.output_tokens': 7, 'retry.count': 'NaN', 'a.b': ' 7' }, status: 2 },
        { attrs: { 'user.id': 'u\u0001v', 'session.id': 's1', 'gen_ai.agent.name': 'ΣΊΣΥΦΟΣ' } },
      ];
      const res = await postJson(`${svc.otlpUrl}/v1/traces`, jsonBody(spans));
      assert.equal(res.status, 200, await res.text());
      await svc.service.intake.flush();
    });
    after(async () => {
      await svc?.stop();
    });

    it('answers every combination of documented parameters below 500, in JSON', { timeout: TEST_TIMEOUT_MS }, async () => {
      const statuses = new Map<number, number>();
      await fuzzAssertAsync(
        `query-api-${storage}`,
        fc.asyncProperty(request, async ({ route, params }) => {
          const url = `${svc.apiUrl}${route}?${new URLSearchParams(params).toString()}`;
          const t0 = performance.now();
          const res = await fetch(url, { headers: auth() });
          const text = await res.text();
          const ms = performance.now() - t0;
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          assert.ok(res.status < 500, `${res.status} for ${url}: ${text.slice(0, 300)}`);
          const body = JSON.parse(text) as { error?: unknown };
          if (res.status >= 400) {
            assert.equal(typeof body.error, 'string', `${res.status} without an error message: ${text.slice(0, 200)}`);
          }
          assert.ok(ms < INPUT_BUDGET_MS, `${url} took ${Math.round(ms)} ms (budget ${INPUT_BUDGET_MS} ms)`);
        }),
        { ...fcParams, numRuns: Math.max(50, Math.floor(FUZZ_RUNS / 2)) }
      );
      // The property says little unless many requests get past validation into the queries.
      const total = [...statuses.values()].reduce((a, b) => a + b, 0);
      const answered = statuses.get(200) ?? 0;
      process.stdout.write(`# query-api-${storage}: ${JSON.stringify(Object.fromEntries(statuses))}\n`);
      assert.ok(answered * 5 >= total, `only ${answered} of ${total} requests answered 200`);
    });
  });
}
