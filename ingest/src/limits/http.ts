// The abuse limits as root hooks of a Fastify listener: every route registered after this
// (REST, drift, OTLP/HTTP) is rate limited and counted against the concurrency cap before its
// own hooks (auth included) run. Health probes are exempt from the rate limits.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { keyFromHeaders } from '../auth/keys.js';
import { OverloadedError } from '../errors.js';
import { encodeStatusJson, encodeStatusProto, GRPC } from '../otlp/rpcStatus.js';
import { AbuseGuard, applyServerTimeouts, clientIdentity } from './index.js';

const EXEMPT = new Set(['/healthz', '/readyz', '/metrics']);

declare module 'fastify' {
  interface FastifyRequest {
    guardRelease?: () => void;
  }
}

/** Routes of a listener with a body, for tests that check every route's size cap. */
export interface RouteList {
  routes: Array<{ method: string; url: string }>;
}

function refuse(req: FastifyRequest, reply: FastifyReply, e: { status: number; message: string; retryAfterSeconds?: number }): FastifyReply {
  reply.code(e.status);
  if (e.retryAfterSeconds !== undefined) {
    reply.header('retry-after', String(e.retryAfterSeconds));
  }
  // The body may still be arriving: close the connection after the answer rather than read it.
  if (e.status === 413) {
    reply.header('connection', 'close');
  }
  if (req.url.startsWith('/v1/traces')) {
    // OTLP/HTTP clients expect a google.rpc.Status in their own encoding.
    const code = e.status === 429 ? GRPC.RESOURCE_EXHAUSTED : e.status === 413 ? GRPC.INVALID_ARGUMENT : GRPC.UNAVAILABLE;
    const proto = /protobuf/i.test(String(req.headers['content-type'] ?? ''));
    return proto
      ? reply.type('application/x-protobuf').send(Buffer.from(encodeStatusProto(code, e.message)))
      : reply.type('application/json').send(encodeStatusJson(code, e.message));
  }
  return reply.send({ error: e.message });
}

/**
 * `bodyCap(path)`: the largest body a route takes. A request announcing more (Content-Length) is
 * answered 413 before any parser reads it; chunked bodies are capped by the parsers themselves.
 */
export function installHttpGuard(app: FastifyInstance, guard: AbuseGuard, bodyCap: (path: string) => number): RouteList {
  applyServerTimeouts(app.server, guard.settings);
  const list: RouteList = { routes: [] };
  app.addHook('onRoute', (r) => {
    for (const m of Array.isArray(r.method) ? r.method : [r.method]) {
      list.routes.push({ method: m, url: r.url });
    }
  });
  app.addHook('onRequest', async (req, reply) => {
    try {
      const p = req.url.split('?')[0]!;
      if (!EXEMPT.has(p)) {
        guard.admit(clientIdentity(keyFromHeaders(req.headers), req.ip));
      }
      const len = Number(req.headers['content-length'] ?? 0);
      const cap = bodyCap(p);
      if (len > cap) {
        return refuse(req, reply, { status: 413, message: `request body of ${len} bytes exceeds ${cap} bytes` });
      }
      req.guardRelease = guard.acquire();
    } catch (e) {
      if (e instanceof OverloadedError) {
        return refuse(req, reply, e);
      }
      throw e;
    }
    return undefined;
  });
  const release = async (req: FastifyRequest) => req.guardRelease?.();
  app.addHook('onResponse', release);
  app.addHook('onRequestAbort', release);
  app.addHook('onTimeout', release);
  return list;
}

/** After an OTLP export: the client's spans count against its span rate. */
export function chargeSpans(guard: AbuseGuard | undefined, req: FastifyRequest, spans: number): void {
  guard?.chargeSpans(clientIdentity(keyFromHeaders(req.headers), req.ip), spans);
}
