// The ClickHouse schema, generated in one place for both layouts:
//   single node - MergeTree tables under their own names;
//   cluster     - per node a Replicated*MergeTree `<name>_local`, created ON CLUSTER, and for
//                 the sharded tables (spans, rollups) a Distributed `<name>` over them. The
//                 small tables (budgets, API keys, migrations, applied seq) are replicated to
//                 every node (one replication path for the whole cluster) and used directly.
// Queries always name the plain table (spans, rollup_1m, ...), so they read the same SQL in
// both layouts.
//
// Versioned: MIGRATIONS[i] is schema version i + 1; schema_migrations records the applied ones.
import { ROLLUP_DIMS, ROLLUP_VALUES } from '../rollups.js';

export interface SchemaTarget {
  database: string;
  cluster?: string;
  /** Retention in days for the TTL clauses (0: no TTL; the retention job still deletes). */
  retentionDays?: number;
}

/** Rows a table remembers insert tokens for (deduplication of retried inserts). */
export const DEDUP_WINDOW = 10_000;

export const NS_PER_S = 1_000_000_000n;
const NS_PER_MIN = 60_000_000_000n;
const NS_PER_HOUR = 3_600_000_000_000n;

export interface CHColumn {
  name: string;
  type: string;
}

/** The spans columns, in the order and with the names of the DuckDB table (storage/duckdb.ts). */
export const SPAN_COLUMNS_CH: readonly CHColumn[] = [
  { name: 'trace_id', type: 'String' },
  { name: 'span_id', type: 'String' },
  { name: 'parent_span_id', type: 'String' },
  { name: 'trace_state', type: 'String' },
  { name: 'name', type: 'String' },
  { name: 'kind', type: 'LowCardinality(String)' },
  { name: 'service', type: 'LowCardinality(String)' },
  { name: 'scope_name', type: 'LowCardinality(String)' },
  { name: 'scope_version', type: 'LowCardinality(String)' },
  // ns since the epoch as Int64: exact, and what every query compares; Delta suits sorted times.
  { name: 'start_ns', type: 'Int64 CODEC(Delta, ZSTD(1))' },
  { name: 'end_ns', type: 'Int64 CODEC(Delta, ZSTD(1))' },
  { name: 'duration_ns', type: 'Int64' },
  { name: 'status_code', type: 'UInt8' },
  { name: 'status_message', type: 'String' },
  { name: 'span_kind', type: 'LowCardinality(String)' },
  { name: 'provider', type: 'LowCardinality(Nullable(String))' },
  { name: 'request_model', type: 'LowCardinality(Nullable(String))' },
  { name: 'response_model', type: 'LowCardinality(Nullable(String))' },
  { name: 'operation', type: 'LowCardinality(Nullable(String))' },
  { name: 'input_tokens', type: 'Nullable(Int64)' },
  { name: 'output_tokens', type: 'Nullable(Int64)' },
  { name: 'cache_read_tokens', type: 'Nullable(Int64)' },
  { name: 'cache_write_tokens', type: 'Nullable(Int64)' },
  { name: 'reasoning_tokens', type: 'Nullable(Int64)' },
  // Integer micro-dollars.
  { name: 'cost_micros', type: 'Nullable(Int64)' },
  { name: 'cost_source', type: 'LowCardinality(Nullable(String))' },
  { name: 'price_key', type: 'LowCardinality(Nullable(String))' },
  { name: 'session_id', type: 'Nullable(String)' },
  { name: 'user_id', type: 'Nullable(String)' },
  { name: 'agent_name', type: 'LowCardinality(Nullable(String))' },
  { name: 'tool_name', type: 'LowCardinality(Nullable(String))' },
  { name: 'finish_reasons', type: 'Array(LowCardinality(String))' },
  { name: 'input_content', type: 'Nullable(String) CODEC(ZSTD(3))' },
  { name: 'output_content', type: 'Nullable(String) CODEC(ZSTD(3))' },
  // JSON text as in DuckDB; read with JSONExtract* (keys contain dots, so no JSON type paths).
  { name: 'attributes', type: 'String CODEC(ZSTD(3))' },
  { name: 'resource_attributes', type: 'String CODEC(ZSTD(3))' },
  { name: 'events', type: 'String CODEC(ZSTD(3))' },
  { name: 'links', type: 'String CODEC(ZSTD(3))' },
  { name: 'truncated', type: 'Bool' },
];

export const ROLLUP_COUNTS = ['n', 'err_n', 'usage_n', 'unpriced_n'] as const;

