// Wires the service: storage, WAL intake, auth, the REST API, OTLP/HTTP and OTLP/gRPC.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { Auth } from './auth/keys.js';
import type { ExportFn } from './intake/exporter.js';
import { openSpanPath } from './intake/select.js';
import type { SpanIntake } from './intake/types.js';
import { createServiceMetrics, type ServiceMetrics } from './metrics/registry.js';
import type { Pricer } from './normalize/index.js';
import { startGrpcReceiver } from './otlp/grpc.js';
import { registerOtlpHttp } from './otlp/http.js';
import { PriceBook } from './pricing/index.js';
import { registerRest } from './http/rest.js';
import { registerDriftRoutes, startDrift, type DriftOptions, type DriftService } from './drift/index.js';
import type { Storage } from './storage/types.js';
import { startRetention } from './storage/retention.js';
import { parseSize } from './storage/memoryFit.js';
import { createPrivacy } from './privacy/index.js';
import { AbuseGuard, clientIdentity } from './limits/index.js';
import { installHttpGuard, type RouteList } from './limits/http.js';
import { loadTls, serverFactory } from './limits/tls.js';
import { AuditLog } from './privacy/audit.js';
import { registerDeletionRoutes } from './http/deletion.js';
import { appliedMemoryTuning } from './memoryTuning.js';

/**
 * How long an OTLP/HTTP request waits for queue room before its body is read (then 429): under
 * overload, clients are slowed by TCP backpressure rather than bounced into retry back-off.
 */
const ADMISSION_WAIT_MS = 2_000;

/** The attribute key that makes a span an inference record (drift/otlp.ts), as bytes. */
const INFERENCE_KEY = Buffer.from('pyflare.model.id');

export interface Service {
  httpPort: number;
  otlpHttpPort: number;
  otlpGrpcPort: number;
  log: FastifyBaseLogger;
  storage: Storage;
  intake: SpanIntake;
  auth: Auth;
  metrics: ServiceMetrics;
  drift: DriftService;
  /** Abuse limits shared by the listeners. */
  guard: AbuseGuard;
  /** Routes per HTTP listener (tests check every route's size cap). */
  routes: { rest: RouteList; otlp: RouteList };
  /** Stops intake, flushes everything to DuckDB, checkpoints and closes. Idempotent. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Replaces the price book (tests); null disables computed costs. */
  pricer?: Pricer | null;
  /** Checkpoint tuning (tests). */
  checkpointBytes?: number;
  checkpointIntervalMs?: number;
  /** Clock of the query API (budgets, default ranges); tests pin it. */
  now?: () => number;
  /** Drift engine settings over PYFLARE_DRIFT_* (tests: clock, bucket, no timer). */
  drift?: DriftOptions;
}

/** Per-request info lines would dominate the log at OTLP volumes; errors are still logged. */
function quietRequests(): LogController {
  return new LogController({ disableRequestLogging: true });
}

/** gRPC peers are `ip:port` (or `ipv6:[..]:port`): the port changes per connection, the client does not. */
function grpcIdentity(md: { apiKey: string | undefined; peer?: string }): string {
  return clientIdentity(md.apiKey, md.peer?.replace(/:\d+$/, ''));
}

function portOf(app: FastifyInstance): number {
  const a = app.server.address();
  return typeof a === 'object' && a !== null ? a.port : 0;
}

