// OTLP/HTTP receiver against the real service (real DuckDB file in a temp dir, real ports).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import zlib from 'node:zlib';
import Fastify from 'fastify';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { context, trace } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OverloadedError } from '../errors.js';
import { hex, jsonBody } from '../testing/otlp.js';
import { registerOtlpHttp } from './http.js';
import { auth, getJson, startTestService, TEST_API_KEY, type TestService } from '../testing/service.js';

type ProviderResource = NonNullable<NonNullable<ConstructorParameters<typeof BasicTracerProvider>[0]>['resource']>;

const MAX_BODY = 1024 * 1024;
let svc: TestService;
let url: string;

before(async () => {
  svc = await startTestService({ maxBodyBytes: MAX_BODY });
  url = `${svc.otlpUrl}/v1/traces`;
});
after(async () => {
  await svc.stop();
});

async function post(body: Uint8Array | string, headers: Record<string, string>): Promise<Response> {
  return fetch(url, { method: 'POST', headers, body });
}
const JSON_HEADERS = { 'content-type': 'application/json', ...auth() };

async function spansOf(traceId: string): Promise<Array<Record<string, any>>> {
  await svc.service.intake.flush();
  const r = await getJson<{ spans: Array<Record<string, any>> }>(`${svc.apiUrl}/api/v1/traces/${traceId}`);
  return r.status === 200 ? r.body.spans : [];
}

/** google.rpc.Status protobuf: field 1 varint code, field 2 string message. */
function decodeStatusProto(buf: Uint8Array): { code: number; message: string } {
  let i = 0;
  let code = 0;
  let message = '';
  const varint = () => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = buf[i++]!;
      v |= (b & 0x7f) << shift;
      if (b < 0x80) {
        return v;
      }
      shift += 7;
    }
  };
  while (i < buf.length) {
    const tag = varint();
    if (tag === 0x08) {
      code = varint();
    } else if (tag === 0x12) {
      const len = varint();
      message = Buffer.from(buf.subarray(i, i + len)).toString('utf8');
      i += len;
    } else {
      throw new Error(`unexpected tag ${tag}`);
    }
  }
  return { code, message };
}

