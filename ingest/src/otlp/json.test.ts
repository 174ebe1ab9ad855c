import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeTraceRequestJson, encodeTraceResponseJson, quoteBigIntegers } from './json.js';
import { OtlpDecodeError } from './types.js';

const TRACE = '5B8EFFF798038103D269B633813FC60C';
const SPAN = 'EEE19B7EC3C1B174';

// The example from the OTLP specification repository (examples/trace.json), trimmed.
const SPEC_EXAMPLE = `{
  "resourceSpans": [{
    "resource": { "attributes": [{ "key": "service.name", "value": { "stringValue": "my.service" } }] },
    "scopeSpans": [{
      "scope": { "name": "my.library", "version": "1.0.0",
        "attributes": [{ "key": "my.scope.attribute", "value": { "stringValue": "some scope attribute" } }] },
      "spans": [{
        "traceId": "${TRACE}", "spanId": "${SPAN}", "parentSpanId": "EEE19B7EC3C1B173",
        "name": "I'm a server span",
        "startTimeUnixNano": "1544712660000000000", "endTimeUnixNano": "1544712661000000000",
        "kind": 2,
        "attributes": [
          { "key": "my.span.attr", "value": { "stringValue": "some value" } },
          { "key": "int", "value": { "intValue": "9007199254740993" } },
          { "key": "intnum", "value": { "intValue": 42 } },
          { "key": "dbl", "value": { "doubleValue": 1.5 } },
          { "key": "inf", "value": { "doubleValue": "Infinity" } },
          { "key": "b", "value": { "boolValue": true } },
          { "key": "bytes", "value": { "bytesValue": "AQL/" } },
          { "key": "arr", "value": { "arrayValue": { "values": [{ "stringValue": "a" }, { "intValue": "1" }] } } },
          { "key": "kv", "value": { "kvlistValue": { "values": [{ "key": "x", "value": { "boolValue": false } }] } } },
          { "key": "empty", "value": {} }
        ],
        "events": [{ "timeUnixNano": "1544712660500000000", "name": "ev", "attributes": [] }],
        "links": [{ "traceId": "${TRACE}", "spanId": "EEE19B7EC3C1B170", "attributes": [] }],
        "status": { "code": 2, "message": "boom" }
      }]
    }]
  }]
}`;