/** Time rollup levels (same tables and bucket sizes as the DuckDB rollups). */
export const CH_ROLLUPS = [
  { table: 'rollup_1h', ms: 3_600_000, ns: NS_PER_HOUR },
  { table: 'rollup_1m', ms: 60_000, ns: NS_PER_MIN },
] as const;

/**
 * The columns of `spans_counted` (sampled-out spans): what the rollup views read, plus the trace
 * id (sharding key). The views' CREATE fails if one they read is missing.
 */
export const COUNTED_COLUMNS_CH: readonly CHColumn[] = SPAN_COLUMNS_CH.filter((c) =>
  ['trace_id', 'parent_span_id', 'service', 'start_ns', 'duration_ns', 'status_code', 'span_kind', 'provider', 'request_model', 'response_model', 'operation',
    'input_tokens', 'output_tokens', 'cache_read_tokens', 'cost_micros', 'cost_source'].includes(c.name)
).map((c) => ({ name: c.name, type: c.type.replace(/ CODEC\(.*\)$/, '') }));

/** Tables spread over shards (Distributed in a cluster). */
const SHARDED = new Set(['spans', 'spans_counted', ...CH_ROLLUPS.map((r) => r.table)]);

export class Ddl {
  constructor(readonly t: SchemaTarget) {}

  get onCluster(): string {
    return this.t.cluster ? ` ON CLUSTER ${this.t.cluster}` : '';
  }
  /** The table that holds the rows (`_local` for sharded tables in a cluster). */
  local(name: string): string {
    return `${this.t.database}.${this.t.cluster && SHARDED.has(name) ? `${name}_local` : name}`;
  }
  /** The table queries and inserts use. */
  table(name: string): string {
    return `${this.t.database}.${name}`;
  }

  /** A MergeTree engine family member, Replicated in a cluster. */
  engine(name: string, family: string, args: string[] = []): string {
    if (family === 'Null') {
      return 'Null'; // stores nothing: only its materialized views see the rows
    }
    if (!this.t.cluster) {
      return `${family}(${args.join(', ')})`;
    }
    // Sharded tables replicate within their shard; the small ones across the whole cluster.
    const zk = SHARDED.has(name) ? `/clickhouse/tables/{shard}/${this.t.database}/${name}` : `/clickhouse/tables/all/${this.t.database}/${name}`;
    return `Replicated${family}(${[`'${zk}'`, `'{replica}'`, ...args].join(', ')})`;
  }

  /** CREATE TABLE of `name` (its local table in a cluster) plus, when sharded in a cluster, the Distributed table. */
  create(name: string, body: string, family: string, tail: string, args: string[] = [], shardingKey = 'rand()'): string[] {
    const out = [`CREATE TABLE IF NOT EXISTS ${this.local(name)}${this.onCluster} (${body}) ENGINE = ${this.engine(name, family, args)}${tail ? ` ${tail}` : ''}`];
    if (this.t.cluster && SHARDED.has(name)) {
      out.push(
        `CREATE TABLE IF NOT EXISTS ${this.table(name)}${this.onCluster} AS ${this.local(name)} ENGINE = Distributed(${this.t.cluster}, ${this.t.database}, ${name}_local, ${shardingKey})`
      );
    }
    return out;
  }

  /** seconds since the epoch of an Int64 ns column, as DateTime (partitioning, TTL). */
  static secondsOf(nsCol: string): string {
    return `toDateTime(intDiv(${nsCol}, ${NS_PER_S}), 'UTC')`;
  }
}

/**
 * The SELECT that turns span rows into time-rollup rows of `bucketNs` (MV body and repairs).
 * `wide`: sums in Int128, as the rollup tables hold them from schema version 3 (versions 1 and 2
 * created their views with Int64 sums, which wrap).
 */
