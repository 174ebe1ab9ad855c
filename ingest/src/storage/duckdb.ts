// Storage on one DuckDB file in the data directory. Writes go through a single writer
// connection (the Appender inside an explicit transaction); reads use a separate connection so
// a long write never blocks queries (DuckDB is MVCC).
import fs from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { DuckDBInstance, LIST, VARCHAR, type DuckDBAppender, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { Mutex } from '../util/mutex.js';
import type {
  ApiKeyRecord,
  CatalogRange,
  Scope,
  SpanRow,
  SpanTerm,
  Storage,
  StorageStatus,
  TraceSearch,
  TraceSummary,
  WaterfallSpan,
} from './types.js';
import { LLM_SPAN_KINDS, SCOPES, SPAN_KINDS } from './types.js';

export const DB_FILE = 'pyflare.duckdb';
const SCHEMA_VERSION = '1';

const VARCHAR_LIST = LIST(VARCHAR);

interface Column {
  name: string;
  sql: string;
  append(a: DuckDBAppender, r: SpanRow): void;
  read(v: unknown): unknown;
  key: keyof SpanRow;
}

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const big = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(String(v ?? 0)));

function appendStrOrNull(a: DuckDBAppender, v: string | null): void {
  if (v === null) {
    a.appendNull();
  } else {
    a.appendVarchar(v);
  }
}
function appendIntOrNull(a: DuckDBAppender, v: number | null): void {
  if (v === null) {
    a.appendNull();
  } else {
    a.appendBigInt(BigInt(v));
  }
}

function col(key: keyof SpanRow, name: string, sql: string, kind: 'str' | 'strn' | 'bigint' | 'intn' | 'utiny' | 'list' | 'bool'): Column {
  switch (kind) {
    case 'str':
      return { key, name, sql, append: (a, r) => a.appendVarchar(r[key] as string), read: str };
    case 'strn':
      return { key, name, sql, append: (a, r) => appendStrOrNull(a, r[key] as string | null), read: strOrNull };
    case 'bigint':
      return { key, name, sql, append: (a, r) => a.appendBigInt(r[key] as bigint), read: big };
    case 'intn':
      return { key, name, sql, append: (a, r) => appendIntOrNull(a, r[key] as number | null), read: numOrNull };
    case 'utiny':
      return { key, name, sql, append: (a, r) => a.appendUTinyInt(r[key] as number), read: (v) => Number(v ?? 0) };
    case 'bool':
      return { key, name, sql, append: (a, r) => a.appendBoolean(r[key] as boolean), read: (v) => v === true };
    case 'list':
      return {
        key,
        name,
        sql,
        append: (a, r) => a.appendList(r[key] as string[], VARCHAR_LIST),
        read: (v) => (Array.isArray(v) ? v.map(String) : []),
      };
  }
}

