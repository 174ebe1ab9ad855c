// ClickHouse tables of the drift engine, generated for a single server (plain *MergeTree) or a
// cluster (Replicated*MergeTree `<name>_local` ON CLUSTER + a Distributed `<name>` over it), from
// one description so both stay alike. Readers and writers always use `<name>`.
//
// Rows that change are versioned (ReplacingMergeTree(ver[, deleted])) and read with FINAL, so an
// update or delete is an insert and a retried or concurrent write never leaves two live rows:
//   drift_inferences      ver 0 on intake, labels insert a new version of the row
//   drift_models, drift_datasets, drift_sampled, drift_bucket_stats, drift_results,
//   drift_alerts, drift_dirty  one live row per key; deleted = 1 is a tombstone
//   drift_cursor          version = the bucket itself: the cursor only moves forward
// Per-bucket samples and dataset rows carry the version of the drift_sampled / drift_datasets
// row that commits them; readers join on it, so a re-sample is atomic for readers.
// drift_leases is append-only: the earliest claim (by _block_number) of an epoch wins (README).

export const DRIFT_TABLES_VERSION = 1;

interface TableSpec {
  name: string;
  columns: string[];
  indexes?: string[];
  engine: 'MergeTree' | 'ReplacingMergeTree' | 'AggregatingMergeTree';
  engineArgs?: string[];
  partitionBy?: string;
  orderBy: string;
  /** Column (epoch ms) the retention TTL counts from; only when retention is on. */
  ttlColumn?: string;
  settings?: Record<string, number>;
  /** Sharding expression of the Distributed table: rows of one key must meet on one shard. */
  shardBy: string;
}

const DAY_MS = 86_400_000;

const SAMPLE_KEY = ['model_id String', 'bucket_size_ms Int64', 'bucket_ms Int64', 'ver UInt64', 'h UInt64'];
const PRED = ['features String', 'pred_class Nullable(String)', 'pred_value Nullable(Float64)', 'pred_prob Nullable(Float64)'];
const LABEL = ['label_class Nullable(String)', 'label_value Nullable(Float64)'];

