// The drift engine's storage on ClickHouse (a server, a cluster, or chdb in-process), shared by
// every ingest replica. Tables and their update model: ./schema.ts. It answers exactly like the
// DuckDB store (../store.ts): same hash for sampling, same orderings, same tie-breaks; the
// conformance suite (../conformance.test.ts) checks that.
//
// Every insert names its settings: on chdb the client applies settings with SET on the one
// shared session, so a setting left out would inherit the previous query's value (notably a
// deduplication token, which would silently drop the next insert).
import type { ClickHouseSettings as ChQuerySettings } from '@clickhouse/client';
import type { ClickHouseHandle } from '../../clickhouse/client.js';
import { Mutex } from '../../util/mutex.js';
import type { ModelConfig } from '../config.js';
import { alertConditions, alertLimit, resultConditions, type Binder } from '../filters.js';
import type { InferenceRow, LabelRow } from '../records.js';
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
  recordColumns,
  resultColumns,
  resultFrom,
  sampleFrom,
  type Row,
} from '../rows.js';
import {
  byModelId,
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
  type SampleSource,
} from '../storage.js';
import { driftDdl, localName, TABLES, ttlExpr } from './schema.js';

export interface ClickHouseDriftOptions {
  /** Days of records and samples kept (TTL and deleteBefore); 0 = all. */
  retentionDays: number;
  /**
   * The span table LLM-behaviour drift reads (in the same database). It needs the DuckDB span
   * columns: trace_id, span_id, start_ns, duration_ns, status_code, span_kind, service,
   * request_model, response_model, input_tokens, output_tokens, cost_micros, finish_reasons.
   */
  spansTable?: string;
}

/** The sampling hash (identical to DuckDB's `('0x' || md5(k)[1:16])::UBIGINT`). */
const sampleHash = (key: string) => `reinterpretAsUInt64(reverse(substring(MD5(${key}), 1, 8)))`;
const SAMPLE_COLS = 'features, pred_class, pred_value, pred_prob';
const TOOL_FINISH = `['tool_calls', 'tool_call', 'tool_use', 'function_call']`;
const LLM_SAMPLE_SELECT = `${sampleHash('concat(trace_id, span_id)')} AS h, toFloat64(input_tokens) AS input_tokens,
  toFloat64(output_tokens) AS output_tokens, duration_ns / 1e6 AS latency_ms, cost_micros / 1e6 AS cost_usd,
  toBool(status_code = 2) AS error, if(length(finish_reasons) > 0, lower(finish_reasons[1]), 'none') AS finish_reason,
  toBool(hasAny(arrayMap(x -> lower(x), finish_reasons), ${TOOL_FINISH})) AS tool_call`;
const LLM_COLS = 'input_tokens, output_tokens, latency_ms, cost_usd, error, finish_reason, tool_call';
const ID_CHUNK = 2000;

let lastVersion = 0;
/** Row versions: wall-clock microseconds, strictly increasing within the process. */
function nextVersion(): number {
  lastVersion = Math.max(Date.now() * 1000, lastVersion + 1);
  return lastVersion;
}

/** A ClickHouse string literal (for DELETE, whose ON CLUSTER form is sent on as text). */
function lit(v: string | number): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) {
      throw new Error(`not a finite number: ${v}`);
    }
    return String(Math.trunc(v));
  }
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const f32 = (v: readonly number[] | null): number[] => (v ? Array.from(Float32Array.from(v)) : []);
const embeddingOf = (v: unknown): Float32Array | null =>
  Array.isArray(v) && v.length > 0 ? Float32Array.from(v as number[]) : null;

function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) {
    out.push(xs.slice(i, i + n));
  }
  return out;
}

/** The first row of each id (a request may repeat one; the first wins, as on DuckDB). */
function firstById<T extends { id: string }>(rows: readonly T[]): Map<string, T> {
  const first = new Map<string, T>();
  for (const r of rows) {
    if (!first.has(r.id)) {
      first.set(r.id, r);
    }
  }
  return first;
}

/** {name:Type} placeholders, the values in a params object. */
function named(params: Record<string, unknown>): Binder {
  return {
    value: (name, type, v) => {
      params[name] = v;
      return `{${name}:${type}}`;
    },
    list: (name, type, vs) => {
      params[name] = [...vs];
      return `{${name}:Array(${type})}`;
    },
  };
}

export class ClickHouseDriftStore implements DriftStorage {
  readonly kind = 'clickhouse';
  /** Read-modify-write operations of this process take turns (as on DuckDB's write connection). */
  private readonly wLock = new Mutex();
  private spansPresent = false;
  private closed = false;
  private readonly db: string;
  private readonly spans: string;
  private readonly gin: string;
  private readonly insertSettings: ChQuerySettings;

  private constructor(
    private readonly ch: ClickHouseHandle,
    private readonly opts: ClickHouseDriftOptions
  ) {
    this.db = ch.database;
    this.spans = `${ch.database}.${opts.spansTable ?? 'spans'}`;
    // Subqueries over Distributed tables inside Distributed queries must be GLOBAL.
    this.gin = ch.cluster ? 'GLOBAL IN' : 'IN';
    this.insertSettings = ch.cluster
      ? // Acknowledge only once the shard has it on a majority of replicas.
        { async_insert: 0, distributed_foreground_insert: 1, insert_quorum: 'auto' }
      : { async_insert: 0 };
  }

  static async open(ch: ClickHouseHandle, opts: ClickHouseDriftOptions): Promise<ClickHouseDriftStore> {
    const s = new ClickHouseDriftStore(ch, opts);
    for (const sql of driftDdl({ database: ch.database, cluster: ch.cluster, retentionDays: opts.retentionDays })) {
      await ch.client.command({ query: sql, clickhouse_settings: { insert_deduplication_token: '' } });
    }
    await s.followRetention();
    return s;
  }

