import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { createRequire } from 'node:module';
import net from 'node:net';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';

import * as grpc from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

import { AuthError, OverloadedError } from '../errors.js';
import { apiKeyFromMetadata, grpcStatusForError, startGrpcReceiver, TRACE_EXPORT_PATH, type ExportMetadata, type GrpcReceiver } from './grpc.js';
import { encodeTraceResponseProto } from './protobuf.js';
import { OtlpDecodeError, type ExportResult, type ExportTraceServiceRequest, type OtlpAnyValue } from './types.js';

// protobufjs (shipped with the OpenTelemetry packages) parses the google.rpc types the
// receiver writes by hand, as an independent check of the trailer bytes.
interface PbType {
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options: { longs: StringConstructor; defaults: boolean }): unknown;
}
interface Protobufjs {
  parse(source: string): { root: { lookupType(name: string): PbType } };
}
const requireCjs = createRequire(import.meta.url);
const protobufjs = requireCjs('protobufjs') as Protobufjs;
const rpcTypes = protobufjs.parse(`
  syntax = "proto3";
  package google.rpc;
  message Any { string type_url = 1; bytes value = 2; }
  message Status { int32 code = 1; string message = 2; repeated Any details = 3; }
  message Duration { int64 seconds = 1; int32 nanos = 2; }
  message RetryInfo { Duration retry_delay = 1; }
`).root;
const RpcStatus = rpcTypes.lookupType('google.rpc.Status');
const RetryInfo = rpcTypes.lookupType('google.rpc.RetryInfo');

class StorageUnavailableError extends Error {
  readonly status = 503;
  constructor(message: string) {
    super(message);
    this.name = 'StorageUnavailableError';
  }
}

type GrpcExporterConfig = NonNullable<ConstructorParameters<typeof OTLPTraceExporter>[0]>;
type Behaviour = (req: ExportTraceServiceRequest, md: ExportMetadata) => Promise<ExportResult>;

function makeSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('pyflare.grpc.test', '1.0.0');
  const llm = tracer.startSpan('chat gpt-4o', {
    kind: SpanKind.CLIENT,
    startTime: [1700000000, 123456789],
    attributes: { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 1234, 'gen_ai.request.temperature': 0.2 },
  });
  llm.addEvent('gen_ai.choice', { index: 0 }, [1700000000, 500000000]);
  llm.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  llm.end([1700000001, 999999999]);
  const tool = tracer.startSpan('execute_tool search', { startTime: [1700000002, 0] });
  tool.end([1700000002, 1]);
  return memory.getFinishedSpans();
}

function exportWith(exporter: OTLPTraceExporter, spans: ReadableSpan[]): Promise<{ code: number; error?: Error }> {
  return new Promise((resolve) => exporter.export(spans as unknown as Parameters<OTLPTraceExporter['export']>[0], resolve));
}

function attr(req: ExportTraceServiceRequest, spanIndex: number, key: string): OtlpAnyValue | undefined {
  return req.resourceSpans[0]?.scopeSpans[0]?.spans[spanIndex]?.attributes.find((a) => a.key === key)?.value;
}

/** Unary call with a raw grpc-js client; resolves with the response bytes or the error. */
function rawCall(
  port: number,
  body: Uint8Array,
  metadata = new grpc.Metadata(),
): Promise<{ response?: Buffer; error?: grpc.ServiceError }> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      TRACE_EXPORT_PATH,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from(body),
      metadata,
      (error, response) => {
        client.close();
        resolve(error ? { error } : { response: response ?? Buffer.alloc(0) });
      },
    );
  });
}

