// The drift engine as the service runs it: tables, intake, continuous evaluation, the query
// handler for queryType 'drift' and 'alerts', and the REST routes (./rest.ts).
//
// Wiring (server.ts): `startDrift` after storage is open (close it before storage),
// `drift.wrapExporter(exportFn)` so OTLP spans carrying pyflare.* attributes become inference
// records, and `registerDriftRoutes(app, drift)` after the REST routes. The query dispatch
// calls `runDriftQuery(storage, query, item)`, which finds the engine of that storage.
// Backend: the drift DuckDB file next to the spans (default), or ClickHouse when `clickhouse`
// settings are given (PYFLARE_STORAGE=clickhouse), shared by every ingest replica.
import type { AlertsQuery, DriftQuery } from '@pyflare/query-model';
import { OverloadedError } from '../errors.js';
import type { ExportFn } from '../intake/exporter.js';
import type { QueryResultJSON } from '../queryModel.js';
import { loadDriftConfig, type DriftConfig } from './config.js';
import { DriftEngine, type DriftLogger, type TickSummary } from './engine.js';
import { DRIFT_TYPES_STORED, type StoredDriftType } from './evaluate.js';
import { alertsFrame, distributionFrame, featuresFrame, scoresFrames, seriesKeyOf } from './frames.js';
import { withInferenceExtraction } from './otlp.js';
import type { InferenceRow } from './records.js';
import type { ClickHouseSettings } from '../config.js';
import { openClickHouse } from '../clickhouse/client.js';
import { ClickHouseDriftStore } from './clickhouse/store.js';
import type { DriftStorage, ResultRow } from './storage.js';
import { DriftStore, type DriftDatabase } from './store.js';

export { registerDriftRoutes } from './rest.js';
export { inferencesFromOtlp, withInferenceExtraction } from './otlp.js';
export type { DriftConfig } from './config.js';

export type DriftOptions = Partial<DriftConfig>;

export interface DriftService {
  readonly cfg: DriftConfig;
  readonly store: DriftStorage;
  readonly engine: DriftEngine;
  /** Stores inference records durably (one DuckDB transaction); returns how many were new. */
  ingest(rows: readonly InferenceRow[]): Promise<number>;
  /** Wraps the OTLP export function so spans carrying pyflare.* inference attributes are stored too. */
  wrapExporter(fn: ExportFn): ExportFn;
  /** Evaluates every due bucket now (the scheduler does this every PYFLARE_DRIFT_INTERVAL_MS). */
  tick(): Promise<TickSummary>;
  close(): Promise<void>;
}

const registry = new WeakMap<object, DriftService>();

/** The drift engine started on this storage (the query dispatch uses it). */
export function driftFor(storage: object): DriftService | undefined {
  return registry.get(storage);
}

export async function startDrift(opts: {
  /** The span storage: the query dispatch finds the engine by it; DuckDB drift attaches to its instance. */
  storage: object;
  /** The service's data directory (drift.duckdb goes there). */
  dataDir: string;
  /** Store drift in ClickHouse (through the process's shared client) instead of DuckDB. */
  clickhouse?: ClickHouseSettings;
  log: DriftLogger;
  retentionDays?: number;
  options?: DriftOptions;
  env?: NodeJS.ProcessEnv;
}): Promise<DriftService> {
  const cfg = loadDriftConfig(opts.env ?? process.env, opts.options ?? {}, opts.retentionDays ?? 30);
  const store = await openDriftStorage(opts.storage, opts.dataDir, opts.clickhouse, cfg.retentionDays);
  const engine = new DriftEngine(store, cfg, opts.log);
  const ingest = async (rows: readonly InferenceRow[]): Promise<number> => {
    try {
      return await engine.ingest(rows);
    } catch (e) {
      opts.log.error({ err: (e as Error).message }, 'storing inference records failed');
      throw new OverloadedError(`storing inference records failed: ${(e as Error).message}`, {
        status: 503,
        retryAfterSeconds: 1,
      });
    }
  };
  const service: DriftService = {
    cfg,
    store,
    engine,
    ingest,
    wrapExporter: (fn) =>
      withInferenceExtraction(fn, {
        store: ingest,
        now: cfg.now,
        onInvalid: (n, errors) =>
          opts.log.warn({ invalid: n, errors }, 'OTLP spans with invalid pyflare inference attributes'),
      }),
    tick: () => engine.tick(),
    close: async () => {
      registry.delete(opts.storage);
      await engine.stop();
      await store.close();
    },
  };
  registry.set(opts.storage, service);
  engine.start();
  return service;
}

