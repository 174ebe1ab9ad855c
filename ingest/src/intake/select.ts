// Picks the span storage and its intake path from config (PYFLARE_STORAGE):
//   duckdb     - DuckDbStorage + the WAL pipeline (ack after fsync; pipeline.ts), unchanged;
//   clickhouse - ClickHouseStorage + ClickHouseIntake (ack after ClickHouse confirmed the insert).
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config.js';
import type { ServiceMetrics } from '../metrics/registry.js';
import type { Pricer, RowRedactor } from '../normalize/index.js';
import { ClickHouseStorage } from '../storage/clickhouse/storage.js';
import { DuckDbStorage } from '../storage/duckdb.js';
import { idleChunksFor } from '../storage/spanChunks.js';
import type { Storage } from '../storage/types.js';
import { createClickHouseExporter, ClickHouseIntake } from './clickhouse.js';
import { createExporter, createReplayPreparer, type ExportFn } from './exporter.js';
import { Sampler } from '../sampling/index.js';
import { Intake, type IntakeLogger } from './pipeline.js';
import type { SpanIntake } from './types.js';

export interface SpanPath {
  storage: Storage;
  intake: SpanIntake;
  /** The OTLP export without drift (server.ts wraps it). */
  exportFn: ExportFn;
  /** Closes intake, then storage. */
  close(): Promise<void>;
}

export interface SpanPathOptions {
  config: Config;
  log: IntakeLogger;
  metrics: ServiceMetrics;
  pricer: Pricer | null;
  privacy: { redactor?: RowRedactor | null; walCipher?: Parameters<typeof createExporter>[0]['walCipher'] } | null;
  checkpointBytes?: number;
  checkpointIntervalMs?: number;
}

function spanPath(storage: Storage, intake: SpanIntake, exportFn: ExportFn): SpanPath {
  return {
    storage,
    intake,
    exportFn,
    close: async () => {
      // Storage is closed even when the intake's last flush or checkpoint failed (the intake
      // then keeps its WAL, replayed at the next start).
      try {
        await intake.close();
      } finally {
        await storage.close();
      }
    },
  };
}

export async function openSpanPath(o: SpanPathOptions): Promise<SpanPath> {
  const { config, metrics } = o;
  // Trace sampling (both paths): sampled-out spans feed the time rollups and metrics only.
  const sampler = new Sampler(config.sampling);
  if (config.storage === 'clickhouse') {
    const storage = await ClickHouseStorage.open({
      settings: config.clickhouse,
      retentionDays: config.retentionDays,
      writerId: `${os.hostname()}:${process.pid}`,
    });
    const intake = new ClickHouseIntake({
      sink: storage,
      log: o.log,
      queueMaxSpans: config.queueMaxSpans,
      queueMaxBytes: config.queueMaxBytes,
      lingerMs: Math.min(config.commitIntervalMs, 20),
      onInsert: (_n, s) => metrics.storageApply.observe({}, s),
    });
    return spanPath(storage, intake, createClickHouseExporter({ intake, metrics, pricer: o.pricer, redactor: o.privacy?.redactor, sampler }));
  }
  // One DuckDB thread per core but one: the JS thread (decode, normalize) needs a core too, and
  // on 2 cores a second DuckDB thread mostly spun on locks (measured: ~25% more CPU per span).
  const storage = await DuckDbStorage.open({
    dataDir: config.dataDir,
    memoryLimit: config.duckdbMemoryLimit,
    memoryStart: config.duckdbMemoryStart,
    onMemory: (e) => {
      const mb = (b: number) => Math.round(b / 1e6);
      const fields = { limitMB: mb(e.limitBytes), previousMB: mb(e.previousBytes), indexMB: mb(e.indexBytes), needMB: mb(e.needBytes), maxMB: mb(e.ceilingBytes) };
      if (e.kind === 'raised') {
        o.log.info(fields, 'raised DuckDB memory limit: the trace lookup index grew with the stored spans');
      } else {
        o.log.warn(fields, 'DuckDB needs most of PYFLARE_DUCKDB_MEMORY_LIMIT for the trace lookup index; raise it before a checkpoint runs out of memory');
      }
    },
    threads: config.duckdbThreads || Math.max(1, os.availableParallelism() - 1),
    idleChunks: idleChunksFor(config.queueMaxBytes),
  });
  try {
    const intake = await Intake.start({
      storage,
      walDir: path.join(config.dataDir, 'wal'),
      queueMaxSpans: config.queueMaxSpans,
      queueMaxBytes: config.queueMaxBytes,
      commitIntervalMs: config.commitIntervalMs,
      log: o.log,
      checkpointBytes: o.checkpointBytes,
      checkpointIntervalMs: o.checkpointIntervalMs ?? config.checkpointIntervalMs,
      prepare: createReplayPreparer({ storage, pricer: o.pricer, redactor: o.privacy?.redactor, walCipher: o.privacy?.walCipher, sampler }),
      onWalFlush: (_n, s) => metrics.walCommit.observe({}, s),
      onApply: (_n, s) => metrics.storageApply.observe({}, s),
      onCheckpoint: (s) => metrics.storageCheckpoint.observe({}, s),
      onApplyError: (step) => metrics.storageWriteFailures.inc({ step }),
      onQuarantine: (spans) => metrics.spansQuarantined.inc({}, spans),
    });
    return spanPath(
      storage,
      intake,
      createExporter({ intake, storage, metrics, pricer: o.pricer, redactor: o.privacy?.redactor, walCipher: o.privacy?.walCipher, sampler })
    );
  } catch (e) {
    await storage.close();
    throw e;
  }
}