function retryDelayOf(error: grpc.ServiceError): { seconds: string; nanos?: number } | undefined {
  const [details] = error.metadata.get('grpc-status-details-bin');
  if (!(details instanceof Buffer)) {return undefined;}
  const status = RpcStatus.toObject(RpcStatus.decode(details), { longs: String, defaults: false }) as {
    code: number;
    message: string;
    details: Array<{ typeUrl: string; value: Uint8Array }>;
  };
  assert.equal(status.code, error.code);
  assert.equal(status.message, error.details);
  const retry = status.details.find((d) => d.typeUrl === 'type.googleapis.com/google.rpc.RetryInfo');
  if (!retry) {return undefined;}
  const info = RetryInfo.toObject(RetryInfo.decode(retry.value), { longs: String, defaults: false }) as {
    retryDelay: { seconds: string; nanos?: number };
  };
  return info.retryDelay;
}

describe('OTLP/gRPC receiver', () => {
  let receiver: GrpcReceiver;
  const received: Array<{ req: ExportTraceServiceRequest; md: ExportMetadata }> = [];
  const internalErrors: unknown[] = [];
  let behaviour: Behaviour = () => Promise.resolve({ rejectedSpans: 0, errorMessage: '' });

  before(async () => {
    receiver = await startGrpcReceiver({
      host: '127.0.0.1',
      port: 0,
      export: (req, md) => {
        received.push({ req, md });
        return behaviour(req, md);
      },
      onInternalError: (err) => internalErrors.push(err),
    });
  });
  after(async () => {
    await receiver.close();
  });

  const reset = (b: Behaviour) => {
    received.length = 0;
    internalErrors.length = 0;
    behaviour = b;
  };

  it('listens on the picked port', () => {
    assert.ok(receiver.port > 0);
  });

  it('receives spans from the real OTLP/gRPC exporter, with the bearer key', async () => {
    reset(() => Promise.resolve({ rejectedSpans: 0, errorMessage: '' }));
    const metadata = new grpc.Metadata();
    metadata.set('authorization', 'Bearer pf_secret_123');
    const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${receiver.port}`, metadata });
    try {
      const result = await exportWith(exporter, makeSpans());
      assert.equal(result.code, 0, result.error?.message);
    } finally {
      await exporter.shutdown();
    }
    assert.equal(received.length, 1);
    const { req, md } = received[0]!;
    assert.deepStrictEqual({ apiKey: md.apiKey }, { apiKey: 'pf_secret_123' });
    assert.match(md.peer ?? '', /^(ipv4:)?127\.0\.0\.1:\d+$/, 'the peer address, for per-client limits');
    const spans = req.resourceSpans[0]!.scopeSpans[0]!.spans;
    assert.equal(req.resourceSpans[0]!.scopeSpans[0]!.scope.name, 'pyflare.grpc.test');
    assert.equal(spans.length, 2);
    const llm = spans[0]!;
    assert.equal(llm.name, 'chat gpt-4o');
    assert.equal(llm.kind, 3);
    assert.equal(llm.startTimeUnixNano, 1700000000123456789n);
    assert.equal(llm.endTimeUnixNano, 1700000001999999999n);
    assert.match(llm.traceId, /^[0-9a-f]{32}$/);
    assert.match(llm.spanId, /^[0-9a-f]{16}$/);
    assert.equal(llm.parentSpanId, '');
    assert.deepStrictEqual(llm.status, { code: 2, message: 'boom' });
    assert.deepStrictEqual(llm.events.map((e) => [e.name, e.timeUnixNano]), [['gen_ai.choice', 1700000000500000000n]]);
    assert.deepStrictEqual(attr(req, 0, 'gen_ai.request.model'), { kind: 'string', value: 'gpt-4o' });
    assert.deepStrictEqual(attr(req, 0, 'gen_ai.usage.input_tokens'), { kind: 'int', value: 1234n });
    assert.deepStrictEqual(attr(req, 0, 'gen_ai.request.temperature'), { kind: 'double', value: 0.2 });
    assert.equal(spans[1]!.name, 'execute_tool search');
    assert.equal(spans[1]!.endTimeUnixNano - spans[1]!.startTimeUnixNano, 1n);
  });

  it('accepts gzip-compressed requests and the x-api-key header', async () => {
    reset(() => Promise.resolve({ rejectedSpans: 0, errorMessage: '' }));
    const metadata = new grpc.Metadata();
    metadata.set('x-api-key', 'pf_other');
    const exporter = new OTLPTraceExporter({
      url: `http://127.0.0.1:${receiver.port}`,
      metadata,
      compression: 'gzip' as GrpcExporterConfig['compression'],
    });
    try {
      const result = await exportWith(exporter, makeSpans());
      assert.equal(result.code, 0, result.error?.message);
    } finally {
      await exporter.shutdown();
    }
    assert.equal(received.length, 1);
    assert.equal(received[0]!.md.apiKey, 'pf_other');
    assert.equal(received[0]!.req.resourceSpans[0]!.scopeSpans[0]!.spans.length, 2);
  });

  it('answers partial success as ExportTraceServiceResponse.partial_success', async () => {
    reset(() => Promise.resolve({ rejectedSpans: 2, errorMessage: 'span 1: missing trace id' }));
    const body = encodeRequestWithOneSpan();
    const { response, error } = await rawCall(receiver.port, body);
    assert.equal(error, undefined);
    assert.deepStrictEqual(new Uint8Array(response!), encodeTraceResponseProto({ rejectedSpans: 2, errorMessage: 'span 1: missing trace id' }));
    reset(() => Promise.resolve({ rejectedSpans: 0, errorMessage: '' }));
    const ok = await rawCall(receiver.port, body);
    assert.equal(ok.response?.length, 0);
  });

  it('fails the real exporter with UNAUTHENTICATED for a 401 auth error', async () => {
    reset(() => Promise.reject(new AuthError(401, 'unknown api key')));
    const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${receiver.port}` });
    try {
      const result = await exportWith(exporter, makeSpans());
      assert.equal(result.code, 1);
      assert.match(String(result.error?.message), /unknown api key|UNAUTHENTICATED|16/);
    } finally {
      await exporter.shutdown();
    }
    assert.equal(received.length, 1, 'not retried: UNAUTHENTICATED is not retryable');
    assert.equal(received[0]!.md.apiKey, undefined);
  });

  it('maps errors to gRPC codes on the wire', async () => {
    const body = encodeRequestWithOneSpan();
    const cases: Array<{ error: unknown; code: grpc.status; details: string | RegExp; retry?: { seconds: string } }> = [
      { error: new AuthError(401, 'no key'), code: grpc.status.UNAUTHENTICATED, details: 'no key' },
      { error: new AuthError(403, 'read-only key'), code: grpc.status.PERMISSION_DENIED, details: 'read-only key' },
      { error: new OverloadedError('intake queue full', { status: 429, retryAfterSeconds: 3 }), code: grpc.status.RESOURCE_EXHAUSTED, details: 'intake queue full', retry: { seconds: '3' } },
      { error: new OverloadedError('shutting down', { status: 503, retryAfterSeconds: 5 }), code: grpc.status.UNAVAILABLE, details: 'shutting down', retry: { seconds: '5' } },
      { error: new StorageUnavailableError('duckdb is busy'), code: grpc.status.UNAVAILABLE, details: 'duckdb is busy' },
      { error: new OtlpDecodeError('bad span'), code: grpc.status.INVALID_ARGUMENT, details: 'bad span' },
      { error: new TypeError('x is undefined'), code: grpc.status.INTERNAL, details: 'internal error' },
    ];
    for (const c of cases) {
      reset(() => Promise.reject(c.error));
      const { error } = await rawCall(receiver.port, body);
      assert.ok(error, `expected an error for ${String(c.error)}`);
      assert.equal(error.code, c.code, String(c.error));
      assert.equal(error.details, c.details);
      if (c.retry) {assert.deepStrictEqual(retryDelayOf(error), c.retry);}
      else {assert.equal(error.metadata.get('grpc-status-details-bin').length, 0);}
    }
    assert.equal(internalErrors.length, 1);
    assert.ok(internalErrors[0] instanceof TypeError);
  });

  it('answers INVALID_ARGUMENT for a body that is not an ExportTraceServiceRequest', async () => {
    reset(() => Promise.resolve({ rejectedSpans: 0, errorMessage: '' }));
    const { error } = await rawCall(receiver.port, Uint8Array.from([0x0a, 0x05, 0x01]));
    assert.equal(error?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(error.details, /runs past the end/);
    assert.equal(received.length, 0);
  });

  it('accepts a 15 MiB request', async () => {
    reset(() => Promise.resolve({ rejectedSpans: 0, errorMessage: '' }));
    const one = encodeRequestWithOneSpan();
    const size = 15 * 1024 * 1024;
    const body = new Uint8Array(one.length + 5 + size);
    body.set(one, 0);
    body.set([0x12, ...varint(size)], one.length); // unknown field 2, 15 MiB long
    const { error } = await rawCall(receiver.port, body);
    assert.equal(error, undefined);
    assert.equal(received.length, 1);
    assert.equal(received[0]!.req.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name, 'test');
  });

  it('answers INTERNAL when the export callback returns something that is not an ExportResult', async () => {
    reset(() => Promise.resolve(undefined as unknown as ExportResult));
    const { error } = await rawCall(receiver.port, encodeRequestWithOneSpan());
    assert.equal(error?.code, grpc.status.INTERNAL);
    assert.equal(internalErrors.length, 1);
  });

  it('rejects messages over 16 MiB with RESOURCE_EXHAUSTED', async () => {
    reset(() => Promise.resolve({ rejectedSpans: 0, errorMessage: '' }));
    // one unknown length-delimited field of 16 MiB + 1 byte
    const size = 16 * 1024 * 1024 + 1;
    const body = new Uint8Array(size + 6);
    body.set([0x12, ...varint(size)], 0);
    const { error } = await rawCall(receiver.port, body.subarray(0, 5 + size));
    assert.equal(error?.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.equal(received.length, 0);
  });

  it('rejects a gzip bomb (64 KiB on the wire, 64 MiB inflated) with RESOURCE_EXHAUSTED', async () => {
    reset(() => Promise.resolve({ rejectedSpans: 0, errorMessage: '' }));
    // Written by hand on HTTP/2 so the message is surely compressed on the wire.
    const send = async (message: Buffer): Promise<string | undefined> => {
      const gz = zlib.gzipSync(message, { level: 9 });
      const frame = Buffer.alloc(5 + gz.length);
      frame.writeUInt8(1, 0); // compressed
      frame.writeUInt32BE(gz.length, 1);
      gz.copy(frame, 5);
      const session = http2.connect(`http://127.0.0.1:${receiver.port}`);
      session.on('error', () => undefined);
      try {
        const stream = session.request({
          ':method': 'POST',
          ':path': TRACE_EXPORT_PATH,
          'content-type': 'application/grpc',
          'grpc-encoding': 'gzip',
          te: 'trailers',
        });
        const status = new Promise<string | undefined>((resolve, reject) => {
          stream.on('response', (h) => h['grpc-status'] !== undefined && resolve(String(h['grpc-status'])));
          stream.on('trailers', (t) => resolve(t['grpc-status'] === undefined ? undefined : String(t['grpc-status'])));
          stream.on('error', reject);
          stream.on('close', () => reject(new Error(`stream closed without a status (rst ${stream.rstCode})`)));
        });
        stream.resume();
        stream.end(frame);
        return await status;
      } finally {
        session.destroy();
      }
    };
    // The same framing with a small message is accepted: the refusal below is about its size.
    assert.equal(await send(Buffer.alloc(0)), '0');
    assert.equal(received.length, 1);
    // One unknown length-delimited field of 64 MiB of zeros.
    const size = 64 * 1024 * 1024;
    const bomb = Buffer.alloc(1 + varint(size).length + size);
    bomb.set([0x12, ...varint(size)], 0);
    assert.ok(zlib.gzipSync(bomb, { level: 9 }).length < 128 * 1024, 'small on the wire');
    assert.equal(await send(bomb), String(grpc.status.RESOURCE_EXHAUSTED));
    assert.equal(received.length, 1, 'the bomb never reached the exporter');
  });
});

