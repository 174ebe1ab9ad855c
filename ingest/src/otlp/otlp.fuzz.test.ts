// Fuzzing of the OTLP decoders (JSON and protobuf) and what follows them: any input either
// decodes or fails with an OtlpDecodeError; a decoded request normalizes without throwing into
// rows that hold the invariants storage relies on; and stored rows read back equal.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { assertClearError, fcParams, fuzzAssert, fuzzAssertAsync, FUZZ_RUNS, TEST_TIMEOUT_MS, timeBoxed } from '../fuzz/fuzz.js';
import { normalizeRequest, SpanStream } from '../normalize/index.js';
import { DuckDbStorage } from '../storage/duckdb.js';
import type { SpanRow } from '../storage/types.js';
import { decodeTraceRequestJson } from './json.js';
import { decodeTraceRequestProto, visitTraceRequestProto } from './protobuf.js';
import { OtlpDecodeError, type ExportTraceServiceRequest } from './types.js';

const NOW_NS = 1_760_000_000_000_000_000n;
const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

// ---- generators --------------------------------------------------------------------------

const hex = (n: number) => fc.uint8Array({ minLength: n / 2, maxLength: n / 2 }).map((b) => Buffer.from(b).toString('hex'));
const id = (n: number) => fc.oneof({ arbitrary: hex(n), weight: 6 }, { arbitrary: fc.string({ maxLength: n + 2 }), weight: 1 }, { arbitrary: fc.constant(''), weight: 1 });
const time = fc.oneof(
  { arbitrary: fc.bigInt({ min: NOW_NS - 10n ** 13n, max: NOW_NS + 10n ** 13n }).map(String), weight: 6 },
  { arbitrary: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n }).map(String), weight: 1 },
  { arbitrary: fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 6 }), fc.constant(null)), weight: 1 }
);
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }));
const { anyValue } = fc.letrec<{ anyValue: unknown }>((tie) => ({
  anyValue: fc.oneof(
    { depthSize: 'small' },
    fc.record({ stringValue: text }),
    fc.record({ intValue: fc.oneof(fc.integer(), fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String), fc.string({ maxLength: 4 })) }),
    fc.record({ doubleValue: fc.oneof(fc.double(), fc.constantFrom('NaN', 'Infinity', '-Infinity'), fc.string({ maxLength: 4 })) }),
    fc.record({ boolValue: fc.oneof(fc.boolean(), fc.anything({ maxDepth: 1 })) }),
    fc.record({ bytesValue: fc.oneof(fc.base64String({ maxLength: 12 }), fc.string({ maxLength: 6 })) }),
    fc.record({ arrayValue: fc.record({ values: fc.array(tie('anyValue'), { maxLength: 3 }) }) }),
    fc.record({ kvlistValue: fc.record({ values: fc.array(fc.record({ key: text, value: tie('anyValue') }), { maxLength: 3 }) }) }),
    fc.anything({ maxDepth: 2 })
  ),
}));
const KEYS = ['gen_ai.request.model', 'gen_ai.usage.input_tokens', 'llm.cost.total', 'user.id', 'input.value', 'gen_ai.input.messages', 'llm.input_messages.0.message.content', '0', 'pyflare.truncated'];
const attr = fc.record({ key: fc.oneof(fc.constantFrom(...KEYS), text), value: anyValue }, { requiredKeys: [] });
const span = fc.record(
  {
    traceId: id(32),
    spanId: id(16),
    parentSpanId: fc.oneof(id(16), fc.constant('0000000000000000')),
    name: text,
    kind: fc.oneof(fc.integer({ min: -1, max: 7 }), fc.string({ maxLength: 3 })),
    startTimeUnixNano: time,
    endTimeUnixNano: time,
    attributes: fc.array(attr, { maxLength: 6 }),
    events: fc.array(fc.record({ timeUnixNano: time, name: text, attributes: fc.array(attr, { maxLength: 3 }) }, { requiredKeys: [] }), { maxLength: 2 }),
    links: fc.array(fc.record({ traceId: id(32), spanId: id(16), attributes: fc.array(attr, { maxLength: 2 }) }, { requiredKeys: [] }), { maxLength: 2 }),
    status: fc.record({ code: fc.oneof(fc.integer({ min: -1, max: 3 }), fc.string({ maxLength: 2 })), message: text }, { requiredKeys: [] }),
  },
  { requiredKeys: ['traceId', 'spanId', 'startTimeUnixNano', 'endTimeUnixNano'] }
);
const requestObj = fc.record({
  resourceSpans: fc.array(
    fc.record({
      resource: fc.record({ attributes: fc.array(attr, { maxLength: 3 }) }, { requiredKeys: [] }),
      scopeSpans: fc.array(fc.record({ scope: fc.record({ name: text, version: text }, { requiredKeys: [] }), spans: fc.array(span, { maxLength: 4 }) }), { maxLength: 2 }),
    }),
    { maxLength: 2 }
  ),
});
/**
 * Well-formed requests only, for the store round trip: any invalid field rejects the whole
 * request, so the shape above reaches storage in too few runs. Text and values stay hostile.
 */