async function exportWith(exporter: SpanExporter, service: string, name: string): Promise<string> {
  const provider = new BasicTracerProvider({
    // The hoisted @opentelemetry/resources is a newer major than sdk-trace-base's own copy; the
    // Resource shape is the same at run time, only the declared types differ.
    resource: resourceFromAttributes({ 'service.name': service }) as unknown as ProviderResource,
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('pyflare-test', '1.0.0');
  const root = tracer.startSpan(name, {
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 30,
      'gen_ai.response.finish_reasons': ['stop'],
    },
  });
  root.addEvent('gen_ai.user.message', { content: 'hello' });
  root.end();
  await provider.forceFlush();
  await provider.shutdown();
  return root.spanContext().traceId;
}

describe('OTLP/HTTP receiver', () => {
  it('accepts OTLP/JSON and stores the spans', async () => {
    const traceId = hex(16);
    const res = await post(
      JSON.stringify(jsonBody([{ traceId, name: 'root' }, { traceId, name: 'child', attrs: { 'gen_ai.request.model': 'gpt-4o' } }])),
      JSON_HEADERS
    );
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(await res.json(), {});
    const spans = await spansOf(traceId);
    assert.deepEqual(spans.map((s) => s.name).sort(), ['child', 'root']);
    assert.equal(spans.find((s) => s.name === 'child')!.spanKind, 'llm');
  });

  it('answers partial_success for invalid spans and keeps the valid ones', async () => {
    const traceId = hex(16);
    const res = await post(
      JSON.stringify(jsonBody([{ traceId, name: 'ok' }, { traceId: 'nothex', name: 'bad' }, { traceId, spanId: '0'.repeat(16) }])),
      JSON_HEADERS
    );
    assert.equal(res.status, 200);
    const body = (await res.json()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    assert.equal(body.partialSuccess.rejectedSpans, '2');
    assert.match(body.partialSuccess.errorMessage, /invalid traceId "nothex"/);
    assert.match(body.partialSuccess.errorMessage, /invalid spanId/);
    assert.deepEqual((await spansOf(traceId)).map((s) => s.name), ['ok']);
  });

  it('accepts gzip-compressed bodies', async () => {
    const traceId = hex(16);
    const res = await post(zlib.gzipSync(JSON.stringify(jsonBody([{ traceId, name: 'zipped' }]))), {
      ...JSON_HEADERS,
      'content-encoding': 'gzip',
    });
    assert.equal(res.status, 200);
    assert.deepEqual((await spansOf(traceId)).map((s) => s.name), ['zipped']);
  });

  it('answers 413 for a gzip bomb and for an oversized body', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(MAX_BODY * 4, 0x20));
    assert.ok(bomb.length < MAX_BODY / 10);
    const r1 = await post(bomb, { ...JSON_HEADERS, 'content-encoding': 'gzip' });
    assert.equal(r1.status, 413);
    assert.match(((await r1.json()) as { message: string }).message, /decompressed request body exceeds/);
    const r2 = await post('x'.repeat(MAX_BODY + 1), JSON_HEADERS);
    assert.equal(r2.status, 413);
  });

  it('answers 415 for other content types and encodings', async () => {
    const r1 = await post('hello', { 'content-type': 'text/plain', ...auth() });
    assert.equal(r1.status, 415);
    const s1 = (await r1.json()) as { code: number; message: string };
    assert.equal(s1.code, 3);
    assert.match(s1.message, /unsupported content type "text\/plain"/);
    const r2 = await post('{}', { ...JSON_HEADERS, 'content-encoding': 'br' });
    assert.equal(r2.status, 415);
  });

  it('answers 400 for undecodable bodies, in the request encoding', async () => {
    const r1 = await post('{"resourceSpans": [', JSON_HEADERS);
    assert.equal(r1.status, 400);
    assert.match(((await r1.json()) as { message: string }).message, /cannot decode OTLP\/JSON request: invalid JSON/);
    const r2 = await post('{"resourceSpans": 5}', JSON_HEADERS);
    assert.equal(r2.status, 400);
    assert.match(((await r2.json()) as { message: string }).message, /resourceSpans: expected an array/);
    const r3 = await post(new Uint8Array([0x0a, 0xff, 0xff, 0xff]), { 'content-type': 'application/x-protobuf', ...auth() });
    assert.equal(r3.status, 400);
    assert.equal(r3.headers.get('content-type'), 'application/x-protobuf');
    const st = decodeStatusProto(new Uint8Array(await r3.arrayBuffer()));
    assert.equal(st.code, 3);
    assert.match(st.message, /cannot decode OTLP\/protobuf request/);
  });

  it('answers 401 without or with an unknown key and 403 without the ingest scope', async () => {
    const body = JSON.stringify(jsonBody([{}]));
    const r1 = await post(body, { 'content-type': 'application/json' });
    assert.equal(r1.status, 401);
    const s1 = (await r1.json()) as { code: number; message: string };
    assert.equal(s1.code, 16);
    assert.match(s1.message, /missing API key/);
    const r2 = await post(body, { 'content-type': 'application/json', 'x-api-key': 'nope' });
    assert.equal(r2.status, 401);
    const { key } = await svc.service.auth.createKey('reader', ['read']);
    const r3 = await post(body, { 'content-type': 'application/json', authorization: `Bearer ${key}` });
    assert.equal(r3.status, 403);
    assert.match(((await r3.json()) as { message: string }).message, /lacks the "ingest" scope/);
    const r4 = await post(body, { 'content-type': 'application/json', 'x-api-key': TEST_API_KEY });
    assert.equal(r4.status, 200);
  });

  it('accepts the OpenTelemetry JS OTLP/HTTP JSON exporter', async () => {
    const exporter = new JsonExporter({ url, headers: { authorization: `Bearer ${TEST_API_KEY}` } });
    const traceId = await exportWith(exporter, 'otel-js-json', 'chat gpt-4o-mini');
    const [s] = await spansOf(traceId);
    assert.ok(s, 'span stored');
    assert.equal(s.serviceName, 'otel-js-json');
    assert.equal(s.requestModel, 'gpt-4o-mini');
    assert.equal(s.usage.inputTokens, 120);
    assert.equal(s.cost.source, 'computed');
    assert.equal(s.input, '{"role":"user","content":"hello"}');
    assert.deepEqual(s.finishReasons, ['stop']);
  });

  it('accepts the OpenTelemetry JS OTLP/HTTP protobuf exporter', async () => {
    const exporter = new ProtoExporter({ url, headers: { authorization: `Bearer ${TEST_API_KEY}` } });
    const traceId = await exportWith(exporter, 'otel-js-proto', 'chat gpt-4o-mini');
    const [s] = await spansOf(traceId);
    assert.ok(s, 'span stored');
    assert.equal(s.serviceName, 'otel-js-proto');
    assert.equal(s.operation, 'chat');
    assert.equal(s.usage.outputTokens, 30);
    assert.match(s.startTimeUnixNano, /^\d{19}$/);
  });

  it('answers protobuf partial_success for a protobuf request', async () => {
    // Smallest protobuf request with one span whose ids are invalid (empty): resourceSpans{scopeSpans{spans{name:"x"}}}.
    const spanMsg = Buffer.from([0x2a, 0x01, 0x78]); // field 5 (name) = "x"
    const scopeSpans = Buffer.concat([Buffer.from([0x12, spanMsg.length]), spanMsg]);
    const resourceSpans = Buffer.concat([Buffer.from([0x12, scopeSpans.length]), scopeSpans]);
    const req = Buffer.concat([Buffer.from([0x0a, resourceSpans.length]), resourceSpans]);
    const res = await post(req, { 'content-type': 'application/x-protobuf', ...auth() });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/x-protobuf');
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.ok(bytes.length > 0, 'partial_success present');
    assert.match(Buffer.from(bytes).toString('latin1'), /invalid traceId/);
  });
});

