import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';

import { context, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type AttributeValue } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';

import { decodeTraceRequestProto, encodeTraceResponseProto, MAX_NESTING_DEPTH } from './protobuf.js';
import {
  OtlpDecodeError,
  type ExportTraceServiceRequest,
  type OtlpAnyValue,
  type OtlpKeyValue,
  type OtlpResourceSpans,
  type OtlpSpan,
} from './types.js';

// ---- reference encoders ------------------------------------------------------------------

// protobufjs static code generated from the official opentelemetry-proto files (shipped inside
// @opentelemetry/otlp-transformer 0.2xx): an independent encoder for arbitrary requests.
interface PbMessageType {
  encode(message: unknown): { finish(): Uint8Array };
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options: { longs: StringConstructor; bytes: StringConstructor; defaults: boolean }): unknown;
}
interface PbRoot {
  opentelemetry: { proto: { collector: { trace: { v1: Record<'ExportTraceServiceRequest' | 'ExportTraceServiceResponse', PbMessageType> } } } };
}
const requireCjs = createRequire(import.meta.url);
const pbRoot = requireCjs('@opentelemetry/otlp-transformer/build/src/generated/root') as PbRoot;
const PbRequest = pbRoot.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const PbResponse = pbRoot.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;

/** Minimal protobuf writer for hand-built edge cases (unknown fields, groups, bad wire types). */
class W {
  private bytes: number[] = [];
  varint(v: bigint | number): this {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.bytes.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.bytes.push(Number(x));
    return this;
  }
  tag(field: number, wt: number): this {
    return this.varint((BigInt(field) << 3n) | BigInt(wt));
  }
  raw(b: Iterable<number>): this {
    for (const x of b) {this.bytes.push(x);}
    return this;
  }
  len(field: number, payload: Uint8Array | W | string): this {
    const b = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload instanceof W ? payload.finish() : payload;
    return this.tag(field, 2).varint(b.length).raw(b);
  }
  fixed64(field: number, v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, v));
    return this.tag(field, 1).raw(b);
  }
  fixed32(field: number, v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return this.tag(field, 5).raw(b);
  }
  double(field: number, v: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    return this.tag(field, 1).raw(b);
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

const hexBytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));

/** One request with one span, the span's fields written by `span`. */
function requestWithSpan(span: W): Uint8Array {
  return new W().len(1, new W().len(2, new W().len(2, span))).finish();
}

function onlySpan(req: ExportTraceServiceRequest): OtlpSpan {
  const span = req.resourceSpans[0]?.scopeSpans[0]?.spans[0];
  assert.ok(span, 'request has a span');
  return span;
}

function expectDecodeError(buf: Uint8Array, pattern?: RegExp): void {
  assert.throws(
    () => decodeTraceRequestProto(buf),
    (err: unknown) => err instanceof OtlpDecodeError && (pattern === undefined || pattern.test(err.message)),
  );
}

// ---- expected decoded form of SDK spans --------------------------------------------------

function hrToNanos(hr: readonly [number, number]): bigint {
  return BigInt(hr[0]) * 1_000_000_000n + BigInt(hr[1]);
}

function anyValueOf(v: AttributeValue | null | undefined): OtlpAnyValue {
  if (typeof v === 'string') {return { kind: 'string', value: v };}
  if (typeof v === 'boolean') {return { kind: 'bool', value: v };}
  if (typeof v === 'number') {return Number.isInteger(v) ? { kind: 'int', value: BigInt(v) } : { kind: 'double', value: v };}
  if (Array.isArray(v)) {return { kind: 'array', value: (v as ReadonlyArray<string | number | boolean | null | undefined>).map(anyValueOf) };}
  return { kind: 'empty' };
}

function attrsOf(attrs: Attributes | undefined): OtlpKeyValue[] {
  return Object.entries(attrs ?? {}).map(([key, value]) => ({ key, value: anyValueOf(value) }));
}

/**
 * What the decoder must produce for SDK spans, built straight from the ReadableSpans. `modern`
 * marks the 0.3xx serializer, which also writes span flags and the resource schema URL.
 */
