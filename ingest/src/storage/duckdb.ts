// Storage on one DuckDB file in the data directory. Writes go through a single writer
// connection (the Appender inside an explicit transaction); reads use a separate connection so
// a long write never blocks queries (DuckDB is MVCC).
//
// Durability: the file is attached with DuckDB's own WAL switched off (RECOVERY_MODE
// no_wal_writes): span batches are already durable in the intake WAL (src/wal), which is
// replayed on start for every batch after the `applied_seq` that DuckDB last checkpointed.
// Writing each batch a second time into DuckDB's WAL would double the I/O for nothing. So a
// committed span batch is durable in DuckDB only after the next CHECKPOINT (the intake runs
// them), and every other write (API keys, budgets, retention) checkpoints before it returns
// (see write()).
import fs from 'node:fs/promises';
import path from 'node:path';
import ddb from '@duckdb/node-bindings';
import {
  DuckDBInstance,
  LIST,
  VARCHAR,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBPreparedStatement,
  type DuckDBValue,
} from '@duckdb/node-api';
import { Mutex } from '../util/mutex.js';
import { compressionFor, STORAGE_VERSION, storageVersionOf, type ColumnCompression } from './compression.js';
import * as queries from './queries.js';
import { RollupBuilder, Rollups, type PreparedRollup } from './rollups.js';
import { CHUNK_COLUMNS, ChunkPool, ChunkScan, HOLD_BODY_BYTES, packHeld, resolveContent, SpanChunkBuilder, type SpanChunks } from './spanChunks.js';
import { attrPath, Params } from './searchSql.js';
import { estimateNeed, fitLimit, needFor, parseSize, WARN_AT, type MemoryEvent } from './memoryFit.js';
import { columnNames } from './tableScan.js';
import { copyRow, LLM_SPAN_KINDS, SCOPES, SPAN_KINDS, type AggregateQuery, type AggregateResult, type ApiKeyRecord, type BudgetRecord, type CatalogRange, type Scope, type SpanDeleteFilter, type SpanRow, type Storage, type StorageStatus, type TraceSearch, type TraceStats, type TraceSummary } from './types.js';

export { attrPath, globToLike } from './searchSql.js';

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

/** Compression of the spans table's VARCHAR columns (see compression.ts). */
const TEXT_COLUMNS = new Set(['attributes', 'events', 'input_content', 'output_content']);
const UNIQUE_COLUMNS = new Set(['span_id']);
function columnSql(c: Column, comp: ColumnCompression): string {
  if (!/^(VARCHAR|JSON) /.test(c.sql)) {
    return c.sql;
  }
  const method = TEXT_COLUMNS.has(c.name) ? comp.text : UNIQUE_COLUMNS.has(c.name) ? comp.unique : comp.repeated;
  return c.sql.replace(/^(\S+)/, `$1 USING COMPRESSION ${method}`);
}

// Lookups by trace id go through an ART index on `trace_key`, the first 64 bits of the id (a
// UBIGINT the insert computes), not on the 32-character id itself. Inserts load and dirty the
// index nodes their keys pass through, which with random ids is nearly all of them, and they stay
// in DuckDB's memory until the next checkpoint. Measured at 10M spans stored, the intake's
// applies: the VARCHAR index took 62-83 MB and a 144MB memory limit failed a checkpoint (which
// invalidates the database); the UBIGINT one takes 50-56 MB and 144MB holds.
// Every stored trace id is 32 hex characters (normalize rejects others), so the key is never NULL;
// a lookup matches the key and then the id (two ids sharing 64 bits are told apart).
export const TRACE_KEY_COLUMN = 'trace_key';
export const traceKeySql = (id: string) => `TRY_CAST('0x' || left(${id}, 16) AS UBIGINT)`;
const TRACE_KEY_INDEX = 'spans_trace_key';
/** The VARCHAR trace_id index of files from before trace_key (dropped on open). */
const OLD_TRACE_INDEX = 'spans_trace_id';

const ddl = (comp: ColumnCompression) => [
  `CREATE TABLE IF NOT EXISTS spans (${SPAN_COLUMNS.map((c) => `${c.name} ${columnSql(c, comp)}`).join(', ')}, ${TRACE_KEY_COLUMN} UBIGINT)`,
  `CREATE TABLE IF NOT EXISTS wal_state (applied_seq BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS pyflare_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS api_keys (id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, key_hash VARCHAR NOT NULL,
     scopes VARCHAR[] NOT NULL, created_at TIMESTAMP NOT NULL)`,
  queries.BUDGETS_DDL,
];