export async function startService(config: Config, opts: StartOptions = {}): Promise<Service> {
  // Before any listener exists: a bad certificate stops the start with the variable's name.
  const tls = config.tls ? await loadTls(config.tls) : null;
  const guard = new AbuseGuard(config.limits);
  const rest = Fastify({
    logger: {
      level: config.logLevel,
      base: { service: 'pyflare-ingest' },
      // Defence in depth: credentials never reach a log line, whatever a handler logs.
      redact: {
        paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'headers.authorization', 'headers["x-api-key"]', 'password', '*.password', 'apiKey', '*.apiKey', 'key', '*.key'],
        censor: '[redacted]',
      },
    },
    logController: quietRequests(),
    bodyLimit: config.limits.maxRestBodyBytes,
    return503OnClosing: true,
    serverFactory: serverFactory(tls),
  });
  // Body caps per route family; drift's are set once drift has started (its intake takes larger uploads).
  let driftMaxBody = config.limits.maxRestBodyBytes;
  const bodyCap = (p: string) =>
    p === '/v1/traces' ? config.maxBodyBytes : p.startsWith('/api/v1/inferences') || p.startsWith('/api/v1/drift') ? driftMaxBody : config.limits.maxRestBodyBytes;
  const restRoutes = installHttpGuard(rest, guard, bodyCap);
  let otlpRoutes = restRoutes;
  const log = rest.log;
  const metrics = createServiceMetrics();
  let ready = false;
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) {
      await c().catch((e: Error) => log.error({ err: e.message }, 'shutdown step failed'));
    }
  };

  try {
    const pricer: Pricer | null =
      opts.pricer !== undefined ? opts.pricer : await PriceBook.load({ overrideFile: config.pricesFile });

    // Redaction runs inside normalization; the cipher seals the raw bodies the WAL logs.
    const privacy = await createPrivacy(config.privacy);
    if (privacy) {
      log.info({ redaction: config.privacy.enabled, dropContent: config.privacy.dropContent }, 'PII redaction on; WAL bodies encrypted');
    }

    // The span storage and its intake path, from PYFLARE_STORAGE (intake/select.ts).
    const spanPath = await openSpanPath({
      config,
      log,
      metrics,
      pricer,
      privacy,
      checkpointBytes: opts.checkpointBytes,
      checkpointIntervalMs: opts.checkpointIntervalMs,
    });
    cleanups.push(() => spanPath.close());
    const { storage, intake } = spanPath;
    metrics.queueDepth.collect = () => metrics.queueDepth.set({}, intake.queueDepth);
    metrics.storageSize.collect = async () =>
      metrics.storageSize.set({}, (await storage.sizeBytes()) + (await intake.walSizeBytes));
    metrics.processMemory.collect = async () => {
      const m = process.memoryUsage();
      const set = (area: string, v: number) => metrics.processMemory.set({ area }, v);
      set('rss', m.rss);
      set('heap_total', m.heapTotal);
      set('heap_used', m.heapUsed);
      set('external', m.external);
      set('array_buffers', m.arrayBuffers);
      if (storage.memoryBytes) {
        set('duckdb', await storage.memoryBytes());
      }
      const limit = storage.memoryLimitBytes?.();
      if (typeof limit === 'number') {
        set('duckdb_limit', limit);
      }
    };

    const auth = await Auth.create(storage, { bootstrapKey: config.apiKey, disabled: config.authDisabled, log });
    const drift = await startDrift({
      storage,
      dataDir: config.dataDir,
      log,
      retentionDays: config.retention.inferencesDays,
      options: opts.drift,
      // Drift tables on ClickHouse (shared by replicas, evaluation leased per bucket loop) or next to the spans.
      clickhouse: config.storage === 'clickhouse' ? config.clickhouse : undefined,
    });
    cleanups.push(() => drift.close());
    driftMaxBody = drift.cfg.maxBodyBytes;
    // Spans carrying pyflare.model.id etc. also become inference records (src/drift/otlp.ts).
    // That scan needs the whole decoded request; a protobuf body without the key's bytes cannot
    // hold a record, so it skips the scan and stays on the span-by-span path.
    const plainExport = spanPath.exportFn;
    const driftExport = drift.wrapExporter(plainExport);
    const exportFn: ExportFn = (req, protocol, raw) =>
      raw.format === 'protobuf' && !Buffer.from(raw.body.buffer, raw.body.byteOffset, raw.body.byteLength).includes(INFERENCE_KEY)
        ? plainExport(req, protocol, raw)
        : driftExport(req, protocol, raw);

    const retention = startRetention(storage, { days: config.retention.spansDays, log });
    cleanups.push(async () => retention.stop());
    // Erasure requests and their audit (kept PYFLARE_RETENTION_AUDIT_DAYS, pruned hourly).
    const audit = new AuditLog(config.dataDir, config.privacy.key ?? 'pyflare-audit');
    const auditTimer = setInterval(() => {
      audit.prune(config.retention.auditDays).catch((e: Error) => log.error({ err: e.message }, 'audit retention failed'));
    }, 3_600_000);
    auditTimer.unref();
    cleanups.push(async () => clearInterval(auditTimer));
    // An id is deleted as sent and, when a redaction rule hashes it, in its stored hashed form
    // (masked forms are shared by many users and are never targeted).
    const idForms = (v: string, stored: string | null | undefined) => (stored && stored !== v && !stored.includes('[REDACTED') ? [v, stored] : [v]);

    // REST (and OTLP/HTTP too when both are configured on the same fixed port).
    await registerRest(rest, { storage, intake, auth, metrics, isReady: () => ready, now: opts.now });
    await registerDriftRoutes(rest, drift);
    await registerDeletionRoutes(rest, {
      storage,
      auth,
      audit,
      flush: () => intake.flush(),
      userIdForms: (v) => idForms(v, privacy?.redactor.storedUserId(v)),
      sessionIdForms: (v) => idForms(v, privacy?.redactor.storedSessionId(v)),
    });
    const shared = config.otlpHttpPort !== 0 && config.otlpHttpPort === config.httpPort;
    let otlp: FastifyInstance = rest;
    if (shared) {
      await registerOtlpHttp(rest, { exportFn, auth, maxBodyBytes: config.maxBodyBytes, metrics, admission: intake, admissionWaitMs: ADMISSION_WAIT_MS, guard });
    } else {
      otlp = Fastify({
        loggerInstance: log.child({ component: 'otlp-http' }),
        logController: quietRequests(),
        bodyLimit: config.maxBodyBytes,
        return503OnClosing: true,
        serverFactory: serverFactory(tls),
      });
      otlpRoutes = installHttpGuard(otlp, guard, bodyCap);
      await registerOtlpHttp(otlp, { exportFn, auth, maxBodyBytes: config.maxBodyBytes, metrics, admission: intake, admissionWaitMs: ADMISSION_WAIT_MS, guard });
    }

    await rest.listen({ host: config.host, port: config.httpPort });
    cleanups.push(() => rest.close());
    if (!shared) {
      await otlp.listen({ host: config.host, port: config.otlpHttpPort });
      cleanups.push(() => otlp.close());
    }
    const grpc = await startGrpcReceiver({
      host: config.host,
      port: config.otlpGrpcPort,
      tls: tls ?? undefined,
      idleTimeoutMs: config.limits.keepAliveTimeoutMs,
      admit: (md) => {
        guard.admit(grpcIdentity(md));
        return guard.acquire();
      },
      // Checked before the body is decoded, and again per export (cheap) in case keys changed.
      authorize: (md) => {
        auth.authorize(md.apiKey, 'ingest');
      },
      export: async (req, md, body) => {
        auth.authorize(md.apiKey, 'ingest');
        const result = await exportFn(req, 'grpc', { format: 'protobuf', body });
        guard.chargeSpans(grpcIdentity(md), result.acceptedSpans ?? 0);
        return result;
      },
      onInternalError: (err) => log.error({ err }, 'OTLP/gRPC export failed'),
    });
    cleanups.push(() => grpc.close());

    ready = true;
    const service: Service = {
      httpPort: portOf(rest),
      otlpHttpPort: portOf(otlp),
      otlpGrpcPort: grpc.port,
      log,
      storage,
      intake,
      auth,
      metrics,
      drift,
      guard,
      routes: { rest: restRoutes, otlp: otlpRoutes },
      close: async () => {
        ready = false;
        await cleanup();
      },
    };
    log.info(
      {
        httpPort: service.httpPort,
        otlpHttpPort: service.otlpHttpPort,
        otlpGrpcPort: service.otlpGrpcPort,
        dataDir: config.dataDir,
        storage: storage.kind,
        ...(storage.kind === 'duckdb' ? { duckdbMemoryMB: Math.round((storage.memoryLimitBytes?.() ?? 0) / 1e6), duckdbMemoryMaxMB: Math.round(parseSize(config.duckdbMemoryLimit) / 1e6) } : {}),
        authDisabled: config.authDisabled,
        tls: tls !== null,
        redaction: config.privacy.enabled,
        memoryTuning: appliedMemoryTuning(),
      },
      'pyflare ready'
    );
    return service;
  } catch (e) {
    await cleanup();
    throw e;
  }
}
