// Span storage on ClickHouse (a server, a cluster, or the engine in-process via chdb), behind the
// Storage interface with the DuckDB implementation's semantics. Spans are inserted as
// JSONEachRow with Int64 values as decimal text (exact), read back with 64-bit integers
// quoted (output_format_json_quote_64bit_integers), so no ns value passes through a JS number.
//
// Inserts carry an insert_deduplication_token derived from their content: a retried insert of
// the same rows is stored once (non_replicated_deduplication_window on the tables makes that
// work without replication; the rollup views are deduplicated with them).
import { createHash } from 'node:crypto';
import type { ClickHouseSettings as ClientSettings } from '@clickhouse/client';
import { openClickHouse, type ClickHouseHandle } from '../../clickhouse/client.js';
import type { ClickHouseSettings } from '../../config.js';
import { LLM_SPAN_KINDS, SCOPES, SPAN_KINDS, type AggregateQuery, type AggregateResult, type ApiKeyRecord, type BudgetRecord, type CatalogRange, type Scope, type SpanRow, type Storage, type StorageStatus, type TraceSearch, type TraceStats, type TraceSummary } from '../types.js';
import * as q from './queries.js';
import { CH_ROLLUPS, COUNTED_COLUMNS_CH, Ddl, migrationsTableDdl, MIGRATIONS, ROLLUP_COUNTS, rollupSelect, SPAN_COLUMNS_CH, ttlStatements, type CHColumn } from './schema.js';
import { ROLLUP_DIMS, ROLLUP_VALUES } from '../rollups.js';
import { attrText, CHParams } from './searchSql.js';