/** Name of the attached database file inside the DuckDB instance. */
const CATALOG = 'pyflare';
export const ROW_GROUP_SIZE = 2048;
/** Block size of the files this service creates (see open()). */
export const BLOCK_SIZE = 65536;

/** Spans normalized for storage (SpanChunkBuilder) plus their rollup rows. */
export interface PreparedSpans {
  spans: SpanChunks;
  rollup: PreparedRollup;
}

/** Collects the spans of one batch for applyPrepared (see spanChunks.ts) and their rollups. */
export class SpanBatchBuilder {
  private readonly chunks: SpanChunkBuilder;
  private readonly rollup = new RollupBuilder();
  /** `hold`: a small request's (spanChunks.ts, HOLD_BODY_BYTES). */
  constructor(pool: ChunkPool, hold: boolean) {
    this.chunks = new SpanChunkBuilder(pool, hold ? { copy: copyRow } : null);
  }
  add(r: Readonly<SpanRow>): void {
    this.chunks.add(r);
    this.rollup.add(r);
  }
  /** A sampled-out span: it feeds the time rollups (counts, tokens, cost) but is not stored. */
  addCountedOnly(r: Readonly<SpanRow>): void {
    this.rollup.addTime(r);
  }
  finish(): PreparedSpans {
    return { spans: this.chunks.finish(), rollup: this.rollup.finish() };
  }
  discard(): void {
    this.chunks.discard();
    this.rollup.finish();
  }
}

export interface DuckDbStorageOptions {
  dataDir: string;
  /** DuckDB memory cap, e.g. '512MB'; DuckDB's default is 80% of RAM. */
  memoryLimit?: string;
  /**
   * With memoryLimit: the limit to run with while the trace lookup index is small, raised as it
   * grows (memoryFit.ts), never above memoryLimit. Opening (migrations, rebuilds) runs with memoryLimit.
   */
  memoryStart?: string;
  /** The limit was raised, or the need nears memoryLimit. */
  onMemory?: (e: MemoryEvent) => void;
  /** DuckDB worker threads; DuckDB's default is one per core. */
  threads?: number;
  /** Partial rollup rows between compactions (tests). */
  rollupCompactAfter?: number;
  /** Storage format of a new file (tests of older files); default STORAGE_VERSION. */
  storageVersion?: string;
  /** Block size of a new file in bytes (tests of older files); default BLOCK_SIZE. */
  blockSize?: number;
  /** Span chunks kept for reuse (spanChunks.ts, ChunkPool; see idleChunksFor); default 160. */
  idleChunks?: number;
}

export class DuckDbStorage implements Storage {
  readonly kind = 'duckdb';
  /** Rows per row group of the spans table (the intake sizes its applies by it). */
  readonly rowGroupRows = ROW_GROUP_SIZE;
  private readonly writeLock = new Mutex();
  private readonly readLock = new Mutex();
  private closed = false;
  /** getTrace's statement on the reader connection, prepared on first use. */
  private traceStatement: DuckDBPreparedStatement | null = null;
  /** Query-side rollups, fed by applyBatch (see rollups.ts). */
  private rollups = new Rollups();
  private readonly sql: queries.SqlReader = { rows: (sql, values) => this.rows(sql, values) };