const wellFormedValue = fc.oneof(
  fc.record({ stringValue: text }),
  fc.record({ intValue: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String) }),
  fc.record({ doubleValue: fc.double({ noNaN: true, noDefaultInfinity: true }) }),
  fc.record({ boolValue: fc.boolean() }),
  fc.record({ arrayValue: fc.record({ values: fc.array(fc.record({ stringValue: text }), { maxLength: 3 }) }) })
);
const wellFormedAttr = fc.record({ key: fc.oneof(fc.constantFrom(...KEYS), text), value: wellFormedValue });
const wellFormedTime = fc.bigInt({ min: NOW_NS - 10n ** 13n, max: NOW_NS }).map(String);
const wellFormedSpan = fc.record({
  traceId: hex(32),
  spanId: hex(16),
  name: text,
  kind: fc.integer({ min: 0, max: 5 }),
  startTimeUnixNano: wellFormedTime,
  endTimeUnixNano: wellFormedTime,
  attributes: fc.array(wellFormedAttr, { maxLength: 6 }),
  events: fc.array(fc.record({ timeUnixNano: wellFormedTime, name: text, attributes: fc.array(wellFormedAttr, { maxLength: 2 }) }), { maxLength: 2 }),
  status: fc.record({ code: fc.integer({ min: 0, max: 2 }), message: text }),
});
const wellFormedRequest = fc.oneof(
  { arbitrary: requestObj, weight: 1 },
  {
    weight: 3,
    arbitrary: fc.record({
      resourceSpans: fc.array(
        fc.record({
          resource: fc.record({ attributes: fc.array(wellFormedAttr, { maxLength: 3 }) }),
          scopeSpans: fc.array(fc.record({ scope: fc.record({ name: text }), spans: fc.array(wellFormedSpan, { minLength: 1, maxLength: 4 }) }), { minLength: 1, maxLength: 2 }),
        }),
        { minLength: 1, maxLength: 2 }
      ),
    }),
  }
);
/** Mostly OTLP-shaped JSON, sometimes any JSON, sometimes not JSON at all. */
const jsonBodyArb = fc.oneof(
  { arbitrary: requestObj.map((o) => JSON.stringify(o)), weight: 8 },
  { arbitrary: fc.json({ maxDepth: 3 }), weight: 1 },
  { arbitrary: fc.string({ maxLength: 200 }), weight: 1 }
);

// ---- invariants ------------------------------------------------------------------------------

function spanCount(req: ExportTraceServiceRequest): number {
  return req.resourceSpans.reduce((n, rs) => n + rs.scopeSpans.reduce((m, ss) => m + ss.spans.length, 0), 0);
}