/** Column order of the spans table; the Appender writes in exactly this order. */
export const SPAN_COLUMNS: Column[] = [
  col('traceId', 'trace_id', 'VARCHAR NOT NULL', 'str'),
  col('spanId', 'span_id', 'VARCHAR NOT NULL', 'str'),
  col('parentSpanId', 'parent_span_id', 'VARCHAR NOT NULL', 'str'),
  col('traceState', 'trace_state', 'VARCHAR NOT NULL', 'str'),
  col('name', 'name', 'VARCHAR NOT NULL', 'str'),
  col('kind', 'kind', 'VARCHAR NOT NULL', 'str'),
  col('service', 'service', 'VARCHAR NOT NULL', 'str'),
  col('scopeName', 'scope_name', 'VARCHAR NOT NULL', 'str'),
  col('scopeVersion', 'scope_version', 'VARCHAR NOT NULL', 'str'),
  col('startNs', 'start_ns', 'BIGINT NOT NULL', 'bigint'),
  col('endNs', 'end_ns', 'BIGINT NOT NULL', 'bigint'),
  col('durationNs', 'duration_ns', 'BIGINT NOT NULL', 'bigint'),
  col('statusCode', 'status_code', 'UTINYINT NOT NULL', 'utiny'),
  col('statusMessage', 'status_message', 'VARCHAR NOT NULL', 'str'),
  col('spanKind', 'span_kind', 'VARCHAR NOT NULL', 'str'),
  col('provider', 'provider', 'VARCHAR', 'strn'),
  col('requestModel', 'request_model', 'VARCHAR', 'strn'),
  col('responseModel', 'response_model', 'VARCHAR', 'strn'),
  col('operation', 'operation', 'VARCHAR', 'strn'),
  col('inputTokens', 'input_tokens', 'BIGINT', 'intn'),
  col('outputTokens', 'output_tokens', 'BIGINT', 'intn'),
  col('cacheReadTokens', 'cache_read_tokens', 'BIGINT', 'intn'),
  col('cacheWriteTokens', 'cache_write_tokens', 'BIGINT', 'intn'),
  col('reasoningTokens', 'reasoning_tokens', 'BIGINT', 'intn'),
  col('costMicros', 'cost_micros', 'BIGINT', 'intn'),
  col('costSource', 'cost_source', 'VARCHAR', 'strn'),
  col('priceKey', 'price_key', 'VARCHAR', 'strn'),
  col('sessionId', 'session_id', 'VARCHAR', 'strn'),
  col('userId', 'user_id', 'VARCHAR', 'strn'),
  col('agentName', 'agent_name', 'VARCHAR', 'strn'),
  col('toolName', 'tool_name', 'VARCHAR', 'strn'),
  col('finishReasons', 'finish_reasons', 'VARCHAR[] NOT NULL', 'list'),
  col('inputContent', 'input_content', 'VARCHAR', 'strn'),
  col('outputContent', 'output_content', 'VARCHAR', 'strn'),
  col('attributes', 'attributes', 'JSON NOT NULL', 'str'),
  col('resourceAttributes', 'resource_attributes', 'JSON NOT NULL', 'str'),
  col('events', 'events', 'JSON NOT NULL', 'str'),
  col('links', 'links', 'JSON NOT NULL', 'str'),
  col('truncated', 'truncated', 'BOOLEAN NOT NULL', 'bool'),
];

const DDL = [
  `CREATE TABLE IF NOT EXISTS spans (${SPAN_COLUMNS.map((c) => `${c.name} ${c.sql}`).join(', ')})`,
  `CREATE TABLE IF NOT EXISTS wal_state (applied_seq BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS pyflare_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS api_keys (id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, key_hash VARCHAR NOT NULL,
     scopes VARCHAR[] NOT NULL, created_at TIMESTAMP NOT NULL)`,
];

/** LIKE pattern for a `*`/`?` glob, escaped with backslash. */
export function globToLike(glob: string): string {
  return glob.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%').replace(/\?/g, '_');
}