/** SpanRow field of each spans column, in column order. */
const FIELD: Record<string, keyof SpanRow> = {
  trace_id: 'traceId',
  span_id: 'spanId',
  parent_span_id: 'parentSpanId',
  trace_state: 'traceState',
  name: 'name',
  kind: 'kind',
  service: 'service',
  scope_name: 'scopeName',
  scope_version: 'scopeVersion',
  start_ns: 'startNs',
  end_ns: 'endNs',
  duration_ns: 'durationNs',
  status_code: 'statusCode',
  status_message: 'statusMessage',
  span_kind: 'spanKind',
  provider: 'provider',
  request_model: 'requestModel',
  response_model: 'responseModel',
  operation: 'operation',
  input_tokens: 'inputTokens',
  output_tokens: 'outputTokens',
  cache_read_tokens: 'cacheReadTokens',
  cache_write_tokens: 'cacheWriteTokens',
  reasoning_tokens: 'reasoningTokens',
  cost_micros: 'costMicros',
  cost_source: 'costSource',
  price_key: 'priceKey',
  session_id: 'sessionId',
  user_id: 'userId',
  agent_name: 'agentName',
  tool_name: 'toolName',
  finish_reasons: 'finishReasons',
  input_content: 'inputContent',
  output_content: 'outputContent',
  attributes: 'attributes',
  resource_attributes: 'resourceAttributes',
  events: 'events',
  links: 'links',
  truncated: 'truncated',
};
const INT_FIELDS = new Set<keyof SpanRow>(['startNs', 'endNs', 'durationNs']);
const INTN_FIELDS = new Set<keyof SpanRow>(['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'reasoningTokens', 'costMicros']);

type JsonValue = string | number | boolean | null | string[];

/** One span as a JSONEachRow object (Int64 as text), with the given columns. */
export function spanToJson(r: Readonly<SpanRow>, columns: readonly CHColumn[] = SPAN_COLUMNS_CH): Record<string, JsonValue> {
  const o: Record<string, JsonValue> = {};
  for (const c of columns) {
    const k = FIELD[c.name]!;
    const v = r[k];
    if (typeof v === 'bigint') {
      o[c.name] = v.toString();
    } else if (INTN_FIELDS.has(k)) {
      o[c.name] = v === null ? null : String(v);
    } else {
      o[c.name] = v as JsonValue;
    }
  }
  return o;
}

function spanFromJson(o: Record<string, unknown>): SpanRow {
  const out: Record<string, unknown> = {};
  for (const c of SPAN_COLUMNS_CH) {
    const k = FIELD[c.name]!;
    const v = o[c.name];
    if (INT_FIELDS.has(k)) {
      out[k] = BigInt(String(v));
    } else if (INTN_FIELDS.has(k)) {
      out[k] = v === null || v === undefined ? null : Number(v);
    } else if (k === 'statusCode') {
      out[k] = Number(v);
    } else if (k === 'truncated') {
      out[k] = v === true || v === 1;
    } else if (k === 'finishReasons') {
      out[k] = Array.isArray(v) ? v.map(String) : [];
    } else {
      out[k] = v === undefined ? null : v;
    }
  }
  const row = out as unknown as SpanRow;
  if (!(SPAN_KINDS as readonly string[]).includes(row.kind)) {
    row.kind = 'unspecified';
  }
  if (!(LLM_SPAN_KINDS as readonly string[]).includes(row.spanKind)) {
    row.spanKind = 'span';
  }
  return row;
}

/**
 * The deduplication token of a set of rows: the same rows give the same token whatever the
 * order or batching of the requests they came from.
 */
export function dedupToken(parts: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of [...parts].sort()) {
    h.update(p);
    h.update('\u0000');
  }
  return h.digest('hex');
}

/**
 * The token of a batch's spans_counted insert, derived from the batch token: both inserts of a
 * batch are retried with their own stable token, and never share one (older servers give a
 * view's insert the caller's token unchanged, so one token on two inserts could collide).
 */
export function countedToken(batchToken: string): string {
  return `${batchToken}:counted`;
}

/** A content hash of some rows (the part of a dedup token one request contributes). */
export function rowsDigest(rows: ReadonlyArray<Readonly<SpanRow>>): string {
  const h = createHash('sha256');
  for (const r of rows) {
    h.update(`${r.traceId}/${r.spanId}/${r.startNs}/${r.endNs}/${r.name}\u0000`);
    h.update(r.attributes);
  }
  return h.digest('hex');
}

export interface ClickHouseStorageOptions {
  settings: ClickHouseSettings;
  /** Retention in days for the TTLs (0 or absent: none; deleteBefore still works). */
  retentionDays?: number;
  /** Names this process's row in applied_seq (Storage.appliedSeq). */
  writerId?: string;
}

const READ_SETTINGS: ClientSettings = {
  output_format_json_quote_64bit_integers: 1,
};
const INSERT_SETTINGS: ClientSettings = {
  // Retried inserts (same token) are dropped by the table and by the rollup views.
  deduplicate_blocks_in_dependent_materialized_views: 1,
  // A Distributed insert returns once the shards have the rows (the ack means stored).
  distributed_foreground_insert: 1,
  date_time_input_format: 'best_effort',
};
/** Deletes (retention, erasure) return once done, so the rollups rebuilt next see the rows left. */
const SYNC_DELETE: ClientSettings = { mutations_sync: '2', lightweight_deletes_sync: '2' };

const ts = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');
const date = (v: unknown) => (v instanceof Date ? v : new Date(`${String(v).replace(' ', 'T')}Z`));
const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

export class ClickHouseStorage implements Storage {
  readonly kind = 'clickhouse';
  private closed = false;
  private readonly reader: q.CHReader;
  private versionSeq = 0n;

  private constructor(
    private readonly h: ClickHouseHandle,
    readonly ddl: Ddl,
    private readonly writerId: string
  ) {
    this.reader = { rows: (sql, params) => this.rows(sql, params), t: (n) => this.ddl.table(n) };
  }

  static async open(opts: ClickHouseStorageOptions): Promise<ClickHouseStorage> {
    const h = await openClickHouse(opts.settings);
    try {
      const ddl = new Ddl({ database: h.database, cluster: h.cluster, retentionDays: opts.retentionDays });
      const s = new ClickHouseStorage(h, ddl, opts.writerId ?? 'default');
      await s.migrate();
      return s;
    } catch (e) {
      await h.release();
      throw e;
    }
  }

  get client(): ClickHouseHandle['client'] {
    return this.h.client;
  }

  /** Applies the migrations not yet recorded; every statement is idempotent (IF NOT EXISTS), so replicas may race. */
  private async migrate(): Promise<void> {
    for (const sql of migrationsTableDdl(this.ddl)) {
      await this.h.client.command({ query: sql });
    }
    const r = await this.rows(`SELECT max(version) AS v FROM ${this.ddl.table('schema_migrations')} FINAL`);
    const current = Number(r[0]?.v ?? 0);
    for (let v = current + 1; v <= MIGRATIONS.length; v++) {
      for (const sql of MIGRATIONS[v - 1]!(this.ddl)) {
        await this.h.client.command({ query: sql });
      }
      await this.h.client.command({ query: `INSERT INTO ${this.ddl.table('schema_migrations')} (version) VALUES (${v})` });
    }
    for (const sql of ttlStatements(this.ddl)) {
      await this.h.client.command({ query: sql, clickhouse_settings: { materialize_ttl_after_modify: 0 } });
    }
  }

  async rows(sql: string, params?: Record<string, string | number>): Promise<Array<Record<string, unknown>>> {
    const rs = await this.h.client.query({ query: sql, format: 'JSONEachRow', query_params: params, clickhouse_settings: READ_SETTINGS });
    return rs.json<Record<string, unknown>>();
  }

  private async command(sql: string, params?: Record<string, string | number>, settings?: ClientSettings): Promise<void> {
    await this.h.client.command({ query: sql, query_params: params, clickhouse_settings: settings });
  }

  /** Monotonic row versions for the ReplacingMergeTree tables (µs clock, never repeating here). */
  private nextVersion(): string {
    const now = BigInt(Date.now()) * 1000n;
    this.versionSeq = now > this.versionSeq ? now : this.versionSeq + 1n;
    return this.versionSeq.toString();
  }

  /**
   * Inserts spans, acknowledged once ClickHouse confirmed them. `token` makes a retry of the same
   * insert a no-op (default: a digest of the rows).
   */
  async insertSpans(rows: ReadonlyArray<Readonly<SpanRow>>, token = dedupToken([rowsDigest(rows)])): Promise<void> {
    if (rows.length === 0) {
      return;
    }
    await this.h.client.insert({
      table: this.ddl.table('spans'),
      values: rows.map((r) => spanToJson(r)),
      format: 'JSONEachRow',
      clickhouse_settings: { ...INSERT_SETTINGS, insert_deduplication_token: token },
    });
  }

  /**
   * Sampled-out spans: counted in the rollups (through spans_counted's views), not stored. Only
   * the columns the rollups read are sent. `token` works as in insertSpans and must differ from
   * the token of the batch's spans insert (countedToken).
   */
  async insertCounted(rows: ReadonlyArray<Readonly<SpanRow>>, token = countedToken(dedupToken([rowsDigest(rows)]))): Promise<void> {
    if (rows.length === 0) {
      return;
    }
    await this.h.client.insert({
      table: this.ddl.table('spans_counted'),
      values: rows.map((r) => spanToJson(r, COUNTED_COLUMNS_CH)),
      format: 'JSONEachRow',
      clickhouse_settings: { ...INSERT_SETTINGS, insert_deduplication_token: token },
    });
  }

  /** One round trip to ClickHouse (the intake's availability probe). */
  async ping(): Promise<void> {
    await this.h.client.command({ query: 'SELECT 1' });
  }

  async appliedSeq(): Promise<bigint> {
    const r = await this.rows(`SELECT max(seq) AS s FROM ${this.ddl.table('applied_seq')} FINAL WHERE writer = {w:String}`, { w: this.writerId });
    return r.length && r[0]!.s !== null ? BigInt(String(r[0]!.s)) : 0n;
  }

  /** Inserts then records the seq; a replay of the same batch is deduplicated by its token. */
  async applyBatch(rows: readonly SpanRow[], seq: bigint): Promise<void> {
    await this.insertSpans(rows);
    await this.command(`INSERT INTO ${this.ddl.table('applied_seq')} (writer, seq) VALUES ({w:String}, {s:Int64})`, { w: this.writerId, s: seq.toString() });
  }

  /** A confirmed ClickHouse insert is already as durable as ClickHouse makes it. */
  async checkpoint(): Promise<void> {}

  searchTraces(x: TraceSearch): Promise<TraceSummary[]> {
    return q.searchTraces(this.reader, x);
  }
  traceStats(x: Omit<TraceSearch, 'limit' | 'sortBy' | 'after'>): Promise<TraceStats> {
    return q.traceStats(this.reader, x);
  }
  aggregate(x: AggregateQuery): Promise<AggregateResult> {
    return q.aggregate(this.reader, x);
  }

  async listBudgets(): Promise<BudgetRecord[]> {
    const rows = await this.rows(`SELECT * FROM ${this.ddl.table('budgets')} FINAL WHERE deleted = 0 ORDER BY created_at, id`);
    return rows.map((r) => ({
      id: str(r.id),
      name: str(r.name),
      scope: r.scope_dimension === null || r.scope_dimension === undefined ? null : { dimension: str(r.scope_dimension), value: str(r.scope_value) },
      period: str(r.period) as BudgetRecord['period'],
      amountMicros: BigInt(String(r.amount_micros)),
      alertThreshold: Number(r.alert_threshold),
      createdAt: date(r.created_at),
      updatedAt: date(r.updated_at),
    }));
  }

  async putBudget(b: BudgetRecord): Promise<void> {
    await this.h.client.insert({
      table: this.ddl.table('budgets'),
      format: 'JSONEachRow',
      values: [
        {
          id: b.id,
          name: b.name,
          scope_dimension: b.scope?.dimension ?? null,
          scope_value: b.scope?.value ?? null,
          period: b.period,
          amount_micros: b.amountMicros.toString(),
          alert_threshold: b.alertThreshold,
          created_at: ts(b.createdAt),
          updated_at: ts(b.updatedAt),
          version: this.nextVersion(),
          deleted: 0,
        },
      ],
      clickhouse_settings: { insert_deduplicate: 0 },
    });
  }

  /** A tombstone row (deleted = 1) with a newer version; FINAL hides both. */
  private async tombstone(table: 'budgets' | 'api_keys', id: string): Promise<boolean> {
    const r = await this.rows(`SELECT count() AS n FROM ${this.ddl.table(table)} FINAL WHERE id = {id:String} AND deleted = 0`, { id });
    if (Number(r[0]?.n ?? 0) === 0) {
      return false;
    }
    await this.command(
      `INSERT INTO ${this.ddl.table(table)} SELECT * REPLACE ({v:UInt64} AS version, 1 AS deleted) FROM ${this.ddl.table(table)} FINAL WHERE id = {id:String}`,
      { id, v: this.nextVersion() },
      { insert_deduplicate: 0 }
    );
    return true;
  }

  deleteBudget(id: string): Promise<boolean> {
    return this.tombstone('budgets', id);
  }

  async getTrace(traceId: string, limit = 10_000): Promise<SpanRow[]> {
    const rows = await this.rows(
      `SELECT ${SPAN_COLUMNS_CH.map((c) => c.name).join(', ')} FROM ${this.ddl.table('spans')} WHERE trace_id = {id:String} ORDER BY start_ns, span_id LIMIT ${Math.floor(limit)}`,
      { id: traceId.toLowerCase() }
    );
    return rows.map(spanFromJson);
  }

  private rangeWhere(range: CatalogRange | undefined, p: CHParams): string {
    const conds: string[] = [];
    if (range?.fromNs !== undefined) {
      conds.push(`start_ns >= ${p.int(range.fromNs)}`);
    }
    if (range?.toNs !== undefined) {
      conds.push(`start_ns <= ${p.int(range.toNs)}`);
    }
    return conds.length ? conds.join(' AND ') : '1';
  }

  async services(range?: CatalogRange): Promise<string[]> {
    const p = new CHParams();
    const rows = await this.rows(`SELECT DISTINCT service AS v FROM ${this.ddl.table('spans')} WHERE ${this.rangeWhere(range, p)} ORDER BY v LIMIT 1000`, p.values);
    return rows.map((r) => str(r.v));
  }

  async models(range?: CatalogRange): Promise<string[]> {
    const p = new CHParams();
    const rows = await this.rows(
      `SELECT DISTINCT assumeNotNull(coalesce(response_model, request_model)) AS v FROM ${this.ddl.table('spans')}
       WHERE ${this.rangeWhere(range, p)} AND coalesce(response_model, request_model) IS NOT NULL ORDER BY v LIMIT 1000`,
      p.values
    );
    return rows.map((r) => str(r.v));
  }

  async attributeKeys(range?: CatalogRange): Promise<string[]> {
    const p = new CHParams();
    // The most recent spans, as in DuckDB.
    const rows = await this.rows(
      `SELECT DISTINCT arrayJoin(JSONExtractKeys(attributes)) AS v
       FROM (SELECT attributes FROM ${this.ddl.table('spans')} WHERE ${this.rangeWhere(range, p)} ORDER BY start_ns DESC LIMIT 10000)
       ORDER BY v LIMIT 2000`,
      p.values
    );
    return rows.map((r) => str(r.v));
  }

  async attributeValues(key: string, range?: CatalogRange): Promise<string[]> {
    const p = new CHParams();
    const where = this.rangeWhere(range, p);
    const rows = await this.rows(
      `SELECT DISTINCT assumeNotNull(x) AS v FROM (
         SELECT ${attrText(key, p)} AS x
         FROM (SELECT attributes FROM ${this.ddl.table('spans')} WHERE ${where} ORDER BY start_ns DESC LIMIT 10000)
       ) WHERE x IS NOT NULL ORDER BY v LIMIT 1000`,
      p.values
    );
    return rows.map((r) => str(r.v));
  }

  async status(): Promise<StorageStatus> {
    const rows = await this.rows(`SELECT count() AS n, maxOrNull(start_ns) AS last FROM ${this.ddl.table('spans')}`);
    const r = rows[0] ?? {};
    return { spanCount: Number(r.n ?? 0), lastSpanNs: r.last === null || r.last === undefined ? null : BigInt(String(r.last)) };
  }

  async sizeBytes(): Promise<number> {
    const rows = await this.rows(
      `SELECT sum(bytes_on_disk) AS b FROM ${this.ddl.t.cluster ? `clusterAllReplicas('${this.ddl.t.cluster}', system.parts)` : 'system.parts'} WHERE database = {db:String} AND active`,
      { db: this.ddl.t.database }
    );
    return Number(rows[0]?.b ?? 0);
  }

  /**
   * Deletes spans before the cutoff (lightweight DELETE; the TTL drops whole old days on its
   * own), then the rollup rows of whole buckets before it, and recomputes the cut bucket.
   */
  async deleteBefore(cutoffNs: bigint): Promise<number> {
    const p = new CHParams();
    const cut = p.int(cutoffNs);
    const n = Number((await this.rows(`SELECT count() AS n FROM ${this.ddl.table('spans')} WHERE start_ns < ${cut}`, p.values))[0]?.n ?? 0);
    // The buckets wholly before the cutoff go, with the counts of sampled-out spans (in the
    // rollups only) there. In the bucket the cutoff cuts, the deleted spans are subtracted, so
    // the sampled-out spans after the cutoff stay counted.
    const erased = new Map<(typeof CH_ROLLUPS)[number], RollupRow[]>();
    for (const r of CH_ROLLUPS) {
      const from = (cutoffNs / r.ns) * r.ns;
      erased.set(r, n === 0 ? [] : await this.rollupRowsOf(r, `start_ns >= ${from} AND start_ns < ${cut}`, p.values));
    }
    if (n > 0) {
      await this.command(`DELETE FROM ${this.ddl.local('spans')}${this.ddl.onCluster} WHERE start_ns < ${cut}`, p.values, SYNC_DELETE);
    }
    for (const r of CH_ROLLUPS) {
      const before = (cutoffNs / r.ns) * (r.ns / 1_000_000n);
      const old = Number((await this.rows(`SELECT count() AS n FROM ${this.ddl.table(r.table)} WHERE bucket_ms < ${before}`))[0]?.n ?? 0);
      if (old > 0) {
        await this.command(`DELETE FROM ${this.ddl.local(r.table)}${this.ddl.onCluster} WHERE bucket_ms < ${before}`, undefined, SYNC_DELETE);
      }
      await this.subtractFromRollup(r, erased.get(r)!);
    }
    return n;
  }

  /** The rollup rows (level `r`) of the stored spans matching `where`, keyed as the table is. */
  private async rollupRowsOf(r: (typeof CH_ROLLUPS)[number], where: string, params?: Record<string, string | number>): Promise<RollupRow[]> {
    const rows = await this.rows(rollupSelect(this.ddl.table('spans'), r.ns, where), params);
    return rows.map(toRollupRow);
  }

  /**
   * Takes `erased` (rollup rows of spans just deleted) out of the rollup table, group by group:
   * each touched group becomes one row, with its counts and sums less the erased ones, so the
   * counts of sampled-out spans (in the rollups only) stay. A min or max an erased span may have
   * set is taken again from the spans left (that one then misses sampled-out extremes); a group
   * with nothing left goes. The same as DuckDB's erasure (rollups.ts remergeErased).
   */
  private async subtractFromRollup(r: (typeof CH_ROLLUPS)[number], erased: readonly RollupRow[]): Promise<void> {
    // In chunks of buckets: every statement lists its buckets, and a query longer than
    // ClickHouse's max_query_size (256 KiB, ~17,000 buckets) does not parse.
    const byBucket = new Map<string, RollupRow[]>();
    for (const e of erased) {
      const list = byBucket.get(e.bucket_ms);
      if (list) {
        list.push(e);
      } else {
        byBucket.set(e.bucket_ms, [e]);
      }
    }
    const buckets = [...byBucket.keys()];
    for (let i = 0; i < buckets.length; i += SUBTRACT_BUCKETS) {
      const chunk = buckets.slice(i, i + SUBTRACT_BUCKETS);
      await this.subtractBuckets(r, chunk, chunk.flatMap((b) => byBucket.get(b)!));
    }
  }

  /** subtractFromRollup for the erased rows of `buckets`. */
  private async subtractBuckets(r: (typeof CH_ROLLUPS)[number], buckets: readonly string[], erased: readonly RollupRow[]): Promise<void> {
    const inBuckets = `bucket_ms IN (${buckets.join(', ')})`;
    const current = new Map(
      (
        await this.rows(
          `SELECT bucket_ms, ${ROLLUP_DIMS.join(', ')}, is_root, ${ROLLUP_COUNTS.map((c) => `sum(${c}) AS ${c}`).join(', ')},
             ${ROLLUP_VALUES.map((v) => `sum(${v.prefix}_sum) AS ${v.prefix}_sum, sum(${v.prefix}_n) AS ${v.prefix}_n, min(${v.prefix}_min) AS ${v.prefix}_min, max(${v.prefix}_max) AS ${v.prefix}_max`).join(', ')}
           FROM ${this.ddl.table(r.table)} WHERE ${inBuckets} GROUP BY bucket_ms, ${ROLLUP_DIMS.join(', ')}, is_root`
        )
      ).map((x) => {
        const row = toRollupRow(x);
        return [rollupKey(row), row] as const;
      })
    );
    const left = new Map((await this.rollupRowsOf(r, `intDiv(start_ns, ${r.ns}) * ${r.ns / 1_000_000n} IN (${buckets.join(', ')})`)).map((x) => [rollupKey(x), x] as const));
    const merged: RollupRow[] = [];
    const touched: RollupRow[] = [];
    for (const e of erased) {
      const m = current.get(rollupKey(e));
      if (!m) {
        continue;
      }
      touched.push(m);
      const out = mergeErased(m, e, left.get(rollupKey(e)));
      if (out) {
        merged.push(out);
      }
    }
    for (let i = 0; i < touched.length; i += SUBTRACT_GROUPS) {
      const p = new CHParams();
      const keys = touched
        .slice(i, i + SUBTRACT_GROUPS)
        .map((t) => `(${t.bucket_ms}, ${ROLLUP_DIMS.map((d) => p.str(t.dims[d])).join(', ')}, ${t.is_root ? 'true' : 'false'})`)
        .join(', ');
      await this.command(
        `DELETE FROM ${this.ddl.local(r.table)}${this.ddl.onCluster} WHERE ${inBuckets} AND (bucket_ms, ${ROLLUP_DIMS.join(', ')}, is_root) IN (${keys})`,
        p.values,
        SYNC_DELETE
      );
    }
    if (merged.length > 0) {
      await this.h.client.insert({
        table: this.ddl.table(r.table),
        format: 'JSONEachRow',
        values: merged.map(fromRollupRow),
        // Foreground on a cluster: the next erasure's read of these groups must see the row.
        clickhouse_settings: { ...INSERT_SETTINGS, insert_deduplicate: 0 },
      });
    }
  }

  /**
   * Deletes the spans of a user and/or session (privacy requests) and takes them out of the
   * rollups (subtractFromRollup: the counts of sampled-out spans in the same groups stay).
   */
  async deleteSpans(sel: { userId?: string; sessionId?: string }): Promise<number> {
    const p = new CHParams();
    const conds: string[] = [];
    if (sel.userId !== undefined) {
      conds.push(`user_id = ${p.str(sel.userId)}`);
    }
    if (sel.sessionId !== undefined) {
      conds.push(`session_id = ${p.str(sel.sessionId)}`);
    }
    if (conds.length === 0) {
      throw new Error('deleteSpans needs a userId or a sessionId');
    }
    // OR, as the Storage contract says (and DuckDB does): both ids given erase both subjects.
    const where = `(${conds.join(' OR ')})`;
    const n = Number((await this.rows(`SELECT count() AS n FROM ${this.ddl.table('spans')} WHERE ${where}`, p.values))[0]?.n ?? 0);
    if (n === 0) {
      return 0;
    }
    const erased = new Map<(typeof CH_ROLLUPS)[number], RollupRow[]>();
    for (const r of CH_ROLLUPS) {
      erased.set(r, await this.rollupRowsOf(r, where, p.values));
    }
    await this.command(`DELETE FROM ${this.ddl.local('spans')}${this.ddl.onCluster} WHERE ${where}`, p.values, SYNC_DELETE);
    for (const r of CH_ROLLUPS) {
      await this.subtractFromRollup(r, erased.get(r)!);
    }
    return n;
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    const rows = await this.rows(`SELECT id, name, key_hash, scopes, created_at FROM ${this.ddl.table('api_keys')} FINAL WHERE deleted = 0 ORDER BY created_at, id`);
    return rows.map((r) => ({
      id: str(r.id),
      name: str(r.name),
      keyHash: str(r.key_hash),
      scopes: (Array.isArray(r.scopes) ? r.scopes.map(String) : []).filter((s): s is Scope => (SCOPES as readonly string[]).includes(s)),
      createdAt: date(r.created_at),
    }));
  }

  async putApiKey(rec: ApiKeyRecord): Promise<void> {
    await this.h.client.insert({
      table: this.ddl.table('api_keys'),
      format: 'JSONEachRow',
      values: [{ id: rec.id, name: rec.name, key_hash: rec.keyHash, scopes: rec.scopes, created_at: ts(rec.createdAt), version: this.nextVersion(), deleted: 0 }],
      clickhouse_settings: { insert_deduplicate: 0 },
    });
  }

  deleteApiKey(id: string): Promise<boolean> {
    return this.tombstone('api_keys', id);
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    await this.h.release();
  }
}

/** Buckets per round of subtractFromRollup (its statements list them). */
const SUBTRACT_BUCKETS = 500;
/** Groups per DELETE of subtractFromRollup (a lightweight delete each: a mutation). */
const SUBTRACT_GROUPS = 1000;

/** A rollup row as read back (64-bit values as decimal text, see READ_SETTINGS). */
interface RollupRow {
  bucket_ms: string;
  dims: Record<(typeof ROLLUP_DIMS)[number], string>;
  is_root: boolean;
  counts: Record<(typeof ROLLUP_COUNTS)[number], bigint>;
  values: Record<string, { sum: bigint; n: bigint; min: bigint | null; max: bigint | null }>;
}

const bigOrNull = (v: unknown): bigint | null => (v === null || v === undefined ? null : BigInt(String(v)));

function toRollupRow(x: Record<string, unknown>): RollupRow {
  return {
    bucket_ms: String(x.bucket_ms),
    dims: Object.fromEntries(ROLLUP_DIMS.map((d) => [d, str(x[d])])) as RollupRow['dims'],
    is_root: x.is_root === true || x.is_root === 1 || x.is_root === '1' || x.is_root === 'true',
    counts: Object.fromEntries(ROLLUP_COUNTS.map((c) => [c, BigInt(String(x[c] ?? 0))])) as RollupRow['counts'],
    values: Object.fromEntries(
      ROLLUP_VALUES.map((v) => [
        v.prefix,
        { sum: BigInt(String(x[`${v.prefix}_sum`] ?? 0)), n: BigInt(String(x[`${v.prefix}_n`] ?? 0)), min: bigOrNull(x[`${v.prefix}_min`]), max: bigOrNull(x[`${v.prefix}_max`]) },
      ])
    ),
  };
}

function fromRollupRow(r: RollupRow): Record<string, string | boolean | null> {
  const out: Record<string, string | boolean | null> = { bucket_ms: r.bucket_ms, ...r.dims, is_root: r.is_root };
  for (const c of ROLLUP_COUNTS) {
    out[c] = r.counts[c].toString();
  }
  for (const v of ROLLUP_VALUES) {
    const x = r.values[v.prefix]!;
    out[`${v.prefix}_sum`] = x.sum.toString();
    out[`${v.prefix}_n`] = x.n.toString();
    out[`${v.prefix}_min`] = x.min === null ? null : x.min.toString();
    out[`${v.prefix}_max`] = x.max === null ? null : x.max.toString();
  }
  return out;
}

const rollupKey = (r: RollupRow) => [r.bucket_ms, ...ROLLUP_DIMS.map((d) => r.dims[d]), r.is_root ? '1' : '0'].join('\u0001');

/**
 * Group `m` (its rows merged) less the erased spans `e`; `left`: the group's stored spans now.
 * Null when nothing is left in the group.
 */
function mergeErased(m: RollupRow, e: RollupRow, left: RollupRow | undefined): RollupRow | null {
  const minus = (a: bigint, b: bigint) => (a > b ? a - b : 0n);
  const counts = Object.fromEntries(ROLLUP_COUNTS.map((c) => [c, minus(m.counts[c], e.counts[c])])) as RollupRow['counts'];
  if (counts.n === 0n) {
    return null;
  }
  const values: RollupRow['values'] = {};
  for (const v of ROLLUP_VALUES) {
    const a = m.values[v.prefix]!;
    const b = e.values[v.prefix]!;
    const s = left?.values[v.prefix];
    // An extreme the erased spans did not reach stays; one they may have set comes from the spans left.
    const min = a.min === null || b.min === null || a.min < b.min ? a.min : (s?.min ?? null);
    const max = a.max === null || b.max === null || a.max > b.max ? a.max : (s?.max ?? null);
    values[v.prefix] = { sum: a.sum - b.sum, n: minus(a.n, b.n), min, max };
  }
  return { ...m, counts, values };
}