function checkRow(r: Readonly<SpanRow>): void {
  assert.match(r.traceId, HEX32);
  assert.match(r.spanId, HEX16);
  assert.ok(r.parentSpanId === '' || HEX16.test(r.parentSpanId));
  assert.ok(r.startNs > 0n && r.endNs >= r.startNs && r.durationNs === r.endNs - r.startNs);
  assert.ok(r.endNs <= NOW_NS + 2n * 86_400n * 1_000_000_000n);
  for (const t of [r.attributes, r.resourceAttributes]) {
    const o = JSON.parse(t) as unknown;
    assert.ok(o !== null && typeof o === 'object' && !Array.isArray(o));
  }
  assert.ok(Array.isArray(JSON.parse(r.events)) && Array.isArray(JSON.parse(r.links)));
  for (const s of [r.name, r.service, r.statusMessage, r.attributes, r.inputContent ?? '', r.outputContent ?? '']) {
    assert.ok(s.isWellFormed(), 'no lone surrogates reach storage');
  }
  for (const n of [r.inputTokens, r.outputTokens, r.costMicros]) {
    assert.ok(n === null || Number.isFinite(n));
  }
}

function normalizeChecked(req: ExportTraceServiceRequest): SpanRow[] {
  const res = timeBoxed('normalize', () => normalizeRequest(req, { nowNs: NOW_NS }));
  assert.equal(res.accepted + res.rejected, spanCount(req));
  assert.equal(res.rows.length, res.accepted);
  res.rows.forEach(checkRow);
  return res.rows;
}

// ---- protobuf seeds: valid encodings to mutate --------------------------------------------------

interface PbType {
  encode(m: unknown): { finish(): Uint8Array };
}
const requireCjs = createRequire(import.meta.url);
const PbRequest = (
  requireCjs('@opentelemetry/otlp-transformer/build/src/generated/root') as {
    opentelemetry: { proto: { collector: { trace: { v1: Record<'ExportTraceServiceRequest', PbType> } } } };
  }
).opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

function seed(n: number): Uint8Array {
  const kv = (key: string, value: Record<string, unknown>) => ({ key, value });
  return PbRequest.encode({
    resourceSpans: [
      {
        resource: { attributes: [kv('service.name', { stringValue: 'svc' })] },
        scopeSpans: [
          {
            scope: { name: 'sc', version: '1' },
            spans: Array.from({ length: n }, (_, i) => ({
              traceId: Buffer.alloc(16, i + 1),
              spanId: Buffer.alloc(8, i + 1),
              name: `chat ${i}`,
              kind: 3,
              startTimeUnixNano: 1_760_000_000_000_000_000 + i,
              endTimeUnixNano: 1_760_000_000_500_000_000 + i,
              attributes: [
                kv('gen_ai.request.model', { stringValue: 'gpt-4o' }),
                kv('gen_ai.usage.input_tokens', { intValue: 12 }),
                kv('list', { arrayValue: { values: [{ doubleValue: 1.5 }, { boolValue: true }] } }),
                kv('kv', { kvlistValue: { values: [kv('a', { bytesValue: Buffer.from('x') })] } }),
              ],
              events: [{ timeUnixNano: 1_760_000_000_100_000_000, name: 'e', attributes: [kv('k', { stringValue: 'v' })] }],
              status: { code: 2, message: 'bad' },
            })),
          },
        ],
      },
    ],
  }).finish();
}
const SEEDS = [seed(1), seed(3)];
const protoArb = fc.oneof(
  { arbitrary: fc.uint8Array({ maxLength: 300 }), weight: 2 },
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: SEEDS.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'cut', 'insert')), { minLength: 1, maxLength: 4 }))
      .map(([s, edits]) => {
        let b = Buffer.from(SEEDS[s]!);
        for (const [at, byte, op] of edits) {
          const i = b.length === 0 ? 0 : at % b.length;
          if (op === 'set') {
            b[i] = byte;
          } else if (op === 'cut') {
            b = b.subarray(0, i);
          } else {
            b = Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
          }
        }
        return new Uint8Array(b);
      }),
  }
);