describe('OTLP/gRPC receiver: authorize hook', () => {
  it('runs before decoding, so unauthenticated garbage is UNAUTHENTICATED', async () => {
    let exported = 0;
    const receiver = await startGrpcReceiver({
      host: '127.0.0.1',
      port: 0,
      authorize: (md) => {
        if (md.apiKey !== 'good') {throw new AuthError(401, 'missing or unknown api key');}
      },
      export: () => {
        exported++;
        return Promise.resolve({ rejectedSpans: 0, errorMessage: '' });
      },
    });
    try {
      const bad = await rawCall(receiver.port, Uint8Array.from([0xff]));
      assert.equal(bad.error?.code, grpc.status.UNAUTHENTICATED);
      const md = new grpc.Metadata();
      md.set('authorization', 'bearer good');
      const ok = await rawCall(receiver.port, encodeRequestWithOneSpan(), md);
      assert.equal(ok.error, undefined);
      assert.equal(exported, 1);
    } finally {
      await receiver.close();
    }
  });
});

describe('apiKeyFromMetadata', () => {
  const md = (pairs: Array<[string, string]>) => {
    const m = new grpc.Metadata();
    for (const [k, v] of pairs) {m.add(k, v);}
    return m;
  };
  it('reads Bearer tokens case-insensitively and falls back to x-api-key', () => {
    assert.equal(apiKeyFromMetadata(md([['authorization', 'Bearer abc']])), 'abc');
    assert.equal(apiKeyFromMetadata(md([['authorization', 'bearer   abc  ']])), 'abc');
    assert.equal(apiKeyFromMetadata(md([['authorization', 'Basic dXNlcjpwYXNz'], ['x-api-key', 'k2']])), 'k2');
    assert.equal(apiKeyFromMetadata(md([['x-api-key', ' k3 ']])), 'k3');
    assert.equal(apiKeyFromMetadata(md([['authorization', 'Bearer a'], ['x-api-key', 'b']])), 'a');
    assert.equal(apiKeyFromMetadata(md([['authorization', 'Bearer']])), undefined);
    assert.equal(apiKeyFromMetadata(md([])), undefined);
  });
});