describe('decodeTraceRequestJson', () => {
  it('decodes the spec example with every value kind', () => {
    const r = decodeTraceRequestJson(SPEC_EXAMPLE);
    const rs = r.resourceSpans[0]!;
    assert.deepEqual(rs.resource.attributes[0], { key: 'service.name', value: { kind: 'string', value: 'my.service' } });
    const ss = rs.scopeSpans[0]!;
    assert.equal(ss.scope.name, 'my.library');
    const s = ss.spans[0]!;
    assert.equal(s.traceId, TRACE.toLowerCase());
    assert.equal(s.spanId, SPAN.toLowerCase());
    assert.equal(s.parentSpanId, 'eee19b7ec3c1b173');
    assert.equal(s.kind, 2);
    assert.equal(s.startTimeUnixNano, 1544712660000000000n);
    assert.equal(s.endTimeUnixNano, 1544712661000000000n);
    assert.deepEqual(s.status, { code: 2, message: 'boom' });
    const a = Object.fromEntries(s.attributes.map((kv) => [kv.key, kv.value]));
    assert.deepEqual(a.int, { kind: 'int', value: 9007199254740993n });
    assert.deepEqual(a.intnum, { kind: 'int', value: 42n });
    assert.deepEqual(a.dbl, { kind: 'double', value: 1.5 });
    assert.deepEqual(a.inf, { kind: 'double', value: Infinity });
    assert.deepEqual(a.b, { kind: 'bool', value: true });
    assert.deepEqual(a.bytes, { kind: 'bytes', value: new Uint8Array([1, 2, 255]) });
    assert.deepEqual(a.arr, { kind: 'array', value: [{ kind: 'string', value: 'a' }, { kind: 'int', value: 1n }] });
    assert.deepEqual(a.kv, { kind: 'kvlist', value: [{ key: 'x', value: { kind: 'bool', value: false } }] });
    assert.deepEqual(a.empty, { kind: 'empty' });
    assert.equal(s.events[0]!.timeUnixNano, 1544712660500000000n);
    assert.equal(s.links[0]!.spanId, 'eee19b7ec3c1b170');
  });

  it('keeps 19-digit timestamps exact when sent as bare JSON numbers', () => {
    const body = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE}","spanId":"${SPAN}",
      "startTimeUnixNano":1544712660123456789,"endTimeUnixNano":1544712661987654321,
      "attributes":[{"key":"n","value":{"intValue":-9223372036854775808}},{"key":"s","value":{"stringValue":"1544712660123456789"}}]}]}]}]}`;
    const s = decodeTraceRequestJson(body).resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    assert.equal(s.startTimeUnixNano, 1544712660123456789n);
    assert.equal(s.endTimeUnixNano, 1544712661987654321n);
    assert.deepEqual(s.attributes[0]!.value, { kind: 'int', value: -9223372036854775808n });
    assert.deepEqual(s.attributes[1]!.value, { kind: 'string', value: '1544712660123456789' });
  });

  it('accepts enum names and snake_case field names', () => {
    const body = JSON.stringify({
      resource_spans: [
        {
          scope_spans: [
            {
              spans: [
                {
                  trace_id: TRACE,
                  span_id: SPAN,
                  parent_span_id: '',
                  start_time_unix_nano: '1',
                  end_time_unix_nano: '2',
                  kind: 'SPAN_KIND_CLIENT',
                  status: { code: 'STATUS_CODE_OK' },
                  attributes: [{ key: 'k', value: { string_value: 'v' } }],
                },
              ],
            },
          ],
        },
      ],
    });
    const s = decodeTraceRequestJson(body).resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    assert.equal(s.kind, 3);
    assert.equal(s.status.code, 1);
    assert.equal(s.startTimeUnixNano, 1n);
    assert.deepEqual(s.attributes[0], { key: 'k', value: { kind: 'string', value: 'v' } });
  });

  it('treats missing parts as empty', () => {
    assert.deepEqual(decodeTraceRequestJson('{}'), { resourceSpans: [] });
    const s = decodeTraceRequestJson('{"resourceSpans":[{"scopeSpans":[{"spans":[{}]}]}]}').resourceSpans[0]!.scopeSpans[0]!
      .spans[0]!;
    assert.equal(s.traceId, '');
    assert.equal(s.startTimeUnixNano, 0n);
    assert.deepEqual(s.events, []);
  });

  it('names the offending field', () => {
    const bad = (body: string, re: RegExp) =>
      assert.throws(() => decodeTraceRequestJson(body), (e: unknown) => e instanceof OtlpDecodeError && re.test(e.message));
    bad('not json', /invalid JSON/);
    bad('[]', /expected an ExportTraceServiceRequest object/);
    bad('{"resourceSpans":{}}', /^resourceSpans: expected an array/);
    bad('{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"12x"}]}]}]}', /spans\[0\]\.startTimeUnixNano: expected an integer/);
    bad('{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":5}]}]}]}', /spans\[0\]\.name: expected a string/);
    bad('{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":"SPAN_KIND_NOPE"}]}]}]}', /spans\[0\]\.kind: expected an enum/);
    bad(
      '{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"a","value":{"boolValue":"yes"}}]}]}]}]}',
      /attributes\[0\]\.value\.boolValue: expected a boolean/
    );
  });

  it('survives invalid UTF-8 bytes', () => {
    const prefix = Buffer.from(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a`);
    const suffix = Buffer.from(`b"}]}]}]}`);
    const body = Buffer.concat([prefix, Buffer.from([0xff, 0xfe]), suffix]);
    const s = decodeTraceRequestJson(body).resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    assert.equal(s.name, 'a\ufffd\ufffdb');
  });
});

describe('quoteBigIntegers', () => {
  it('quotes only long bare integers, never inside strings', () => {
    assert.equal(quoteBigIntegers('{"a":12345678901234567,"b":"12345678901234567","c":1.2345678901234567}'),
      '{"a":"12345678901234567","b":"12345678901234567","c":1.2345678901234567}');
    assert.equal(quoteBigIntegers('{"a":"x\\"1234567890123456789"}'), '{"a":"x\\"1234567890123456789"}');
    assert.equal(quoteBigIntegers('[1,2,3]'), '[1,2,3]');
  });

  it('parses any int64 exactly, in any position (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }), fc.string(), (n, s) => {
        const text = `{"s":${JSON.stringify(s)},"v":${n.toString()},"arr":[${n.toString()}]}`;
        const parsed = JSON.parse(quoteBigIntegers(text)) as { s: string; v: unknown; arr: unknown[] };
        assert.equal(parsed.s, s);
        assert.equal(BigInt(parsed.v as string | number), n);
        assert.equal(BigInt(parsed.arr[0] as string | number), n);
      })
    );
  });
});

describe('encodeTraceResponseJson', () => {
  it('writes partial success only when something was rejected', () => {
    assert.equal(encodeTraceResponseJson({ rejectedSpans: 0, errorMessage: '' }), '{}');
    assert.deepEqual(JSON.parse(encodeTraceResponseJson({ rejectedSpans: 2, errorMessage: 'bad ids' })), {
      partialSuccess: { rejectedSpans: '2', errorMessage: 'bad ids' },
    });
  });
});
