import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeRequest } from '../normalize/index.js';
import type { TraceSummary } from '../storage/types.js';
import { kvs, NOW_NS, request, span } from '../testing/otlp.js';
import { buildFrame, nsToMs } from './frame.js';
import { traceFrame } from './trace.js';
import { traceListFrame } from './traceList.js';

describe('frames', () => {
  it('builds the trace list frame with the contract fields in order', () => {
    const t: TraceSummary = {
      traceId: 'a'.repeat(32),
      startNs: 1_700_000_000_123_456_789n,
      endNs: 1_700_000_002_623_456_789n,
      rootName: 'POST /chat',
      rootService: 'checkout',
      models: ['gpt-4o', 'claude-sonnet-4'],
      spanCount: 3,
      errorCount: 1,
      inputTokens: 100,
      outputTokens: 50,
      costMicros: 1234,
      waterfall: [
        { spanId: 'b'.repeat(16), parentSpanId: '', startNs: 1_700_000_000_123_456_789n, durationNs: 2_500_000_000n, spanKind: 'span', statusCode: 2 },
        { spanId: 'c'.repeat(16), parentSpanId: 'b'.repeat(16), startNs: 1_700_000_000_223_456_789n, durationNs: 1_000_500n, spanKind: 'llm', statusCode: 0 },
      ],
    };
    const f = traceListFrame([t], 'A', { datasourceUid: 'ds1' });
    assert.equal(f.schema.name, 'traces');
    assert.equal(f.schema.refId, 'A');
    assert.deepEqual(f.schema.meta, { preferredVisualisationType: 'table', custom: { pyflareFrame: 'trace-list' } });
    assert.deepEqual(
      f.schema.fields.map((x) => `${x.name}:${x.type}`),
      [
        'traceID:string', 'startTime:time', 'rootName:string', 'serviceName:string', 'models:string', 'durationMs:number',
        'status:string', 'spanCount:number', 'errorCount:number', 'inputTokens:number', 'outputTokens:number',
        'totalTokens:number', 'costUsd:number', 'waterfall:other',
      ]
    );
    for (const field of f.schema.fields) {
      assert.ok(field.typeInfo?.frame, `${field.name} has typeInfo`);
    }
    const byName = Object.fromEntries(f.schema.fields.map((x, i) => [x.name, { schema: x, values: f.data.values[i]! }]));
    assert.equal(byName.startTime!.schema.typeInfo!.frame, 'time.Time');
    assert.deepEqual(byName.startTime!.values, [1_700_000_000_123]);
    assert.deepEqual(byName.durationMs!.values, [2500]);
    assert.equal(byName.durationMs!.schema.config!.unit, 'ms');
    assert.deepEqual(byName.costUsd!.values, [0.001234]);
    assert.equal(byName.costUsd!.schema.config!.unit, 'currencyUSD');
    assert.deepEqual(byName.models!.values, ['gpt-4o,claude-sonnet-4']);
    assert.deepEqual(byName.status!.values, ['error']);
    assert.deepEqual(byName.totalTokens!.values, [150]);
    const link = (byName.traceID!.schema.config!.links as Array<Record<string, any>>)[0]!;
    assert.equal(link.internal.datasourceUid, 'ds1');
    assert.deepEqual(link.internal.query, { refId: 'A', queryType: 'trace', traceId: '${__value.raw}', pluginVersion: '1' });
    assert.deepEqual(byName.waterfall!.values[0], [
      { spanID: 'b'.repeat(16), parentSpanID: '', offsetMs: 0, durationMs: 2500, spanKind: 'span', status: 'error' },
      { spanID: 'c'.repeat(16), parentSpanID: 'b'.repeat(16), offsetMs: 100, durationMs: 1.0005, spanKind: 'llm', status: 'ok' },
    ]);
  });

  it('builds the trace frame Grafana trace view reads, plus LLM columns', () => {
    const start = NOW_NS - 1_000_000_000n;
    const s = span({
      name: 'chat gpt-4o',
      kind: 3,
      startTimeUnixNano: start,
      endTimeUnixNano: start + 1_500_250n,
      attrs: { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.provider.name': 'openai', 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 5, 'llm.cost.total': 0.25 },
      events: [{ timeUnixNano: start + 500_000n, name: 'retry', attributes: kvs({ attempt: 2 }), droppedAttributesCount: 0 }],
      status: { code: 2, message: 'boom' },
    });
    const rows = normalizeRequest(request([s], { 'service.name': 'svc', 'host.name': 'h1' }), { nowNs: NOW_NS }).rows;
    const f = traceFrame(rows, 'B');
    assert.deepEqual(f.schema.meta, { preferredVisualisationType: 'trace', custom: { pyflareFrame: 'trace' } });
    assert.deepEqual(
      f.schema.fields.map((x) => x.name),
      [
        'traceID', 'spanID', 'parentSpanID', 'operationName', 'serviceName', 'serviceTags', 'startTime', 'duration', 'tags',
        'logs', 'kind', 'statusCode', 'statusMessage', 'spanKind', 'provider', 'model', 'inputTokens', 'outputTokens',
        'cacheReadTokens', 'cacheWriteTokens', 'reasoningTokens', 'costUsd', 'input', 'output',
      ]
    );
    const v = Object.fromEntries(f.schema.fields.map((x, i) => [x.name, f.data.values[i]![0]]));
    assert.equal(v.startTime, nsToMs(start));
    assert.equal(v.duration, 1.50025);
    assert.deepEqual(v.serviceTags, [
      { key: 'host.name', value: 'h1' },
      { key: 'service.name', value: 'svc' },
    ]);
    const tags = v.tags as Array<{ key: string; value: unknown }>;
    assert.ok(tags.some((t) => t.key === 'gen_ai.request.model' && t.value === 'gpt-4o'));
    assert.ok(tags.some((t) => t.key === 'pyflare.cost_usd' && t.value === 0.25));
    assert.deepEqual(v.logs, [{ timestamp: nsToMs(start + 500_000n), name: 'retry', fields: [{ key: 'attempt', value: 2 }] }]);
    assert.equal(v.kind, 'client');
    assert.equal(v.statusCode, 2);
    assert.equal(v.statusMessage, 'boom');
    assert.equal(v.spanKind, 'llm');
    assert.equal(v.provider, 'openai');
    assert.equal(v.model, 'gpt-4o');
    assert.equal(v.inputTokens, 10);
    assert.equal(v.cacheReadTokens, null);
    assert.equal(v.costUsd, 0.25);
    assert.equal(v.input, '');
  });

  it('refuses ragged frames', () => {
    assert.throws(() =>
      buildFrame({ name: 'x', fields: [{ name: 'a', type: 'number', values: [1] }, { name: 'b', type: 'number', values: [] }] })
    );
  });
});