export function rollupSelect(from: string, bucketNs: bigint, where = '', wide = true): string {
  const ms = bucketNs / 1_000_000n;
  const dims = ROLLUP_DIMS.map((d) => (d === 'service' || d === 'span_kind' ? `${d} AS d_${d}` : `coalesce(${d}, '') AS d_${d}`));
  const vals = ROLLUP_VALUES.map((v) => `${v.sql} AS v_${v.prefix}`);
  // Inner aliases differ from the column names: ClickHouse resolves aliases before columns.
  return `SELECT b AS bucket_ms, ${ROLLUP_DIMS.map((d) => `d_${d} AS ${d}`).join(', ')}, root AS is_root,
    count() AS n, countIf(sc = 2) AS err_n, count(cs) AS usage_n, countIf(cs = 'unknown') AS unpriced_n,
    ${ROLLUP_VALUES.map((v) => `sum(${wide ? `toInt128(coalesce(v_${v.prefix}, 0))` : `coalesce(v_${v.prefix}, 0)`}) AS ${v.prefix}_sum, count(v_${v.prefix}) AS ${v.prefix}_n, minOrNull(v_${v.prefix}) AS ${v.prefix}_min, maxOrNull(v_${v.prefix}) AS ${v.prefix}_max`).join(',\n    ')}
  FROM (SELECT intDiv(start_ns, ${bucketNs}) * ${ms} AS b, ${dims.join(', ')}, parent_span_id = '' AS root, status_code AS sc, cost_source AS cs,
      ${vals.join(', ')}
    FROM ${from}${where ? ` WHERE ${where}` : ''})
  GROUP BY b, ${ROLLUP_DIMS.map((d) => `d_${d}`).join(', ')}, root`;
}

function rollupBody(sum: 'Int64' | 'Int128'): string {
  return [
    'bucket_ms Int64',
    ...ROLLUP_DIMS.map((d) => `${d} LowCardinality(String)`),
    'is_root Bool',
    ...ROLLUP_COUNTS.map((c) => `${c} SimpleAggregateFunction(sum, UInt64)`),
    ...ROLLUP_VALUES.flatMap((v) => [
      `${v.prefix}_sum SimpleAggregateFunction(sum, ${sum})`,
      `${v.prefix}_n SimpleAggregateFunction(sum, UInt64)`,
      `${v.prefix}_min SimpleAggregateFunction(min, Nullable(Int64))`,
      `${v.prefix}_max SimpleAggregateFunction(max, Nullable(Int64))`,
    ]),
  ].join(', ');
}

const settings = (extra: string[] = []) => `SETTINGS ${[`non_replicated_deduplication_window = ${DEDUP_WINDOW}`, ...extra].join(', ')}`;

/** TTL clause of the spans (empty without retention). */
export function spansTtl(days: number | undefined): string {
  return days && days > 0 ? `${Ddl.secondsOf('start_ns')} + toIntervalDay(${Math.floor(days)})` : '';
}
export function rollupTtl(days: number | undefined): string {
  return days && days > 0 ? `toDateTime(intDiv(bucket_ms, 1000), 'UTC') + toIntervalDay(${Math.floor(days) + 1})` : '';
}

/**
 * Schema version 1: everything. Later versions append functions to MIGRATIONS (never edit old
 * ones). The TTLs depend on configuration, so they are set on every open (ttlStatements).
 */