  private chunkPool!: ChunkPool;
  private chunkScan!: ChunkScan;
  /** The running memory limit when it follows the index (memoryStart), else null. */
  private memory: { limit: number; ceiling: number; checkedAt: number; warnedAt: number; onEvent?: (e: MemoryEvent) => void } | null = null;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly reader: DuckDBConnection,
    readonly file: string
  ) {}

  /** A connection whose default database is the attached file. */
  private static async connect(instance: DuckDBInstance): Promise<DuckDBConnection> {
    const c = await instance.connect();
    await c.run(`USE ${CATALOG}`);
    return c;
  }

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
    // Checkpoints happen when the intake says so (it then deletes WAL segments), not on DuckDB's
    // own WAL-size estimate.
    config.checkpoint_threshold = '1TB';
    config.temp_directory = `${file}.tmp`;
    // DuckDB's allocator (jemalloc) keeps freed pages for reuse; purge them in the background
    // and flush thread caches early, so RSS follows what is in use.
    config.allocator_flush_threshold = '16MB';
    config.allocator_bulk_deallocation_flush_threshold = '16MB';
    config.allocator_background_threads = 'true';
    const instance = await DuckDBInstance.create(':memory:', config);
    try {
      const setup = await instance.connect();
      // Row groups of 2048 rows (one vector) rather than 120Ki. An insert writes each row group it
      // fills straight to the file, compressed, on a DuckDB thread ("optimistic write"); only the
      // partly filled last one is kept in memory and rewritten whole at each checkpoint. With
      // 120Ki-row groups almost every row stayed in memory (~7 KB each, uncompressed) until a
      // checkpoint, and was compressed again at each checkpoint until its group was full: DuckDB
      // spent about twice the CPU per span, and far more memory.
      // Blocks of 64 KiB rather than DuckDB's 256 KiB, for new files. After a checkpoint, the next
      // small append to a table (the rollups' few hundred rows per apply, a ragged tail of spans)
      // opens a new in-memory row group whose every column segment is one whole block: with 256
      // KiB blocks the three rollup tables held ~51 MB that DuckDB cannot evict from each
      // checkpoint to the next (13.6 + 18.8 + 18.8), ~13 MB with 64 KiB blocks. Measured
      // (bench/ingest-apply.bench.ts, 303k spans): apply and checkpoint CPU unchanged, file 559 ->
      // 459 bytes per span; the query bench on a copy of its 10M spans with 64 KiB blocks: within
      // noise. 16 KiB cost ~2 us more per span. DuckDB reads the block size of an existing file
      // from its header (attaching it with another size is refused), so old files keep theirs.
      // A new file gets the current storage format; an existing one keeps its own (compression.ts).
      const exists = await fs.stat(file).then(
        () => true,
        (e: NodeJS.ErrnoException) => {
          // Only a missing file is new: attaching an existing one with a version would upgrade it.
          if (e.code === 'ENOENT') {
            return false;
          }
          throw e;
        }
      );
      const version = exists ? '' : `, STORAGE_VERSION '${opts.storageVersion ?? STORAGE_VERSION}', BLOCK_SIZE ${opts.blockSize ?? BLOCK_SIZE}`;
      await setup.run(`ATTACH '${file.replace(/'/g, "''")}' AS ${CATALOG} (RECOVERY_MODE no_wal_writes, ROW_GROUP_SIZE ${ROW_GROUP_SIZE}${version})`);
      const comp = compressionFor(await storageVersionOf(setup, CATALOG));
      setup.closeSync();
      const writer = await DuckDbStorage.connect(instance);
      for (const sql of ddl(comp)) {
        await writer.run(sql);
      }
      const st = await writer.runAndReadAll('SELECT count(*) AS n FROM wal_state');
      if (Number(st.getRowObjectsJS()[0]?.n ?? 0) === 0) {
        await writer.run('INSERT INTO wal_state VALUES (0)');
      }
      await writer.run(`INSERT OR REPLACE INTO pyflare_meta VALUES ('schema_version', '${SCHEMA_VERSION}')`);
      await DuckDbStorage.ensureTraceKey(writer);
      await Rollups.ensure(writer, comp);
      // The schema and its one-time rows must survive a crash (no DuckDB WAL; see above).
      await writer.run('CHECKPOINT');
      const reader = await DuckDbStorage.connect(instance);
      const storage = new DuckDbStorage(instance, writer, reader, file);
      storage.rollups = new Rollups(opts.rollupCompactAfter);
      const types = await DuckDbStorage.spanChunkTypes(writer);
      storage.chunkPool = new ChunkPool(types, opts.idleChunks);
      storage.chunkScan = new ChunkScan('pyflare_chunk_scan', types);
      const raw = (writer as unknown as { connection: ddb.Connection }).connection;
      storage.chunkScan.register(raw);
      await storage.rollups.register(writer, raw);
      if (opts.memoryLimit && opts.memoryStart) {
        const ceiling = parseSize(opts.memoryLimit);
        const spans = Number((await writer.runAndReadAll('SELECT count(*) AS n FROM spans')).getRowObjectsJS()[0]?.n ?? 0);
        // The index is not loaded yet right after opening: start from an estimate for the stored spans.
        const limit = fitLimit(Math.min(parseSize(opts.memoryStart), ceiling), estimateNeed(spans), ceiling);
        await writer.run(`SET memory_limit = '${limit}B'`);
        storage.memory = { limit, ceiling, checkedAt: 0, warnedAt: 0, onEvent: opts.onMemory };
      }
      return storage;
    } catch (e) {
      // Nothing stays attached when opening fails (a retry in this process opens the file anew).
      instance.closeSync();
      throw e;
    }
  }

  /**
   * Gives a file from before trace_key its key column (filled from the ids) and index, in place
   * of the VARCHAR index. Once per file: at 10M spans 7 s (24 s under a 128MB memory limit),
   * with RSS up to ~0.9 GB meanwhile (DuckDB's ALTER and UPDATE exceed its memory limit).
   */
  private static async ensureTraceKey(c: DuckDBConnection): Promise<void> {
    // Every time, not only when migrating: a build from before the key, started on a migrated file
    // (a rollback), creates the VARCHAR index again before it refuses the file's columns.
    await c.run(`DROP INDEX IF EXISTS ${OLD_TRACE_INDEX}`);
    const r = await c.runAndReadAll(`SELECT value FROM pyflare_meta WHERE key = '${TRACE_KEY_COLUMN}'`);
    if (r.getRowObjectsJS()[0]?.value !== '1') {
      await c.run('BEGIN TRANSACTION');
      try {
        // DuckDB refuses ALTER TABLE on a table with an index.
        await c.run(`DROP INDEX IF EXISTS ${TRACE_KEY_INDEX}`);
        if (!(await columnNames(c, 'spans')).includes(TRACE_KEY_COLUMN)) {
          await c.run(`ALTER TABLE spans ADD COLUMN ${TRACE_KEY_COLUMN} UBIGINT`);
        }
        await c.run(`UPDATE spans SET ${TRACE_KEY_COLUMN} = ${traceKeySql('trace_id')}`);
        await c.run(`INSERT OR REPLACE INTO pyflare_meta VALUES ('${TRACE_KEY_COLUMN}', '1')`);
        await c.run('COMMIT');
      } catch (e) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
    }
    await c.run(`CREATE INDEX IF NOT EXISTS ${TRACE_KEY_INDEX} ON spans (${TRACE_KEY_COLUMN})`);
  }

  /** The spans table's column types (JSON columns included), after checking its columns. */
  private static async spanChunkTypes(c: DuckDBConnection): Promise<ddb.LogicalType[]> {
    const names = await columnNames(c, 'spans');
    const want = [...CHUNK_COLUMNS, TRACE_KEY_COLUMN];
    if (names.join(',') !== want.join(',') || [...SPAN_COLUMNS.map((x) => x.name), TRACE_KEY_COLUMN].join(',') !== names.join(',')) {
      throw new Error(`spans table columns (${names.join(', ')}) differ from the ingest chunk layout (storage/spanChunks.ts)`);
    }
    const appender = await c.createAppender('spans');
    try {
      const raw = (appender as unknown as { appender: ddb.Appender }).appender;
      // The chunks hold every column but trace_key, which the insert computes.
      return CHUNK_COLUMNS.map((_, i) => ddb.appender_column_type(raw, i));
    } finally {
      appender.closeSync();
    }
  }

  /**
   * A builder for the spans of one batch (normalization writes into it span by span); `bodyBytes`,
   * the request's size, tells whether its first spans are held as rows (spanChunks.ts).
   */
  newSpanBatch(bodyBytes = Infinity): SpanBatchBuilder {
    return new SpanBatchBuilder(this.chunkPool, bodyBytes < HOLD_BODY_BYTES);
  }

  /**
   * Another connection on this instance (default catalog: the spans database), for modules
   * with tables of their own (the drift engine attaches its file with it). Close it before close().
   */
  connect(): Promise<DuckDBConnection> {
    return DuckDbStorage.connect(this.instance);
  }

  private read<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.readLock.run(() => fn(this.reader));
  }
  /** A durable write: checkpointed before it returns (DuckDB keeps no WAL here; see the top). */
  private write<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.writeLock.run(async () => {
      const result = await fn(this.writer);
      await this.checkpointWriter();
      return result;
    });
  }

  private async rows(sql: string, values: DuckDBValue[] = []): Promise<Array<Record<string, unknown>>> {
    return this.read(async (c) => {
      const r = await c.runAndReadAll(sql, values);
      return r.getRowObjectsJS() as Array<Record<string, unknown>>;
    });
  }

  async appliedSeq(): Promise<bigint> {
    return this.writeLock.run(async () => {
      const c = this.writer;
      const r = await c.runAndReadAll('SELECT max(applied_seq) AS s FROM wal_state');
      return big(r.getRowObjectsJS()[0]?.s ?? 0n);
    });
  }

  async applyBatch(rows: readonly SpanRow[], seq: bigint): Promise<void> {
    const b = this.newSpanBatch();
    for (const r of rows) {
      b.add(r);
    }
    const prepared = b.finish();
    try {
      await this.applyPrepared([prepared], seq);
    } finally {
      prepared.spans.release();
    }
  }

  /**
   * Appends prepared batches and records `seq` as applied, in one transaction. The batches stay
   * the caller's (release them after success; on failure they can be applied again). Durable
   * only after the next checkpoint(): callers keep their WAL until then.
   */
  async applyPrepared(batches: readonly PreparedSpans[], seq: bigint): Promise<void> {
    await this.writeLock.run(async () => {
      await this.fitMemory(false);
      // Small batches hold their rows (spanChunks.ts, HOLD_ROWS): packed here into shared chunks.
      const packed = await packHeld(this.chunkPool, batches);
      try {
        await this.applyChunks(batches, packed, seq);
      } finally {
        packed?.release();
      }
    });
  }

  /** applyPrepared's transaction (hold writeLock). */
  private async applyChunks(batches: readonly PreparedSpans[], packed: SpanChunks | null, seq: bigint): Promise<void> {
    const c = this.writer;
    const chunks = batches.length === 1 ? batches[0]!.spans.chunks : batches.flatMap((b) => b.spans.chunks);
    this.chunkScan.load(packed ? [...chunks, ...packed.chunks] : chunks);
    try {
      let compact: boolean;
      try {
        const rollups = this.rollups.stage(batches.map((b) => b.rollup));
        compact = rollups.compact;
        // One call: the inserts run on a DuckDB thread (see ChunkScan in spanChunks.ts and
        // RowScan in rowScan.ts), committed in the same call unless a compaction is due.
        const tail = `UPDATE wal_state SET applied_seq = ${BigInt(seq)};${compact ? '' : ' COMMIT'}`;
        await c.run(`BEGIN TRANSACTION; INSERT INTO spans ${this.chunkScan.select(`, ${traceKeySql('trace_id')}`)}; ${rollups.sql} ${tail}`);
      } finally {
        // Also when staging the rollups threw: the scans hold no batch after this call.
        this.chunkScan.clear();
        this.rollups.unstage();
      }
      if (compact) {
        await this.rollups.settle(c);
        await c.run('COMMIT');
      }
    } catch (e) {
      await c.run('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  async checkpoint(): Promise<void> {
    await this.writeLock.run(() => this.checkpointWriter());
  }

  /**
   * Raises the running memory limit when the loaded index needs it (memoryFit.ts); at most once
   * a second unless `now` (before a checkpoint, which must not run out of memory). Hold writeLock.
   */
  private async fitMemory(now: boolean): Promise<void> {
    const m = this.memory;
    const t = Date.now();
    if (!m || (!now && t - m.checkedAt < 1000)) {
      return;
    }
    m.checkedAt = t;
    const r = await this.writer.runAndReadAll(
      `SELECT coalesce(sum(memory_usage_bytes), 0)::BIGINT AS b FROM duckdb_memory() WHERE tag = 'ART_INDEX'`
    );
    const index = Number(r.getRowObjectsJS()[0]?.b ?? 0);
    const need = needFor(index);
    const next = fitLimit(m.limit, need, m.ceiling);
    const event = (kind: MemoryEvent['kind'], previousBytes: number) =>
      m.onEvent?.({ kind, limitBytes: m.limit, previousBytes, indexBytes: index, needBytes: need, ceilingBytes: m.ceiling });
    if (next > m.limit) {
      const previous = m.limit;
      await this.writer.run(`SET memory_limit = '${next}B'`);
      m.limit = next;
      event('raised', previous);
    }
    if (need > m.ceiling * WARN_AT && t - m.warnedAt >= 60_000) {
      m.warnedAt = t;
      event('near_ceiling', m.limit);
    }
  }

  /** DuckDB's memory limit now, in bytes (null when not set here). */
  memoryLimitBytes(): number | null {
    return this.memory?.limit ?? null;
  }

  /** CHECKPOINT on the writer (hold writeLock). */
  private async checkpointWriter(): Promise<void> {
    await this.fitMemory(true);
    // Another module's write transaction on this instance (the drift engine has its own
    // database here) makes CHECKPOINT refuse rather than wait; such transactions are short.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.writer.run('CHECKPOINT');
        return;
      } catch (e) {
        if (attempt >= 40 || !/other write transactions active/i.test((e as Error).message)) {
          throw e;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  }

  async searchTraces(q: TraceSearch): Promise<TraceSummary[]> {
    return queries.searchTraces(this.sql, q);
  }

  async traceStats(q: Omit<TraceSearch, 'limit' | 'sortBy' | 'after'>): Promise<TraceStats> {
    return queries.traceStats(this.sql, q);
  }

  async aggregate(q: AggregateQuery): Promise<AggregateResult> {
    return queries.aggregate(this.sql, q);
  }

  async listBudgets(): Promise<BudgetRecord[]> {
    return queries.listBudgets(this.sql);
  }

  async putBudget(b: BudgetRecord): Promise<void> {
    const { sql, values } = queries.putBudgetSql(b);
    await this.write((c) => c.run(sql, values).then(() => undefined));
  }

  async deleteBudget(id: string): Promise<boolean> {
    return this.write(async (c) => Number((await c.run('DELETE FROM budgets WHERE id = $1', [id])).rowsChanged) > 0);
  }

  async getTrace(traceId: string, limit = 10_000): Promise<SpanRow[]> {
    const rows = await this.read(async (c) => {
      // Prepared once: parsing and planning were a fifth of a warm lookup (10M spans: p99 over
      // 300 lookups 8.4 ms with the SQL text each time, 7.2 ms prepared).
      // The key alone in its own (materialized) step: DuckDB 1.5 scans the index only for a
      // filter on the indexed column alone, and `AND trace_id = $1` made it a full scan.
      const cols = SPAN_COLUMNS.map((col) => col.name).join(', ');
      this.traceStatement ??= await c.prepare(
        `WITH keyed AS MATERIALIZED (SELECT ${cols} FROM spans WHERE ${TRACE_KEY_COLUMN} = ${traceKeySql('$1')})
         SELECT ${cols} FROM keyed WHERE trace_id = $1 ORDER BY start_ns, span_id LIMIT $2`
      );
      this.traceStatement.bindVarchar(1, traceId.toLowerCase());
      this.traceStatement.bindBigInt(2, BigInt(Math.max(0, Math.floor(limit))));
      return (await this.traceStatement.runAndReadAll()).getRowObjectsJS() as Array<Record<string, unknown>>;
    });
    return rows.map((r) => {
      const out: Record<string, unknown> = {};
      for (const c of SPAN_COLUMNS) {
        out[c.key] = c.read(r[c.name]);
      }
      const row = out as unknown as SpanRow;
      let attrs: Record<string, unknown> | null = null;
      const attributes = () => (attrs ??= JSON.parse(row.attributes) as Record<string, unknown>);
      row.inputContent = resolveContent(row.inputContent, attributes);
      row.outputContent = resolveContent(row.outputContent, attributes);
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

  async memoryBytes(): Promise<number> {
    const r = await this.rows('SELECT coalesce(sum(memory_usage_bytes), 0) AS b FROM duckdb_memory()');
    return Number(r[0]?.b ?? 0);
  }

  async deleteBefore(cutoffNs: bigint): Promise<number> {
    return this.write(async (c) => {
      await c.run('BEGIN TRANSACTION');
      try {
        const n = await this.rollups.deleteBefore(c, BigInt(cutoffNs));
        await c.run('COMMIT');
        return n;
      } catch (e) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  async deleteSpans(filter: SpanDeleteFilter): Promise<number> {
    const conds: string[] = [];
    const params: string[] = [];
    if (filter.userId !== undefined) {
      params.push(filter.userId);
      conds.push(`user_id = $${params.length}`);
    }
    if (filter.sessionId !== undefined) {
      params.push(filter.sessionId);
      conds.push(`session_id = $${params.length}`);
    }
    if (conds.length === 0) {
      throw new Error('deleteSpans needs a userId or a sessionId');
    }
    return this.write(async (c) => {
      await c.run('BEGIN TRANSACTION');
      try {
        const n = await this.rollups.deleteSpansWhere(c, `(${conds.join(' OR ')})`, params);
        await c.run('COMMIT');
        return n;
      } catch (e) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
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
    this.traceStatement?.destroySync();
    this.reader.closeSync();
    this.writer.closeSync();
    this.instance.closeSync();
  }
}