function expectedRequest(spans: ReadableSpan[], modern: boolean): ExportTraceServiceRequest {
  const byResource = new Map<ReadableSpan['resource'], Map<string, ReadableSpan[]>>();
  for (const s of spans) {
    const scopes = byResource.get(s.resource) ?? new Map<string, ReadableSpan[]>();
    byResource.set(s.resource, scopes);
    const sc = s.instrumentationScope;
    const key = `${sc.name}@${sc.version ?? ''}:${sc.schemaUrl ?? ''}`;
    scopes.set(key, [...(scopes.get(key) ?? []), s]);
  }
  const resourceSpans: OtlpResourceSpans[] = [];
  for (const [resource, scopes] of byResource) {
    resourceSpans.push({
      resource: { attributes: attrsOf(resource.attributes), droppedAttributesCount: 0 },
      schemaUrl: modern ? (resource.schemaUrl ?? '') : '',
      scopeSpans: [...scopes.values()].map((group) => {
        const sc = group[0]!.instrumentationScope;
        return {
          scope: { name: sc.name, version: sc.version ?? '', attributes: [] },
          schemaUrl: sc.schemaUrl ?? '',
          spans: group.map((s): OtlpSpan => {
            const ctx = s.spanContext();
            return {
              traceId: ctx.traceId,
              spanId: ctx.spanId,
              parentSpanId: s.parentSpanContext?.spanId ?? '',
              traceState: ctx.traceState?.serialize() ?? '',
              flags: modern ? (ctx.traceFlags & 0xff) | 0x100 | (s.parentSpanContext?.isRemote ? 0x200 : 0) : 0,
              name: s.name,
              kind: s.kind + 1,
              startTimeUnixNano: hrToNanos(s.startTime),
              endTimeUnixNano: hrToNanos(s.endTime),
              attributes: attrsOf(s.attributes),
              droppedAttributesCount: s.droppedAttributesCount,
              events: s.events.map((e) => ({
                timeUnixNano: hrToNanos(e.time),
                name: e.name,
                attributes: attrsOf(e.attributes),
                droppedAttributesCount: e.droppedAttributesCount ?? 0,
              })),
              droppedEventsCount: s.droppedEventsCount,
              links: s.links.map((l) => ({
                traceId: l.context.traceId,
                spanId: l.context.spanId,
                traceState: l.context.traceState?.serialize() ?? '',
                attributes: attrsOf(l.attributes),
                droppedAttributesCount: l.droppedAttributesCount ?? 0,
              })),
              droppedLinksCount: s.droppedLinksCount,
              status: { code: s.status.code, message: s.status.message ?? '' },
            };
          }),
        };
      }),
    });
  }
  return { resourceSpans };
}

type TracerConfigResource = NonNullable<ConstructorParameters<typeof BasicTracerProvider>[0]>['resource'];

/** Realistic spans from the real SDK: an LLM call with a remote parent, a tool, a root span. */
function sdkSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    // @opentelemetry/resources 3.x next to sdk-trace-base 2.x: same shape, distinct declarations.
    resource: resourceFromAttributes(
      { 'service.name': 'chat-api', 'service.version': '1.4.2', 'deployment.environment': 'prod', 'host.cpu.count': 8 },
      { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' },
    ) as unknown as TracerConfigResource,
    spanLimits: { attributeCountLimit: 12, eventCountLimit: 3, linkCountLimit: 2, attributePerEventCountLimit: 3, attributePerLinkCountLimit: 2 },
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const llmTracer = provider.getTracer('pyflare.test.llm', '0.9.1', { schemaUrl: 'https://opentelemetry.io/schemas/1.27.0' });
  const toolTracer = provider.getTracer('pyflare.test.tools');
  const remoteParent = trace.setSpanContext(context.active(), {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: new TraceState('vendor=abc,pyflare=1'),
  });
  const llm = llmTracer.startSpan(
    'chat gpt-4o',
    {
      kind: SpanKind.CLIENT,
      startTime: [1700000000, 123456789],
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.request.temperature': 0.7,
        'gen_ai.request.max_tokens': 1024,
        'gen_ai.usage.input_tokens': 1234,
        'gen_ai.usage.output_tokens': 56,
        'gen_ai.response.finish_reasons': ['stop', 'length'],
        'llm.streaming': false,
        'int.negative': -5,
        'int.max_safe': Number.MAX_SAFE_INTEGER,
        'int.min_safe': Number.MIN_SAFE_INTEGER,
        'double.tiny': 5e-324,
        'unicode.prompt': 'Grüße, 世界 🌍 — "quoted"\n',
        'array.ints': [1, -2, 3],
        'array.doubles': [0.5, 1.5],
        'array.bools': [true, false],
        'array.with.null': ['a', null, 'b'],
        'array.empty': [],
        'string.empty': '',
        'over.limit.1': 'dropped',
        'over.limit.2': 'dropped',
      },
      links: [
        { context: { traceId: '11111111111111111111111111111111', spanId: '2222222222222222', traceFlags: 1, traceState: new TraceState('k=v') }, attributes: { 'link.kind': 'retry', 'link.n': 2, 'link.x': true } },
        { context: { traceId: 'abcdefabcdefabcdefabcdefabcdef01', spanId: 'fedcba9876543210', traceFlags: 0 } },
      ],
    },
    remoteParent,
  );
  llm.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': 'Say hi', role: 'user' }, [1700000000, 223456789]);
  llm.addEvent('gen_ai.content.completion', { 'gen_ai.completion': 'Hi!', a: 1, b: 2, c: 3, d: 4 }, [1700000001, 999999999]);
  llm.addEvent('no-attributes', undefined, [1700000002, 1]);
  llm.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited: 429' });
  llm.end([1700000003, 5]);

  const rootCtx = context.active();
  const tool = toolTracer.startSpan('tool search', { kind: SpanKind.INTERNAL, startTime: [1800000000, 0], attributes: { 'tool.name': 'search' } }, rootCtx);
  tool.setStatus({ code: SpanStatusCode.OK });
  tool.end([1800000000, 500]);

  for (const kind of [SpanKind.SERVER, SpanKind.PRODUCER, SpanKind.CONSUMER]) {
    const s = toolTracer.startSpan(`kind ${kind}`, { kind, startTime: [1, 2] }, rootCtx);
    s.end([3, 4]);
  }
  return memory.getFinishedSpans();
}

