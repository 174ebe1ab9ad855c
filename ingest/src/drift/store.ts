// DuckDB access of the drift engine. Its tables live in a DuckDB file of their own
// (<data dir>/drift.duckdb), attached to the service's DuckDB instance as `pyflare_drift`:
// the spans database runs without DuckDB's WAL (the intake WAL makes spans durable), but
// inference records are acknowledged on COMMIT, so this file keeps DuckDB's WAL, which DuckDB
// fsyncs on every COMMIT. LLM-behaviour drift reads the spans table across the two databases.
// Connections: one for writes (serialized), one for evaluation reads, one for API reads, so a
// long evaluation never delays dashboards and neither waits for span applies.
import path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { listValue, type DuckDBAppender, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { Mutex } from '../util/mutex.js';
import type { ModelConfig } from './config.js';
import { alertConditions, alertLimit, resultConditions, type Binder } from './filters.js';
import type { InferenceRow, LabelRow } from './records.js';
import {
  alertColumns,
  alertFrom,
  datasetFrom,
  labelledAt,
  labelsApplied,
  llmFrom,
  modelConfigFrom,
  num,
  numOrNull,
  qualityByBucketFrom,
  qualityStatsFrom,
  resultColumns,
  resultFrom,
  sampleFrom,
  type Row,
} from './rows.js';
import { DRIFT_DDL } from './schema.js';
import {
  leaseHeldByOther,
  type AlertFilter,
  type AlertRow,
  type DatasetInfo,
  type DriftModelInfo,
  type DriftStorage,
  type Lease,
  type LlmSampleRow,
  type QualityStats,
  type ResultBatch,
  type ResultFilter,
  type ResultRow,
  type SampleRow,
} from './storage.js';

export type {
  AlertRow,
  DriftStorage,
  LlmSampleRow,
  QualityStats,
  ResultBatch,
  ResultRow,
  SampleRow,
  SeriesKey,
} from './storage.js';

export interface DriftDatabase {
  /** A new connection on the service's DuckDB instance, its default catalog the one holding `spans`. */
  connect(): Promise<DuckDBConnection>;
}

export const DRIFT_DB_FILE = 'drift.duckdb';
const CATALOG = 'pyflare_drift';
/**
 * Transactions / appended rows between checkpoints of the drift database: the instance never
 * checkpoints on its own (checkpoint_threshold is set for the spans file), and rows appended
 * since the last checkpoint stay in DuckDB's capped memory.
 */
const CHECKPOINT_EVERY = 500;
const CHECKPOINT_ROWS = 200_000;

/** Float32 little-endian bytes <-> numbers (embeddings are stored as BLOB: compact and fast to append). */
export function encodeEmbedding(v: readonly number[]): Uint8Array {
  const f = Float32Array.from(v);
  return new Uint8Array(f.buffer);
}
export function decodeEmbedding(b: unknown): Float32Array | null {
  if (!(b instanceof Uint8Array) || b.length === 0 || b.length % 4 !== 0) {
    return null;
  }
  const copy = new Uint8Array(b.length);
  copy.set(b);
  return new Float32Array(copy.buffer);
}

/** Appends v with `put`, or NULL (the appender has no nullable typed appends). */
function appendOrNull<T>(a: DuckDBAppender, v: T | null, put: (v: T) => void): void {
  if (v === null) {
    a.appendNull();
  } else {
    put(v);
  }
}
const appendStr = (a: DuckDBAppender, v: string | null) => appendOrNull(a, v, (x) => a.appendVarchar(x));
const appendDbl = (a: DuckDBAppender, v: number | null) => appendOrNull(a, v, (x) => a.appendDouble(x));
const appendBlob = (a: DuckDBAppender, v: Uint8Array | null) => appendOrNull(a, v, (x) => a.appendBlob(x));
const appendBig = (a: DuckDBAppender, v: number | null) => appendOrNull(a, v, (x) => a.appendBigInt(BigInt(x)));

/** The columns inferences and drift_dataset_rows share (features .. label_value). */
function appendRecord(a: DuckDBAppender, r: InferenceRow): void {
  a.appendVarchar(r.features);
  appendStr(a, r.predClass);
  appendDbl(a, r.predValue);
  appendDbl(a, r.predProb);
  appendStr(a, r.labelClass);
  appendDbl(a, r.labelValue);
}

/** $n placeholders, numbered in the order values are bound. */
function positional(values: DuckDBValue[]): Binder {
  const add = (v: DuckDBValue) => {
    values.push(v);
    return `$${values.length}`;
  };
  return { value: (_name, _type, v) => add(v), list: (_name, _type, vs) => `(${vs.map(add).join(', ')})` };
}

const SAMPLE_COLS = 'features, pred_class, pred_value, pred_prob';
/** The sampling hash both engines compute identically (see storage.ts). */
const sampleHash = (key: string) => `('0x' || md5(${key})[1:16])::UBIGINT`;

export class DriftStore implements DriftStorage {
  readonly kind = 'duckdb';
  /**
   * One process owns the DuckDB file, so leases only arbitrate between engines of this process
   * (and must not outlive it: a restarted process would wait for its own stale lease).
   */
  private readonly leases = new Map<string, { owner: string; epoch: number; expiresMs: number }>();
  private readonly wLock = new Mutex();
  private readonly eLock = new Mutex();
  private readonly qLock = new Mutex();
  private closed = false;

  private writesSinceCheckpoint = 0;
  private rowsSinceCheckpoint = 0;

  private constructor(
    private readonly w: DuckDBConnection,
    private readonly e: DuckDBConnection,
    private readonly q: DuckDBConnection,
    /** Catalog-qualified name of the spans table. */
    private readonly spans: string
  ) {}

  static async open(db: DriftDatabase, dataDir: string): Promise<DriftStore> {
    const w = await db.connect();
    const spansCatalog = String((await DriftStore.rowsOn(w, 'SELECT current_database() AS c', []))[0]?.c ?? 'main');
    const file = path.join(dataDir, DRIFT_DB_FILE).replace(/'/g, "''");
    await w.run(`ATTACH IF NOT EXISTS '${file}' AS ${CATALOG}`);
    const inCatalog = async (c: DuckDBConnection) => {
      await c.run(`USE ${CATALOG}`);
      return c;
    };
    await inCatalog(w);
    for (const sql of DRIFT_DDL) {
      await w.run(sql);
    }
    await w.run(`CHECKPOINT ${CATALOG}`);
    const quote = (x: string) => `"${x.replace(/"/g, '""')}"`;
    return new DriftStore(
      w,
      await inCatalog(await db.connect()),
      await inCatalog(await db.connect()),
      `${quote(spansCatalog)}.spans`
    );
  }

  /** Folds the drift database's WAL into its file (the evaluation does this after each run). */
  async checkpoint(): Promise<void> {
    await this.wLock.run(async () => {
      await this.w.run(`CHECKPOINT ${CATALOG}`);
      this.writesSinceCheckpoint = 0;
      this.rowsSinceCheckpoint = 0;
    });
  }

  private static async rowsOn(c: DuckDBConnection, sql: string, values: DuckDBValue[]): Promise<Row[]> {
    const r = await c.runAndReadAll(sql, values);
    return r.getRowObjectsJS() as Row[];
  }
  /** Reads for evaluation. */
  private evalRows(sql: string, values: DuckDBValue[] = []): Promise<Row[]> {
    return this.eLock.run(() => DriftStore.rowsOn(this.e, sql, values));
  }
  /** Reads for the API (frames, REST). */
  private apiRows(sql: string, values: DuckDBValue[] = []): Promise<Row[]> {
    return this.qLock.run(() => DriftStore.rowsOn(this.q, sql, values));
  }
  private write<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.wLock.run(async () => {
      await this.w.run('BEGIN TRANSACTION');
      let out: T;
      try {
        out = await fn(this.w);
        await this.w.run('COMMIT');
      } catch (e) {
        await this.w.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
      if (++this.writesSinceCheckpoint >= CHECKPOINT_EVERY || this.rowsSinceCheckpoint >= CHECKPOINT_ROWS) {
        this.writesSinceCheckpoint = 0;
        this.rowsSinceCheckpoint = 0;
        await this.w.run(`CHECKPOINT ${CATALOG}`).catch(() => undefined);
      }
      return out;
    });
  }

  // ---- intake ------------------------------------------------------------------------------

  /**
   * Stores records in one transaction (durable when it resolves). A record whose id is already
   * stored is ignored (client retries are idempotent). Returns how many were new.
   */
  async insertInferences(rows: readonly InferenceRow[], nowMs: number): Promise<number> {
    if (rows.length === 0) {
      return 0;
    }
    return this.write(async (c) => {
      await c.run('CREATE OR REPLACE TEMP TABLE inference_stage AS SELECT * FROM inferences LIMIT 0');
      const a = await c.createAppender('inference_stage', 'main', 'temp');
      try {
        for (let i = 0; i < rows.length; i++) {
          const r = rows[i]!;
          a.appendVarchar(r.id);
          a.appendVarchar(r.modelId);
          a.appendVarchar(r.modelVersion);
          a.appendBigInt(BigInt(r.tsMs));
          appendRecord(a, r);
          appendBig(a, labelledAt(r, nowMs));
          appendBlob(a, r.embedding ? encodeEmbedding(r.embedding) : null);
          a.appendVarchar(r.source);
          appendStr(a, r.traceId);
          appendStr(a, r.spanId);
          a.appendBigInt(BigInt(nowMs));
          a.endRow();
          if (i % 4096 === 4095) {
            a.flushSync();
            await yieldToLoop();
          }
        }
        a.flushSync();
      } finally {
        a.closeSync();
      }
      // Duplicate ids inside one request: keep the first. RETURNING lists only the new rows.
      const added = await DriftStore.rowsOn(
        c,
        `INSERT OR IGNORE INTO inferences SELECT * FROM inference_stage QUALIFY row_number() OVER (PARTITION BY id) = 1
         RETURNING model_id, ts_ms`,
        []
      );
      const seen = new Map<string, [number, number, number]>();
      for (const r of added) {
        const m = String(r.model_id);
        const t = num(r.ts_ms);
        const e = seen.get(m);
        if (e) {
          e[0] = Math.min(e[0], t);
          e[1] = Math.max(e[1], t);
          e[2]++;
        } else {
          seen.set(m, [t, t, 1]);
        }
      }
      for (const [m, [first, last, n]] of seen) {
        await c.run(
          `INSERT INTO drift_model_seen VALUES ($1, $2, $3, $4)
           ON CONFLICT (model_id) DO UPDATE SET first_ms = least(drift_model_seen.first_ms, excluded.first_ms),
             last_ms = greatest(drift_model_seen.last_ms, excluded.last_ms), records = drift_model_seen.records + excluded.records`,
          [m, first, last, n]
        );
      }
      await c.run('DROP TABLE inference_stage');
      this.rowsSinceCheckpoint += added.length;
      return added.length;
    });
  }

  /**
   * Sets labels by record id (in one transaction). Returns the ids found and the (model, time)
   * of each updated record so evaluated buckets can be recomputed.
   */
  async applyLabels(
    rows: readonly LabelRow[],
    nowMs: number
  ): Promise<{ found: Set<string>; touched: Array<{ modelId: string; tsMs: number }> }> {
    if (rows.length === 0) {
      return { found: new Set(), touched: [] };
    }
    return this.write(async (c) => {
      await c.run('CREATE OR REPLACE TEMP TABLE label_stage (id VARCHAR, label_class VARCHAR, label_value DOUBLE)');
      const a = await c.createAppender('label_stage', 'main', 'temp');
      try {
        for (const r of rows) {
          a.appendVarchar(r.id);
          appendStr(a, r.labelClass);
          appendDbl(a, r.labelValue);
          a.endRow();
        }
        a.flushSync();
      } finally {
        a.closeSync();
      }
      const updated = await DriftStore.rowsOn(
        c,
        `UPDATE inferences SET label_class = s.label_class, label_value = s.label_value, label_ms = $1
         FROM (SELECT * FROM label_stage QUALIFY row_number() OVER (PARTITION BY id) = 1) s
         WHERE inferences.id = s.id RETURNING inferences.id AS id, inferences.model_id AS model_id, inferences.ts_ms AS ts_ms`,
        [nowMs]
      );
      await c.run('DROP TABLE label_stage');
      return labelsApplied(updated);
    });
  }

  // ---- model settings and catalog -----------------------------------------------------------

  async modelConfig(modelId: string): Promise<{ config: ModelConfig; updatedMs: number | null }> {
    const rows = await this.evalRows('SELECT config, updated_ms FROM drift_models WHERE model_id = $1', [modelId]);
    return modelConfigFrom(rows[0]);
  }

  async putModelConfig(modelId: string, config: ModelConfig, nowMs: number): Promise<void> {
    await this.write(async (c) => {
      await c.run('INSERT OR REPLACE INTO drift_models VALUES ($1, $2, $3)', [modelId, JSON.stringify(config), nowMs]);
    });
  }

  async models(): Promise<DriftModelInfo[]> {
    const rows = await this.apiRows(
      `SELECT coalesce(s.model_id, m.model_id) AS model_id, s.first_ms, s.last_ms, coalesce(s.records, 0) AS records,
              m.model_id IS NOT NULL AS configured
       FROM drift_model_seen s FULL OUTER JOIN drift_models m ON m.model_id = s.model_id
       UNION
       SELECT DISTINCT model_id, NULL, NULL, 0, false FROM drift_results
         WHERE model_id NOT IN (SELECT model_id FROM drift_model_seen UNION SELECT model_id FROM drift_models)
       ORDER BY model_id`
    );
    return rows.map((r) => ({
      modelId: String(r.model_id),
      firstMs: numOrNull(r.first_ms),
      lastMs: numOrNull(r.last_ms),
      records: num(r.records),
      configured: r.configured === true,
    }));
  }

  async earliestInferenceMs(): Promise<number | null> {
    const r = await this.evalRows('SELECT min(first_ms) AS t FROM drift_model_seen');
    return numOrNull(r[0]?.t);
  }

  async earliestSpanMs(): Promise<number | null> {
    const r = await this.evalRows(`SELECT min(start_ns) // 1000000 AS t FROM ${this.spans} WHERE span_kind = 'llm'`);
    return numOrNull(r[0]?.t);
  }

  async modelsInWindow(fromMs: number, toMs: number): Promise<Array<{ modelId: string; n: number }>> {
    const rows = await this.evalRows(
      'SELECT model_id, count(*) AS n FROM inferences WHERE ts_ms >= $1 AND ts_ms < $2 GROUP BY model_id ORDER BY model_id',
      [fromMs, toMs]
    );
    return rows.map((r) => ({ modelId: String(r.model_id), n: num(r.n) }));
  }

  async llmModelsInWindow(
    fromMs: number,
    toMs: number
  ): Promise<Array<{ modelId: string; service: string; n: number }>> {
    const rows = await this.evalRows(
      `SELECT coalesce(response_model, request_model) AS model, service, count(*) AS n FROM ${this.spans}
       WHERE start_ns >= $1 AND start_ns < $2 AND span_kind = 'llm' AND coalesce(response_model, request_model) IS NOT NULL
       GROUP BY ALL ORDER BY ALL`,
      [BigInt(fromMs) * 1_000_000n, BigInt(toMs) * 1_000_000n]
    );
    return rows.map((r) => ({ modelId: String(r.model), service: String(r.service), n: num(r.n) }));
  }

  // ---- samples -------------------------------------------------------------------------------

  /**
   * A deterministic sample of a model's records in [from, to): the `limit` rows with the
   * smallest hash(id). Embeddings come with the first `embeddingLimit` rows that have one.
   */
  async sampleInferences(
    modelId: string,
    fromMs: number,
    toMs: number,
    limit: number,
    embeddingLimit: number
  ): Promise<SampleRow[]> {
    const rows = await this.evalRows(
      `SELECT ${SAMPLE_COLS}, CASE WHEN embedding IS NOT NULL AND row_number() OVER (PARTITION BY embedding IS NULL ORDER BY h, id) <= $4 THEN embedding END AS embedding FROM (
         SELECT ${SAMPLE_COLS}, embedding, id, ${sampleHash('id')} AS h FROM inferences
         WHERE model_id = $1 AND ts_ms >= $2 AND ts_ms < $3 ORDER BY h, id LIMIT $5)
       ORDER BY h, id`,
      [modelId, fromMs, toMs, embeddingLimit, limit]
    );
    return rows.map((r) => sampleFrom(r, decodeEmbedding(r.embedding)));
  }

  /** Up to `limit` embeddings of a model's records in [from, to) (deterministic). */
  async sampleEmbeddings(modelId: string, fromMs: number, toMs: number, limit: number): Promise<Float32Array[]> {
    const rows = await this.evalRows(
      `SELECT embedding FROM inferences WHERE model_id = $1 AND ts_ms >= $2 AND ts_ms < $3 AND embedding IS NOT NULL
       ORDER BY ${sampleHash('id')}, id LIMIT $4`,
      [modelId, fromMs, toMs, limit]
    );
    return rows.map((r) => decodeEmbedding(r.embedding)).filter((e): e is Float32Array => e !== null);
  }

  /** Which of these buckets already have a stored sample. */
  async sampledBuckets(
    source: 'inference' | 'llm',
    modelId: string,
    service: string,
    bucketSizeMs: number,
    fromMs: number,
    toMs: number
  ): Promise<Set<number>> {
    const rows = await this.evalRows(
      `SELECT bucket_ms FROM drift_sampled WHERE source = $1 AND model_id = $2 AND service = $3 AND bucket_size_ms = $4
       AND bucket_ms >= $5 AND bucket_ms < $6`,
      [source, modelId, service, bucketSizeMs, fromMs, toMs]
    );
    return new Set(rows.map((r) => num(r.bucket_ms)));
  }

  /** Record counts per bucket in [from, to) (to find the buckets worth sampling). */
  async inferenceCountsByBucket(
    modelId: string,
    bucketSizeMs: number,
    fromMs: number,
    toMs: number
  ): Promise<Map<number, number>> {
    const rows = await this.evalRows(
      `SELECT ts_ms // $4 * $4 AS b, count(*) AS n FROM inferences WHERE model_id = $1 AND ts_ms >= $2 AND ts_ms < $3 GROUP BY b`,
      [modelId, fromMs, toMs, bucketSizeMs]
    );
    return new Map(rows.map((r) => [num(r.b), num(r.n)]));
  }

  async llmCountsByBucket(
    modelId: string,
    service: string,
    bucketSizeMs: number,
    fromMs: number,
    toMs: number
  ): Promise<Map<number, number>> {
    const rows = await this.evalRows(
      `SELECT start_ns // 1000000 // $5 * $5 AS b, count(*) AS n FROM ${this.spans}
       WHERE start_ns >= $3 AND start_ns < $4 AND span_kind = 'llm' AND coalesce(response_model, request_model) = $1 AND service = $2
       GROUP BY b`,
      [modelId, service, BigInt(fromMs) * 1_000_000n, BigInt(toMs) * 1_000_000n, bucketSizeMs]
    );
    return new Map(rows.map((r) => [num(r.b), num(r.n)]));
  }

  /**
   * Takes and stores the per-bucket samples of a model's records: `limit` records and, apart,
   * `embeddingLimit` embeddings drawn from the records that have one (idempotent: replaces).
   */
  async storeInferenceSample(
    modelId: string,
    bucketSizeMs: number,
    bucketMs: number,
    limit: number,
    embeddingLimit: number
  ): Promise<number> {
    return this.write(async (c) => {
      const key = [modelId, bucketSizeMs, bucketMs];
      await c.run('DELETE FROM drift_samples WHERE model_id = $1 AND bucket_size_ms = $2 AND bucket_ms = $3', key);
      await c.run(
        'DELETE FROM drift_embedding_samples WHERE model_id = $1 AND bucket_size_ms = $2 AND bucket_ms = $3',
        key
      );
      const r = await c.run(
        `INSERT INTO drift_samples SELECT model_id, $2, $3, ${sampleHash('id')} AS h, ${SAMPLE_COLS} FROM inferences
         WHERE model_id = $1 AND ts_ms >= $3 AND ts_ms < $3 + $2 ORDER BY h, id LIMIT $4`,
        [...key, limit]
      );
      await c.run(
        `INSERT INTO drift_embedding_samples SELECT model_id, $2, $3, ${sampleHash('id')} AS h, embedding FROM inferences
         WHERE model_id = $1 AND ts_ms >= $3 AND ts_ms < $3 + $2 AND embedding IS NOT NULL ORDER BY h, id LIMIT $4`,
        [...key, embeddingLimit]
      );
      const n = Number(r.rowsChanged);
      await c.run('INSERT OR REPLACE INTO drift_sampled VALUES ($1, $2, $3, $4, $5, $6)', [
        'inference',
        modelId,
        '',
        bucketSizeMs,
        bucketMs,
        n,
      ]);
      return n;
    });
  }

  async storeLlmSample(
    modelId: string,
    service: string,
    bucketSizeMs: number,
    bucketMs: number,
    limit: number
  ): Promise<number> {
    return this.write(async (c) => {
      await c.run(
        'DELETE FROM drift_llm_samples WHERE model_id = $1 AND service = $2 AND bucket_size_ms = $3 AND bucket_ms = $4',
        [modelId, service, bucketSizeMs, bucketMs]
      );
      const r = await c.run(
        `INSERT INTO drift_llm_samples SELECT $1, $2, $3, $4, ${LLM_SAMPLE_SELECT}
         FROM ${this.spans} WHERE start_ns >= $5 AND start_ns < $6 AND span_kind = 'llm'
           AND coalesce(response_model, request_model) = $1 AND service = $2
         ORDER BY h LIMIT $7`,
        [
          modelId,
          service,
          bucketSizeMs,
          bucketMs,
          BigInt(bucketMs) * 1_000_000n,
          BigInt(bucketMs + bucketSizeMs) * 1_000_000n,
          limit,
        ]
      );
      const n = Number(r.rowsChanged);
      await c.run('INSERT OR REPLACE INTO drift_sampled VALUES ($1, $2, $3, $4, $5, $6)', [
        'llm',
        modelId,
        service,
        bucketSizeMs,
        bucketMs,
        n,
      ]);
      return n;
    });
  }

  /** The union of stored bucket samples in [from, to), subsampled to `limit` rows by hash. */
  async storedInferenceSamples(
    modelId: string,
    bucketSizeMs: number,
    fromMs: number,
    toMs: number,
    limit: number
  ): Promise<SampleRow[]> {
    const rows = await this.evalRows(
      `SELECT ${SAMPLE_COLS}, NULL AS embedding FROM drift_samples
       WHERE model_id = $1 AND bucket_size_ms = $2 AND bucket_ms >= $3 AND bucket_ms < $4 ORDER BY h LIMIT $5`,
      [modelId, bucketSizeMs, fromMs, toMs, limit]
    );
    return rows.map((r) => sampleFrom(r, decodeEmbedding(r.embedding)));
  }

  async storedSampleEmbeddings(
    modelId: string,
    bucketSizeMs: number,
    fromMs: number,
    toMs: number,
    limit: number
  ): Promise<Float32Array[]> {
    const rows = await this.evalRows(
      `SELECT embedding FROM drift_embedding_samples WHERE model_id = $1 AND bucket_size_ms = $2 AND bucket_ms >= $3 AND bucket_ms < $4
       ORDER BY h LIMIT $5`,
      [modelId, bucketSizeMs, fromMs, toMs, limit]
    );
    return rows.map((r) => decodeEmbedding(r.embedding)).filter((e): e is Float32Array => e !== null);
  }

  async llmSample(
    modelId: string,
    service: string,
    fromMs: number,
    toMs: number,
    limit: number
  ): Promise<LlmSampleRow[]> {
    const rows = await this.evalRows(
      `SELECT ${LLM_SAMPLE_SELECT} FROM ${this.spans} WHERE start_ns >= $3 AND start_ns < $4 AND span_kind = 'llm'
         AND coalesce(response_model, request_model) = $1 AND service = $2 ORDER BY h LIMIT $5`,
      [modelId, service, BigInt(fromMs) * 1_000_000n, BigInt(toMs) * 1_000_000n, limit]
    );
    return rows.map(llmFrom);
  }

  async storedLlmSamples(
    modelId: string,
    service: string,
    bucketSizeMs: number,
    fromMs: number,
    toMs: number,
    limit: number
  ): Promise<LlmSampleRow[]> {
    const rows = await this.evalRows(
      `SELECT * FROM drift_llm_samples WHERE model_id = $1 AND service = $2 AND bucket_size_ms = $3
         AND bucket_ms >= $4 AND bucket_ms < $5 ORDER BY h LIMIT $6`,
      [modelId, service, bucketSizeMs, fromMs, toMs, limit]
    );
    return rows.map(llmFrom);
  }

  // ---- reference datasets --------------------------------------------------------------------

  async putDataset(
    datasetId: string,
    modelId: string,
    name: string,
    rows: readonly InferenceRow[],
    nowMs: number
  ): Promise<void> {
    await this.write(async (c) => {
      await c.run('DELETE FROM drift_dataset_rows WHERE dataset_id = $1', [datasetId]);
      await c.run('INSERT OR REPLACE INTO drift_datasets VALUES ($1, $2, $3, $4, $5)', [
        datasetId,
        modelId,
        name,
        rows.length,
        nowMs,
      ]);
      const a = await c.createAppender('drift_dataset_rows');
      try {
        rows.forEach((r, i) => {
          a.appendVarchar(datasetId);
          a.appendBigInt(BigInt(i));
          appendRecord(a, r);
          appendBlob(a, r.embedding ? encodeEmbedding(r.embedding) : null);
          a.endRow();
        });
        a.flushSync();
      } finally {
        a.closeSync();
      }
    });
  }

  async dataset(datasetId: string): Promise<DatasetInfo | null> {
    const r = (await this.apiRows('SELECT * FROM drift_datasets WHERE dataset_id = $1', [datasetId]))[0];
    return r ? datasetFrom(r) : null;
  }

  async datasetSample(datasetId: string, limit: number, embeddingLimit: number): Promise<SampleRow[]> {
    const rows = await this.evalRows(
      `SELECT ${SAMPLE_COLS}, CASE WHEN embedding IS NOT NULL AND row_number() OVER (PARTITION BY embedding IS NULL ORDER BY h, row_no) <= $3 THEN embedding END AS embedding FROM (
         SELECT ${SAMPLE_COLS}, embedding, row_no, ${sampleHash('row_no::VARCHAR')} AS h FROM drift_dataset_rows WHERE dataset_id = $1 ORDER BY h, row_no LIMIT $2)
       ORDER BY h, row_no`,
      [datasetId, limit, embeddingLimit]
    );
    return rows.map((r) => sampleFrom(r, decodeEmbedding(r.embedding)));
  }

  async datasetQuality(datasetId: string): Promise<QualityStats> {
    return this.qualityFrom('drift_dataset_rows WHERE dataset_id = $1', [datasetId]);
  }

  // ---- model quality (concept drift) ---------------------------------------------------------

  private async qualityFrom(where: string, values: DuckDBValue[]): Promise<QualityStats> {
    const conf = await this.evalRows(
      `SELECT pred_class, label_class, count(*) AS n FROM ${where} AND pred_class IS NOT NULL AND label_class IS NOT NULL
       GROUP BY ALL ORDER BY n DESC, pred_class, label_class LIMIT 10000`,
      values
    );
    const reg = await this.evalRows(
      `SELECT count(*) AS n, sum((pred_value - label_value) ^ 2) AS sse, sum(abs(pred_value - label_value)) AS sae
       FROM ${where} AND pred_value IS NOT NULL AND label_value IS NOT NULL`,
      values
    );
    return qualityStatsFrom(conf, reg[0]);
  }

  /** Quality counts of a model's labelled records in [from, to). */
  async quality(modelId: string, fromMs: number, toMs: number): Promise<QualityStats> {
    return this.qualityFrom('inferences WHERE model_id = $1 AND ts_ms >= $2 AND ts_ms < $3', [modelId, fromMs, toMs]);
  }

  /** Quality counts per bucket of a model's labelled records in [from, to) (two grouped scans). */
  async qualityByBucket(
    modelId: string,
    bucketSizeMs: number,
    fromMs: number,
    toMs: number
  ): Promise<Map<number, QualityStats>> {
    const where = 'inferences WHERE model_id = $1 AND ts_ms >= $2 AND ts_ms < $3';
    const values = [modelId, fromMs, toMs, bucketSizeMs];
    const conf = await this.evalRows(
      `SELECT ts_ms // $4 * $4 AS b, pred_class, label_class, count(*) AS n FROM ${where}
         AND pred_class IS NOT NULL AND label_class IS NOT NULL GROUP BY ALL ORDER BY b, pred_class, label_class`,
      values
    );
    const reg = await this.evalRows(
      `SELECT ts_ms // $4 * $4 AS b, count(*) AS n, sum((pred_value - label_value) ^ 2) AS sse, sum(abs(pred_value - label_value)) AS sae
       FROM ${where} AND pred_value IS NOT NULL AND label_value IS NOT NULL GROUP BY b`,
      values
    );
    return qualityByBucketFrom(conf, reg);
  }

  async putBucketStatsMany(
    modelId: string,
    bucketSizeMs: number,
    items: ReadonlyArray<[number, QualityStats]>
  ): Promise<void> {
    if (items.length === 0) {
      return;
    }
    await this.write(async (c) => {
      await c.run(
        'INSERT OR REPLACE INTO drift_bucket_stats SELECT $1, $2, unnest($3::BIGINT[]), unnest($4::VARCHAR[])::JSON',
        [
          modelId,
          bucketSizeMs,
          listValue(items.map(([b]) => BigInt(b))),
          listValue(items.map(([, s]) => JSON.stringify(s))),
        ]
      );
    });
  }

  /** Marks buckets without records as sampled (so they are not looked at again). */
  async markSampledEmpty(
    source: 'inference' | 'llm',
    modelId: string,
    service: string,
    bucketSizeMs: number,
    buckets: readonly number[]
  ): Promise<void> {
    if (buckets.length === 0) {
      return;
    }
    await this.write(async (c) => {
      await c.run('INSERT OR REPLACE INTO drift_sampled SELECT $1, $2, $3, $4, unnest($5::BIGINT[]), 0', [
        source,
        modelId,
        service,
        bucketSizeMs,
        listValue(buckets.map((b) => BigInt(b))),
      ]);
    });
  }

  /** Stored per-bucket quality counts in [from, to). */
  async bucketStats(
    modelId: string,
    bucketSizeMs: number,
    fromMs: number,
    toMs: number
  ): Promise<Map<number, QualityStats>> {
    const rows = await this.evalRows(
      'SELECT bucket_ms, stats FROM drift_bucket_stats WHERE model_id = $1 AND bucket_size_ms = $2 AND bucket_ms >= $3 AND bucket_ms < $4',
      [modelId, bucketSizeMs, fromMs, toMs]
    );
    return new Map(rows.map((r) => [num(r.bucket_ms), JSON.parse(String(r.stats)) as QualityStats]));
  }

  async putBucketStats(modelId: string, bucketSizeMs: number, bucketMs: number, stats: QualityStats): Promise<void> {
    await this.write(async (c) => {
      await c.run('INSERT OR REPLACE INTO drift_bucket_stats VALUES ($1, $2, $3, $4)', [
        modelId,
        bucketSizeMs,
        bucketMs,
        JSON.stringify(stats),
      ]);
    });
  }

  /** Labels changed: forget the quality counts of these buckets and mark evaluated ones for recomputation. */
  async markLabelsChanged(
    items: ReadonlyArray<{ modelId: string; bucketMs: number }>,
    bucketSizeMs: number,
    cursorMs: number | null
  ): Promise<void> {
    if (items.length === 0) {
      return;
    }
    await this.write(async (c) => {
      for (const it of items) {
        await c.run('DELETE FROM drift_bucket_stats WHERE model_id = $1 AND bucket_size_ms = $2 AND bucket_ms = $3', [
          it.modelId,
          bucketSizeMs,
          it.bucketMs,
        ]);
        if (cursorMs !== null && it.bucketMs <= cursorMs) {
          await c.run('INSERT OR IGNORE INTO drift_dirty VALUES ($1, $2, $3)', [it.modelId, bucketSizeMs, it.bucketMs]);
        }
      }
    });
  }

  async dirtyBuckets(bucketSizeMs: number, limit: number): Promise<Array<{ modelId: string; bucketMs: number }>> {
    const rows = await this.evalRows(
      'SELECT model_id, bucket_ms FROM drift_dirty WHERE bucket_size_ms = $1 ORDER BY bucket_ms, model_id LIMIT $2',
      [bucketSizeMs, limit]
    );
    return rows.map((r) => ({ modelId: String(r.model_id), bucketMs: num(r.bucket_ms) }));
  }

  async clearDirty(modelId: string, bucketSizeMs: number, bucketMs: number): Promise<void> {
    await this.write(async (c) => {
      await c.run('DELETE FROM drift_dirty WHERE model_id = $1 AND bucket_size_ms = $2 AND bucket_ms = $3', [
        modelId,
        bucketSizeMs,
        bucketMs,
      ]);
    });
  }

  // ---- cursor --------------------------------------------------------------------------------

  async cursor(key: string): Promise<number | null> {
    const r = await this.evalRows('SELECT bucket_ms FROM drift_cursor WHERE key = $1', [key]);
    return numOrNull(r[0]?.bucket_ms);
  }

  async setCursor(key: string, bucketMs: number): Promise<void> {
    await this.write(async (c) => {
      await c.run('INSERT OR REPLACE INTO drift_cursor VALUES ($1, $2)', [key, bucketMs]);
    });
  }

  // ---- leases --------------------------------------------------------------------------------

  async acquireLease(key: string, owner: string, nowMs: number, ttlMs: number): Promise<Lease> {
    const cur = this.leases.get(key);
    if (cur && leaseHeldByOther(cur, owner, nowMs)) {
      return { owned: false, ...cur };
    }
    const next = { owner, epoch: (cur?.epoch ?? 0) + 1, expiresMs: nowMs + ttlMs };
    this.leases.set(key, next);
    return { owned: true, ...next };
  }

  async releaseLease(key: string, owner: string, nowMs: number): Promise<void> {
    const cur = this.leases.get(key);
    if (cur && cur.owner === owner) {
      this.leases.set(key, { owner: '', epoch: cur.epoch + 1, expiresMs: nowMs });
    }
  }

  // ---- results and alerts --------------------------------------------------------------------

  /** Results of one (model, service, type) at buckets >= fromMs, oldest first. */
  async resultsFrom(
    modelId: string,
    service: string,
    driftType: string,
    bucketSizeMs: number,
    fromMs: number
  ): Promise<ResultRow[]> {
    const rows = await this.evalRows(
      `SELECT * FROM drift_results WHERE model_id = $1 AND service = $2 AND drift_type = $3 AND bucket_size_ms = $4 AND bucket_ms >= $5
       ORDER BY bucket_ms, feature`,
      [modelId, service, driftType, bucketSizeMs, fromMs]
    );
    return rows.map(resultFrom);
  }

  /** The latest alertable result of each series of (model, service, type) before `beforeMs` (the hysteresis state). */
  async lastStates(
    modelId: string,
    service: string,
    driftType: string,
    bucketSizeMs: number,
    beforeMs: number
  ): Promise<Map<string, ResultRow>> {
    const rows = await this.evalRows(
      `SELECT * FROM drift_results WHERE model_id = $1 AND service = $2 AND drift_type = $3 AND bucket_size_ms = $4
         AND bucket_ms < $5 AND alertable
       QUALIFY row_number() OVER (PARTITION BY feature ORDER BY bucket_ms DESC) = 1`,
      [modelId, service, driftType, bucketSizeMs, beforeMs]
    );
    return new Map(rows.map((r) => [String(r.feature), resultFrom(r)]));
  }

  async alertsOfSeries(modelId: string, service: string, driftType: string, bucketSizeMs: number): Promise<AlertRow[]> {
    const rows = await this.evalRows(
      `SELECT * FROM drift_alerts WHERE model_id = $1 AND service = $2 AND drift_type = $3 AND bucket_size_ms = $4 ORDER BY opened_ms, id`,
      [modelId, service, driftType, bucketSizeMs]
    );
    return rows.map(alertFrom);
  }

  /**
   * Replaces results of (model, service, type) in [fromMs, toMs) with `rows` and writes alert
   * changes, for several such keys in one transaction (re-running a bucket never duplicates).
   */
  async replaceResults(batches: readonly ResultBatch[]): Promise<void> {
    if (batches.length === 0) {
      return;
    }
    await this.write(async (c) => {
      for (const { key, rows, alerts } of batches) {
        await c.run(
          `DELETE FROM drift_results WHERE model_id = $1 AND service = $2 AND drift_type = $3 AND bucket_size_ms = $4
             AND bucket_ms >= $5 AND bucket_ms < $6`,
          [key.modelId, key.service, key.driftType, key.bucketSizeMs, key.fromMs, key.toMs]
        );
        if (rows.length > 0) {
          const a = await c.createAppender('drift_results');
          try {
            for (const r of rows) {
              const v = resultColumns(r);
              a.appendVarchar(v.model_id);
              a.appendVarchar(v.service);
              a.appendVarchar(v.drift_type);
              a.appendVarchar(v.feature);
              a.appendBigInt(BigInt(v.bucket_size_ms));
              a.appendBigInt(BigInt(v.bucket_ms));
              a.appendVarchar(v.test);
              appendDbl(a, v.statistic);
              appendDbl(a, v.p_value);
              appendDbl(a, v.threshold);
              a.appendDouble(v.score);
              a.appendDouble(v.score_threshold);
              a.appendBoolean(v.drift);
              a.appendBigInt(BigInt(v.reference_count));
              a.appendBigInt(BigInt(v.current_count));
              a.appendVarchar(v.details);
              a.appendBoolean(v.alertable);
              a.appendInteger(v.hys_above);
              a.appendInteger(v.hys_below);
              appendStr(a, v.alert_id);
              a.appendBigInt(BigInt(v.computed_ms));
              a.endRow();
            }
            a.flushSync();
          } finally {
            a.closeSync();
          }
        }
        for (const id of alerts.deleteIds) {
          await c.run('DELETE FROM drift_alerts WHERE id = $1', [id]);
        }
        for (const al of alerts.upsert) {
          // Resolved by hand while this evaluation ran: the hand wins.
          const cur = await DriftStore.rowsOn(c, 'SELECT resolved_by FROM drift_alerts WHERE id = $1', [al.id]);
          if (cur[0]?.resolved_by === 'manual' && al.resolvedBy !== 'manual') {
            continue;
          }
          const cols = alertColumns(al);
          const names = Object.keys(cols);
          await c.run(
            `INSERT OR REPLACE INTO drift_alerts (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`,
            Object.values(cols)
          );
        }
      }
    });
  }

  async alerts(f: AlertFilter): Promise<AlertRow[]> {
    const values: DuckDBValue[] = [];
    const conds = alertConditions(f, positional(values));
    const rows = await this.apiRows(
      `SELECT * FROM drift_alerts WHERE ${conds.join(' AND ')} ORDER BY opened_ms DESC, id LIMIT ${alertLimit(f)}`,
      values
    );
    return rows.map(alertFrom);
  }

  async alert(id: string): Promise<AlertRow | null> {
    const r = (await this.apiRows('SELECT * FROM drift_alerts WHERE id = $1', [id]))[0];
    return r ? alertFrom(r) : null;
  }

  async resolveAlertManually(id: string, nowMs: number): Promise<AlertRow | null> {
    return this.write(async (c) => {
      const rows = await DriftStore.rowsOn(
        c,
        `UPDATE drift_alerts SET state = 'resolved', resolved_ms = $2, resolved_by = 'manual', updated_ms = $2
         WHERE id = $1 AND state = 'active' RETURNING *`,
        [id, nowMs]
      );
      return rows[0] ? alertFrom(rows[0]) : null;
    });
  }

  /** Results for frames and REST: filters, time range on bucket start. */
  async results(f: ResultFilter): Promise<ResultRow[]> {
    const values: DuckDBValue[] = [];
    const conds = resultConditions(f, positional(values));
    const latest = f.latestOnly
      ? 'QUALIFY row_number() OVER (PARTITION BY model_id, service, drift_type, feature ORDER BY bucket_ms DESC) = 1'
      : '';
    const rows = await this.apiRows(
      `SELECT * FROM drift_results WHERE ${conds.join(' AND ')} ${latest} ORDER BY model_id, service, drift_type, feature, bucket_ms LIMIT 200000`,
      values
    );
    return rows.map(resultFrom);
  }

  // ---- retention -----------------------------------------------------------------------------

  async deleteBefore(cutoffMs: number): Promise<number> {
    return this.write(async (c) => {
      const r = await c.run('DELETE FROM inferences WHERE ts_ms < $1', [cutoffMs]);
      await c.run('DELETE FROM drift_samples WHERE bucket_ms < $1', [cutoffMs]);
      await c.run('DELETE FROM drift_embedding_samples WHERE bucket_ms < $1', [cutoffMs]);
      await c.run('DELETE FROM drift_llm_samples WHERE bucket_ms < $1', [cutoffMs]);
      await c.run('DELETE FROM drift_sampled WHERE bucket_ms < $1', [cutoffMs]);
      await c.run('DELETE FROM drift_bucket_stats WHERE bucket_ms < $1', [cutoffMs]);
      return Number(r.rowsChanged);
    });
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    // Wait for whatever is running on each connection, then close them.
    await Promise.all([this.eLock.run(async () => undefined), this.qLock.run(async () => undefined)]);
    await this.wLock.run(async () => {
      await this.w.run(`CHECKPOINT ${CATALOG}`).catch(() => undefined);
    });
    this.e.closeSync();
    this.q.closeSync();
    await this.w.run(`USE memory`).catch(() => undefined);
    await this.w.run(`DETACH ${CATALOG}`).catch(() => undefined);
  }
}

const TOOL_FINISH = `['tool_calls', 'tool_call', 'tool_use', 'function_call']`;
const LLM_SAMPLE_SELECT = `${sampleHash('trace_id || span_id')} AS h, input_tokens::DOUBLE AS input_tokens, output_tokens::DOUBLE AS output_tokens,
  duration_ns / 1e6 AS latency_ms, cost_micros / 1e6 AS cost_usd, status_code = 2 AS error,
  coalesce(lower(finish_reasons[1]), 'none') AS finish_reason, list_has_any(list_transform(finish_reasons, x -> lower(x)), ${TOOL_FINISH}) AS tool_call`;