function isDriftDatabase(s: object): s is DriftDatabase {
  return typeof (s as Partial<DriftDatabase>).connect === 'function';
}

async function openDriftStorage(
  storage: object,
  dataDir: string,
  clickhouse: ClickHouseSettings | undefined,
  retentionDays: number
): Promise<DriftStorage> {
  if (clickhouse) {
    const handle = await openClickHouse(clickhouse);
    try {
      return await ClickHouseDriftStore.open(handle, { retentionDays });
    } catch (e) {
      await handle.release();
      throw e;
    }
  }
  if (!isDriftDatabase(storage)) {
    throw new Error('drift on DuckDB needs the DuckDB span storage (or PYFLARE_STORAGE=clickhouse)');
  }
  return DriftStore.open(storage, dataDir);
}

interface QueryItem {
  refId: string;
  timeRange: { from: number; to: number };
}

function typesOf(t: DriftQuery['driftType']): StoredDriftType[] {
  return t === 'all' ? [...DRIFT_TYPES_STORED] : [t];
}

/** Answers queryType 'drift' and 'alerts' (POST /api/v1/query). */
export async function runDriftQuery(
  storage: object,
  query: DriftQuery | AlertsQuery,
  item: QueryItem
): Promise<QueryResultJSON> {
  const drift = driftFor(storage);
  if (!drift) {
    return { status: 503, error: 'the drift engine is not running', errorSource: 'plugin' };
  }
  const { store, cfg } = drift;
  const { from, to } = item.timeRange;
  if (query.queryType === 'alerts') {
    const alerts = await store.alerts({
      state: query.state,
      modelId: query.modelId || undefined,
      driftType: query.driftType,
      fromMs: from,
      toMs: to,
    });
    return { status: 200, frames: [alertsFrame(alerts, { refId: item.refId })] };
  }
  const bad = (error: string): QueryResultJSON => ({ status: 400, error, errorSource: 'downstream' });
  const types = typesOf(query.driftType);
  const base = {
    modelId: query.modelId || undefined,
    service: query.service || undefined,
    driftTypes: types,
    bucketSizeMs: cfg.bucketMs,
    // Buckets that overlap the range.
    fromMs: from - cfg.bucketMs + 1,
    toMs: to,
  };
  switch (query.view) {
    case 'scores': {
      const rows = await store.results({ ...base, feature: query.feature ? query.feature : null });
      const active = await store.alerts({ state: 'active', modelId: base.modelId });
      return {
        status: 200,
        frames: scoresFrames(rows, {
          refId: item.refId,
          bucketMs: cfg.bucketMs,
          threshold: query.threshold,
          activeAlerts: new Set(active.map(seriesKeyOf)),
        }),
      };
    }
    case 'features': {
      if (!query.modelId) {
        return bad('modelId: the features view needs a model');
      }
      const rows = await store.results({ ...base, latestOnly: true });
      // The newest bucket of each drift type; per-feature rows, or the overall row when a type has none.
      const newest = new Map<string, number>();
      for (const r of rows) {
        newest.set(r.driftType, Math.max(newest.get(r.driftType) ?? 0, r.bucketMs));
      }
      const current = rows.filter((r) => r.bucketMs === newest.get(r.driftType));
      const withFeatures = new Set(current.filter((r) => r.feature !== '').map((r) => `${r.driftType}|${r.service}`));
      const shown = current.filter((r) => r.feature !== '' || !withFeatures.has(`${r.driftType}|${r.service}`));
      const order = (r: ResultRow) => types.indexOf(r.driftType as StoredDriftType);
      shown.sort((a, b) => order(a) - order(b) || a.service.localeCompare(b.service) || b.score - a.score);
      return { status: 200, frames: [featuresFrame(shown, { refId: item.refId, modelId: query.modelId })] };
    }
    case 'distribution': {
      if (!query.modelId) {
        return bad('modelId: the distribution view needs a model');
      }
      if (!query.feature || query.feature === '*') {
        return bad('feature: the distribution view needs one feature');
      }
      const rows = await store.results({ ...base, feature: query.feature, latestOnly: true });
      const pick =
        rows.sort(
          (a, b) => types.indexOf(a.driftType as StoredDriftType) - types.indexOf(b.driftType as StoredDriftType)
        )[0] ?? null;
      return { status: 200, frames: [distributionFrame(pick, { refId: item.refId, feature: query.feature })] };
    }
  }
}