/** JSON path selecting one flat attribute key (keys contain dots, so they are quoted). */
export function attrPath(key: string): string {
  return `$."${key.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

class Params {
  readonly values: DuckDBValue[] = [];
  add(v: DuckDBValue): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

function termSql(t: SpanTerm, p: Params): string {
  switch (t.field) {
    case 'service':
      return `service = ${p.add(t.value)}`;
    case 'provider':
      return `provider = ${p.add(t.value.toLowerCase())}`;
    case 'operation':
      return `operation = ${p.add(t.value)}`;
    case 'spanKind':
      return `span_kind = ${p.add(t.value.toLowerCase())}`;
    case 'agent':
      return `agent_name = ${p.add(t.value)}`;
    case 'tool':
      return `tool_name = ${p.add(t.value)}`;
    case 'user':
      return `user_id = ${p.add(t.value)}`;
    case 'session':
      return `session_id = ${p.add(t.value)}`;
    case 'model': {
      const pat = p.add(globToLike(t.value));
      return `(request_model ILIKE ${pat} ESCAPE '\\' OR response_model ILIKE ${pat} ESCAPE '\\')`;
    }
    case 'name':
      return `name ILIKE ${p.add(`%${globToLike(t.value)}%`)} ESCAPE '\\'`;
    case 'attr':
      return `json_extract_string(attributes, ${p.add(attrPath(t.key))}) = ${p.add(t.value)}`;
  }
}

export interface DuckDbStorageOptions {
  dataDir: string;
  /** DuckDB memory cap, e.g. '512MB'; DuckDB's default is 80% of RAM. */
  memoryLimit?: string;
  threads?: number;
}

export class DuckDbStorage implements Storage {
  readonly kind = 'duckdb';
  private readonly writeLock = new Mutex();
  private readonly readLock = new Mutex();
  private closed = false;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly reader: DuckDBConnection,
    readonly file: string
  ) {}

  static async open(opts: DuckDbStorageOptions): Promise<DuckDbStorage> {
    await fs.mkdir(opts.dataDir, { recursive: true });
    const file = path.join(opts.dataDir, DB_FILE);
    const config: Record<string, string> = {};
    if (opts.memoryLimit) {
      config.memory_limit = opts.memoryLimit;
    }
    if (opts.threads) {
      config.threads = String(opts.threads);
    }
    const instance = await DuckDBInstance.create(file, config);
    const writer = await instance.connect();
    for (const sql of DDL) {
      await writer.run(sql);
    }
    const st = await writer.runAndReadAll('SELECT count(*) AS n FROM wal_state');
    if (Number(st.getRowObjectsJS()[0]?.n ?? 0) === 0) {
      await writer.run('INSERT INTO wal_state VALUES (0)');
    }
    await writer.run(`INSERT OR REPLACE INTO pyflare_meta VALUES ('schema_version', '${SCHEMA_VERSION}')`);
    const reader = await instance.connect();
    return new DuckDbStorage(instance, writer, reader, file);
  }

  private read<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.readLock.run(() => fn(this.reader));
  }
  private write<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.writeLock.run(() => fn(this.writer));
  }

  private async rows(sql: string, values: DuckDBValue[] = []): Promise<Record<string, unknown>[]> {
    return this.read(async (c) => {
      const r = await c.runAndReadAll(sql, values);
      return r.getRowObjectsJS() as Record<string, unknown>[];
    });
  }

  async appliedSeq(): Promise<bigint> {
    return this.write(async (c) => {
      const r = await c.runAndReadAll('SELECT max(applied_seq) AS s FROM wal_state');
      return big(r.getRowObjectsJS()[0]?.s ?? 0n);
    });
  }

  async applyBatch(rows: readonly SpanRow[], seq: bigint): Promise<void> {
    await this.write(async (c) => {
      await c.run('BEGIN TRANSACTION');
      try {
        const a = await c.createAppender('spans');
        try {
          for (let i = 0; i < rows.length; i++) {
            const r = rows[i]!;
            for (const column of SPAN_COLUMNS) {
              column.append(a, r);
            }
            a.endRow();
            // Appender calls are synchronous; give the event loop a turn on big batches.
            if (i % 2048 === 2047) {
              a.flushSync();
              await yieldToLoop();
            }
          }
          a.flushSync();
        } finally {
          a.closeSync();
        }
        await c.run('UPDATE wal_state SET applied_seq = $1', [seq]);
        await c.run('COMMIT');
      } catch (e) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  async checkpoint(): Promise<void> {
    await this.write((c) => c.run('CHECKPOINT').then(() => undefined));
  }

  async searchTraces(q: TraceSearch): Promise<TraceSummary[]> {
    const p = new Params();
    const from = p.add(q.fromNs);
    const to = p.add(q.toNs);
    const having: string[] = [];
    for (const t of q.terms) {
      const cond = `coalesce(bool_or(${termSql(t, p)}), false)`;
      having.push(t.negate ? `NOT ${cond}` : cond);
    }
    if (q.status === 'error') {
      having.push('count(*) FILTER (WHERE status_code = 2) > 0');
    } else if (q.status === 'ok') {
      having.push('count(*) FILTER (WHERE status_code = 2) = 0');
    }
    if (q.minDurationNs !== undefined) {
      having.push(`max(end_ns) - min(start_ns) >= ${p.add(q.minDurationNs)}`);
    }
    if (q.maxDurationNs !== undefined) {
      having.push(`max(end_ns) - min(start_ns) <= ${p.add(q.maxDurationNs)}`);
    }
    const order =
      q.sortBy === 'duration'
        ? 'end_ns - start_ns DESC'
        : q.sortBy === 'cost'
          ? 'cost_micros DESC NULLS LAST, start_ns DESC'
          : 'start_ns DESC';
    const sql = `
      SELECT * FROM (
      SELECT trace_id,
        min(start_ns) AS start_ns,
        max(end_ns) AS end_ns,
        first(name ORDER BY (parent_span_id <> ''), start_ns) AS root_name,
        first(service ORDER BY (parent_span_id <> ''), start_ns) AS root_service,
        list_sort(list_distinct(list(coalesce(response_model, request_model)))) AS models,
        count(*) AS span_count,
        count(*) FILTER (WHERE status_code = 2) AS error_count,
        coalesce(sum(input_tokens), 0) AS input_tokens,
        coalesce(sum(output_tokens), 0) AS output_tokens,
        sum(cost_micros) AS cost_micros,
        list(struct_pack(s := span_id, p := parent_span_id, st := start_ns, d := duration_ns, k := span_kind, c := status_code)
             ORDER BY start_ns)[1:50] AS waterfall
      FROM spans
      WHERE trace_id IN (SELECT trace_id FROM spans WHERE start_ns >= ${from} AND start_ns <= ${to})
      GROUP BY trace_id
      ${having.length ? `HAVING ${having.join(' AND ')}` : ''}
      )
      ORDER BY ${order}
      LIMIT ${Math.max(1, Math.floor(q.limit))}`;
    const rows = await this.rows(sql, p.values);
    return rows.map((r) => ({
      traceId: str(r.trace_id),
      startNs: big(r.start_ns),
      endNs: big(r.end_ns),
      rootName: str(r.root_name),
      rootService: str(r.root_service),
      models: Array.isArray(r.models) ? r.models.filter((m) => m !== null).map(String) : [],
      spanCount: Number(r.span_count),
      errorCount: Number(r.error_count),
      inputTokens: Number(r.input_tokens),
      outputTokens: Number(r.output_tokens),
      costMicros: r.cost_micros === null || r.cost_micros === undefined ? null : Number(r.cost_micros),
      waterfall: (Array.isArray(r.waterfall) ? (r.waterfall as Record<string, unknown>[]) : []).map(
        (w): WaterfallSpan => ({
          spanId: str(w.s),
          parentSpanId: str(w.p),
          startNs: big(w.st),
          durationNs: big(w.d),
          spanKind: str(w.k),
          statusCode: Number(w.c),
        })
      ),
    }));
  }

  async getTrace(traceId: string, limit = 10_000): Promise<SpanRow[]> {
    const rows = await this.rows(
      `SELECT ${SPAN_COLUMNS.map((c) => c.name).join(', ')} FROM spans WHERE trace_id = $1 ORDER BY start_ns, span_id LIMIT ${Math.floor(limit)}`,
      [traceId.toLowerCase()]
    );
    return rows.map((r) => {
      const out: Record<string, unknown> = {};
      for (const c of SPAN_COLUMNS) {
        out[c.key] = c.read(r[c.name]);
      }
      const row = out as unknown as SpanRow;
      if (!(SPAN_KINDS as readonly string[]).includes(row.kind)) {
        row.kind = 'unspecified';
      }
      if (!(LLM_SPAN_KINDS as readonly string[]).includes(row.spanKind)) {
        row.spanKind = 'span';
      }
      return row;
    });
  }

  private rangeWhere(range: CatalogRange | undefined, p: Params): string {
    const conds: string[] = [];
    if (range?.fromNs !== undefined) {
      conds.push(`start_ns >= ${p.add(range.fromNs)}`);
    }
    if (range?.toNs !== undefined) {
      conds.push(`start_ns <= ${p.add(range.toNs)}`);
    }
    return conds.length ? conds.join(' AND ') : 'true';
  }

  async services(range?: CatalogRange): Promise<string[]> {
    const p = new Params();
    const rows = await this.rows(
      `SELECT DISTINCT service AS v FROM spans WHERE ${this.rangeWhere(range, p)} ORDER BY v LIMIT 1000`,
      p.values
    );
    return rows.map((r) => str(r.v));
  }

  async models(range?: CatalogRange): Promise<string[]> {
    const p = new Params();
    const rows = await this.rows(
      `SELECT DISTINCT coalesce(response_model, request_model) AS v FROM spans
       WHERE ${this.rangeWhere(range, p)} AND coalesce(response_model, request_model) IS NOT NULL ORDER BY v LIMIT 1000`,
      p.values
    );
    return rows.map((r) => str(r.v));
  }

  async attributeKeys(range?: CatalogRange): Promise<string[]> {
    const p = new Params();
    // Sample the most recent spans: keys of older data rarely matter to an editor dropdown.
    const rows = await this.rows(
      `SELECT DISTINCT unnest(json_keys(attributes)) AS v
       FROM (SELECT attributes FROM spans WHERE ${this.rangeWhere(range, p)} ORDER BY start_ns DESC LIMIT 10000)
       ORDER BY v LIMIT 2000`,
      p.values
    );
    return rows.map((r) => str(r.v));
  }

  async attributeValues(key: string, range?: CatalogRange): Promise<string[]> {
    const p = new Params();
    const where = this.rangeWhere(range, p);
    const path = p.add(attrPath(key));
    const rows = await this.rows(
      `SELECT DISTINCT v FROM (
         SELECT json_extract_string(attributes, ${path}) AS v
         FROM (SELECT attributes FROM spans WHERE ${where} ORDER BY start_ns DESC LIMIT 10000)
       ) WHERE v IS NOT NULL ORDER BY v LIMIT 1000`,
      p.values
    );
    return rows.map((r) => str(r.v));
  }

  async status(): Promise<StorageStatus> {
    const rows = await this.rows('SELECT count(*) AS n, max(start_ns) AS last FROM spans');
    const r = rows[0] ?? {};
    return {
      spanCount: Number(r.n ?? 0),
      lastSpanNs: r.last === null || r.last === undefined ? null : big(r.last),
    };
  }

  async sizeBytes(): Promise<number> {
    let total = 0;
    for (const f of [this.file, `${this.file}.wal`]) {
      total += await fs.stat(f).then(
        (s) => s.size,
        () => 0
      );
    }
    return total;
  }

  async deleteBefore(cutoffNs: bigint): Promise<number> {
    return this.write(async (c) => {
      const r = await c.run('DELETE FROM spans WHERE start_ns < $1', [cutoffNs]);
      return Number(r.rowsChanged);
    });
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    const rows = await this.rows('SELECT id, name, key_hash, scopes, created_at FROM api_keys ORDER BY created_at, id');
    return rows.map((r) => ({
      id: str(r.id),
      name: str(r.name),
      keyHash: str(r.key_hash),
      scopes: (Array.isArray(r.scopes) ? r.scopes.map(String) : []).filter((s): s is Scope =>
        (SCOPES as readonly string[]).includes(s)
      ),
      createdAt: r.created_at instanceof Date ? r.created_at : new Date(String(r.created_at)),
    }));
  }

  async putApiKey(rec: ApiKeyRecord): Promise<void> {
    await this.write(async (c) => {
      // Delete + insert rather than INSERT OR REPLACE: DuckDB cannot update list columns in place on a PK conflict.
      await c.run('BEGIN TRANSACTION');
      try {
        await c.run('DELETE FROM api_keys WHERE id = $1', [rec.id]);
        const p = await c.prepare('INSERT INTO api_keys VALUES ($1, $2, $3, $4, $5::TIMESTAMP)');
        p.bindVarchar(1, rec.id);
        p.bindVarchar(2, rec.name);
        p.bindVarchar(3, rec.keyHash);
        p.bindList(4, rec.scopes);
        p.bindVarchar(5, rec.createdAt.toISOString().replace('T', ' ').replace('Z', ''));
        await p.run();
        await c.run('COMMIT');
      } catch (e) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  async deleteApiKey(id: string): Promise<boolean> {
    return this.write(async (c) => {
      const r = await c.run('DELETE FROM api_keys WHERE id = $1', [id]);
      return Number(r.rowsChanged) > 0;
    });
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    await this.write(async (c) => {
      await c.run('CHECKPOINT').catch(() => undefined);
    });
    await this.readLock.run(async () => undefined);
    this.reader.closeSync();
    this.writer.closeSync();
    this.instance.closeSync();
  }
}