  /** Tables created under another retention setting get the current TTL (without rewriting data now). */
  private async followRetention(): Promise<void> {
    const live = await this.rows(
      `SELECT name, create_table_query AS q FROM system.tables WHERE database = {db:String}`,
      { db: this.db }
    );
    const byName = new Map(live.map((r) => [String(r.name), String(r.q)]));
    const on = this.ch.cluster ? ` ON CLUSTER ${this.ch.cluster}` : '';
    for (const t of TABLES) {
      if (!t.ttlColumn) {
        continue;
      }
      const local = localName(t.name, this.ch.cluster);
      const q = byName.get(local) ?? '';
      const want = ttlExpr(t, this.opts.retentionDays);
      const has = / TTL /.test(q);
      if (want && !q.includes(want.replace(/.*\+ /, ''))) {
        await this.ch.client.command({
          query: `ALTER TABLE ${this.db}.${local}${on} MODIFY TTL ${want}`,
          clickhouse_settings: { materialize_ttl_after_modify: 0 },
        });
      } else if (!want && has) {
        await this.ch.client.command({ query: `ALTER TABLE ${this.db}.${local}${on} REMOVE TTL` });
      }
    }
  }

  private t(name: string): string {
    return `${this.db}.${name}`;
  }

  private async rows(query: string, params: Record<string, unknown> = {}): Promise<Row[]> {
    const rs = await this.ch.client.query({ query, query_params: params, format: 'JSONEachRow' });
    return rs.json<Row>();
  }

  private async insert(table: string, values: readonly object[], token = ''): Promise<void> {
    if (values.length === 0) {
      return;
    }
    await this.ch.client.insert({
      table: this.t(table),
      values: values as object[],
      format: 'JSONEachRow',
      clickhouse_settings: { ...this.insertSettings, insert_deduplication_token: token },
    });
  }

  /** INSERT ... SELECT (server side). */
  private async insertSelect(query: string, params: Record<string, unknown>): Promise<void> {
    await this.ch.client.command({
      query,
      query_params: params,
      clickhouse_settings: { ...this.insertSettings, insert_deduplication_token: '' },
    });
  }

  /** Lightweight delete; `where` is built with lit(). On a cluster it goes to every local table. */
  private async deleteWhere(table: string, where: string): Promise<void> {
    const on = this.ch.cluster ? ` ON CLUSTER ${this.ch.cluster}` : '';
    await this.ch.client.command({
      query: `DELETE FROM ${this.t(localName(table, this.ch.cluster))}${on} WHERE ${where}`,
      clickhouse_settings: { insert_deduplication_token: '' },
    });
  }

  /** The span table exists (the span storage may create it after the drift engine started). */
  private async haveSpans(): Promise<boolean> {
    if (!this.spansPresent) {
      const [db, name] = this.spans.split('.');
      const r = await this.rows('SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = {name:String}', {
        db,
        name,
      });
      this.spansPresent = num(r[0]?.n) > 0;
    }
    return this.spansPresent;
  }

  async checkpoint(): Promise<void> {
    // Inserts are durable when acknowledged; merges compact in the background.
  }

  // ---- intake ------------------------------------------------------------------------------

  async insertInferences(rows: readonly InferenceRow[], nowMs: number): Promise<number> {
    if (rows.length === 0) {
      return 0;
    }
    return this.wLock.run(async () => {
      // Duplicate ids inside one request: keep the first; ids already stored are ignored.
      const first = firstById(rows);
      const stored = new Set<string>();
      for (const ids of chunks([...first.keys()], ID_CHUNK)) {
        for (const r of await this.rows(
          `SELECT DISTINCT id FROM ${this.t('drift_inferences')} WHERE id IN {ids:Array(String)}`,
          { ids }
        )) {
          stored.add(String(r.id));
        }
      }
      const fresh = [...first.values()].filter((r) => !stored.has(r.id));
      await this.insert(
        'drift_inferences',
        fresh.map((r) => ({
          id: r.id,
          model_id: r.modelId,
          model_version: r.modelVersion,
          ts_ms: r.tsMs,
          ...recordColumns(r),
          label_ms: labelledAt(r, nowMs),
          embedding: f32(r.embedding),
          source: r.source,
          trace_id: r.traceId,
          span_id: r.spanId,
          received_ms: nowMs,
          ver: 0,
        }))
      );
      return fresh.length;
    });
  }

  async applyLabels(
    rows: readonly LabelRow[],
    nowMs: number
  ): Promise<{ found: Set<string>; touched: Array<{ modelId: string; tsMs: number }> }> {
    if (rows.length === 0) {
      return { found: new Set(), touched: [] };
    }
    return this.wLock.run(async () => {
      const first = firstById(rows);
      const updated: Row[] = [];
      for (const ids of chunks([...first.keys()], ID_CHUNK)) {
        updated.push(
          ...(await this.rows(`SELECT * FROM ${this.t('drift_inferences')} FINAL WHERE id IN {ids:Array(String)}`, { ids }))
        );
      }
      const ver = nextVersion();
      await this.insert(
        'drift_inferences',
        updated.map((r) => {
          const l = first.get(String(r.id))!;
          return { ...r, label_class: l.labelClass, label_value: l.labelValue, label_ms: nowMs, ver };
        })
      );
      return labelsApplied(updated);
    });
  }

  // ---- model settings and catalog -----------------------------------------------------------

  async modelConfig(modelId: string): Promise<{ config: ModelConfig; updatedMs: number | null }> {
    const rows = await this.rows(`SELECT config, updated_ms FROM ${this.t('drift_models')} FINAL WHERE model_id = {m:String}`, {
      m: modelId,
    });
    return modelConfigFrom(rows[0]);
  }

  async putModelConfig(modelId: string, config: ModelConfig, nowMs: number): Promise<void> {
    await this.insert('drift_models', [
      { model_id: modelId, config: JSON.stringify(config), updated_ms: nowMs, ver: nextVersion() },
    ]);
  }