function serializeOfficial(spans: ReadableSpan[]): Uint8Array {
  const buf = ProtobufTraceSerializer.serializeRequest(spans);
  assert.ok(buf, 'serializer produced bytes');
  return buf;
}

/** Runs the real OTLP/HTTP protobuf exporter against a local server and returns the request bodies. */
async function captureProtoExporter(spans: ReadableSpan[], compression: 'gzip' | 'none'): Promise<Uint8Array[]> {
  const bodies: Uint8Array[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      bodies.push(req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw);
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const exporter = new OTLPProtoTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces`, compression: compression as never });
  try {
    const result = await new Promise<{ code: number; error?: Error }>((resolve) =>
      exporter.export(spans as unknown as Parameters<typeof exporter.export>[0], resolve),
    );
    assert.equal(result.code, 0, `export failed: ${result.error?.message ?? ''}`);
  } finally {
    await exporter.shutdown();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return bodies;
}

// ---- tests -------------------------------------------------------------------------------

describe('decodeTraceRequestProto: official serializers', () => {
  const spans = sdkSpans();

  it('decodes every field written by the protobufjs serializer (otlp-transformer 0.2xx)', () => {
    const decoded = decodeTraceRequestProto(serializeOfficial(spans));
    assert.deepStrictEqual(decoded, expectedRequest(spans, false));
  });

  it('decodes every field written by the OTLP/HTTP proto exporter (0.3xx hand-written serializer)', async () => {
    for (const compression of ['none', 'gzip'] as const) {
      const bodies = await captureProtoExporter(spans, compression);
      assert.equal(bodies.length, 1);
      assert.deepStrictEqual(decodeTraceRequestProto(bodies[0]!), expectedRequest(spans, true));
    }
  });

  it('keeps 64-bit nanosecond timestamps exact and maps the remote-parent LLM span', () => {
    const span = onlySpan(decodeTraceRequestProto(serializeOfficial(spans)));
    assert.equal(span.startTimeUnixNano, 1700000000123456789n);
    assert.equal(span.endTimeUnixNano, 1700000003000000005n);
    assert.equal(span.events[1]?.timeUnixNano, 1700000001999999999n);
    assert.equal(span.traceId, '0af7651916cd43dd8448eb211c80319c');
    assert.equal(span.parentSpanId, 'b7ad6b7169203331');
    assert.equal(span.traceState, 'vendor=abc,pyflare=1');
    assert.equal(span.kind, 3);
    assert.deepStrictEqual(span.status, { code: 2, message: 'rate limited: 429' });
    assert.equal(span.droppedAttributesCount, 10);
    assert.ok(span.attributes.some((a) => a.key === 'gen_ai.usage.input_tokens' && a.value.kind === 'int' && a.value.value === 1234n));
  });

  it('accepts a Buffer and a Uint8Array view at a non-zero offset', () => {
    const bytes = serializeOfficial(spans);
    const padded = new Uint8Array(bytes.length + 7);
    padded.set(bytes, 3);
    const expected = expectedRequest(spans, false);
    assert.deepStrictEqual(decodeTraceRequestProto(padded.subarray(3, 3 + bytes.length)), expected);
    assert.deepStrictEqual(decodeTraceRequestProto(Buffer.from(bytes)), expected);
  });

  it('decodes an empty body as an empty request', () => {
    assert.deepStrictEqual(decodeTraceRequestProto(new Uint8Array(0)), { resourceSpans: [] });
  });
});

describe('decodeTraceRequestProto: AnyValue, unknown fields, merging', () => {
  it('decodes bytes, nested kvlist/array, empty values and int64 extremes', () => {
    const kv = (key: string, value: W) => new W().len(1, key).len(2, value);
    const span = new W()
      .len(9, kv('bytes', new W().len(7, Uint8Array.from([0, 255, 7]))))
      .len(9, kv('min', new W().tag(3, 0).varint(-(2n ** 63n))))
      .len(9, kv('max', new W().tag(3, 0).varint(2n ** 63n - 1n)))
      .len(9, kv('neg', new W().tag(3, 0).varint(-1)))
      .len(9, kv('dbl', new W().double(4, -0)))
      .len(9, kv('t', new W().tag(2, 0).varint(1)))
      .len(9, kv('empty', new W()))
      .len(9, new W().len(1, 'novalue'))
      .len(9, kv('kv', new W().len(6, new W().len(1, kv('inner', new W().len(5, new W().len(1, new W().len(1, 'x')).len(1, new W())))))))
      .fixed64(7, 2n ** 64n - 1n);
    const s = onlySpan(decodeTraceRequestProto(requestWithSpan(span)));
    assert.deepStrictEqual(s.attributes, [
      { key: 'bytes', value: { kind: 'bytes', value: Uint8Array.from([0, 255, 7]) } },
      { key: 'min', value: { kind: 'int', value: -(2n ** 63n) } },
      { key: 'max', value: { kind: 'int', value: 2n ** 63n - 1n } },
      { key: 'neg', value: { kind: 'int', value: -1n } },
      { key: 'dbl', value: { kind: 'double', value: -0 } },
      { key: 't', value: { kind: 'bool', value: true } },
      { key: 'empty', value: { kind: 'empty' } },
      { key: 'novalue', value: { kind: 'empty' } },
      {
        key: 'kv',
        value: {
          kind: 'kvlist',
          value: [{ key: 'inner', value: { kind: 'array', value: [{ kind: 'string', value: 'x' }, { kind: 'empty' }] } }],
        },
      },
    ]);
    assert.equal(s.startTimeUnixNano, 2n ** 64n - 1n);
  });

  it('decoded bytes values do not alias the input buffer', () => {
    const input = requestWithSpan(new W().len(9, new W().len(1, 'b').len(2, new W().len(7, Uint8Array.from([1, 2, 3])))));
    const v = onlySpan(decodeTraceRequestProto(input)).attributes[0]?.value;
    input.fill(0);
    assert.deepStrictEqual(v, { kind: 'bytes', value: Uint8Array.from([1, 2, 3]) });
  });

  it('skips unknown fields of every wire type, including nested groups, at every level', () => {
    const unknown = (w: W) =>
      w
        .tag(90, 0).varint(2n ** 64n - 1n)
        .fixed64(91, 5n)
        .len(92, 'ignored')
        .fixed32(93, 7)
        .tag(94, 3).tag(1, 0).varint(1).tag(95, 3).len(2, 'x').tag(95, 4).fixed32(3, 1).tag(94, 4)
        .tag(536870911, 0).varint(1); // the largest field number
    const kv = unknown(new W()).len(1, 'k').len(2, unknown(new W()).len(1, 'v'));
    const span = unknown(new W())
      .len(1, hexBytes('0102030405060708090a0b0c0d0e0f10'))
      .len(9, kv)
      .len(15, unknown(new W()).tag(1, 0).varint(9).tag(3, 0).varint(1)) // status: deprecated field 1 is skipped
      .len(11, unknown(new W()).len(2, 'ev'))
      .len(13, unknown(new W()).len(2, hexBytes('0000000000000001')).fixed32(6, 0x301));
    const scopeSpans = unknown(new W()).len(1, unknown(new W()).len(1, 'scope').tag(4, 0).varint(3)).len(2, span);
    const resource = unknown(new W()).len(1, kv).tag(2, 0).varint(4).len(3, new W().len(2, 'service'));
    const req = unknown(new W()).len(1, unknown(new W()).len(1, resource).len(2, scopeSpans).len(3, 'schema')).finish();
    const decoded = decodeTraceRequestProto(req);
    const rs = decoded.resourceSpans[0]!;
    assert.equal(rs.schemaUrl, 'schema');
    assert.deepStrictEqual(rs.resource, { attributes: [{ key: 'k', value: { kind: 'string', value: 'v' } }], droppedAttributesCount: 4 });
    assert.deepStrictEqual(rs.scopeSpans[0]!.scope, { name: 'scope', version: '', attributes: [] });
    const s = onlySpan(decoded);
    assert.equal(s.traceId, '0102030405060708090a0b0c0d0e0f10');
    assert.deepStrictEqual(s.status, { code: 1, message: '' });
    assert.deepStrictEqual(s.attributes, [{ key: 'k', value: { kind: 'string', value: 'v' } }]);
    assert.equal(s.events[0]!.name, 'ev');
    assert.equal(s.links[0]!.spanId, '0000000000000001');
  });

  it('merges repeated singular messages and lets the last oneof member win', () => {
    const span = new W()
      .len(15, new W().len(2, 'first').tag(3, 0).varint(2))
      .len(15, new W().tag(3, 0).varint(1))
      .len(9, new W().len(1, 'k').len(2, new W().len(5, new W().len(1, new W().len(1, 'a')))).len(2, new W().len(5, new W().len(1, new W().len(1, 'b')))))
      .len(9, new W().len(1, 'last').len(2, new W().len(1, 'str').tag(3, 0).varint(7)))
      .len(9, new W().len(1, 'strindex').len(2, new W().tag(8, 0).varint(3)))
      .tag(6, 0).varint(-1); // an enum written as a negative int32 takes ten bytes
    const s = onlySpan(decodeTraceRequestProto(requestWithSpan(span)));
    assert.deepStrictEqual(s.status, { code: 1, message: 'first' });
    assert.deepStrictEqual(s.attributes, [
      { key: 'k', value: { kind: 'array', value: [{ kind: 'string', value: 'a' }, { kind: 'string', value: 'b' }] } },
      { key: 'last', value: { kind: 'int', value: 7n } },
      { key: 'strindex', value: { kind: 'empty' } },
    ]);
    assert.equal(s.kind, -1);
  });

  it('keeps strings exact through the short-string cache, including hash collisions and non-ASCII', () => {
    // Same length and same first, middle and last 4 bytes: the same cache slot, different strings.
    const colliding = ['AAAAxyBBBBzzCCCC', 'AAAAqrBBBBwwCCCC', 'AAAAxyBBBBwwCCCC'];
    const others = ['é', 'ab', 'Grüße 🌍', '\u0000\u0001', 'x'.repeat(40), 'y'.repeat(41), 'k'];
    const names = [...colliding, ...others, ...[...colliding].reverse(), ...[...others].reverse()];
    for (let round = 0; round < 3; round++) {
      for (const name of names) {assert.equal(onlySpan(decodeTraceRequestProto(requestWithSpan(new W().len(5, name)))).name, name);}
    }
    const invalid = Uint8Array.from([0x61, 0xff, 0x62]);
    for (let round = 0; round < 2; round++) {
      assert.equal(onlySpan(decodeTraceRequestProto(requestWithSpan(new W().len(5, invalid)))).name, 'a\ufffdb');
    }
  });

  it('decodes repeated and changing trace/parent ids exactly (id reuse between spans)', () => {
    const ids = [
      ['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331'],
      ['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331'],
      ['0af7651916cd43dd8448eb211c80319d', 'b7ad6b7169203331'],
      ['1af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203332'],
      ['0af7651916cd43dd8448eb211c80319c', ''],
      ['0af7651916cd43dd8448eb211c8031', 'b7ad6b71692033'],
      ['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331'],
    ] as const;
    const scope = new W();
    for (const [traceId, parent] of ids) {
      const span = new W().len(1, hexBytes(traceId));
      if (parent) {span.len(4, hexBytes(parent));}
      scope.len(2, span);
    }
    const spans = decodeTraceRequestProto(new W().len(1, new W().len(2, scope)).finish()).resourceSpans[0]!.scopeSpans[0]!.spans;
    assert.deepStrictEqual(spans.map((sp) => [sp.traceId, sp.parentSpanId]), ids.map(([t, p]) => [t, p]));
  });

  it('replaces invalid UTF-8 with U+FFFD instead of failing', () => {
    const span = new W().len(5, Uint8Array.from([0x68, 0x69, 0xff, 0xc3, 0x28, 0xe2, 0x82]));
    const s = onlySpan(decodeTraceRequestProto(requestWithSpan(span)));
    assert.equal(s.name, 'hi\ufffd\ufffd(\ufffd');
  });

  it('rejects malformed input with OtlpDecodeError and a useful message', () => {
    expectDecodeError(Uint8Array.from([0x0a, 0x05, 0x01]), /length 5 of ExportTraceServiceRequest.resource_spans runs past the end/);
    expectDecodeError(Uint8Array.from([0x0a]), /truncated varint/);
    expectDecodeError(Uint8Array.from([0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), /bad varint/);
    expectDecodeError(Uint8Array.from([0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), /bad varint/);
    expectDecodeError(Uint8Array.from([0x00, 0x01]), /field number 0/);
    expectDecodeError(Uint8Array.from([0x16]), /invalid wire type 6 for field 2/);
    expectDecodeError(Uint8Array.from([0x14]), /unexpected end-group for field 2/);
    expectDecodeError(Uint8Array.from([0x13, 0x08, 0x01]), /truncated group 2/);
    expectDecodeError(Uint8Array.from([0x13, 0x24]), /end-group for field 4 inside group 2/);
    expectDecodeError(Uint8Array.from([0x08, 0x01]), /ExportTraceServiceRequest field 1 has wire type 0, expected 2/);
    expectDecodeError(requestWithSpan(new W().tag(7, 0).varint(5)), /Span field 7 has wire type 0, expected 1/);
    expectDecodeError(requestWithSpan(new W().len(16, 'x')), /Span field 16 has wire type 2, expected 5/);
    expectDecodeError(requestWithSpan(new W().tag(7, 1).raw([1, 2, 3])), /runs past the end|truncated/);
    // a length that fits the whole body but not its enclosing span message
    const inner = new W().tag(5, 2).varint(50).raw(Buffer.from('x'.repeat(10)));
    const bad = new W().len(1, new W().len(2, new W().tag(2, 2).varint(inner.finish().length).raw(inner.finish()))).raw(new Uint8Array(60)).finish();
    expectDecodeError(bad, /length 50 of Span.name runs past the end of its message/);
    // a 10-byte length whose low 32 bits are small must not pass as small
    expectDecodeError(Uint8Array.from([0x0a, 0x81, 0x80, 0x80, 0x80, 0x10, 0x00]), /runs past the end/);
    expectDecodeError(Uint8Array.from([0x0a, 0x00, 0x0a]), /truncated varint/);
  });

  it('enforces the nesting limit for AnyValue and groups', () => {
    const nestArray = (levels: number): W => {
      let v = new W().len(1, 'leaf');
      for (let i = 0; i < levels; i++) {v = new W().len(5, new W().len(1, v));}
      return v;
    };
    const withValue = (v: W) => requestWithSpan(new W().len(9, new W().len(1, 'k').len(2, v)));
    const ok = onlySpan(decodeTraceRequestProto(withValue(nestArray(20))));
    assert.equal(ok.attributes[0]!.value.kind, 'array');
    expectDecodeError(withValue(nestArray(MAX_NESTING_DEPTH)), /nesting too deep/);
    let groups = new W();
    for (let i = 0; i < MAX_NESTING_DEPTH + 2; i++) {groups.tag(20, 3);}
    for (let i = 0; i < MAX_NESTING_DEPTH + 2; i++) {groups.tag(20, 4);}
    expectDecodeError(groups.finish(), /nesting too deep/);
    groups = new W();
    for (let i = 0; i < 10; i++) {groups.tag(20, 3);}
    for (let i = 0; i < 10; i++) {groups.tag(20, 4);}
    assert.deepStrictEqual(decodeTraceRequestProto(groups.finish()), { resourceSpans: [] });
  });

  it('rejects non-byte input', () => {
    assert.throws(() => decodeTraceRequestProto('abc' as unknown as Uint8Array), OtlpDecodeError);
  });
});

describe('decodeTraceRequestProto: robustness', () => {
  const spans = sdkSpans();

  it('throws OtlpDecodeError for a body truncated at every byte offset', () => {
    const bytes = serializeOfficial(spans);
    // All spans share one resource, so every strict non-empty prefix cuts the only top-level field.
    assert.equal(decodeTraceRequestProto(bytes).resourceSpans.length, 1);
    for (let n = 1; n < bytes.length; n++) {
      let error: unknown;
      try {
        decodeTraceRequestProto(bytes.subarray(0, n));
      } catch (err) {
        error = err;
      }
      assert.ok(error instanceof OtlpDecodeError, `prefix of ${n}/${bytes.length} bytes: ${String(error)}`);
    }
  });

  it('random bytes decode or throw OtlpDecodeError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        try {
          decodeTraceRequestProto(bytes);
        } catch (err) {
          if (!(err instanceof OtlpDecodeError)) {throw err;}
        }
      }),
      { numRuns: 3000, seed: 1 },
    );
  });

  it('mutated valid bodies decode or throw OtlpDecodeError, never anything else', () => {
    const base = serializeOfficial(spans);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.nat({ max: 255 })), { minLength: 1, maxLength: 6 }), (edits) => {
        const bytes = Uint8Array.from(base);
        for (const [at, value] of edits) {bytes[at] = value;}
        try {
          decodeTraceRequestProto(bytes);
        } catch (err) {
          if (!(err instanceof OtlpDecodeError)) {throw err;}
        }
      }),
      { numRuns: 3000, seed: 2 },
    );
  });

  it('round-trips arbitrary requests encoded by the protobufjs code generated from opentelemetry-proto', () => {
    const id = fc.uint8Array({ maxLength: 16 });
    const str = fc.string({ unit: 'binary', maxLength: 20 });
    const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    const u32 = fc.nat({ max: 0xffffffff });
    const i32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
    const { value: anyValue } = fc.letrec<{ value: OtlpAnyValue; kv: OtlpKeyValue }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        rec({ kind: fc.constant('empty' as const) }),
        rec({ kind: fc.constant('string' as const), value: str }),
        rec({ kind: fc.constant('bool' as const), value: fc.boolean() }),
        rec({ kind: fc.constant('int' as const), value: int64 }),
        rec({ kind: fc.constant('double' as const), value: fc.double() }),
        rec({ kind: fc.constant('bytes' as const), value: fc.uint8Array({ maxLength: 8 }) }),
        rec({ kind: fc.constant('array' as const), value: fc.array(tie('value'), { maxLength: 3 }) }),
        rec({ kind: fc.constant('kvlist' as const), value: fc.array(tie('kv'), { maxLength: 3 }) }),
      ) as fc.Arbitrary<OtlpAnyValue>,
      kv: rec({ key: str, value: tie('value') }) as fc.Arbitrary<OtlpKeyValue>,
    }));
    const attrs = fc.array(rec({ key: str, value: anyValue }), { maxLength: 4 });
    const hex = id.map((b) => Buffer.from(b).toString('hex'));
    const span: fc.Arbitrary<OtlpSpan> = rec({
      traceId: hex,
      spanId: hex,
      parentSpanId: hex,
      traceState: str,
      flags: u32,
      name: str,
      kind: i32,
      startTimeUnixNano: u64,
      endTimeUnixNano: u64,
      attributes: attrs,
      droppedAttributesCount: u32,
      events: fc.array(rec({ timeUnixNano: u64, name: str, attributes: attrs, droppedAttributesCount: u32 }), { maxLength: 2 }),
      droppedEventsCount: u32,
      links: fc.array(rec({ traceId: hex, spanId: hex, traceState: str, attributes: attrs, droppedAttributesCount: u32 }), { maxLength: 2 }),
      droppedLinksCount: u32,
      status: rec({ code: i32, message: str }),
    });
    const request: fc.Arbitrary<ExportTraceServiceRequest> = rec({
      resourceSpans: fc.array(
        rec({
          resource: rec({ attributes: attrs, droppedAttributesCount: u32 }),
          schemaUrl: str,
          scopeSpans: fc.array(
            rec({ scope: rec({ name: str, version: str, attributes: attrs }), schemaUrl: str, spans: fc.array(span, { maxLength: 3 }) }),
            { maxLength: 2 },
          ),
        }),
        { maxLength: 2 },
      ),
    });
    fc.assert(
      fc.property(request, (req) => {
        const bytes = PbRequest.encode(toProtobufJs(req)).finish();
        assert.deepStrictEqual(decodeTraceRequestProto(bytes), req);
      }),
      { numRuns: 400, seed: 3 },
    );
  });
});

describe('encodeTraceResponseProto', () => {
  const decodeOfficial = (bytes: Uint8Array) =>
    PbResponse.toObject(PbResponse.decode(bytes), { longs: String, bytes: String, defaults: false });

  it('encodes full acceptance as the empty message', () => {
    assert.equal(encodeTraceResponseProto({ rejectedSpans: 0, errorMessage: '' }).length, 0);
  });

  it('encodes partial success readable by the official decoders', () => {
    const cases = [
      { rejectedSpans: 3, errorMessage: 'span 2: invalid trace id ✗' },
      { rejectedSpans: 0, errorMessage: 'warning only' },
      { rejectedSpans: 2 ** 40, errorMessage: '' },
    ];
    for (const c of cases) {
      const bytes = encodeTraceResponseProto(c);
      const expected: Record<string, string> = {};
      if (c.rejectedSpans) {expected['rejectedSpans'] = String(c.rejectedSpans);}
      if (c.errorMessage) {expected['errorMessage'] = c.errorMessage;}
      assert.deepStrictEqual(decodeOfficial(bytes), { partialSuccess: expected });
    }
  });
});

/** fc.record with plain prototypes, so that deepStrictEqual can compare with decoded objects. */
function rec<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;
}

// ---- protobufjs input for the round-trip property ---------------------------------------

function longBits(v: bigint): { low: number; high: number; unsigned: boolean } {
  const u = BigInt.asUintN(64, v);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0, unsigned: false };
}

function pbAnyValue(v: OtlpAnyValue): Record<string, unknown> {
  switch (v.kind) {
    case 'string':
      return { stringValue: v.value };
    case 'bool':
      return { boolValue: v.value };
    case 'int':
      return { intValue: longBits(v.value) };
    case 'double':
      return { doubleValue: v.value };
    case 'bytes':
      return { bytesValue: v.value };
    case 'array':
      return { arrayValue: { values: v.value.map(pbAnyValue) } };
    case 'kvlist':
      return { kvlistValue: { values: v.value.map(pbKeyValue) } };
    case 'empty':
      return {};
  }
}

function pbKeyValue(kv: OtlpKeyValue): Record<string, unknown> {
  return { key: kv.key, value: pbAnyValue(kv.value) };
}

function toProtobufJs(req: ExportTraceServiceRequest): unknown {
  const bytes = (hex: string) => Buffer.from(hex, 'hex');
  return {
    resourceSpans: req.resourceSpans.map((rs) => ({
      resource: {
        attributes: rs.resource.attributes.map(pbKeyValue),
        droppedAttributesCount: rs.resource.droppedAttributesCount,
        entityRefs: [{ schemaUrl: 'ignored', type: 'service', idKeys: ['service.name'] }],
      },
      schemaUrl: rs.schemaUrl,
      scopeSpans: rs.scopeSpans.map((ss) => ({
        scope: { name: ss.scope.name, version: ss.scope.version, attributes: ss.scope.attributes.map(pbKeyValue), droppedAttributesCount: 1 },
        schemaUrl: ss.schemaUrl,
        spans: ss.spans.map((s) => ({
          traceId: bytes(s.traceId),
          spanId: bytes(s.spanId),
          parentSpanId: bytes(s.parentSpanId),
          traceState: s.traceState,
          flags: s.flags,
          name: s.name,
          kind: s.kind,
          startTimeUnixNano: longBits(s.startTimeUnixNano),
          endTimeUnixNano: longBits(s.endTimeUnixNano),
          attributes: s.attributes.map(pbKeyValue),
          droppedAttributesCount: s.droppedAttributesCount,
          events: s.events.map((e) => ({
            timeUnixNano: longBits(e.timeUnixNano),
            name: e.name,
            attributes: e.attributes.map(pbKeyValue),
            droppedAttributesCount: e.droppedAttributesCount,
          })),
          droppedEventsCount: s.droppedEventsCount,
          links: s.links.map((l) => ({
            traceId: bytes(l.traceId),
            spanId: bytes(l.spanId),
            traceState: l.traceState,
            attributes: l.attributes.map(pbKeyValue),
            droppedAttributesCount: l.droppedAttributesCount,
          })),
          droppedLinksCount: s.droppedLinksCount,
          status: { code: s.status.code, message: s.status.message },
        })),
      })),
    })),
  };
}
