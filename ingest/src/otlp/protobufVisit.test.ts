// visitTraceRequestProto must see exactly what decodeTraceRequestProto decodes, and reject
// exactly what it rejects.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeTraceRequestProto, visitTraceRequestProto } from './protobuf.js';
import { OtlpDecodeError, type ExportTraceServiceRequest, type OtlpResourceSpans } from './types.js';

interface PbType {
  encode(m: unknown): { finish(): Uint8Array };
}
const requireCjs = createRequire(import.meta.url);
const root = requireCjs('@opentelemetry/otlp-transformer/build/src/generated/root') as {
  opentelemetry: { proto: { collector: { trace: { v1: Record<'ExportTraceServiceRequest', PbType> } } } };
};
const PbRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

/** Rebuilds the decoded tree from the visitor's calls. */
function viaVisitor(buf: Uint8Array): ExportTraceServiceRequest {
  const out: OtlpResourceSpans[] = [];
  visitTraceRequestProto(buf, {
    resource(resource, index) {
      assert.equal(index, out.length);
      out.push({ resource, schemaUrl: '', scopeSpans: [] });
    },
    scope(scope, index) {
      const rs = out[out.length - 1]!;
      assert.equal(index, rs.scopeSpans.length);
      rs.scopeSpans.push({ scope, schemaUrl: '', spans: [] });
    },
    span(span, index) {
      const ss = out[out.length - 1]!.scopeSpans.at(-1)!;
      assert.equal(index, ss.spans.length);
      ss.spans.push(span);
    },
  });
  return { resourceSpans: out };
}

/** The decoded tree without the schema URLs (the visitor does not hand them out). */
function withoutSchemaUrls(req: ExportTraceServiceRequest): ExportTraceServiceRequest {
  return {
    resourceSpans: req.resourceSpans.map((rs) => ({
      ...rs,
      schemaUrl: '',
      scopeSpans: rs.scopeSpans.map((ss) => ({ ...ss, schemaUrl: '' })),
    })),
  };
}

const kv = (key: string, v: string | number) => ({ key, value: typeof v === 'string' ? { stringValue: v } : { intValue: v } });
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (seed * 31 + i * 7) & 0xff || 1);

function sampleRequest(resources: number, scopes: number, spans: number): Uint8Array {
  return PbRequest.encode({
    resourceSpans: Array.from({ length: resources }, (_, ri) => ({
      resource: { attributes: [kv('service.name', `svc-${ri}`), kv('host', ri)] },
      schemaUrl: 'https://x/1',
      scopeSpans: Array.from({ length: scopes }, (_, si) => ({
        scope: { name: `scope-${si}`, version: '1.0', attributes: [kv('s', si)] },
        spans: Array.from({ length: spans }, (_, pi) => ({
          traceId: bytes(16, ri + 1),
          spanId: bytes(8, pi + 2),
          name: `op-${pi}`,
          kind: 2,
          startTimeUnixNano: 1_000 + pi,
          endTimeUnixNano: 2_000 + pi,
          attributes: [kv('gen_ai.request.model', 'gpt-4o'), kv('n', pi)],
          events: pi % 2 ? [{ timeUnixNano: 1_500, name: 'e', attributes: [kv('k', 'v')] }] : [],
          status: { code: pi % 3, message: pi % 3 === 2 ? 'boom' : '' },
        })),
      })),
    })),
  }).finish();
}

describe('visitTraceRequestProto', () => {
  it('visits what decodeTraceRequestProto decodes, in order', () => {
    for (const [r, s, p] of [
      [1, 1, 5],
      [2, 3, 4],
      [1, 0, 0],
      [3, 1, 0],
    ] as const) {
      const buf = sampleRequest(r, s, p);
      assert.deepEqual(viaVisitor(buf), withoutSchemaUrls(decodeTraceRequestProto(buf)));
    }
    assert.deepEqual(viaVisitor(new Uint8Array(0)), { resourceSpans: [] });
  });

  it('hands out a resource (and scope) complete even when it follows its spans on the wire', () => {
    // ResourceSpans: scope_spans (field 2) first, then resource (field 1) twice (merged).
    const scopeSpans = Buffer.from(
      PbRequest.encode({ resourceSpans: [{ scopeSpans: [{ scope: { name: 'late' }, spans: [{ traceId: bytes(16, 1), spanId: bytes(8, 1), name: 'x' }] }] }] }).finish()
    );
    const resource = (attrs: Array<ReturnType<typeof kv>>) =>
      Buffer.from(PbRequest.encode({ resourceSpans: [{ resource: { attributes: attrs } }] }).finish());
    // Each encoded request is tag 0x0a + len + ResourceSpans body; concatenating the bodies
    // gives one ResourceSpans with the fields in this order.
    const body = (b: Buffer) => b.subarray(2);
    const rs = Buffer.concat([body(scopeSpans), body(resource([kv('service.name', 'a')])), body(resource([kv('k', 1)]))]);
    const buf = Buffer.concat([Buffer.from([0x0a, rs.length]), rs]);
    const visited = viaVisitor(buf);
    assert.deepEqual(visited, withoutSchemaUrls(decodeTraceRequestProto(buf)));
    assert.equal(visited.resourceSpans[0]!.resource.attributes.length, 2);
  });

  it('rejects exactly what the whole-request decoder rejects', () => {
    const good = sampleRequest(2, 2, 3);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: good.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.boolean(), (at, byte, truncate) => {
        const buf = truncate ? good.subarray(0, at) : Uint8Array.from(good, (b, i) => (i === at ? byte : b));
        let whole: unknown = null;
        let visited: unknown = null;
        try {
          whole = withoutSchemaUrls(decodeTraceRequestProto(buf));
        } catch (e) {
          assert.ok(e instanceof OtlpDecodeError);
          whole = 'error';
        }
        try {
          visited = viaVisitor(buf);
        } catch (e) {
          assert.ok(e instanceof OtlpDecodeError, String(e));
          visited = 'error';
        }
        assert.deepEqual(visited, whole);
      }),
      { numRuns: 400 }
    );
  });

  it('passes errors thrown by the visitor through unchanged', () => {
    const boom = new TypeError('visitor bug');
    assert.throws(
      () =>
        visitTraceRequestProto(sampleRequest(1, 1, 1), {
          resource: () => undefined,
          scope: () => undefined,
          span: () => {
            throw boom;
          },
        }),
      (e) => e === boom
    );
  });
});
