// Abuse limits against the real service: per-key request and span rates (HTTP 429 +
// Retry-After, gRPC RESOURCE_EXHAUSTED), the concurrency cap, slow clients on real sockets, and
// the body cap of every route with a body.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { TRACE_EXPORT_PATH } from '../otlp/grpc.js';
import { jsonBody } from '../testing/otlp.js';
import { auth, postJson, startTestService, TEST_API_KEY } from '../testing/service.js';
import { AbuseGuard, DEFAULT_LIMITS, TokenBuckets } from './index.js';

describe('token buckets', () => {
  it('allow a burst, then ask to wait; charge can overdraw', () => {
    let now = 0;
    const b = new TokenBuckets(2, 4, 10, () => now);
    for (let i = 0; i < 4; i++) {
      assert.equal(b.take('a'), 0);
    }
    assert.equal(b.take('a'), 0.5);
    assert.equal(b.take('b'), 0, 'other clients have their own bucket');
    now += 500;
    assert.equal(b.take('a'), 0);
    b.charge('c', 10);
    assert.equal(b.debt('c'), 3);
    now += 3000;
    assert.equal(b.debt('c'), 0);
  });

  it('the guard refuses with 429 and a Retry-After; the concurrency cap with 503', () => {
    const g = new AbuseGuard({ ...DEFAULT_LIMITS, keyRequestsPerSecond: 1, keySpansPerSecond: 10, maxConcurrentRequests: 1 }, () => 0);
    g.admit('k');
    g.admit('k');
    assert.throws(() => g.admit('k'), (e: Error & { status?: number; retryAfterSeconds?: number }) => e.status === 429 && e.retryAfterSeconds === 1);
    g.chargeSpans('s', 100);
    assert.throws(() => g.admit('s'), (e: Error & { status?: number; retryAfterSeconds?: number }) => e.status === 429 && e.retryAfterSeconds === 8);
    const release = g.acquire();
    assert.throws(() => g.acquire(), (e: Error & { status?: number }) => e.status === 503);
    release();
    release();
    assert.equal(g.inFlight, 0);
  });
});

/** Opens a socket and writes `parts` with `gapMs` between them; resolves with what came back and when it closed. */
function slowClient(port: number, parts: string[], gapMs: number): Promise<{ text: string; closedAfterMs: number; partsSent: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    let text = '';
    let sent = 0;
    const s = net.connect(port, '127.0.0.1');
    let timer: NodeJS.Timeout | undefined;
    const next = () => {
      if (sent < parts.length && !s.destroyed) {
        s.write(parts[sent++]!);
        timer = setTimeout(next, gapMs);
      }
    };
    s.on('connect', next);
    s.on('data', (d) => (text += d.toString()));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closedAfterMs: Date.now() - t0, partsSent: sent });
    });
    setTimeout(() => {
      s.destroy();
      reject(new Error('slow client was never disconnected'));
    }, 15_000).unref();
  });
}