  async models(): Promise<DriftModelInfo[]> {
    const seen = await this.rows(
      `SELECT model_id, min(first_ms) AS first_ms, max(last_ms) AS last_ms, sum(records) AS records
       FROM ${this.t('drift_model_seen')} GROUP BY model_id`
    );
    const configured = new Set(
      (await this.rows(`SELECT model_id FROM ${this.t('drift_models')} FINAL`)).map((r) => String(r.model_id))
    );
    const withResults = (await this.rows(`SELECT DISTINCT model_id FROM ${this.t('drift_results')} FINAL`)).map((r) =>
      String(r.model_id)
    );
    const out = new Map<string, DriftModelInfo>();
    for (const r of seen) {
      const id = String(r.model_id);
      out.set(id, {
        modelId: id,
        firstMs: num(r.first_ms),
        lastMs: num(r.last_ms),
        records: num(r.records),
        configured: configured.has(id),
      });
    }
    for (const id of [...configured, ...withResults]) {
      if (!out.has(id)) {
        out.set(id, { modelId: id, firstMs: null, lastMs: null, records: 0, configured: configured.has(id) });
      }
    }
    return [...out.values()].sort(byModelId);
  }

  async earliestInferenceMs(): Promise<number | null> {
    const r = await this.rows(`SELECT minOrNull(first_ms) AS t FROM ${this.t('drift_model_seen')}`);
    return numOrNull(r[0]?.t);
  }

  async earliestSpanMs(): Promise<number | null> {
    if (!(await this.haveSpans())) {
      return null;
    }
    const r = await this.rows(`SELECT intDiv(minOrNull(start_ns), 1000000) AS t FROM ${this.spans} WHERE span_kind = 'llm'`);
    return numOrNull(r[0]?.t);
  }

  async modelsInWindow(fromMs: number, toMs: number): Promise<Array<{ modelId: string; n: number }>> {
    const rows = await this.rows(
      `SELECT model_id, count() AS n FROM ${this.t('drift_inferences')} FINAL
       WHERE ts_ms >= {f:Int64} AND ts_ms < {t:Int64} GROUP BY model_id ORDER BY model_id`,
      { f: fromMs, t: toMs }
    );
    return rows.map((r) => ({ modelId: String(r.model_id), n: num(r.n) }));
  }

  async llmModelsInWindow(fromMs: number, toMs: number): Promise<Array<{ modelId: string; service: string; n: number }>> {
    if (!(await this.haveSpans())) {
      return [];
    }
    const rows = await this.rows(
      `SELECT coalesce(response_model, request_model) AS model, service, count() AS n FROM ${this.spans}
       WHERE start_ns >= {f:Int64} AND start_ns < {t:Int64} AND span_kind = 'llm' AND model IS NOT NULL
       GROUP BY model, service ORDER BY model, service`,
      { f: BigInt(fromMs) * 1_000_000n, t: BigInt(toMs) * 1_000_000n }
    );
    return rows.map((r) => ({ modelId: String(r.model), service: String(r.service), n: num(r.n) }));
  }

  // ---- samples -------------------------------------------------------------------------------

  async sampleInferences(
    modelId: string,
    fromMs: number,
    toMs: number,
    limit: number,
    embeddingLimit: number
  ): Promise<SampleRow[]> {
    const rows = await this.rows(
      `SELECT ${SAMPLE_COLS}, if(length(embedding) > 0 AND row_number() OVER (PARTITION BY length(embedding) = 0 ORDER BY h, id) <= {e:UInt64},
         embedding, []) AS embedding FROM (
         SELECT ${SAMPLE_COLS}, embedding, id, ${sampleHash('id')} AS h FROM ${this.t('drift_inferences')} FINAL
         WHERE model_id = {m:String} AND ts_ms >= {f:Int64} AND ts_ms < {t:Int64} ORDER BY h, id LIMIT {n:UInt64})
       ORDER BY h, id`,
      { m: modelId, f: fromMs, t: toMs, n: limit, e: embeddingLimit }
    );
    return rows.map((r) => sampleFrom(r, embeddingOf(r.embedding)));
  }

  async sampleEmbeddings(modelId: string, fromMs: number, toMs: number, limit: number): Promise<Float32Array[]> {
    const rows = await this.rows(
      `SELECT embedding FROM ${this.t('drift_inferences')} FINAL
       WHERE model_id = {m:String} AND ts_ms >= {f:Int64} AND ts_ms < {t:Int64} AND length(embedding) > 0
       ORDER BY ${sampleHash('id')}, id LIMIT {n:UInt64}`,
      { m: modelId, f: fromMs, t: toMs, n: limit }
    );
    return rows.map((r) => embeddingOf(r.embedding)).filter((e): e is Float32Array => e !== null);
  }

  private sampledWhere(): string {
    return `source = {src:String} AND model_id = {m:String} AND service = {svc:String} AND bucket_size_ms = {s:Int64}
      AND bucket_ms >= {f:Int64} AND bucket_ms < {t:Int64}`;
  }

  async sampledBuckets(
    source: SampleSource,
    modelId: string,
    service: string,
    bucketSizeMs: number,
    fromMs: number,
    toMs: number
  ): Promise<Set<number>> {
    const rows = await this.rows(`SELECT bucket_ms FROM ${this.t('drift_sampled')} FINAL WHERE ${this.sampledWhere()}`, {
      src: source,
      m: modelId,
      svc: service,
      s: bucketSizeMs,
      f: fromMs,
      t: toMs,
    });
    return new Set(rows.map((r) => num(r.bucket_ms)));
  }