function v1(d: Ddl): string[] {
  const spansBody = [
    ...SPAN_COLUMNS_CH.map((c) => `${c.name} ${c.type}`),
    // Lookups by trace id skip every granule whose bloom filter rules the id out.
    'INDEX idx_trace_id trace_id TYPE bloom_filter(0.001) GRANULARITY 1',
  ].join(', ');
  const out: string[] = [
    // Day partitions (retention drops whole parts); the key starts with the hour so a time range
    // reads few granules, then the service for the per-service filters of the query API.
    ...d.create(
      'spans',
      spansBody,
      'MergeTree',
      `PARTITION BY toDate(${Ddl.secondsOf('start_ns')}) ORDER BY (intDiv(start_ns, ${NS_PER_HOUR}), service, start_ns) ${settings(['ttl_only_drop_parts = 1'])}`,
      [],
      // A trace stays on one shard: trace lookups and per-trace grouping need no shuffle.
      'cityHash64(trace_id)'
    ),
  ];
  for (const r of CH_ROLLUPS) {
    out.push(
      ...d.create(
        r.table,
        rollupBody('Int64'),
        'AggregatingMergeTree',
        `PARTITION BY toYYYYMM(toDateTime(intDiv(bucket_ms, 1000), 'UTC')) ORDER BY (bucket_ms, ${ROLLUP_DIMS.join(', ')}, is_root) ${settings()}`
      ),
      // Per node: the view reads the rows inserted into the local spans table.
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${d.local(r.table)}_mv${d.onCluster} TO ${d.local(r.table)} AS ${rollupSelect(d.local('spans'), r.ns, '', false)}`
    );
  }
  out.push(
    ...d.create(
      'budgets',
      `id String, name String, scope_dimension Nullable(String), scope_value Nullable(String), period LowCardinality(String),
       amount_micros Int64, alert_threshold Float64, created_at DateTime64(3, 'UTC'), updated_at DateTime64(3, 'UTC'), version UInt64, deleted UInt8`,
      'ReplacingMergeTree',
      'ORDER BY id',
      ['version', 'deleted']
    ),
    ...d.create(
      'api_keys',
      `id String, name String, key_hash String, scopes Array(String), created_at DateTime64(3, 'UTC'), version UInt64, deleted UInt8`,
      'ReplacingMergeTree',
      'ORDER BY id',
      ['version', 'deleted']
    ),
    // Highest applied batch seq per writer (Storage.appliedSeq); the ClickHouse intake does not use a WAL.
    ...d.create('applied_seq', 'writer String, seq Int64', 'ReplacingMergeTree', 'ORDER BY writer', ['seq'])
  );
  return out;
}

/**
 * Schema version 2: trace sampling. Sampled-out spans are inserted into `spans_counted`
 * (ENGINE = Null: nothing stored), whose views feed the same rollup tables as the spans views,
 * so rates, errors, tokens and costs stay exact while only kept traces are stored raw. In a
 * cluster it is sharded like spans (a Null `_local` per node behind a Distributed table).
 */
function v2(d: Ddl): string[] {
  const out = d.create('spans_counted', COUNTED_COLUMNS_CH.map((c) => `${c.name} ${c.type}`).join(', '), 'Null', '', [], 'cityHash64(trace_id)');
  for (const r of CH_ROLLUPS) {
    out.push(`CREATE MATERIALIZED VIEW IF NOT EXISTS ${d.local(r.table)}_counted_mv${d.onCluster} TO ${d.local(r.table)} AS ${rollupSelect(d.local('spans_counted'), r.ns, '', false)}`);
  }
  return out;
}

/**
 * Schema version 3: rollup sums in Int128. Spans starting in 1970 are valid OTLP, and six of
 * them in one bucket overflowed an Int64 duration sum (ClickHouse wraps silently). The columns
 * are widened in place, and the views recreated with Int128 sums; a span inserted by another
 * replica between the DROP and the CREATE of a view is not counted in the rollups.
 */
function v3(d: Ddl): string[] {
  const out: string[] = [];
  const widen = ROLLUP_VALUES.map((v) => `MODIFY COLUMN ${v.prefix}_sum SimpleAggregateFunction(sum, Int128)`).join(', ');
  for (const r of CH_ROLLUPS) {
    out.push(`ALTER TABLE ${d.local(r.table)}${d.onCluster} ${widen}`);
    if (d.t.cluster) {
      out.push(`ALTER TABLE ${d.table(r.table)}${d.onCluster} ${widen}`);
    }
    for (const [mv, from] of [
      [`${d.local(r.table)}_mv`, d.local('spans')],
      [`${d.local(r.table)}_counted_mv`, d.local('spans_counted')],
    ] as const) {
      out.push(`DROP VIEW IF EXISTS ${mv}${d.onCluster}`);
      out.push(`CREATE MATERIALIZED VIEW IF NOT EXISTS ${mv}${d.onCluster} TO ${d.local(r.table)} AS ${rollupSelect(from, r.ns)}`);
    }
  }
  return out;
}

export const MIGRATIONS: ReadonlyArray<(d: Ddl) => string[]> = [v1, v2, v3];

export function migrationsTableDdl(d: Ddl): string[] {
  return d.create('schema_migrations', `version UInt32, applied_at DateTime('UTC') DEFAULT now()`, 'ReplacingMergeTree', 'ORDER BY version');
}

/** Statements that bring the TTLs in line with the configured retention (idempotent). */
export function ttlStatements(d: Ddl): string[] {
  const ttl = spansTtl(d.t.retentionDays);
  const rttl = rollupTtl(d.t.retentionDays);
  // Run with materialize_ttl_after_modify = 0: only the metadata changes (no rewrite of old parts now).
  if (!ttl) {
    return [];
  }
  return [
    `ALTER TABLE ${d.local('spans')}${d.onCluster} MODIFY TTL ${ttl}`,
    ...CH_ROLLUPS.map((r) => `ALTER TABLE ${d.local(r.table)}${d.onCluster} MODIFY TTL ${rttl}`),
  ];
}

/** Every statement of a fresh schema at the latest version (documentation and DDL tests). */
export function allStatements(t: SchemaTarget): string[] {
  const d = new Ddl(t);
  return [...migrationsTableDdl(d), ...MIGRATIONS.flatMap((m) => m(d)), ...ttlStatements(d)];
}