describe('grpcStatusForError', () => {
  it('gives OverloadedError a one-second retry delay by default and hides internal messages', () => {
    const overloaded = Object.assign(new Error('full'), { name: 'OverloadedError', status: 429 });
    const s = grpcStatusForError(overloaded);
    assert.equal(s.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.ok(s.metadata);
    assert.equal(grpcStatusForError(new Error('secret path /var/lib')).details, 'internal error');
    assert.equal(grpcStatusForError('a string').code, grpc.status.INTERNAL);
    assert.equal(grpcStatusForError(Object.assign(new Error('slow down'), { status: 429 })).code, grpc.status.RESOURCE_EXHAUSTED);
  });
});

function varint(n: number): number[] {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 0x80)) {out.push((n % 0x80) | 0x80);}
  out.push(n);
  return out;
}

/** A valid one-span request, written with the test writer from the wire format directly. */
function encodeRequestWithOneSpan(): Uint8Array {
  const span = Buffer.concat([
    Buffer.from([0x0a, 16]), Buffer.alloc(16, 1), // trace_id
    Buffer.from([0x12, 8]), Buffer.alloc(8, 2), // span_id
    Buffer.from([0x2a, 4]), Buffer.from('test'), // name
  ]);
  const scopeSpans = Buffer.concat([Buffer.from([0x12, span.length]), span]);
  const resourceSpans = Buffer.concat([Buffer.from([0x12, scopeSpans.length]), scopeSpans]);
  return Uint8Array.from(Buffer.concat([Buffer.from([0x0a, resourceSpans.length]), resourceSpans]));
}

