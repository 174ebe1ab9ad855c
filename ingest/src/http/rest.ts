// REST API on PYFLARE_HTTP_PORT: health, metrics, status, the data-source query endpoint,
// trace search/lookup, editor catalogs and API key management.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { keyFromHeaders, type Auth } from '../auth/keys.js';
import { AuthError, OverloadedError } from '../errors.js';
import { nsToMs } from '../frames/frame.js';
import type { SpanIntake, StorageHealth } from '../intake/types.js';
import type { ServiceMetrics } from '../metrics/registry.js';
import { QueryError } from '../query/errors.js';
import { QueryService } from '../query/service.js';
import { queryRequestSchema } from '../queryModel.js';
import { SearchError } from '../search/parser.js';
import { SCOPES, type CatalogRange, type Scope, type SpanRow, type Storage } from '../storage/types.js';
import { nsToIso } from '../util/json.js';
import { HttpError } from './errors.js';
import { registerQueryRoutes } from './queryRoutes.js';
import { attributeValuesParams, catalogRangeParams, createKeyBody, keyIdParams } from './serviceApi.js';
import { parse } from './validate.js';
import { SERVICE_VERSION } from './version.js';

export { SERVICE_VERSION };

export interface RestDeps {
  storage: Storage;
  intake: SpanIntake;
  auth: Auth;
  metrics: ServiceMetrics;
  isReady: () => boolean;
  /** Clock for budgets (tests). */
  now?: () => number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: Scope;
  }
}

function catalogRange(q: { from?: number; to?: number }): CatalogRange {
  return {
    fromNs: q.from !== undefined ? BigInt(q.from) * 1_000_000n : undefined,
    toNs: q.to !== undefined ? BigInt(q.to) * 1_000_000n + 999_999n : undefined,
  };
}

function spanJson(s: SpanRow): Record<string, unknown> {
  const parse = (t: string): unknown => {
    try {
      return JSON.parse(t);
    } catch {
      return null;
    }
  };
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId,
    traceState: s.traceState,
    name: s.name,
    kind: s.kind,
    serviceName: s.service,
    scope: { name: s.scopeName, version: s.scopeVersion },
    startTimeUnixNano: s.startNs.toString(),
    endTimeUnixNano: s.endNs.toString(),
    startTime: nsToIso(s.startNs),
    durationMs: nsToMs(s.durationNs),
    status: { code: s.statusCode, message: s.statusMessage },
    spanKind: s.spanKind,
    provider: s.provider,
    operation: s.operation,
    requestModel: s.requestModel,
    responseModel: s.responseModel,
    usage: {
      inputTokens: s.inputTokens,
      outputTokens: s.outputTokens,
      cacheReadTokens: s.cacheReadTokens,
      cacheWriteTokens: s.cacheWriteTokens,
      reasoningTokens: s.reasoningTokens,
    },
    cost: {
      usd: s.costMicros === null ? null : s.costMicros / 1e6,
      micros: s.costMicros,
      source: s.costSource,
      priceKey: s.priceKey,
    },
    sessionId: s.sessionId,
    userId: s.userId,
    agentName: s.agentName,
    toolName: s.toolName,
    finishReasons: s.finishReasons,
    input: s.inputContent,
    output: s.outputContent,
    attributes: parse(s.attributes),
    resourceAttributes: parse(s.resourceAttributes),
    events: parse(s.events),
    links: parse(s.links),
    truncated: s.truncated,
  };
}

/** Failed storage writes in a row after which the service reports itself not ready. */
export const NOT_READY_AFTER_FAILURES = 3;

interface Probe {
  code: number;
  body: { status: string; reason?: string };
}

/**
 * /healthz and /readyz. Acknowledged spans are safe in the WAL while storage writes fail, so a
 * replica whose writes keep failing says it is not ready (a load balancer sends exporters
 * elsewhere; its queue would only fill and refuse them). One whose storage is unusable until a
 * restart (DuckDB invalidates its database after a failed checkpoint) fails its liveness probe,
 * so the orchestrator restarts it and the WAL is replayed.
 */
export function probes(ready: boolean, health: StorageHealth | undefined): { health: Probe; ready: Probe } {
  const failing = health !== undefined && health.failures >= NOT_READY_AFTER_FAILURES;
  const reason = failing ? `storage writes failing (${health.failures} in a row): ${health.lastError ?? 'unknown error'}` : undefined;
  return {
    health: health?.fatal ? { code: 503, body: { status: 'failing', reason: `storage needs a restart: ${health.lastError}` } } : { code: 200, body: { status: 'ok' } },
    ready: !ready
      ? { code: 503, body: { status: 'not ready' } }
      : failing
        ? { code: 503, body: { status: 'not ready', reason } }
        : { code: 200, body: { status: 'ready' } },
  };
}