// ---- properties --------------------------------------------------------------------------------

describe('fuzz: OTLP decoders', () => {
  it('OTLP/JSON: decodes or fails with OtlpDecodeError; decoded requests normalize cleanly', { timeout: TEST_TIMEOUT_MS }, () => {
    fuzzAssert('otlp-json', 
      fc.property(jsonBodyArb, fc.boolean(), (body, asBytes) => {
        let req: ExportTraceServiceRequest;
        try {
          req = timeBoxed('JSON decode', () => decodeTraceRequestJson(asBytes ? Buffer.from(body) : body));
        } catch (e) {
          assertClearError(e, OtlpDecodeError, 'JSON decode');
          return;
        }
        normalizeChecked(req);
      }),
      fcParams
    );
  });

  it('OTLP/protobuf: decodes or fails with OtlpDecodeError; the visitor agrees with the decoder', { timeout: TEST_TIMEOUT_MS }, () => {
    fuzzAssert('otlp-protobuf', 
      fc.property(protoArb, (buf) => {
        let req: ExportTraceServiceRequest;
        try {
          req = timeBoxed('protobuf decode', () => decodeTraceRequestProto(buf));
        } catch (e) {
          assertClearError(e, OtlpDecodeError, 'protobuf decode');
          assert.throws(() => visitTraceRequestProto(buf, new SpanStream({ nowNs: NOW_NS }, () => undefined)), OtlpDecodeError);
          return;
        }
        const rows = normalizeChecked(req);
        const streamed: SpanRow[] = [];
        const stream = new SpanStream({ nowNs: NOW_NS }, (r) => streamed.push({ ...r }));
        timeBoxed('protobuf visit', () => visitTraceRequestProto(buf, stream));
        assert.deepEqual(streamed, rows);
      }),
      fcParams
    );
  });

  describe('store and read back', () => {
    let dir = '';
    let storage: DuckDbStorage;
    let seq = 0n;
    let traceNo = 0;
    before(async () => {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pyflare-fuzz-'));
      storage = await DuckDbStorage.open({ dataDir: dir, memoryLimit: '128MB', threads: 1 });
    });
    after(async () => {
      await storage.close();
      await fs.rm(dir, { recursive: true, force: true });
    });

    it('decode -> normalize -> store -> getTrace gives the same rows', { timeout: TEST_TIMEOUT_MS }, async () => {
      let stored = 0;
      let runs = 0;
      await fuzzAssertAsync('otlp-store-roundtrip',
        fc.asyncProperty(wellFormedRequest, async (obj) => {
          runs++;
          let req: ExportTraceServiceRequest;
          try {
            req = decodeTraceRequestJson(JSON.stringify(obj));
          } catch (e) {
            assertClearError(e, OtlpDecodeError, 'JSON decode');
            return;
          }
          const rows = normalizeChecked(req);
          if (rows.length === 0) {
            return;
          }
          // A fresh trace id per run: shrinking replays inputs, the store must not mix them.
          const tid = `f${(++traceNo).toString(16).padStart(31, '0')}`;
          for (const r of rows) {
            r.traceId = tid;
          }
          await storage.applyBatch(rows, ++seq);
          stored++;
          const back = await storage.getTrace(tid);
          const key = (r: SpanRow) => `${String(r.startNs).padStart(24, '0')}/${r.spanId}`;
          // Which attribute the content came from is intake-only: storage gives the content itself.
          const expected = [...rows]
            .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
            .map(({ inputContentKey: _i, outputContentKey: _o, ...row }) => row);
          assert.deepEqual(back, expected);
        }),
        { ...fcParams, numRuns: Math.max(20, Math.floor(FUZZ_RUNS / 10)) }
      );
      // The property says little unless most runs reach storage.
      assert.ok(stored * 2 >= runs, `only ${stored} of ${runs} runs stored a row`);
    });
  });
});