describe('OTLP/gRPC receiver: idle timeout', () => {
  const IDLE_MS = 300;
  /** Generous upper bound: the 2-core test machine is shared. */
  const LIMIT_MS = IDLE_MS + 2_000;
  let receiver: GrpcReceiver;
  let exportDelayMs = 0;

  before(async () => {
    receiver = await startGrpcReceiver({
      host: '127.0.0.1',
      port: 0,
      idleTimeoutMs: IDLE_MS,
      export: async () => {
        await new Promise((r) => setTimeout(r, exportDelayMs));
        return { rejectedSpans: 0, errorMessage: '' };
      },
    });
  });
  after(async () => {
    await receiver.close();
  });

  /** Resolves with how long after `t0` the event came, or with Infinity after `LIMIT_MS` (failure, not a hang). */
  const closedWithin = (emitter: { once(e: 'close', f: () => void): unknown }, t0: number) =>
    new Promise<number>((resolve) => {
      const timer = setTimeout(() => resolve(Infinity), LIMIT_MS);
      emitter.once('close', () => {
        clearTimeout(timer);
        resolve(Date.now() - t0);
      });
    });

  it('disconnects a client that connects and sends nothing', async () => {
    const t0 = Date.now();
    const socket = net.connect(receiver.port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.resume(); // read (and drop) the server's SETTINGS, so that its close is seen
    const ms = await closedWithin(socket, t0);
    socket.destroy();
    assert.ok(ms < LIMIT_MS, 'the silent connection was closed');
    assert.ok(ms >= IDLE_MS - 50, `not before the timeout (${ms} ms)`);
  });

  it('disconnects a client that stalls in the middle of a request', async () => {
    const session = http2.connect(`http://127.0.0.1:${receiver.port}`);
    session.on('error', () => undefined);
    const stream = session.request({ ':method': 'POST', ':path': TRACE_EXPORT_PATH, 'content-type': 'application/grpc', te: 'trailers' });
    stream.on('error', () => undefined);
    // A gRPC frame announcing a 1000-byte message, of which 2 bytes are sent; then nothing.
    stream.write(Buffer.from([0, 0, 0, 0x03, 0xe8, 0x0a, 0x00]));
    const t0 = Date.now();
    const ms = await closedWithin(session, t0);
    session.destroy();
    assert.ok(ms < LIMIT_MS, 'the stalled connection was closed');
  });

  it('keeps a connection whose call takes longer than the timeout to handle, then closes it when idle', async () => {
    exportDelayMs = IDLE_MS * 3;
    const session = http2.connect(`http://127.0.0.1:${receiver.port}`);
    session.on('error', () => undefined);
    try {
      const stream = session.request({ ':method': 'POST', ':path': TRACE_EXPORT_PATH, 'content-type': 'application/grpc', te: 'trailers' });
      const trailers = new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
        stream.on('trailers', resolve);
        stream.on('error', reject);
        stream.on('close', () => reject(new Error(`stream closed without trailers (rst ${stream.rstCode})`)));
      });
      stream.resume();
      stream.end(Buffer.from([0, 0, 0, 0, 0])); // an empty ExportTraceServiceRequest
      assert.equal((await trailers)['grpc-status'], '0');
      // Then idle: closed after the timeout.
      const ms = await closedWithin(session, Date.now());
      assert.ok(ms < LIMIT_MS, 'the idle connection was closed');
    } finally {
      exportDelayMs = 0;
      session.destroy();
    }
  });
});
