// Fuzzing of the inference intake (body decoding + record validation): any body decodes or fails
// with a BodyError (400/413); every record is either a row that holds the store's invariants or
// a rejection with a located error, never both and never neither.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { assertClearError, fcParams, fuzzAssert, TEST_TIMEOUT_MS, timeBoxed } from '../fuzz/fuzz.js';
import { BodyError, decodeItems, MAX_EMBEDDING_DIMS, validateInferences } from './records.js';

const NOW = Date.parse('2026-01-15T12:00:00Z');
const scalar = fc.oneof(fc.double(), fc.integer(), fc.string({ maxLength: 12 }), fc.boolean(), fc.constant(null));
const record = fc.record(
  {
    id: fc.oneof(fc.string({ maxLength: 8 }), fc.integer()),
    modelId: fc.oneof(fc.constantFrom('churn', 'fraud-v2', ''), fc.string({ maxLength: 10 }), fc.anything({ maxDepth: 1 })),
    modelVersion: fc.oneof(fc.string({ maxLength: 6 }), fc.integer()),
    timestamp: fc.oneof(fc.integer({ min: NOW - 86_400_000 * 400, max: NOW + 86_400_000 * 2 }), fc.double(), fc.string({ maxLength: 24 }), fc.constant(new Date(NOW).toISOString())),
    features: fc.oneof(fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(scalar, fc.anything({ maxDepth: 1 })), { maxKeys: 6 }), fc.anything({ maxDepth: 1 })),
    prediction: fc.oneof(scalar, fc.record({ class: scalar, value: scalar, probability: fc.double() }, { requiredKeys: [] })),
    label: fc.oneof(scalar, fc.record({ class: scalar, value: scalar }, { requiredKeys: [] })),
    embedding: fc.oneof(fc.array(fc.double(), { maxLength: 6 }), fc.anything({ maxDepth: 1 })),
  },
  { requiredKeys: [] }
);
const bodyArb = fc.oneof(
  { arbitrary: fc.array(record, { maxLength: 5 }).map((r) => JSON.stringify(r)), weight: 5 },
  { arbitrary: fc.array(record, { maxLength: 5 }).map((r) => r.map((x) => JSON.stringify(x)).join('\n')), weight: 2 },
  { arbitrary: fc.json({ maxDepth: 3 }), weight: 1 },
  { arbitrary: fc.string({ maxLength: 120 }), weight: 2 }
);

describe('fuzz: inference intake', () => {
  it('decodes or fails with BodyError; each record is a valid row or a located rejection', { timeout: TEST_TIMEOUT_MS }, () => {
    fuzzAssert('inference-intake', 
      fc.property(bodyArb, fc.constantFrom('application/json', 'application/x-ndjson'), (body, media) => {
        let items: unknown[];
        try {
          ({ items } = timeBoxed('decode', () => decodeItems(body, media)));
        } catch (e) {
          assertClearError(e, BodyError, 'decodeItems');
          assert.ok([400, 413].includes((e as BodyError).status));
          return;
        }
        const v = timeBoxed('validate', () => validateInferences(items, { nowMs: NOW }));
        assert.equal(v.rows.length + v.rejected, items.length);
        assert.equal(new Set(v.indices).size, v.rows.length);
        for (const err of v.errors) {
          assert.ok(Number.isInteger(err.index) && err.index >= 0 && err.index < items.length);
          assert.ok(!v.indices.includes(err.index), 'a record is a row or a rejection, not both');
          assert.ok(typeof err.field === 'string' && err.message.length > 0 && err.message.length < 4096);
        }
        for (const r of v.rows) {
          assert.ok(typeof r.modelId === 'string' && r.modelId.length > 0);
          assert.ok(Number.isInteger(r.tsMs) && r.tsMs <= NOW + 86_400_000);
          const f = JSON.parse(r.features) as unknown;
          assert.ok(f !== null && typeof f === 'object' && !Array.isArray(f));
          for (const x of Object.values(f as Record<string, unknown>)) {
            assert.ok(x === null || ['string', 'boolean'].includes(typeof x) || (typeof x === 'number' && Number.isFinite(x)));
          }
          for (const n of [r.predValue, r.predProb, r.labelValue]) {
            assert.ok(n === null || Number.isFinite(n));
          }
          assert.ok(r.predProb === null || (r.predProb >= 0 && r.predProb <= 1));
          assert.ok(r.embedding === null || (r.embedding.length >= 1 && r.embedding.length <= MAX_EMBEDDING_DIMS && r.embedding.every(Number.isFinite)));
        }
      }),
      fcParams
    );
  });
});
