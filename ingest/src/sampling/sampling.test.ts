import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hex, jsonBody } from '../testing/otlp.js';
import { postJson, startTestService } from '../testing/service.js';
import { SAMPLING_OFF, Sampler, traceFraction } from './index.js';
import type { SpanRow } from '../storage/types.js';

const MIN = 60_000;
const T0 = Math.floor((Date.now() - 30 * MIN) / MIN) * MIN;

describe('sampler', () => {
  it('is deterministic per trace id and keeps about the rate', () => {
    const ids = Array.from({ length: 20_000 }, () => hex(16));
    assert.equal(traceFraction(ids[0]!), traceFraction(ids[0]!));
    const s = new Sampler({ ...SAMPLING_OFF, rate: 0.25 });
    const kept = ids.filter((id) => s.keepByHash(id)).length / ids.length;
    assert.ok(kept > 0.23 && kept < 0.27, `kept ${kept}`);
  });

  it('keeps whole traces: one forcing span keeps its siblings', () => {
    const s = new Sampler({ rate: 0, keepErrors: true, keepSlowMs: 1000, keepCostUsd: 0.5, keepServices: ['vip'], keepModels: ['o1'] });
    const row = (traceId: string, p: Partial<SpanRow> = {}) =>
      ({ traceId, statusCode: 0, durationNs: 1n, costMicros: null, service: 'svc', requestModel: null, responseModel: null, ...p }) as SpanRow;
    const rows = [
      row('a'), row('a', { statusCode: 2 }),
      row('b'),
      row('c', { durationNs: 2_000_000_000n }),
      row('d', { costMicros: 600_000 }),
      row('e', { service: 'vip' }),
      row('f', { responseModel: 'o1' }),
    ];
    const kept: string[] = [];
    const dropped: string[] = [];
    s.route(rows, { keep: (r) => kept.push(r.traceId), drop: (r) => dropped.push(r.traceId) });
    assert.deepEqual(kept, ['a', 'a', 'c', 'd', 'e', 'f']);
    assert.deepEqual(dropped, ['b']);
  });
});

// Both span paths: DuckDB (WAL pipeline, addCountedOnly) and ClickHouse on chdb (spans_counted).
for (const storage of ['duckdb', 'clickhouse'] as const) {
  describe(`sampling in the service (${storage})`, () => {
    it('stores kept traces only, while the rollups count every span (rates and costs stay right)', async () => {
      const svc = await startTestService({ storage, sampling: { ...SAMPLING_OFF, rate: 0 } });
      try {
        const [ok, bad] = [hex(16), hex(16)];
        const body = jsonBody([
          { traceId: ok, startMs: T0 + 1000, attrs: { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 100, 'llm.cost.total': 0.5 } },
          { traceId: ok, startMs: T0 + 2000 },
          { traceId: bad, startMs: T0 + 3000 },
          { traceId: bad, startMs: T0 + 4000, status: 2 },
        ]);
        assert.equal((await postJson(`${svc.otlpUrl}/v1/traces`, body)).status, 200);
        // A request whose traces are all sampled out still counts.
        assert.equal((await postJson(`${svc.otlpUrl}/v1/traces`, jsonBody([{ startMs: T0 + 5000 }]))).status, 200);
        await svc.service.intake.flush();
        assert.equal((await svc.service.storage.getTrace(ok)).length, 0);
        assert.equal((await svc.service.storage.getTrace(bad)).length, 2);
        const agg = await svc.service.storage.aggregate({
          fromNs: BigInt(T0 - 10 * MIN) * 1_000_000n,
          toNs: BigInt(T0 + 10 * MIN) * 1_000_000n,
          groupBy: [],
          filter: null,
          spans: 'all',
          measures: [{ metric: 'requests' }, { metric: 'errors' }, { metric: 'cost', fn: 'sum' }],
        });
        assert.deepEqual(agg.rows[0]!.values, [5, 1, 500_000]);
        assert.equal((await svc.service.storage.status()).spanCount, 2);
      } finally {
        await svc.stop();
      }
    });
  });
}