export const TABLES: readonly TableSpec[] = [
  {
    name: 'drift_inferences',
    columns: [
      'id String',
      'model_id String',
      'model_version String',
      'ts_ms Int64',
      ...PRED,
      ...LABEL,
      'label_ms Nullable(Int64)',
      // Empty = no embedding (intake refuses empty ones).
      'embedding Array(Float32)',
      'source LowCardinality(String)',
      'trace_id Nullable(String)',
      'span_id Nullable(String)',
      'received_ms Int64',
      'ver UInt64',
    ],
    indexes: ['INDEX id_bf id TYPE bloom_filter(0.01) GRANULARITY 4'],
    engine: 'ReplacingMergeTree',
    engineArgs: ['ver'],
    partitionBy: `intDiv(ts_ms, ${DAY_MS})`,
    orderBy: '(model_id, ts_ms, id)',
    ttlColumn: 'ts_ms',
    // Records are acknowledged once the insert returns: make that mean "on disk".
    settings: { fsync_after_insert: 1, fsync_part_directory: 1 },
    shardBy: 'cityHash64(id)',
  },
  {
    name: 'drift_model_seen',
    columns: [
      'model_id String',
      'first_ms SimpleAggregateFunction(min, Int64)',
      'last_ms SimpleAggregateFunction(max, Int64)',
      'records SimpleAggregateFunction(sum, UInt64)',
    ],
    engine: 'AggregatingMergeTree',
    orderBy: 'model_id',
    shardBy: 'cityHash64(model_id)',
  },
  {
    name: 'drift_models',
    columns: ['model_id String', 'config String', 'updated_ms Int64', 'ver UInt64'],
    engine: 'ReplacingMergeTree',
    engineArgs: ['ver'],
    orderBy: 'model_id',
    shardBy: 'cityHash64(model_id)',
  },
  {
    name: 'drift_datasets',
    columns: ['dataset_id String', 'model_id String', 'name String', 'row_count UInt64', 'created_ms Int64', 'ver UInt64'],
    engine: 'ReplacingMergeTree',
    engineArgs: ['ver'],
    orderBy: 'dataset_id',
    shardBy: 'cityHash64(dataset_id)',
  },
  {
    name: 'drift_dataset_rows',
    columns: ['dataset_id String', 'ver UInt64', 'row_no UInt64', ...PRED, ...LABEL, 'embedding Array(Float32)'],
    engine: 'MergeTree',
    orderBy: '(dataset_id, ver, row_no)',
    shardBy: 'cityHash64(dataset_id)',
  },
  {
    name: 'drift_samples',
    columns: [...SAMPLE_KEY, ...PRED],
    engine: 'MergeTree',
    partitionBy: `intDiv(bucket_ms, ${DAY_MS})`,
    orderBy: '(model_id, bucket_size_ms, bucket_ms, ver, h)',
    ttlColumn: 'bucket_ms',
    shardBy: 'cityHash64(model_id)',
  },
  {
    name: 'drift_embedding_samples',
    columns: [...SAMPLE_KEY, 'embedding Array(Float32)'],
    engine: 'MergeTree',
    partitionBy: `intDiv(bucket_ms, ${DAY_MS})`,
    orderBy: '(model_id, bucket_size_ms, bucket_ms, ver, h)',
    ttlColumn: 'bucket_ms',
    shardBy: 'cityHash64(model_id)',
  },
  {
    name: 'drift_llm_samples',
    columns: [
      'model_id String',
      'service String',
      'bucket_size_ms Int64',
      'bucket_ms Int64',
      'ver UInt64',
      'h UInt64',
      'input_tokens Nullable(Float64)',
      'output_tokens Nullable(Float64)',
      'latency_ms Float64',
      'cost_usd Nullable(Float64)',
      'error Bool',
      'finish_reason String',
      'tool_call Bool',
    ],
    engine: 'MergeTree',
    partitionBy: `intDiv(bucket_ms, ${DAY_MS})`,
    orderBy: '(model_id, service, bucket_size_ms, bucket_ms, ver, h)',
    ttlColumn: 'bucket_ms',
    shardBy: 'cityHash64(model_id, service)',
  },
  {
    name: 'drift_sampled',
    columns: [
      'source LowCardinality(String)',
      'model_id String',
      'service String',
      'bucket_size_ms Int64',
      'bucket_ms Int64',
      'row_count UInt64',
      'ver UInt64',
    ],
    engine: 'ReplacingMergeTree',
    engineArgs: ['ver'],
    orderBy: '(source, model_id, service, bucket_size_ms, bucket_ms)',
    ttlColumn: 'bucket_ms',
    // Same shard as the samples it commits.
    shardBy: 'cityHash64(model_id)',
  },
  {
    name: 'drift_bucket_stats',
    columns: ['model_id String', 'bucket_size_ms Int64', 'bucket_ms Int64', 'stats String', 'ver UInt64', 'deleted UInt8'],
    engine: 'ReplacingMergeTree',
    engineArgs: ['ver', 'deleted'],
    orderBy: '(model_id, bucket_size_ms, bucket_ms)',
    ttlColumn: 'bucket_ms',
    shardBy: 'cityHash64(model_id)',
  },
  {
    name: 'drift_results',
    columns: [
      'model_id String',
      'service String',
      'drift_type LowCardinality(String)',
      'feature String',
      'bucket_size_ms Int64',
      'bucket_ms Int64',
      'test String',
      'statistic Nullable(Float64)',
      'p_value Nullable(Float64)',
      'threshold Nullable(Float64)',
      'score Float64',
      'score_threshold Float64',
      'drift Bool',
      'reference_count UInt64',
      'current_count UInt64',
      'details String',
      'alertable Bool',
      'hys_above Int32',
      'hys_below Int32',
      'alert_id Nullable(String)',
      'computed_ms Int64',
      'ver UInt64',
      'deleted UInt8',
    ],
    engine: 'ReplacingMergeTree',
    engineArgs: ['ver', 'deleted'],
    // No partitions: one insert (a bucket's rows and tombstones) is one part, so readers see
    // all of a replacement or none of it. Results are small and kept.
    orderBy: '(model_id, service, drift_type, bucket_size_ms, bucket_ms, feature)',
    shardBy: 'cityHash64(model_id, service, drift_type)',
  },
  {
    name: 'drift_alerts',
    columns: [
      'id String',
      'model_id String',
      'service String',
      'drift_type LowCardinality(String)',
      'feature String',
      'bucket_size_ms Int64',
      'state LowCardinality(String)',
      'opened_ms Int64',
      'open_bucket_ms Int64',
      'resolved_ms Nullable(Int64)',
      'resolve_bucket_ms Nullable(Int64)',
      'resolved_by Nullable(String)',
      'score Float64',
      'peak_score Float64',
      'threshold Float64',
      'updated_ms Int64',
      'ver UInt64',
      'deleted UInt8',
    ],
    engine: 'ReplacingMergeTree',
    engineArgs: ['ver', 'deleted'],
    orderBy: 'id',
    shardBy: 'cityHash64(id)',
  },
  {
    name: 'drift_cursor',
    columns: ['key String', 'bucket_ms Int64'],
    engine: 'ReplacingMergeTree',
    engineArgs: ['bucket_ms'],
    orderBy: 'key',
    shardBy: 'cityHash64(key)',
  },
  {
    name: 'drift_dirty',
    columns: ['model_id String', 'bucket_size_ms Int64', 'bucket_ms Int64', 'ver UInt64', 'deleted UInt8'],
    engine: 'ReplacingMergeTree',
    engineArgs: ['ver', 'deleted'],
    orderBy: '(model_id, bucket_size_ms, bucket_ms)',
    shardBy: 'cityHash64(model_id)',
  },
  {
    name: 'drift_leases',
    columns: ['lease_key String', 'epoch UInt64', 'owner String', 'expires_ms Int64', 'claimed_ms Int64'],
    engine: 'MergeTree',
    orderBy: '(lease_key, epoch)',
    // _block_number orders the claims of an epoch (first insert wins); dedup drops a repeated token.
    settings: { enable_block_number_column: 1, non_replicated_deduplication_window: 10_000 },
    // One shard holds every lease: block numbers and dedup only order inserts within a shard.
    shardBy: '0',
  },
];