/** Status of a request whose body the server may refuse before reading it (fetch then fails on the reset). */
function statusOf(url: string, method: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...auth() } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('abuse limits in the service', () => {
  it('per-key request rate: 429 + Retry-After on REST and OTLP/HTTP, other keys unaffected', async () => {
    const svc = await startTestService({ limits: { ...DEFAULT_LIMITS, keyRequestsPerSecond: 1 } });
    try {
      const other = (await svc.service.auth.createKey('other', ['read'])).key;
      const codes: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${svc.apiUrl}/api/v1/status`, { headers: auth() });
        codes.push(res.status);
        retryAfter ??= res.headers.get('retry-after');
        await res.text();
      }
      assert.deepEqual(codes.slice(0, 2), [200, 200], 'burst of 2 s worth');
      assert.ok(codes.slice(2).includes(429), `codes ${codes.join(',')}`);
      assert.ok(Number(retryAfter) >= 1);
      const o = await fetch(`${svc.apiUrl}/api/v1/status`, { headers: auth(other) });
      assert.equal(o.status, 200);
      const otlp = await postJson(`${svc.otlpUrl}/v1/traces`, jsonBody([{}]));
      assert.equal(otlp.status, 429);
      assert.ok(Number(otlp.headers.get('retry-after')) >= 1);
      assert.equal(((await otlp.json()) as { code: number }).code, 8, 'google.rpc.Status RESOURCE_EXHAUSTED');
      const health = await fetch(`${svc.apiUrl}/healthz`);
      assert.equal(health.status, 200, 'probes are exempt');
    } finally {
      await svc.stop();
    }
  });

  it('per-key span rate: a request may overdraw, the next one waits (HTTP and gRPC)', async () => {
    const svc = await startTestService({ limits: { ...DEFAULT_LIMITS, keySpansPerSecond: 5 } });
    try {
      const first = await postJson(`${svc.otlpUrl}/v1/traces`, jsonBody(Array.from({ length: 40 }, () => ({}))));
      assert.equal(first.status, 200);
      const second = await postJson(`${svc.otlpUrl}/v1/traces`, jsonBody([{}]));
      assert.equal(second.status, 429);
      assert.ok(Number(second.headers.get('retry-after')) >= 5, `retry-after ${second.headers.get('retry-after')}`);

      const client = new grpc.Client(`127.0.0.1:${svc.service.otlpGrpcPort}`, grpc.credentials.createInsecure());
      try {
        const md = new grpc.Metadata();
        md.set('authorization', `Bearer ${TEST_API_KEY}`);
        const err = await new Promise<grpc.ServiceError | null>((resolve) =>
          client.makeUnaryRequest(
            TRACE_EXPORT_PATH,
            (b: Buffer) => b,
            (b: Buffer) => b,
            Buffer.alloc(0),
            md,
            (e) => resolve(e)
          )
        );
        assert.equal(err?.code, grpc.status.RESOURCE_EXHAUSTED);
      } finally {
        client.close();
      }
    } finally {
      await svc.stop();
    }
  });

  it('caps concurrent requests (503 + Retry-After) and frees the slot when the client goes', async () => {
    const svc = await startTestService({ limits: { ...DEFAULT_LIMITS, maxConcurrentRequests: 1 } });
    try {
      // A request whose body never completes holds the only slot.
      const s = net.connect(svc.service.otlpHttpPort, '127.0.0.1');
      await new Promise<void>((r) => s.on('connect', () => r()));
      s.write(`POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${TEST_API_KEY}\r\nContent-Length: 1000\r\n\r\n{`);
      await new Promise((r) => setTimeout(r, 200));
      const busy = await fetch(`${svc.apiUrl}/api/v1/status`, { headers: auth() });
      assert.equal(busy.status, 503);
      assert.equal(busy.headers.get('retry-after'), '1');
      s.destroy();
      await new Promise((r) => setTimeout(r, 200));
      const ok = await fetch(`${svc.apiUrl}/api/v1/status`, { headers: auth() });
      assert.equal(ok.status, 200);
    } finally {
      await svc.stop();
    }
  });

  it('disconnects slow clients: trickled headers and trickled bodies, on both HTTP listeners', async () => {
    const svc = await startTestService({ limits: { ...DEFAULT_LIMITS, headersTimeoutMs: 400, requestTimeoutMs: 800 } });
    try {
      const headerBytes = 'GET /api/v1/status HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.split('');
      for (const port of [svc.service.httpPort, svc.service.otlpHttpPort]) {
        const h = await slowClient(port, headerBytes, 100);
        assert.ok(h.partsSent < headerBytes.length, 'closed before the headers were done');
        assert.ok(h.closedAfterMs < 5000, `headers: closed after ${h.closedAfterMs} ms`);
        assert.match(h.text, /408|^$/);
      }
      const body = [`POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${TEST_API_KEY}\r\nContent-Length: 200\r\n\r\n`, ...'{"resourceSpans":[]'.split('')];
      const b = await slowClient(svc.service.otlpHttpPort, body, 100);
      assert.ok(b.partsSent < body.length, 'closed before the body was done');
      assert.ok(b.closedAfterMs < 5000, `body: closed after ${b.closedAfterMs} ms`);
      // A well-behaved client is still served.
      assert.equal((await fetch(`${svc.apiUrl}/healthz`)).status, 200);
    } finally {
      await svc.stop();
    }
  });

  it('every route with a body has a size cap (413)', async () => {
    const svc = await startTestService(
      { maxBodyBytes: 4096, limits: { ...DEFAULT_LIMITS, maxRestBodyBytes: 2048 } },
      { drift: { maxBodyBytes: 4096 } }
    );
    try {
      const routes = [...svc.service.routes.rest.routes, ...svc.service.routes.otlp.routes.map((r) => ({ ...r, otlp: true }))].filter((r) =>
        ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method)
      );
      assert.ok(routes.length >= 8, `found ${routes.length} routes`);
      const big = JSON.stringify({ pad: 'x'.repeat(8192) });
      for (const r of routes) {
        const base = 'otlp' in r ? svc.otlpUrl : svc.apiUrl;
        const url = base + r.url.replace(/:[A-Za-z]+/g, 'x');
        const status = await statusOf(url, r.method, big).catch((e: Error) => `${e.message}`);
        assert.equal(status, 413, `${r.method} ${r.url}`);
      }
    } finally {
      await svc.stop();
    }
  });
});
