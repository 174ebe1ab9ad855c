// Wires the service: storage, WAL intake, auth, the REST API, OTLP/HTTP and OTLP/gRPC.
import os from 'node:os';
import path from 'node:path';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { Auth } from './auth/keys.js';
import { createExporter, createReplayPreparer, type ExportFn } from './intake/exporter.js';
import { Intake } from './intake/pipeline.js';
import { createServiceMetrics, type ServiceMetrics } from './metrics/registry.js';
import type { Pricer } from './normalize/index.js';
import { startGrpcReceiver } from './otlp/grpc.js';
import { registerOtlpHttp } from './otlp/http.js';
import { PriceBook } from './pricing/index.js';
import { registerRest } from './http/rest.js';
import { registerDriftRoutes, startDrift, type DriftOptions, type DriftService } from './drift/index.js';
import { DuckDbStorage } from './storage/duckdb.js';
import { startRetention } from './storage/retention.js';

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
  storage: DuckDbStorage;
  intake: Intake;
  auth: Auth;
  metrics: ServiceMetrics;
  drift: DriftService;
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

function portOf(app: FastifyInstance): number {
  const a = app.server.address();
  return typeof a === 'object' && a !== null ? a.port : 0;
}

export async function startService(config: Config, opts: StartOptions = {}): Promise<Service> {
  const rest = Fastify({
    logger: { level: config.logLevel, base: { service: 'pyflare-ingest' } },
    logController: quietRequests(),
    bodyLimit: 8 * 1024 * 1024,
    return503OnClosing: true,
  });
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

    // One DuckDB thread per core but one: the JS thread (decode, normalize) needs a core too, and
    // on 2 cores a second DuckDB thread mostly spun on locks (measured: ~25% more CPU per span).
    const storage = await DuckDbStorage.open({
      dataDir: config.dataDir,
      memoryLimit: config.duckdbMemoryLimit,
      threads: config.duckdbThreads || Math.max(1, os.availableParallelism() - 1),
    });
    cleanups.push(() => storage.close());

    const intake = await Intake.start({
      storage,
      walDir: path.join(config.dataDir, 'wal'),
      queueMaxSpans: config.queueMaxSpans,
      queueMaxBytes: config.queueMaxBytes,
      commitIntervalMs: config.commitIntervalMs,
      log,
      checkpointBytes: opts.checkpointBytes,
      checkpointIntervalMs: opts.checkpointIntervalMs ?? config.checkpointIntervalMs,
      prepare: createReplayPreparer({ storage, pricer }),
      onWalFlush: (_n, s) => metrics.walCommit.observe({}, s),
      onApply: (_n, s) => metrics.storageApply.observe({}, s),
    });
    cleanups.push(() => intake.close());
    metrics.queueDepth.collect = () => metrics.queueDepth.set({}, intake.queueDepth);
    metrics.storageSize.collect = async () =>
      metrics.storageSize.set({}, (await storage.sizeBytes()) + (await intake.walSizeBytes));

    const auth = await Auth.create(storage, { bootstrapKey: config.apiKey, disabled: config.authDisabled, log });
    const drift = await startDrift({ storage, dataDir: config.dataDir, log, retentionDays: config.retentionDays, options: opts.drift });
    cleanups.push(() => drift.close());
    // Spans carrying pyflare.model.id etc. also become inference records (src/drift/otlp.ts).
    // That scan needs the whole decoded request; a protobuf body without the key's bytes cannot
    // hold a record, so it skips the scan and stays on the span-by-span path.
    const plainExport = createExporter({ intake, storage, metrics, pricer });
    const driftExport = drift.wrapExporter(plainExport);
    const exportFn: ExportFn = (req, protocol, raw) =>
      raw.format === 'protobuf' && !Buffer.from(raw.body.buffer, raw.body.byteOffset, raw.body.byteLength).includes(INFERENCE_KEY)
        ? plainExport(req, protocol, raw)
        : driftExport(req, protocol, raw);

    const retention = startRetention(storage, { days: config.retentionDays, log });
    cleanups.push(async () => retention.stop());

    // REST (and OTLP/HTTP too when both are configured on the same fixed port).
    await registerRest(rest, { storage, intake, auth, metrics, isReady: () => ready, now: opts.now });
    await registerDriftRoutes(rest, drift);
    const shared = config.otlpHttpPort !== 0 && config.otlpHttpPort === config.httpPort;
    let otlp: FastifyInstance = rest;
    if (shared) {
      await registerOtlpHttp(rest, { exportFn, auth, maxBodyBytes: config.maxBodyBytes, metrics, admission: intake, admissionWaitMs: ADMISSION_WAIT_MS });
    } else {
      otlp = Fastify({
        loggerInstance: log.child({ component: 'otlp-http' }),
        logController: quietRequests(),
        bodyLimit: config.maxBodyBytes,
        return503OnClosing: true,
      });
      await registerOtlpHttp(otlp, { exportFn, auth, maxBodyBytes: config.maxBodyBytes, metrics, admission: intake, admissionWaitMs: ADMISSION_WAIT_MS });
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
      // Checked before the body is decoded, and again per export (cheap) in case keys changed.
      authorize: (md) => {
        auth.authorize(md.apiKey, 'ingest');
      },
      export: async (req, md, body) => {
        auth.authorize(md.apiKey, 'ingest');
        return exportFn(req, 'grpc', { format: 'protobuf', body });
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
        storage: 'duckdb',
        authDisabled: config.authDisabled,
      },
      'pyflare ready'
    );
    return service;
  } catch (e) {
    await cleanup();
    throw e;
  }
}