describe('OTLP/HTTP back-pressure', () => {
  it('stores large bodies intact, JSON plain and gzip and protobuf (their memory is freed once they are logged)', async () => {
    // Over releaseBuffer's 64 KiB: these bodies are detached right after their export.
    const spec = (traceId: string, tag: string) =>
      Array.from({ length: 150 }, (_, i) => ({ traceId, name: `s${i}`, attrs: { note: `${tag}-${i}-${'x'.repeat(1000)}` } }));
    const plainId = hex(16);
    const plain = JSON.stringify(jsonBody(spec(plainId, 'plain')));
    assert.ok(plain.length > 128 * 1024);
    assert.equal((await post(plain, JSON_HEADERS)).status, 200);
    const zippedId = hex(16);
    const zipped = zlib.gzipSync(JSON.stringify(jsonBody(spec(zippedId, 'zipped'))));
    assert.equal((await post(zipped, { ...JSON_HEADERS, 'content-encoding': 'gzip' })).status, 200);
    // Protobuf from the OpenTelemetry exporter: one request of 150 spans (~170 KB).
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'big-proto' }) as unknown as ProviderResource,
      spanProcessors: [new BatchSpanProcessor(new ProtoExporter({ url, headers: { authorization: `Bearer ${TEST_API_KEY}` } }), { maxExportBatchSize: 512, maxQueueSize: 2048 })],
    });
    const tracer = provider.getTracer('pyflare-test');
    const root = tracer.startSpan('s0', { attributes: { note: `proto-0-${'x'.repeat(1000)}` } });
    const protoId = root.spanContext().traceId;
    const ctx = trace.setSpan(context.active(), root);
    for (let i = 1; i < 150; i++) {
      tracer.startSpan(`s${i}`, { attributes: { note: `proto-${i}-${'x'.repeat(1000)}` } }, ctx).end();
    }
    root.end();
    await provider.forceFlush();
    await provider.shutdown();
    for (const [id, tag] of [[plainId, 'plain'], [zippedId, 'zipped'], [protoId, 'proto']] as const) {
      const spans = await spansOf(id);
      assert.equal(spans.length, 150, tag);
      for (const sp of spans) {
        const i = Number(String(sp.name).slice(1));
        assert.equal(sp.attributes.note, `${tag}-${i}-${'x'.repeat(1000)}`);
      }
    }
  });

  it('frees each request body when its export settles, accepted or refused', async () => {
    const app = Fastify();
    const seen: Array<{ body: Uint8Array; bytesDuringExport: number }> = [];
    let refuse = false;
    await registerOtlpHttp(app, {
      auth: svc.service.auth,
      metrics: svc.service.metrics,
      maxBodyBytes: MAX_BODY,
      exportFn: async (_req, _protocol, raw) => {
        seen.push({ body: raw.body, bytesDuringExport: raw.body.byteLength });
        await new Promise((r) => setTimeout(r, 5));
        if (refuse) {
          throw new OverloadedError('queue full', { status: 429, retryAfterSeconds: 1 });
        }
        return { rejectedSpans: 0, errorMessage: '' };
      },
    });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const big = JSON.stringify(jsonBody(Array.from({ length: 100 }, (_, i) => ({ name: `s${i}`, attrs: { note: 'y'.repeat(1000) } }))));
      const send = (body: string | Uint8Array, headers: Record<string, string> = {}) =>
        fetch(`${address}/v1/traces`, { method: 'POST', headers: { ...JSON_HEADERS, ...headers }, body });
      assert.equal((await send(big)).status, 200);
      assert.equal((await send(zlib.gzipSync(big), { 'content-encoding': 'gzip' })).status, 200);
      refuse = true;
      assert.equal((await send(big)).status, 429);
      assert.equal(seen.length, 3);
      for (const s of seen) {
        assert.equal(s.bytesDuringExport, Buffer.byteLength(big));
        assert.equal(s.body.byteLength, 0, 'released after the export');
      }
    } finally {
      await app.close();
    }
  });

  it('answers 429 with Retry-After when the queue is full', async () => {
    // Applies wait 60 s, so the queue only fills.
    const small = await startTestService({ queueMaxSpans: 100, commitIntervalMs: 60_000 });
    try {
      const u = `${small.otlpUrl}/v1/traces`;
      const first = await fetch(u, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(jsonBody([{}, {}, {}])) });
      assert.equal(first.status, 200);
      const many = jsonBody(Array.from({ length: 120 }, () => ({})));
      const second = await fetch(u, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(many) });
      assert.equal(second.status, 429);
      assert.equal(second.headers.get('retry-after'), '1');
      assert.match(((await second.json()) as { message: string }).message, /intake queue full/);
      // Acknowledged spans survive a clean shutdown (close() applies the queue).
      await small.stop({ keepDir: true });
      const again = await startTestService({}, { dir: small.dir });
      try {
        const st = await getJson<{ spanCount: number }>(`${again.apiUrl}/api/v1/status`);
        assert.equal(st.body.spanCount, 3);
      } finally {
        await again.stop();
      }
    } finally {
      await small.stop();
    }
  });
});