  async inferenceCountsByBucket(
    modelId: string,
    bucketSizeMs: number,
    fromMs: number,
    toMs: number
  ): Promise<Map<number, number>> {
    const rows = await this.rows(
      `SELECT intDiv(ts_ms, {s:Int64}) * {s:Int64} AS b, count() AS n FROM ${this.t('drift_inferences')} FINAL
       WHERE model_id = {m:String} AND ts_ms >= {f:Int64} AND ts_ms < {t:Int64} GROUP BY b`,
      { m: modelId, f: fromMs, t: toMs, s: bucketSizeMs }
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
    if (!(await this.haveSpans())) {
      return new Map();
    }
    const rows = await this.rows(
      `SELECT intDiv(intDiv(start_ns, 1000000), {s:Int64}) * {s:Int64} AS b, count() AS n FROM ${this.spans}
       WHERE start_ns >= {f:Int64} AND start_ns < {t:Int64} AND span_kind = 'llm'
         AND coalesce(response_model, request_model) = {m:String} AND service = {svc:String}
       GROUP BY b`,
      { m: modelId, svc: service, f: BigInt(fromMs) * 1_000_000n, t: BigInt(toMs) * 1_000_000n, s: bucketSizeMs }
    );
    return new Map(rows.map((r) => [num(r.b), num(r.n)]));
  }

  /** The committed sample version of a bucket, if any. */
  private async sampledVersion(
    source: SampleSource,
    modelId: string,
    service: string,
    bucketSizeMs: number,
    bucketMs: number
  ): Promise<number | null> {
    const r = await this.rows(`SELECT ver FROM ${this.t('drift_sampled')} FINAL WHERE ${this.sampledWhere()}`, {
      src: source,
      m: modelId,
      svc: service,
      s: bucketSizeMs,
      f: bucketMs,
      t: bucketMs + 1,
    });
    return numOrNull(r[0]?.ver);
  }

  async storeInferenceSample(
    modelId: string,
    bucketSizeMs: number,
    bucketMs: number,
    limit: number,
    embeddingLimit: number
  ): Promise<number> {
    return this.wLock.run(async () => {
      const prev = await this.sampledVersion('inference', modelId, '', bucketSizeMs, bucketMs);
      const ver = nextVersion();
      const p = { m: modelId, s: bucketSizeMs, b: bucketMs, v: ver };
      const from = `FROM ${this.t('drift_inferences')} FINAL
        WHERE model_id = {m:String} AND ts_ms >= {b:Int64} AND ts_ms < {b:Int64} + {s:Int64}`;
      await this.insertSelect(
        `INSERT INTO ${this.t('drift_samples')} (model_id, bucket_size_ms, bucket_ms, ver, h, ${SAMPLE_COLS})
         SELECT model_id, {s:Int64}, {b:Int64}, {v:UInt64}, ${sampleHash('id')} AS h, ${SAMPLE_COLS} ${from}
         ORDER BY h, id LIMIT {n:UInt64}`,
        { ...p, n: limit }
      );
      await this.insertSelect(
        `INSERT INTO ${this.t('drift_embedding_samples')} (model_id, bucket_size_ms, bucket_ms, ver, h, embedding)
         SELECT model_id, {s:Int64}, {b:Int64}, {v:UInt64}, ${sampleHash('id')} AS h, embedding ${from} AND length(embedding) > 0
         ORDER BY h, id LIMIT {n:UInt64}`,
        { ...p, n: embeddingLimit }
      );
      const n = num(
        (
          await this.rows(
            `SELECT count() AS n FROM ${this.t('drift_samples')}
             WHERE model_id = {m:String} AND bucket_size_ms = {s:Int64} AND bucket_ms = {b:Int64} AND ver = {v:UInt64}`,
            p
          )
        )[0]?.n
      );
      // The drift_sampled row commits the new sample for readers.
      await this.insert('drift_sampled', [
        { source: 'inference', model_id: modelId, service: '', bucket_size_ms: bucketSizeMs, bucket_ms: bucketMs, row_count: n, ver },
      ]);
      if (prev !== null) {
        const where = `model_id = ${lit(modelId)} AND bucket_size_ms = ${lit(bucketSizeMs)} AND bucket_ms = ${lit(bucketMs)} AND ver < ${lit(ver)}`;
        await this.deleteWhere('drift_samples', where);
        await this.deleteWhere('drift_embedding_samples', where);
      }
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
    return this.wLock.run(async () => {
      const prev = await this.sampledVersion('llm', modelId, service, bucketSizeMs, bucketMs);
      const ver = nextVersion();
      const p = { m: modelId, svc: service, s: bucketSizeMs, b: bucketMs, v: ver };
      let n = 0;
      if (await this.haveSpans()) {
        await this.insertSelect(
          `INSERT INTO ${this.t('drift_llm_samples')} (model_id, service, bucket_size_ms, bucket_ms, ver, h, ${LLM_COLS})
           SELECT {m:String}, {svc:String}, {s:Int64}, {b:Int64}, {v:UInt64}, h, ${LLM_COLS} FROM (
             SELECT ${LLM_SAMPLE_SELECT} FROM ${this.spans}
             WHERE start_ns >= {f:Int64} AND start_ns < {t:Int64} AND span_kind = 'llm'
               AND coalesce(response_model, request_model) = {m:String} AND service = {svc:String}
             ORDER BY h LIMIT {n:UInt64})`,
          { ...p, f: BigInt(bucketMs) * 1_000_000n, t: BigInt(bucketMs + bucketSizeMs) * 1_000_000n, n: limit }
        );
        n = num(
          (
            await this.rows(
              `SELECT count() AS n FROM ${this.t('drift_llm_samples')} WHERE model_id = {m:String} AND service = {svc:String}
               AND bucket_size_ms = {s:Int64} AND bucket_ms = {b:Int64} AND ver = {v:UInt64}`,
              p
            )
          )[0]?.n
        );
      }
      await this.insert('drift_sampled', [
        { source: 'llm', model_id: modelId, service, bucket_size_ms: bucketSizeMs, bucket_ms: bucketMs, row_count: n, ver },
      ]);
      if (prev !== null) {
        await this.deleteWhere(
          'drift_llm_samples',
          `model_id = ${lit(modelId)} AND service = ${lit(service)} AND bucket_size_ms = ${lit(bucketSizeMs)} AND bucket_ms = ${lit(bucketMs)} AND ver < ${lit(ver)}`
        );
      }
      return n;
    });
  }

  /** Rows of committed sample versions only (a sample being replaced is invisible until committed). */
  private committed(source: SampleSource): string {
    return `(bucket_ms, ver) ${this.gin} (SELECT bucket_ms, ver FROM ${this.t('drift_sampled')} FINAL WHERE ${this.sampledWhere().replace(
      '{src:String}',
      `'${source}'`
    )})`;
  }

  async storedInferenceSamples(
    modelId: string,
    bucketSizeMs: number,
    fromMs: number,
    toMs: number,
    limit: number
  ): Promise<SampleRow[]> {
    const rows = await this.rows(
      `SELECT ${SAMPLE_COLS} FROM ${this.t('drift_samples')}
       WHERE model_id = {m:String} AND bucket_size_ms = {s:Int64} AND bucket_ms >= {f:Int64} AND bucket_ms < {t:Int64}
         AND ${this.committed('inference')}
       ORDER BY h LIMIT {n:UInt64}`,
      { m: modelId, svc: '', s: bucketSizeMs, f: fromMs, t: toMs, n: limit }
    );
    return rows.map((r) => sampleFrom(r, null));
  }

  async storedSampleEmbeddings(
    modelId: string,
    bucketSizeMs: number,
    fromMs: number,
    toMs: number,
    limit: number
  ): Promise<Float32Array[]> {
    const rows = await this.rows(
      `SELECT embedding FROM ${this.t('drift_embedding_samples')}
       WHERE model_id = {m:String} AND bucket_size_ms = {s:Int64} AND bucket_ms >= {f:Int64} AND bucket_ms < {t:Int64}
         AND ${this.committed('inference')}
       ORDER BY h LIMIT {n:UInt64}`,
      { m: modelId, svc: '', s: bucketSizeMs, f: fromMs, t: toMs, n: limit }
    );
    return rows.map((r) => embeddingOf(r.embedding)).filter((e): e is Float32Array => e !== null);
  }

  async llmSample(modelId: string, service: string, fromMs: number, toMs: number, limit: number): Promise<LlmSampleRow[]> {
    if (!(await this.haveSpans())) {
      return [];
    }
    const rows = await this.rows(
      `SELECT ${LLM_SAMPLE_SELECT} FROM ${this.spans} WHERE start_ns >= {f:Int64} AND start_ns < {t:Int64} AND span_kind = 'llm'
         AND coalesce(response_model, request_model) = {m:String} AND service = {svc:String} ORDER BY h LIMIT {n:UInt64}`,
      { m: modelId, svc: service, f: BigInt(fromMs) * 1_000_000n, t: BigInt(toMs) * 1_000_000n, n: limit }
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
    const rows = await this.rows(
      `SELECT ${LLM_COLS} FROM ${this.t('drift_llm_samples')}
       WHERE model_id = {m:String} AND service = {svc:String} AND bucket_size_ms = {s:Int64}
         AND bucket_ms >= {f:Int64} AND bucket_ms < {t:Int64} AND ${this.committed('llm')}
       ORDER BY h LIMIT {n:UInt64}`,
      { m: modelId, svc: service, s: bucketSizeMs, f: fromMs, t: toMs, n: limit }
    );
    return rows.map(llmFrom);
  }

  async markSampledEmpty(
    source: SampleSource,
    modelId: string,
    service: string,
    bucketSizeMs: number,
    buckets: readonly number[]
  ): Promise<void> {
    const ver = nextVersion();
    await this.insert(
      'drift_sampled',
      buckets.map((b) => ({ source, model_id: modelId, service, bucket_size_ms: bucketSizeMs, bucket_ms: b, row_count: 0, ver }))
    );
  }

  // ---- reference datasets --------------------------------------------------------------------

  async putDataset(datasetId: string, modelId: string, name: string, rows: readonly InferenceRow[], nowMs: number): Promise<void> {
    await this.wLock.run(async () => {
      const prev = await this.datasetVersion(datasetId);
      const ver = nextVersion();
      for (const part of chunks(
        rows.map((r, i) => ({
          dataset_id: datasetId,
          ver,
          row_no: i,
          ...recordColumns(r),
          embedding: f32(r.embedding),
        })),
        50_000
      )) {
        await this.insert('drift_dataset_rows', part);
      }
      // The header commits the rows of its version.
      await this.insert('drift_datasets', [
        { dataset_id: datasetId, model_id: modelId, name, row_count: rows.length, created_ms: nowMs, ver },
      ]);
      if (prev !== null) {
        await this.deleteWhere('drift_dataset_rows', `dataset_id = ${lit(datasetId)} AND ver < ${lit(ver)}`);
      }
    });
  }

  private async datasetVersion(datasetId: string): Promise<number | null> {
    const r = await this.rows(`SELECT ver FROM ${this.t('drift_datasets')} FINAL WHERE dataset_id = {d:String}`, {
      d: datasetId,
    });
    return numOrNull(r[0]?.ver);
  }

  async dataset(datasetId: string): Promise<DatasetInfo | null> {
    const r = (
      await this.rows(`SELECT * FROM ${this.t('drift_datasets')} FINAL WHERE dataset_id = {d:String}`, { d: datasetId })
    )[0];
    return r ? datasetFrom(r) : null;
  }

  async datasetSample(datasetId: string, limit: number, embeddingLimit: number): Promise<SampleRow[]> {
    const ver = await this.datasetVersion(datasetId);
    if (ver === null) {
      return [];
    }
    const rows = await this.rows(
      `SELECT ${SAMPLE_COLS}, if(length(embedding) > 0 AND row_number() OVER (PARTITION BY length(embedding) = 0 ORDER BY h, row_no) <= {e:UInt64},
         embedding, []) AS embedding FROM (
         SELECT ${SAMPLE_COLS}, embedding, row_no, ${sampleHash('toString(row_no)')} AS h FROM ${this.t('drift_dataset_rows')}
         WHERE dataset_id = {d:String} AND ver = {v:UInt64} ORDER BY h, row_no LIMIT {n:UInt64})
       ORDER BY h, row_no`,
      { d: datasetId, v: ver, n: limit, e: embeddingLimit }
    );
    return rows.map((r) => sampleFrom(r, embeddingOf(r.embedding)));
  }

  async datasetQuality(datasetId: string): Promise<QualityStats> {
    const ver = (await this.datasetVersion(datasetId)) ?? -1;
    return this.qualityFrom(`${this.t('drift_dataset_rows')} WHERE dataset_id = {d:String} AND ver = {v:Int64}`, {
      d: datasetId,
      v: ver,
    });
  }

  // ---- model quality (concept drift) ---------------------------------------------------------

  private async qualityFrom(where: string, params: Record<string, unknown>): Promise<QualityStats> {
    const conf = await this.rows(
      `SELECT pred_class, label_class, count() AS n FROM ${where} AND pred_class IS NOT NULL AND label_class IS NOT NULL
       GROUP BY pred_class, label_class ORDER BY n DESC, pred_class, label_class LIMIT 10000`,
      params
    );
    const reg = await this.rows(
      `SELECT count() AS n, sum(pow(pred_value - label_value, 2)) AS sse, sum(abs(pred_value - label_value)) AS sae
       FROM ${where} AND pred_value IS NOT NULL AND label_value IS NOT NULL`,
      params
    );
    return qualityStatsFrom(conf, reg[0]);
  }

  async quality(modelId: string, fromMs: number, toMs: number): Promise<QualityStats> {
    return this.qualityFrom(
      `${this.t('drift_inferences')} FINAL WHERE model_id = {m:String} AND ts_ms >= {f:Int64} AND ts_ms < {t:Int64}`,
      { m: modelId, f: fromMs, t: toMs }
    );
  }

  async qualityByBucket(
    modelId: string,
    bucketSizeMs: number,
    fromMs: number,
    toMs: number
  ): Promise<Map<number, QualityStats>> {
    const where = `${this.t('drift_inferences')} FINAL WHERE model_id = {m:String} AND ts_ms >= {f:Int64} AND ts_ms < {t:Int64}`;
    const params = { m: modelId, f: fromMs, t: toMs, s: bucketSizeMs };
    const conf = await this.rows(
      `SELECT intDiv(ts_ms, {s:Int64}) * {s:Int64} AS b, pred_class, label_class, count() AS n FROM ${where}
         AND pred_class IS NOT NULL AND label_class IS NOT NULL GROUP BY b, pred_class, label_class ORDER BY b, pred_class, label_class`,
      params
    );
    const reg = await this.rows(
      `SELECT intDiv(ts_ms, {s:Int64}) * {s:Int64} AS b, count() AS n, sum(pow(pred_value - label_value, 2)) AS sse,
         sum(abs(pred_value - label_value)) AS sae
       FROM ${where} AND pred_value IS NOT NULL AND label_value IS NOT NULL GROUP BY b`,
      params
    );
    return qualityByBucketFrom(conf, reg);
  }

  async bucketStats(
    modelId: string,
    bucketSizeMs: number,
    fromMs: number,
    toMs: number
  ): Promise<Map<number, QualityStats>> {
    const rows = await this.rows(
      `SELECT bucket_ms, stats FROM ${this.t('drift_bucket_stats')} FINAL
       WHERE model_id = {m:String} AND bucket_size_ms = {s:Int64} AND bucket_ms >= {f:Int64} AND bucket_ms < {t:Int64}`,
      { m: modelId, s: bucketSizeMs, f: fromMs, t: toMs }
    );
    return new Map(rows.map((r) => [num(r.bucket_ms), JSON.parse(String(r.stats)) as QualityStats]));
  }

  async putBucketStats(modelId: string, bucketSizeMs: number, bucketMs: number, stats: QualityStats): Promise<void> {
    await this.putBucketStatsMany(modelId, bucketSizeMs, [[bucketMs, stats]]);
  }

  async putBucketStatsMany(
    modelId: string,
    bucketSizeMs: number,
    items: ReadonlyArray<[number, QualityStats]>
  ): Promise<void> {
    const ver = nextVersion();
    await this.insert(
      'drift_bucket_stats',
      items.map(([b, s]) => ({
        model_id: modelId,
        bucket_size_ms: bucketSizeMs,
        bucket_ms: b,
        stats: JSON.stringify(s),
        ver,
        deleted: 0,
      }))
    );
  }

  async markLabelsChanged(
    items: ReadonlyArray<{ modelId: string; bucketMs: number }>,
    bucketSizeMs: number,
    cursorMs: number | null
  ): Promise<void> {
    if (items.length === 0) {
      return;
    }
    const ver = nextVersion();
    await this.insert(
      'drift_bucket_stats',
      items.map((it) => ({ model_id: it.modelId, bucket_size_ms: bucketSizeMs, bucket_ms: it.bucketMs, stats: '', ver, deleted: 1 }))
    );
    await this.insert(
      'drift_dirty',
      items
        .filter((it) => cursorMs !== null && it.bucketMs <= cursorMs)
        .map((it) => ({ model_id: it.modelId, bucket_size_ms: bucketSizeMs, bucket_ms: it.bucketMs, ver, deleted: 0 }))
    );
  }

  async dirtyBuckets(bucketSizeMs: number, limit: number): Promise<Array<{ modelId: string; bucketMs: number }>> {
    const rows = await this.rows(
      `SELECT model_id, bucket_ms FROM ${this.t('drift_dirty')} FINAL WHERE bucket_size_ms = {s:Int64}
       ORDER BY bucket_ms, model_id LIMIT {n:UInt64}`,
      { s: bucketSizeMs, n: limit }
    );
    return rows.map((r) => ({ modelId: String(r.model_id), bucketMs: num(r.bucket_ms) }));
  }

  async clearDirty(modelId: string, bucketSizeMs: number, bucketMs: number): Promise<void> {
    await this.insert('drift_dirty', [
      { model_id: modelId, bucket_size_ms: bucketSizeMs, bucket_ms: bucketMs, ver: nextVersion(), deleted: 1 },
    ]);
  }

  // ---- cursor and leases ---------------------------------------------------------------------

  async cursor(key: string): Promise<number | null> {
    const r = await this.rows(`SELECT maxOrNull(bucket_ms) AS b FROM ${this.t('drift_cursor')} WHERE key = {k:String}`, {
      k: key,
    });
    return numOrNull(r[0]?.b);
  }

  async setCursor(key: string, bucketMs: number): Promise<void> {
    await this.insert('drift_cursor', [{ key, bucket_ms: bucketMs }]);
  }

  /** Reads on a cluster must see every quorum-acknowledged claim. */
  private leaseRead(query: string, params: Record<string, unknown>): Promise<Row[]> {
    if (!this.ch.cluster) {
      return this.rows(query, params);
    }
    return this.ch.client
      .query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: { select_sequential_consistency: '1' } })
      .then((rs) => rs.json<Row>());
  }

  /** The winning claim of the newest epoch of a lease (the earliest inserted row of that epoch). */
  private async leaseState(key: string, epoch?: number): Promise<Row | undefined> {
    const t = this.t('drift_leases');
    const ep = epoch === undefined ? `(SELECT max(epoch) FROM ${t} WHERE lease_key = {k:String})` : '{e:UInt64}';
    return (
      await this.leaseRead(
        `SELECT epoch, owner, expires_ms, claimed_ms FROM ${t} WHERE lease_key = {k:String} AND epoch = ${ep}
         ORDER BY _block_number LIMIT 1`,
        { k: key, e: epoch ?? 0 }
      )
    )[0];
  }

  /**
   * Claims epoch e + 1 of the lease: every contender inserts its claim with the same
   * deduplication token (the first insert is kept, later ones are dropped), and whichever claim
   * was inserted first (lowest _block_number) wins should two get in anyway.
   */
  private async claim(key: string, state: Row | undefined, owner: string, nowMs: number, expiresMs: number): Promise<Lease> {
    const epoch = num(state?.epoch) + 1;
    const row = { lease_key: key, epoch, owner, expires_ms: expiresMs, claimed_ms: nowMs };
    const token = `drift-lease|${key}|${epoch}|${String(state?.owner ?? '')}|${num(state?.claimed_ms)}`;
    await this.insert('drift_leases', [row], token);
    let won = await this.leaseState(key, epoch);
    if (!won) {
      // The token was seen long ago (the lease rows have been dropped since): claim without it.
      await this.insert('drift_leases', [row]);
      won = await this.leaseState(key, epoch);
    }
    const w = won ?? row;
    return { owned: String(w.owner) === owner && owner !== '', owner: String(w.owner), epoch, expiresMs: num(w.expires_ms) };
  }

  async acquireLease(key: string, owner: string, nowMs: number, ttlMs: number): Promise<Lease> {
    const state = await this.leaseState(key);
    const cur = state && { owner: String(state.owner), epoch: num(state.epoch), expiresMs: num(state.expires_ms) };
    if (cur && leaseHeldByOther(cur, owner, nowMs)) {
      return { owned: false, ...cur };
    }
    return this.claim(key, state, owner, nowMs, nowMs + ttlMs);
  }

  async releaseLease(key: string, owner: string, nowMs: number): Promise<void> {
    const state = await this.leaseState(key);
    if (state && String(state.owner) === owner) {
      await this.claim(key, state, '', nowMs, nowMs);
    }
  }

  // ---- results and alerts --------------------------------------------------------------------

  private seriesWhere(): string {
    return 'model_id = {m:String} AND service = {svc:String} AND drift_type = {dt:String} AND bucket_size_ms = {s:Int64}';
  }

  async resultsFrom(
    modelId: string,
    service: string,
    driftType: string,
    bucketSizeMs: number,
    fromMs: number
  ): Promise<ResultRow[]> {
    const rows = await this.rows(
      `SELECT * FROM ${this.t('drift_results')} FINAL WHERE ${this.seriesWhere()} AND bucket_ms >= {f:Int64}
       ORDER BY bucket_ms, feature`,
      { m: modelId, svc: service, dt: driftType, s: bucketSizeMs, f: fromMs }
    );
    return rows.map(resultFrom);
  }

  async lastStates(
    modelId: string,
    service: string,
    driftType: string,
    bucketSizeMs: number,
    beforeMs: number
  ): Promise<Map<string, ResultRow>> {
    const rows = await this.rows(
      `SELECT * FROM ${this.t('drift_results')} FINAL WHERE ${this.seriesWhere()} AND bucket_ms < {b:Int64} AND alertable
       ORDER BY bucket_ms DESC LIMIT 1 BY feature`,
      { m: modelId, svc: service, dt: driftType, s: bucketSizeMs, b: beforeMs }
    );
    return new Map(rows.map((r) => [String(r.feature), resultFrom(r)]));
  }

  async alertsOfSeries(modelId: string, service: string, driftType: string, bucketSizeMs: number): Promise<AlertRow[]> {
    const rows = await this.rows(
      `SELECT * FROM ${this.t('drift_alerts')} FINAL WHERE ${this.seriesWhere()} ORDER BY opened_ms, id`,
      { m: modelId, svc: service, dt: driftType, s: bucketSizeMs }
    );
    return rows.map(alertFrom);
  }

  async replaceResults(batches: readonly ResultBatch[]): Promise<void> {
    if (batches.length === 0) {
      return;
    }
    await this.wLock.run(async () => {
      // Versions increase in the order DuckDB applies the statements, so the last write of a key wins.
      let ver = nextVersion();
      const results: object[] = [];
      const alertRows: object[] = [];
      const alertIds = [...new Set(batches.flatMap((b) => [...b.alerts.deleteIds, ...b.alerts.upsert.map((a) => a.id)]))];
      const manual = new Map<string, string | null>();
      for (const ids of chunks(alertIds, ID_CHUNK)) {
        for (const r of await this.rows(
          `SELECT id, resolved_by FROM ${this.t('drift_alerts')} FINAL WHERE id IN {ids:Array(String)}`,
          { ids }
        )) {
          manual.set(String(r.id), r.resolved_by === null ? null : String(r.resolved_by));
        }
      }
      for (const { key, rows, alerts } of batches) {
        const existing = await this.rows(
          `SELECT feature, bucket_ms FROM ${this.t('drift_results')} FINAL
           WHERE ${this.seriesWhere()} AND bucket_ms >= {f:Int64} AND bucket_ms < {t:Int64}`,
          { m: key.modelId, svc: key.service, dt: key.driftType, s: key.bucketSizeMs, f: key.fromMs, t: key.toMs }
        );
        const kept = new Set(rows.map((r) => `${r.feature}\u0000${r.bucketMs}`));
        const tomb = ver++;
        for (const e of existing) {
          if (!kept.has(`${String(e.feature)}\u0000${num(e.bucket_ms)}`)) {
            results.push({
              model_id: key.modelId,
              service: key.service,
              drift_type: key.driftType,
              feature: String(e.feature),
              bucket_size_ms: key.bucketSizeMs,
              bucket_ms: num(e.bucket_ms),
              ver: tomb,
              deleted: 1,
            });
          }
        }
        const v = ver++;
        for (const r of rows) {
          results.push({ ...resultColumns(r), ver: v, deleted: 0 });
        }
        for (const id of alerts.deleteIds) {
          alertRows.push({ id, ver: ver++, deleted: 1 });
          manual.delete(id);
        }
        for (const al of alerts.upsert) {
          // Resolved by hand while this evaluation ran: the hand wins.
          if (manual.get(al.id) === 'manual' && al.resolvedBy !== 'manual') {
            continue;
          }
          manual.set(al.id, al.resolvedBy);
          alertRows.push({ ...alertColumns(al), ver: ver++, deleted: 0 });
        }
      }
      lastVersion = Math.max(lastVersion, ver);
      // Alerts first: a result row pointing at an alert id never shows before the alert.
      await this.insert('drift_alerts', alertRows);
      await this.insert('drift_results', results);
    });
  }

  async alerts(f: AlertFilter): Promise<AlertRow[]> {
    const params: Record<string, unknown> = {};
    const conds = alertConditions(f, named(params));
    params.n = alertLimit(f);
    const rows = await this.rows(
      `SELECT * FROM ${this.t('drift_alerts')} FINAL WHERE ${conds.join(' AND ')} ORDER BY opened_ms DESC, id LIMIT {n:UInt64}`,
      params
    );
    return rows.map(alertFrom);
  }

  async alert(id: string): Promise<AlertRow | null> {
    const r = (await this.rows(`SELECT * FROM ${this.t('drift_alerts')} FINAL WHERE id = {id:String}`, { id }))[0];
    return r ? alertFrom(r) : null;
  }

  async resolveAlertManually(id: string, nowMs: number): Promise<AlertRow | null> {
    return this.wLock.run(async () => {
      const cur = await this.alert(id);
      if (!cur || cur.state !== 'active') {
        return null;
      }
      const next: AlertRow = { ...cur, state: 'resolved', resolvedMs: nowMs, resolvedBy: 'manual', updatedMs: nowMs };
      await this.insert('drift_alerts', [{ ...alertColumns(next), ver: nextVersion(), deleted: 0 }]);
      return next;
    });
  }

  async results(f: ResultFilter): Promise<ResultRow[]> {
    const params: Record<string, unknown> = {};
    const conds = resultConditions(f, named(params));
    const base = `SELECT * FROM ${this.t('drift_results')} FINAL WHERE ${conds.join(' AND ')}`;
    const src = f.latestOnly
      ? `(${base} ORDER BY bucket_ms DESC LIMIT 1 BY model_id, service, drift_type, feature)`
      : `(${base})`;
    const rows = await this.rows(
      `SELECT * FROM ${src} ORDER BY model_id, service, drift_type, feature, bucket_ms LIMIT 200000`,
      params
    );
    return rows.map(resultFrom);
  }

  // ---- retention -----------------------------------------------------------------------------

  async deleteBefore(cutoffMs: number): Promise<number> {
    return this.wLock.run(async () => {
      const n = num(
        (
          await this.rows(`SELECT count() AS n FROM ${this.t('drift_inferences')} FINAL WHERE ts_ms < {c:Int64}`, {
            c: cutoffMs,
          })
        )[0]?.n
      );
      const targets: Array<[string, string]> = [
        ['drift_inferences', 'ts_ms'],
        ['drift_samples', 'bucket_ms'],
        ['drift_embedding_samples', 'bucket_ms'],
        ['drift_llm_samples', 'bucket_ms'],
        ['drift_sampled', 'bucket_ms'],
        ['drift_bucket_stats', 'bucket_ms'],
      ];
      for (const [table, col] of targets) {
        // A delete is a mutation even when nothing matches: look first.
        const any = await this.rows(`SELECT 1 FROM ${this.t(table)} WHERE ${col} < {c:Int64} LIMIT 1`, { c: cutoffMs });
        if (any.length > 0) {
          await this.deleteWhere(table, `${col} < ${lit(cutoffMs)}`);
        }
      }
      return n;
    });
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    await this.wLock.run(async () => undefined);
    await this.ch.release();
  }
}