export async function registerRest(app: FastifyInstance, deps: RestDeps): Promise<void> {
  const queries = new QueryService(deps.storage, deps.metrics);

  app.addHook('onRequest', async (req: FastifyRequest) => {
    const scope = req.routeOptions.config?.scope;
    if (scope) {
      deps.auth.authorize(keyFromHeaders(req.headers), scope);
    }
  });

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof AuthError) {
      return reply.code(err.status).send({ error: err.message });
    }
    if (err instanceof HttpError) {
      return reply.code(err.statusCode).send({ error: err.message });
    }
    if (err instanceof OverloadedError) {
      return reply.code(err.status).header('retry-after', String(err.retryAfterSeconds ?? 1)).send({ error: err.message });
    }
    if (err instanceof SearchError) {
      // The search string is `search` on trace routes and `filter` elsewhere.
      const param = req.url.startsWith('/api/v1/traces') ? 'search' : 'filter';
      return reply.code(400).send({ error: `${param}: ${err.message.replace(/^search: /, '')}`, offset: err.offset, expected: err.expected });
    }
    if (err instanceof QueryError) {
      return reply.code(400).send({ error: err.message });
    }
    const sc = (err as { statusCode?: number }).statusCode;
    if (typeof sc === 'number' && sc >= 400 && sc < 500) {
      return reply.code(sc).send({ error: (err as Error).message });
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'internal error' });
  });

  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}` }));

  app.get('/healthz', async (_req, reply) => {
    const p = probes(deps.isReady(), deps.intake.storageHealth?.()).health;
    return reply.code(p.code).send(p.body);
  });

  app.get('/readyz', async (_req, reply) => {
    const p = probes(deps.isReady(), deps.intake.storageHealth?.()).ready;
    return reply.code(p.code).send(p.body);
  });

  app.get('/metrics', async (_req, reply) => {
    const text = await deps.metrics.registry.render();
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
  });

  app.get('/api/v1/status', { config: { scope: 'read' } }, async () => {
    const st = await deps.storage.status();
    return {
      version: SERVICE_VERSION,
      storage: deps.storage.kind,
      scopes: [...SCOPES],
      spanCount: st.spanCount,
      lastSpanTime: st.lastSpanNs === null ? null : nsToIso(st.lastSpanNs),
    };
  });

  app.post('/api/v1/query', { config: { scope: 'read' } }, async (req) => {
    const body = parse(queryRequestSchema, req.body, 'body');
    const uid = req.headers['x-pyflare-datasource-uid'];
    return queries.run(body, { datasourceUid: typeof uid === 'string' && uid !== '' ? uid : undefined, nowMs: deps.now?.() });
  });

  await registerQueryRoutes(app, { storage: deps.storage, now: deps.now, spanJson });

  app.get('/api/v1/catalog/services', { config: { scope: 'read' } }, async (req) => ({
    values: await deps.storage.services(catalogRange(parse(catalogRangeParams, req.query, 'query'))),
  }));
  app.get('/api/v1/catalog/models', { config: { scope: 'read' } }, async (req) => ({
    values: await deps.storage.models(catalogRange(parse(catalogRangeParams, req.query, 'query'))),
  }));
  app.get('/api/v1/catalog/attribute-keys', { config: { scope: 'read' } }, async (req) => ({
    values: await deps.storage.attributeKeys(catalogRange(parse(catalogRangeParams, req.query, 'query'))),
  }));
  app.get('/api/v1/catalog/attribute-values', { config: { scope: 'read' } }, async (req) => {
    const q = parse(attributeValuesParams, req.query, 'query');
    return { values: await deps.storage.attributeValues(q.key, catalogRange(q)) };
  });

  app.get('/api/v1/keys', { config: { scope: 'admin' } }, async () => ({ keys: await deps.auth.listKeys() }));
  app.post('/api/v1/keys', { config: { scope: 'admin' } }, async (req, reply) => {
    const body = parse(createKeyBody, req.body, 'body');
    const k = await deps.auth.createKey(body.name, body.scopes);
    return reply.code(201).send({ id: k.id, key: k.key, name: k.record.name, scopes: k.record.scopes });
  });
  app.delete('/api/v1/keys/:id', { config: { scope: 'admin' } }, async (req, reply) => {
    const { id } = parse(keyIdParams, req.params, 'id');
    if (id === 'bootstrap') {
      throw new HttpError(400, 'id: the bootstrap key comes from PYFLARE_API_KEY; change or unset that variable instead');
    }
    const ok = await deps.auth.deleteKey(id);
    return ok ? reply.code(204).send() : reply.code(404).send({ error: `key ${id} not found` });
  });
}