export interface DriftDdlOptions {
  database: string;
  cluster?: string;
  /** Days of records and samples kept (TTL); 0 = no TTL. */
  retentionDays: number;
}

/** The TTL clause of a table (also compared with the live table to follow a changed retention). */
export function ttlExpr(t: TableSpec, retentionDays: number): string | null {
  return t.ttlColumn && retentionDays > 0
    ? `toDateTime(intDiv(${t.ttlColumn}, 1000)) + toIntervalDay(${Math.floor(retentionDays)})`
    : null;
}

/** The table data lives in: `<name>_local` on a cluster, `<name>` otherwise. */
export function localName(name: string, cluster: string | undefined): string {
  return cluster ? `${name}_local` : name;
}

function engineSql(t: TableSpec, o: DriftDdlOptions, local: string): string {
  const args = t.engineArgs ?? [];
  if (!o.cluster) {
    return `${t.engine}(${args.join(', ')})`;
  }
  // {shard}/{replica} are the servers' macros; the path names the database and table.
  return `Replicated${t.engine}(${[`'/clickhouse/tables/{shard}/${o.database}/${local}'`, `'{replica}'`, ...args].join(', ')})`;
}

function settingsSql(t: TableSpec, cluster: boolean): string {
  const s = { ...t.settings };
  if (cluster && 'non_replicated_deduplication_window' in s) {
    // Replicated tables deduplicate natively; keep the same window.
    s.replicated_deduplication_window = s.non_replicated_deduplication_window!;
    delete s.non_replicated_deduplication_window;
  }
  if (t.ttlColumn && t.partitionBy) {
    s.ttl_only_drop_parts = 1;
  }
  const parts = Object.entries(s).map(([k, v]) => `${k} = ${v}`);
  return parts.length ? ` SETTINGS ${parts.join(', ')}` : '';
}

/** CREATE statements (idempotent), in order: tables, then the materialized view. */
export function driftDdl(o: DriftDdlOptions): string[] {
  const db = o.database;
  const on = o.cluster ? ` ON CLUSTER ${o.cluster}` : '';
  const out: string[] = [];
  for (const t of TABLES) {
    const local = localName(t.name, o.cluster);
    const body = [...t.columns, ...(t.indexes ?? [])].join(',\n  ');
    const ttl = ttlExpr(t, o.retentionDays);
    out.push(
      `CREATE TABLE IF NOT EXISTS ${db}.${local}${on} (\n  ${body}\n) ENGINE = ${engineSql(t, o, local)}` +
        (t.partitionBy ? ` PARTITION BY ${t.partitionBy}` : '') +
        ` ORDER BY ${t.orderBy}` +
        (ttl ? ` TTL ${ttl}` : '') +
        settingsSql(t, !!o.cluster)
    );
    if (o.cluster) {
      out.push(
        `CREATE TABLE IF NOT EXISTS ${db}.${t.name}${on} AS ${db}.${local} ENGINE = Distributed(${o.cluster}, ${db}, ${local}, ${t.shardBy})`
      );
    }
  }
  // Model catalog counted at insert: only first versions (ver 0) are new records, label updates are not.
  out.push(
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.drift_model_seen_mv${on} TO ${db}.${localName('drift_model_seen', o.cluster)} AS ` +
      `SELECT model_id, min(ts_ms) AS first_ms, max(ts_ms) AS last_ms, toUInt64(count()) AS records ` +
      `FROM ${db}.${localName('drift_inferences', o.cluster)} WHERE ver = 0 GROUP BY model_id`
  );
  return out;
}
