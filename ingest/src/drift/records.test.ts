import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kvs, request, span } from '../testing/otlp.js';
import { inferencesFromOtlp } from './otlp.js';
import { csvToReferenceItems, decodeItems, parseCsv, validateInferences, validateLabels } from './records.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');

describe('inference records', () => {
  it('validates each record on its own and names the bad field', () => {
    const v = validateInferences(
      [
        {
          id: 'a',
          modelId: 'm',
          timestamp: NOW - 1000,
          features: { x: 1.5, c: 'DE', b: true, t: 'some text', n: null },
          prediction: 'fraud',
        },
        {
          modelId: 'm',
          timestamp: '2026-03-01T11:00:00Z',
          prediction: { class: 'ok', probability: 0.7 },
          label: true,
          embedding: [0.1, 0.2],
        },
        { modelId: 'm', timestamp: NOW, prediction: 3.5, label: 4 },
        { modelId: '', timestamp: NOW },
        { modelId: 'm', timestamp: NOW + 3 * 86_400_000 },
        { modelId: 'm', timestamp: NOW, features: { x: [1, 2] } },
        { modelId: 'm', timestamp: NOW, prediction: { probability: 0.3 } },
        { modelId: 'm', timestamp: NOW, embedding: new Array(4097).fill(0) },
        'not an object',
      ],
      { nowMs: NOW }
    );
    assert.equal(v.rows.length, 3);
    assert.deepEqual(v.indices, [0, 1, 2]);
    assert.equal(v.rejected, 6);
    const byIndex = new Map(v.errors.map((e) => [e.index, e]));
    assert.equal(byIndex.get(3)!.field, 'modelId');
    assert.equal(byIndex.get(4)!.field, 'timestamp');
    assert.equal(byIndex.get(5)!.field, 'features.x');
    assert.equal(byIndex.get(6)!.field, 'prediction');
    assert.equal(byIndex.get(7)!.field, 'embedding');
    assert.equal(byIndex.get(8)!.field, '(record)');
    const [a, b, c] = v.rows;
    assert.equal(a!.id, 'a');
    assert.equal(a!.predClass, 'fraud');
    assert.deepEqual(JSON.parse(a!.features), { x: 1.5, c: 'DE', b: true, t: 'some text', n: null });
    assert.match(b!.id, /^[0-9a-f-]{36}$/, 'generated id');
    assert.equal(b!.tsMs, NOW - 3_600_000);
    assert.deepEqual([b!.predClass, b!.predProb, b!.labelClass], ['ok', 0.7, 'true']);
    assert.deepEqual([c!.predValue, c!.labelValue, c!.predClass], [3.5, 4, null]);
  });

  it('decodes JSON arrays, single objects and NDJSON (bad lines become item errors)', () => {
    assert.equal(decodeItems('[{"a":1},{"a":2}]', 'application/json').items.length, 2);
    assert.equal(decodeItems('{"a":1}', 'application/json').items.length, 1);
    const nd = decodeItems('{"a":1}\n\n{oops\n{"a":3}\n', 'application/x-ndjson');
    assert.equal(nd.items.length, 3);
    assert.deepEqual(
      nd.errors.map((e) => e.index),
      [1]
    );
    // NDJSON sent as application/json still works.
    assert.equal(decodeItems('{"a":1}\n{"a":2}', 'application/json').items.length, 2);
    assert.throws(() => decodeItems('[1,', 'application/json'), /not valid JSON/);
    assert.throws(() => decodeItems('  ', 'application/json'), /no records/);
  });

  it('validates labels', () => {
    const v = validateLabels([{ id: 'a', label: 'fraud' }, { id: 'b', label: 2.5 }, { id: 'c' }, { label: 'x' }]);
    assert.deepEqual(v.rows, [
      { id: 'a', labelClass: 'fraud', labelValue: null },
      { id: 'b', labelClass: null, labelValue: 2.5 },
    ]);
    assert.deepEqual(
      v.errors.map((e) => [e.index, e.field]),
      [
        [2, 'label'],
        [3, 'id'],
      ]
    );
  });

  it('reads reference CSV: quotes, numeric and boolean columns, special columns', () => {
    assert.deepEqual(parseCsv('a,b\r\n"x, ""y""",2\n'), [
      ['a', 'b'],
      ['x, "y"', '2'],
    ]);
    const items = csvToReferenceItems(
      'age,country,premium,zip,prediction,probability,label,embedding\n42,DE,true,007,fraud,0.9,ok,"[1,2]"\n37,FR,false,ABC,ok,0.2,ok,\n'
    );
    assert.deepEqual(items[0], {
      features: { age: 42, country: 'DE', premium: true, zip: '007' },
      prediction: { class: 'fraud', probability: 0.9 },
      label: 'ok',
      embedding: [1, 2],
    });
    assert.deepEqual(items[1], {
      features: { age: 37, country: 'FR', premium: false, zip: 'ABC' },
      prediction: { class: 'ok', probability: 0.2 },
      label: 'ok',
    });
  });
});

describe('OTLP inference extraction', () => {
  it('turns spans with pyflare.model.id into records and ignores the rest', () => {
    const end = BigInt(NOW) * 1_000_000n;
    const req = request([
      span({
        traceId: 'a'.repeat(32),
        spanId: 'b'.repeat(16),
        endTimeUnixNano: end,
        startTimeUnixNano: end - 1_000_000n,
        attrs: {
          'pyflare.model.id': 'churn',
          'pyflare.model.version': 'v3',
          'pyflare.feature.age': 42,
          'pyflare.feature.plan': 'pro',
          'pyflare.prediction': 'churn',
          'pyflare.prediction.probability': 0.81,
          'pyflare.label': 'stay',
        },
      }),
      span({ attrs: { 'gen_ai.request.model': 'gpt-4o' } }),
      span({ attrs: { 'pyflare.model.id': 'churn', 'pyflare.prediction.probability': 7 } }),
      span({
        endTimeUnixNano: end,
        startTimeUnixNano: end - 1n,
        attributes: [
          ...kvs({ 'pyflare.model.id': 'emb', 'pyflare.prediction': 2.5 }),
          {
            key: 'pyflare.embedding',
            value: {
              kind: 'array',
              value: [
                { kind: 'double', value: 0.5 },
                { kind: 'int', value: 1n },
              ],
            },
          },
        ],
      }),
    ]);
    const r = inferencesFromOtlp(req, NOW);
    assert.equal(r.rows.length, 2);
    assert.equal(r.invalid, 1);
    assert.match(r.errors[0]!, /prediction/);
    const [a, b] = r.rows;
    assert.equal(a!.id, `${'a'.repeat(32)}-${'b'.repeat(16)}`);
    assert.deepEqual(
      [a!.modelId, a!.modelVersion, a!.tsMs, a!.predClass, a!.predProb, a!.labelClass, a!.source, a!.traceId],
      ['churn', 'v3', NOW, 'churn', 0.81, 'stay', 'otlp', 'a'.repeat(32)]
    );
    assert.deepEqual(JSON.parse(a!.features), { age: 42, plan: 'pro' });
    assert.deepEqual([b!.predValue, b!.embedding], [2.5, [0.5, 1]]);
  });
});
