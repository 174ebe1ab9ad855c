// Query rollups, maintained at ingest inside the same transaction as the spans (so WAL replay
// stays idempotent) and rebuilt from the spans when ROLLUP_VERSION changes.
//
// Time rollups (rollup_1m per minute, rollup_1h per hour): one row per (bucket, service,
// provider, request model, response model, operation, span kind, root?) with span and error
// counts, LLM-usage counts, and for each value (duration, input/output/cached/total tokens,
// cost in micro-dollars) its sum, count of non-null values, min and max. Sums, counts,
// averages, minima and maxima over whole buckets are therefore exact. Percentiles are not
// kept: they are computed from the raw spans (exact quantile_cont).
//
// Trace rollup (trace_rollup): per trace its time extent, counts, token and cost sums, root
// span, and the distinct services, providers, models, operations, kinds, agents, tools, users
// and sessions of its spans, so trace searches on those need not touch the spans. The sets are
// strings `\x01a\x01b\x01` ('' when empty): far cheaper to append than lists, and a member test
// is a substring or regex match.
//
// Each batch appends partial rows (one per key, or per trace, in the batch); queries always
// aggregate them. Every COMPACT_AFTER partial rows the recently touched rows are merged so the
// tables stay near one row per key (or trace).
import type { DuckDBConnection } from '@duckdb/node-api';
import type ddb from '@duckdb/node-bindings';
import type { ColumnCompression } from './compression.js';
import { RowScan, type RowColumn } from './rowScan.js';
import { columnNames } from './tableScan.js';
import type { SpanRow } from './types.js';

/** Bump when a rollup definition changes: open() then rebuilds them from the spans. */
export const ROLLUP_VERSION = '5';
const COMPACT_AFTER = 20_000;
const MS_NS = 1_000_000n;

export interface RollupLevel {
  table: string;
  ms: number;
}
/** Coarsest first. */
export const ROLLUP_LEVELS: readonly RollupLevel[] = [
  { table: 'rollup_1h', ms: 3_600_000 },
  { table: 'rollup_1m', ms: 60_000 },
];
export const TRACE_ROLLUP = 'trace_rollup';

/** Dimension columns of the time rollups ('' stands for NULL). */
export const ROLLUP_DIMS = ['service', 'provider', 'request_model', 'response_model', 'operation', 'span_kind'] as const;

/** The values the time rollups summarize: column prefix, SQL over a span row, accessor on SpanRow. */
export const ROLLUP_VALUES = [
  { prefix: 'dur', sql: 'duration_ns', get: (r: SpanRow): bigint | null => r.durationNs },
  { prefix: 'in', sql: 'input_tokens', get: (r: SpanRow) => big(r.inputTokens) },
  { prefix: 'out', sql: 'output_tokens', get: (r: SpanRow) => big(r.outputTokens) },
  { prefix: 'cached', sql: 'cache_read_tokens', get: (r: SpanRow) => big(r.cacheReadTokens) },
  {
    prefix: 'total',
    sql: 'CASE WHEN input_tokens IS NULL AND output_tokens IS NULL THEN NULL ELSE coalesce(input_tokens, 0) + coalesce(output_tokens, 0) END',
    get: (r: SpanRow) => (r.inputTokens === null && r.outputTokens === null ? null : BigInt((r.inputTokens ?? 0) + (r.outputTokens ?? 0))),
  },
  { prefix: 'cost', sql: 'cost_micros', get: (r: SpanRow) => big(r.costMicros) },
] as const;
export type RollupValue = (typeof ROLLUP_VALUES)[number]['prefix'];

function big(v: number | null): bigint | null {
  return v === null ? null : BigInt(v);
}

const COUNTS = [
  { col: 'n', sql: 'count(*)' },
  { col: 'err_n', sql: 'count(*) FILTER (WHERE status_code = 2)' },
  { col: 'usage_n', sql: 'count(cost_source)' },
  { col: 'unpriced_n', sql: "count(*) FILTER (WHERE cost_source = 'unknown')" },
] as const;

/**
 * VARCHAR columns of the rollups name their compression: DuckDB's automatic choice runs an FSST
 * analysis (a symbol table per column) on every row group a checkpoint rewrites, which made
 * each checkpoint ~40 ms more expensive for ~1000 new trace rows. The values repeat (services,
 * models, small sets), so dictionary (DICT_FSST in format v1.5) suits them; trace ids are stored as is.
 */
const dict = (comp: ColumnCompression) => `VARCHAR USING COMPRESSION ${comp.repeated}`;
const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
/** A sum clamped to the int64 range (JS). */
const sat = (v: bigint) => (v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : v);
/** The same in SQL, over a 128-bit sum. */
const satSql = (sum: string) => `least(greatest(${sum}, ${INT64_MIN}), ${INT64_MAX})::BIGINT`;
/**
 * Rollup sums are BIGINT, saturating at the int64 bounds, except the durations' (`dur_sum`):
 * spans that start in 1970 are valid OTLP, and six of them in one bucket pass 2^63 ns, so that
 * sum is 128-bit. Tokens and costs stay far below the bounds (each value is capped in
 * normalize/llm.ts). Saturating rather than failing: a write that overflows fails whole, and
 * the intake would retry it forever (compaction would fail every write after it). Not all
 * 128-bit: reading HUGEINT columns made rollup answers ~5x slower (46,800 rows summed in 5.4
 * ms instead of 0.9), and the search over the trace rollup twice as slow.
 */
const WIDE_SUMS: ReadonlySet<string> = new Set(['dur']);
const sumType = (prefix: string) => (WIDE_SUMS.has(prefix) ? 'HUGEINT' : 'BIGINT');
/** A 128-bit SQL sum for the column of `prefix` (saturated to its BIGINT). */
const sumInto = (prefix: string, sum: string) => (WIDE_SUMS.has(prefix) ? sum : satSql(sum));
/** The trace rollup's sums (tokens and cost of one trace): BIGINT, saturating. */
const TRACE_SUM = 'BIGINT';
const plain = (comp: ColumnCompression) => `VARCHAR USING COMPRESSION ${comp.unique}`;

const rollupDdl = (table: string, comp: ColumnCompression) => `CREATE TABLE IF NOT EXISTS ${table} (
  bucket_ms BIGINT NOT NULL,
  ${ROLLUP_DIMS.map((d) => `${d} ${dict(comp)} NOT NULL`).join(', ')},
  is_root BOOLEAN NOT NULL,
  ${COUNTS.map((c) => `${c.col} BIGINT NOT NULL`).join(', ')},
  ${ROLLUP_VALUES.map((v) => `${v.prefix}_sum ${sumType(v.prefix)} NOT NULL, ${v.prefix}_n BIGINT NOT NULL, ${v.prefix}_min BIGINT, ${v.prefix}_max BIGINT`).join(',\n  ')}
)`;

const KEY_COLS = ['bucket_ms', ...ROLLUP_DIMS, 'is_root'];

/** Time-rollup rows of a set of spans (rebuild, repair of a cut bucket). */
function aggregateSpansSql(bucketMs: number, where: string): string {
  return `SELECT (start_ns // ${BigInt(bucketMs) * MS_NS}) * ${bucketMs} AS bucket_ms,
    ${ROLLUP_DIMS.map((d) => (d === 'service' || d === 'span_kind' ? d : `coalesce(${d}, '') AS ${d}`)).join(', ')},
    parent_span_id = '' AS is_root,
    ${COUNTS.map((c) => `${c.sql} AS ${c.col}`).join(', ')},
    ${ROLLUP_VALUES.map(
      (v) =>
        `${sumInto(v.prefix, `coalesce(sum(${v.sql}), 0)`)} AS ${v.prefix}_sum, count(${v.sql}) AS ${v.prefix}_n, min(${v.sql}) AS ${v.prefix}_min, max(${v.sql}) AS ${v.prefix}_max`
    ).join(',\n    ')}
  FROM spans WHERE ${where}
  GROUP BY ALL`;
}

/** Merged time-rollup rows of `from` re-bucketed to `bucketMs` (compaction, 1m -> 1h). */
const mergeSql = (from: string, bucketMs: number, where: string) => `SELECT (bucket_ms // ${bucketMs}) * ${bucketMs} AS bucket_ms,
    ${[...ROLLUP_DIMS, 'is_root'].join(', ')},
    ${COUNTS.map((c) => `sum(${c.col}) AS ${c.col}`).join(', ')},
    ${ROLLUP_VALUES.map(
      (v) => `${sumInto(v.prefix, `sum(${v.prefix}_sum)`)} AS ${v.prefix}_sum, sum(${v.prefix}_n) AS ${v.prefix}_n, min(${v.prefix}_min) AS ${v.prefix}_min, max(${v.prefix}_max) AS ${v.prefix}_max`
    ).join(', ')}
  FROM ${from} WHERE ${where} GROUP BY ALL`;

// ---- trace rollup -------------------------------------------------------------------------------

/** List columns of the trace rollup: column, span accessor(s), SQL over spans. */
export const TRACE_SETS = [
  { col: 'services', get: (r: SpanRow) => [r.service], sql: ['service'] },
  { col: 'providers', get: (r: SpanRow) => [r.provider], sql: ['provider'] },
  /** Lower-cased: model terms match case-insensitively. */
  { col: 'models', get: (r: SpanRow) => [r.requestModel?.toLowerCase() ?? null, r.responseModel?.toLowerCase() ?? null], sql: ['lower(request_model)', 'lower(response_model)'] },
  { col: 'operations', get: (r: SpanRow) => [r.operation], sql: ['operation'] },
  { col: 'kinds', get: (r: SpanRow) => [r.spanKind], sql: ['span_kind'] },
  { col: 'agents', get: (r: SpanRow) => [r.agentName], sql: ['agent_name'] },
  { col: 'tools', get: (r: SpanRow) => [r.toolName], sql: ['tool_name'] },
  { col: 'users', get: (r: SpanRow) => [r.userId], sql: ['user_id'] },
  { col: 'sessions', get: (r: SpanRow) => [r.sessionId], sql: ['session_id'] },
  /** What the trace list shows: per span the response model, else the request model. */
  { col: 'shown_models', get: (r: SpanRow) => [r.responseModel ?? r.requestModel], sql: ['coalesce(response_model, request_model)'] },
] as const;

const traceScalars = (comp: ColumnCompression) => [
  'min_start_ns BIGINT NOT NULL',
  'max_start_ns BIGINT NOT NULL',
  'max_end_ns BIGINT NOT NULL',
  'span_n BIGINT NOT NULL',
  'err_n BIGINT NOT NULL',
  `in_sum ${TRACE_SUM} NOT NULL`,
  `out_sum ${TRACE_SUM} NOT NULL`,
  `cost_sum ${TRACE_SUM} NOT NULL`,
  'cost_n BIGINT NOT NULL',
  // The earliest root span of the partial (NULL: none), and its earliest span.
  'root_start_ns BIGINT',
  `root_name ${dict(comp)}`,
  `root_service ${dict(comp)}`,
  'first_start_ns BIGINT NOT NULL',
  `first_name ${dict(comp)} NOT NULL`,
  `first_service ${dict(comp)} NOT NULL`,
];

const traceDdl = (comp: ColumnCompression) => `CREATE TABLE IF NOT EXISTS ${TRACE_ROLLUP} (
  trace_id ${plain(comp)} NOT NULL,
  ${traceScalars(comp).join(',\n  ')},
  ${TRACE_SETS.map((s) => `${s.col} ${dict(comp)} NOT NULL`).join(', ')}
)`;

/** Separator of the set strings. */
export const SET_SEP = '\u0001';
const SEP_SQL = 'chr(1)';
/** A set string from a list (SQL). */
const setFromList = (l: string) => `CASE WHEN len(${l}) = 0 THEN '' ELSE ${SEP_SQL} || array_to_string(${l}, ${SEP_SQL}) || ${SEP_SQL} END`;
/** The members of a set string (SQL list). */
export const setToList = (col: string) => `list_filter(string_split(${col}, ${SEP_SQL}), lambda x: x <> '')`;
/**
 * A value as a set member: the separator inside a value becomes U+FFFD, or `user.id` =
 * "a\u0001b" would make its trace match `user:b`. Searches map their value the same way.
 */
export function setMember(v: string): string {
  return v.includes(SET_SEP) ? v.replaceAll(SET_SEP, '\uFFFD') : v;
}
const SET_MEMBER_SQL = (e: string) => `replace(${e}, ${SEP_SQL}, chr(65533))`;

/** A set string from JS values. */
export function setString(values: Iterable<string>): string {
  let xs = [...values];
  if (xs.some((v) => v.includes(SET_SEP))) {
    // Rare: mapped members may coincide, so they are deduplicated again.
    xs = [...new Set(xs.map(setMember))];
  }
  return xs.length === 0 ? '' : `${SET_SEP}${xs.join(SET_SEP)}${SET_SEP}`;
}

const setOfSpans = (exprs: readonly string[]) =>
  setFromList(
    exprs.length === 1
      ? `list_distinct(list(${SET_MEMBER_SQL(exprs[0]!)}))`
      : `list_distinct(flatten([${exprs.map((e) => `list(${SET_MEMBER_SQL(e)})`).join(', ')}]))`
  );

function traceSpansSql(where: string): string {
  return `SELECT trace_id, min(start_ns), max(start_ns), max(end_ns), count(*), count(*) FILTER (WHERE status_code = 2),
    ${['input_tokens', 'output_tokens', 'cost_micros'].map((c) => satSql(`coalesce(sum(${c}), 0)`)).join(', ')}, count(cost_micros),
    min(start_ns) FILTER (WHERE parent_span_id = ''),
    arg_min(name, start_ns) FILTER (WHERE parent_span_id = ''),
    arg_min(service, start_ns) FILTER (WHERE parent_span_id = ''),
    min(start_ns), arg_min(name, start_ns), arg_min(service, start_ns),
    ${TRACE_SETS.map((s) => setOfSpans(s.sql)).join(', ')}
  FROM spans WHERE ${where} GROUP BY trace_id`;
}

const traceMergeSql = (where: string) => `SELECT trace_id, min(min_start_ns), max(max_start_ns), max(max_end_ns), sum(span_n), sum(err_n),
    ${['in_sum', 'out_sum', 'cost_sum'].map((c) => satSql(`sum(${c})`)).join(', ')}, sum(cost_n),
    min(root_start_ns), arg_min(root_name, root_start_ns), arg_min(root_service, root_start_ns),
    min(first_start_ns), arg_min(first_name, first_start_ns), arg_min(first_service, first_start_ns),
    ${TRACE_SETS.map((s) => setFromList(`list_distinct(flatten(list(${setToList(s.col)})))`)).join(', ')}
  FROM ${TRACE_ROLLUP} WHERE ${where} GROUP BY trace_id`;

// ---- JS aggregation of one batch -------------------------------------------------------------
// Fed span by span while the batch is normalized (RollupBuilder.add), so no row is copied or
// kept. Sums, counts, minima and maxima are JS numbers while they are safe integers (no BigInt
// allocation per span), and fall back to BigInt beyond that, so they stay exact.
// Measured (bench/ingest-apply.bench.ts): ~4 us per span less on the JS thread and in the GC than
// copying each row and aggregating the copies with BigInt.

interface ValueAcc {
  sum: bigint;
  n: bigint;
  min: bigint | null;
  max: bigint | null;
}
export interface TimeAcc {
  bucketMs: bigint;
  dims: string[];
  isRoot: boolean;
  counts: bigint[];
  values: ValueAcc[];
}

const keyOf = (bucketMs: bigint, dims: string[], isRoot: boolean) => `${bucketMs}\u0000${dims.join('\u0000')}\u0000${isRoot ? 1 : 0}`;

function newAcc(bucketMs: bigint, dims: string[], isRoot: boolean): TimeAcc {
  return { bucketMs, dims, isRoot, counts: COUNTS.map(() => 0n), values: ROLLUP_VALUES.map(() => ({ sum: 0n, n: 0n, min: null, max: null })) };
}

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE_BIG = BigInt(Number.MIN_SAFE_INTEGER);

/** An exact integer sum: a number while it is safe, the rest in a BigInt. */
class Sum {
  num = 0;
  big = 0n;
  add(v: number | bigint): void {
    if (typeof v === 'number') {
      const t = this.num + v;
      if (Number.isSafeInteger(t)) {
        this.num = t;
        return;
      }
      this.big += BigInt(v);
    } else {
      this.big += v;
    }
  }
  value(): bigint {
    return this.big === 0n ? BigInt(this.num) : BigInt(this.num) + this.big;
  }
}

/** Sum, count, min and max of one value (number | bigint compare exactly with < and >). */
class ValueSum extends Sum {
  n = 0;
  min: number | bigint | null = null;
  max: number | bigint | null = null;
  put(v: number | bigint): void {
    this.add(v);
    this.n++;
    if (this.min === null || v < this.min) {
      this.min = v;
    }
    if (this.max === null || v > this.max) {
      this.max = v;
    }
  }
  acc(): ValueAcc {
    return { sum: this.value(), n: BigInt(this.n), min: this.min === null ? null : BigInt(this.min), max: this.max === null ? null : BigInt(this.max) };
  }
}

/** A bigint as a number when that is exact (durations always are in practice). */
const small = (v: bigint): number | bigint => (v <= MAX_SAFE_BIG && v >= MIN_SAFE_BIG ? Number(v) : v);

class TimeSums {
  n = 0;
  err = 0;
  usage = 0;
  unpriced = 0;
  /** In ROLLUP_VALUES order. */
  readonly values = ROLLUP_VALUES.map(() => new ValueSum());
  constructor(
    readonly bucketMs: number,
    readonly dims: string[],
    readonly isRoot: boolean
  ) {}

  add(r: Readonly<SpanRow>): void {
    this.n++;
    if (r.statusCode === 2) {
      this.err++;
    }
    if (r.costSource !== null) {
      this.usage++;
      if (r.costSource === 'unknown') {
        this.unpriced++;
      }
    }
    // Mirrors ROLLUP_VALUES (dur, in, out, cached, total, cost).
    const v = this.values;
    v[0]!.put(small(r.durationNs));
    if (r.inputTokens !== null) {
      v[1]!.put(r.inputTokens);
    }
    if (r.outputTokens !== null) {
      v[2]!.put(r.outputTokens);
    }
    if (r.cacheReadTokens !== null) {
      v[3]!.put(r.cacheReadTokens);
    }
    if (r.inputTokens !== null || r.outputTokens !== null) {
      v[4]!.put((r.inputTokens ?? 0) + (r.outputTokens ?? 0));
    }
    if (r.costMicros !== null) {
      v[5]!.put(r.costMicros);
    }
  }

  acc(): TimeAcc {
    return {
      bucketMs: BigInt(this.bucketMs),
      dims: this.dims,
      isRoot: this.isRoot,
      counts: [BigInt(this.n), BigInt(this.err), BigInt(this.usage), BigInt(this.unpriced)],
      values: this.values.map((x) => x.acc()),
    };
  }
}

/** Start of the bucket of `ns` in ms: start_ns // (bucketMs * 1e6) * bucketMs, as SQL has it. */
function bucketOf(ns: bigint, bucketMs: number): number {
  const width = bucketMs * 1e6;
  const x = Number(ns);
  const q = Math.floor(x / width);
  const rem = x - q * width;
  // Float error here is a few hundred ns at most: away from a bucket edge, q is exact.
  if (x > 0 && rem > 1e6 && rem < width - 1e6) {
    return q * bucketMs;
  }
  return Number(ns / BigInt(width)) * bucketMs;
}

class TraceSums {
  minStart: bigint;
  maxStart: bigint;
  maxEnd: bigint;
  spans = 0;
  errors = 0;
  readonly input = new Sum();
  readonly output = new Sum();
  readonly cost = new Sum();
  costN = 0;
  rootStart: bigint | null = null;
  rootName = '';
  rootService = '';
  firstStart: bigint;
  firstName: string;
  firstService: string;
  /** In TRACE_SETS order. */
  readonly sets = TRACE_SETS.map(() => new Set<string>());

  constructor(
    readonly traceId: string,
    r: Readonly<SpanRow>
  ) {
    this.minStart = this.maxStart = this.firstStart = r.startNs;
    this.maxEnd = r.endNs;
    this.firstName = r.name;
    this.firstService = r.service;
  }

  add(r: Readonly<SpanRow>): void {
    const start = r.startNs;
    if (start < this.minStart) {
      this.minStart = start;
    }
    if (start > this.maxStart) {
      this.maxStart = start;
    }
    if (r.endNs > this.maxEnd) {
      this.maxEnd = r.endNs;
    }
    this.spans++;
    if (r.statusCode === 2) {
      this.errors++;
    }
    if (r.inputTokens !== null) {
      this.input.add(r.inputTokens);
    }
    if (r.outputTokens !== null) {
      this.output.add(r.outputTokens);
    }
    if (r.costMicros !== null) {
      this.cost.add(r.costMicros);
      this.costN++;
    }
    if (r.parentSpanId === '' && (this.rootStart === null || start < this.rootStart)) {
      this.rootStart = start;
      this.rootName = r.name;
      this.rootService = r.service;
    }
    if (start < this.firstStart) {
      this.firstStart = start;
      this.firstName = r.name;
      this.firstService = r.service;
    }
    // Mirrors TRACE_SETS (services, providers, models, operations, kinds, agents, tools, users,
    // sessions, shown_models) without an array per set and span.
    const s = this.sets;
    s[0]!.add(r.service);
    if (r.provider !== null) {
      s[1]!.add(r.provider);
    }
    if (r.requestModel !== null) {
      s[2]!.add(r.requestModel.toLowerCase());
    }
    if (r.responseModel !== null) {
      s[2]!.add(r.responseModel.toLowerCase());
    }
    if (r.operation !== null) {
      s[3]!.add(r.operation);
    }
    s[4]!.add(r.spanKind);
    if (r.agentName !== null) {
      s[5]!.add(r.agentName);
    }
    if (r.toolName !== null) {
      s[6]!.add(r.toolName);
    }
    if (r.userId !== null) {
      s[7]!.add(r.userId);
    }
    if (r.sessionId !== null) {
      s[8]!.add(r.sessionId);
    }
    const shown = r.responseModel ?? r.requestModel;
    if (shown !== null) {
      s[9]!.add(shown);
    }
  }

  acc(): TraceAcc {
    return {
      traceId: this.traceId,
      minStart: this.minStart,
      maxStart: this.maxStart,
      maxEnd: this.maxEnd,
      spans: BigInt(this.spans),
      errors: BigInt(this.errors),
      input: this.input.value(),
      output: this.output.value(),
      cost: this.cost.value(),
      costN: BigInt(this.costN),
      root: this.rootStart === null ? null : { startNs: this.rootStart, name: this.rootName, service: this.rootService },
      first: { startNs: this.firstStart, name: this.firstName, service: this.firstService },
      sets: this.sets,
    };
  }
}

/** Re-buckets accumulators to a coarser level. */
export function coarsen(accs: readonly TimeAcc[], bucketMs: number): TimeAcc[] {
  const b = BigInt(bucketMs);
  const byKey = new Map<string, TimeAcc>();
  for (const x of accs) {
    const bucket = (x.bucketMs / b) * b;
    const key = keyOf(bucket, x.dims, x.isRoot);
    let a = byKey.get(key);
    if (!a) {
      a = newAcc(bucket, x.dims, x.isRoot);
      byKey.set(key, a);
    }
    x.counts.forEach((c, i) => (a.counts[i]! += c));
    x.values.forEach((v, i) => {
      const s = a.values[i]!;
      s.sum += v.sum;
      s.n += v.n;
      s.min = v.min !== null && (s.min === null || v.min < s.min) ? v.min : s.min;
      s.max = v.max !== null && (s.max === null || v.max > s.max) ? v.max : s.max;
    });
  }
  return [...byKey.values()];
}

/** The span a trace row names (its root, its earliest span). */
export interface TraceSpanRef {
  startNs: bigint;
  name: string;
  service: string;
}

export interface TraceAcc {
  traceId: string;
  minStart: bigint;
  maxStart: bigint;
  maxEnd: bigint;
  spans: bigint;
  errors: bigint;
  input: bigint;
  output: bigint;
  cost: bigint;
  costN: bigint;
  root: TraceSpanRef | null;
  first: TraceSpanRef;
  sets: Array<Set<string>>;
}

/** The rollup rows of one batch, computed up front (see Rollups.stage). */
export interface PreparedRollup {
  time: TimeAcc[];
  traces: TraceAcc[];
}

const FINE_MS = ROLLUP_LEVELS[ROLLUP_LEVELS.length - 1]!.ms;

/** Rollup rows of one batch, fed span by span (the row may be reused after add()). */
export class RollupBuilder {
  private readonly time = new Map<string, TimeSums>();
  private readonly traces = new Map<string, TraceSums>();

  constructor(private readonly bucketMs = FINE_MS) {}

  /** A stored span: time and trace rollups. */
  add(r: Readonly<SpanRow>): void {
    this.addTime(r);
    let t = this.traces.get(r.traceId);
    if (t === undefined) {
      t = new TraceSums(r.traceId, r);
      this.traces.set(r.traceId, t);
    }
    t.add(r);
  }

  /** A sampled-out span: counted in the time rollups only. */
  addTime(r: Readonly<SpanRow>): void {
    const bucket = bucketOf(r.startNs, this.bucketMs);
    const isRoot = r.parentSpanId === '';
    const key = `${bucket}\u0000${r.service}\u0000${r.provider ?? ''}\u0000${r.requestModel ?? ''}\u0000${r.responseModel ?? ''}\u0000${r.operation ?? ''}\u0000${r.spanKind}\u0000${isRoot ? 1 : 0}`;
    let a = this.time.get(key);
    if (a === undefined) {
      a = new TimeSums(bucket, [r.service, r.provider ?? '', r.requestModel ?? '', r.responseModel ?? '', r.operation ?? '', r.spanKind], isRoot);
      this.time.set(key, a);
    }
    a.add(r);
  }

  /** The rows so far; the builder starts over. */
  finish(): PreparedRollup {
    const out = { time: [...this.time.values()].map((a) => a.acc()), traces: [...this.traces.values()].map((t) => t.acc()) };
    this.time.clear();
    this.traces.clear();
    return out;
  }
}

/** Time-rollup rows of a set of spans at the finest level (same definitions as aggregateSpansSql). */
export function rollupRows(rows: readonly SpanRow[], bucketMs = FINE_MS): TimeAcc[] {
  const b = new RollupBuilder(bucketMs);
  for (const r of rows) {
    b.addTime(r);
  }
  return b.finish().time;
}

export function traceRows(rows: readonly SpanRow[]): TraceAcc[] {
  return prepareRollup(rows).traces;
}

export function prepareRollup(rows: readonly SpanRow[]): PreparedRollup {
  const b = new RollupBuilder();
  for (const r of rows) {
    b.add(r);
  }
  return b.finish();
}

// ---- inserting rollup rows (on a DuckDB thread: see rowScan.ts) -------------------------------

/** The time-rollup columns in table order (rollupDdl). */
const TIME_COLUMNS: ReadonlyArray<RowColumn<TimeAcc>> = [
  { name: 'bucket_ms', type: 'BIGINT', nullable: false, get: (x) => x.bucketMs },
  ...ROLLUP_DIMS.map((d, k): RowColumn<TimeAcc> => ({ name: d, type: 'VARCHAR', nullable: false, get: (x) => x.dims[k]! })),
  { name: 'is_root', type: 'BOOLEAN', get: (x) => x.isRoot },
  ...COUNTS.map((c, k): RowColumn<TimeAcc> => ({ name: c.col, type: 'BIGINT', nullable: false, get: (x) => x.counts[k]! })),
  ...ROLLUP_VALUES.flatMap((v, k): Array<RowColumn<TimeAcc>> => [
    WIDE_SUMS.has(v.prefix)
      ? { name: `${v.prefix}_sum`, type: 'HUGEINT', get: (x) => x.values[k]!.sum }
      : { name: `${v.prefix}_sum`, type: 'BIGINT', nullable: false, get: (x) => sat(x.values[k]!.sum) },
    { name: `${v.prefix}_n`, type: 'BIGINT', nullable: false, get: (x) => x.values[k]!.n },
    { name: `${v.prefix}_min`, type: 'BIGINT', nullable: true, get: (x) => x.values[k]!.min },
    { name: `${v.prefix}_max`, type: 'BIGINT', nullable: true, get: (x) => x.values[k]!.max },
  ]),
];

/** The trace-rollup columns in table order (traceDdl). */
const TRACE_COLUMNS: ReadonlyArray<RowColumn<TraceAcc>> = [
  { name: 'trace_id', type: 'VARCHAR', nullable: false, get: (t) => t.traceId },
  { name: 'min_start_ns', type: 'BIGINT', nullable: false, get: (t) => t.minStart },
  { name: 'max_start_ns', type: 'BIGINT', nullable: false, get: (t) => t.maxStart },
  { name: 'max_end_ns', type: 'BIGINT', nullable: false, get: (t) => t.maxEnd },
  { name: 'span_n', type: 'BIGINT', nullable: false, get: (t) => t.spans },
  { name: 'err_n', type: 'BIGINT', nullable: false, get: (t) => t.errors },
  { name: 'in_sum', type: 'BIGINT', nullable: false, get: (t) => sat(t.input) },
  { name: 'out_sum', type: 'BIGINT', nullable: false, get: (t) => sat(t.output) },
  { name: 'cost_sum', type: 'BIGINT', nullable: false, get: (t) => sat(t.cost) },
  { name: 'cost_n', type: 'BIGINT', nullable: false, get: (t) => t.costN },
  { name: 'root_start_ns', type: 'BIGINT', nullable: true, get: (t) => t.root?.startNs ?? null },
  { name: 'root_name', type: 'VARCHAR', nullable: true, get: (t) => t.root?.name ?? null },
  { name: 'root_service', type: 'VARCHAR', nullable: true, get: (t) => t.root?.service ?? null },
  { name: 'first_start_ns', type: 'BIGINT', nullable: false, get: (t) => t.first.startNs },
  { name: 'first_name', type: 'VARCHAR', nullable: false, get: (t) => t.first.name },
  { name: 'first_service', type: 'VARCHAR', nullable: false, get: (t) => t.first.service },
  ...TRACE_SETS.map((set, k): RowColumn<TraceAcc> => ({ name: set.col, type: 'VARCHAR', nullable: false, get: (t) => setString(t.sets[k]!) })),
];

/** Partial-row bookkeeping of one table. */
class Dirty {
  rows = 0;
  fromMs: bigint | null = null;
  touch(rows: number, fromMs: bigint): void {
    this.rows += rows;
    this.fromMs = this.fromMs === null || fromMs < this.fromMs ? fromMs : this.fromMs;
  }
  reset(): void {
    this.rows = 0;
    this.fromMs = null;
  }
}

/** Prefix of the error of a failed rollup compaction (see Rollups.settle). */
export const COMPACTION_FAILED = 'rollup compaction failed';

/** How far back a compaction of the trace rollup looks for older partial rows of a trace. */
const TRACE_MERGE_MARGIN_NS = 3_600_000n * MS_NS;

/**
 * Keeps the rollups of one DuckDB file. All methods take the writer connection inside the
 * caller's transaction.
 */
export class Rollups {
  private readonly dirty = new Map<string, Dirty>([...ROLLUP_LEVELS.map((l) => [l.table, new Dirty()] as const), [TRACE_ROLLUP, new Dirty()]]);

  /** Per table: the scan its rows are inserted through (see register()). */
  private readonly timeScans = new Map(ROLLUP_LEVELS.map((l) => [l.table, new RowScan<TimeAcc>(`pyflare_rows_${l.table}`, TIME_COLUMNS)] as const));
  private readonly traceScan = new RowScan<TraceAcc>(`pyflare_rows_${TRACE_ROLLUP}`, TRACE_COLUMNS);
  private readonly scans: ReadonlyArray<[string, RowScan<TimeAcc> | RowScan<TraceAcc>]> = [...this.timeScans, [TRACE_ROLLUP, this.traceScan]];

  constructor(private readonly compactAfter = COMPACT_AFTER) {}

  /** Registers the row scans on the writer connection, after checking the tables' columns. */
  async register(c: DuckDBConnection, connection: ddb.Connection): Promise<void> {
    for (const [table, scan] of this.scans) {
      const names = await columnNames(c, table);
      if (names.join() !== scan.columns.map((x) => x.name).join()) {
        throw new Error(`${table} columns (${names.join(', ')}) differ from its row scan (storage/rollups.ts)`);
      }
      scan.register(connection);
    }
  }

  /**
   * Creates the tables; rebuilds the rollups from the spans when their version is not current.
   */
  static async ensure(c: DuckDBConnection, comp: ColumnCompression): Promise<{ rebuilt: boolean; ms: number }> {
    for (const l of ROLLUP_LEVELS) {
      await c.run(rollupDdl(l.table, comp));
    }
    await c.run(traceDdl(comp));
    // Sum columns of another width than now (files from before dur_sum was 128-bit, or from
    // when every sum was) are changed in place: a rebuild from
    // the spans would lose the counts of sampled-out spans, which live only in the rollups.
    const want = (t: string, col: string) => (t === TRACE_ROLLUP ? TRACE_SUM : sumType(col.slice(0, -'_sum'.length)));
    const other = await c.runAndReadAll(
      `SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = current_schema()
         AND table_name IN (${[...ROLLUP_LEVELS.map((l) => l.table), TRACE_ROLLUP].map((t) => `'${t}'`).join(', ')}) AND suffix(column_name, '_sum')`
    );
    for (const { table_name: t, column_name: col, data_type: type } of other.getRowObjectsJS() as Array<{ table_name: string; column_name: string; data_type: string }>) {
      const to = want(t, col);
      if (type !== to) {
        await c.run(`ALTER TABLE ${t} ALTER COLUMN ${col} TYPE ${to}${to === 'BIGINT' ? ` USING ${satSql(col)}` : ''}`);
      }
    }
    const r = await c.runAndReadAll(`SELECT value FROM pyflare_meta WHERE key = 'rollup_version'`);
    if (r.getRowObjectsJS()[0]?.value === ROLLUP_VERSION) {
      return { rebuilt: false, ms: 0 };
    }
    const t0 = performance.now();
    await c.run('BEGIN TRANSACTION');
    try {
      // Tables of older versions are dropped: their columns may differ.
      for (const old of ['rollup_1m', 'rollup_1h', TRACE_ROLLUP]) {
        await c.run(`DROP TABLE IF EXISTS ${old}`);
      }
      for (const l of ROLLUP_LEVELS) {
        await c.run(rollupDdl(l.table, comp));
      }
      await c.run(traceDdl(comp));
      const [coarse, fine] = [ROLLUP_LEVELS[0]!, ROLLUP_LEVELS[1]!];
      await c.run(`INSERT INTO ${fine.table} ${aggregateSpansSql(fine.ms, 'true')}`);
      await c.run(`INSERT INTO ${coarse.table} ${mergeSql(fine.table, coarse.ms, 'true')}`);
      await c.run(`INSERT INTO ${TRACE_ROLLUP} ${traceSpansSql('true')}`);
      await c.run(`INSERT OR REPLACE INTO pyflare_meta VALUES ('rollup_version', '${ROLLUP_VERSION}')`);
      await c.run('COMMIT');
    } catch (e) {
      await c.run('ROLLBACK').catch(() => undefined);
      throw e;
    }
    return { rebuilt: true, ms: performance.now() - t0 };
  }

  /** Adds a batch's spans to the rollups (inside the batch's transaction, on a connection this was registered on). */
  async onAppended(c: DuckDBConnection, rows: readonly SpanRow[]): Promise<void> {
    if (rows.length === 0) {
      return;
    }
    const { sql } = this.stage([prepareRollup(rows)]);
    try {
      await c.run(sql);
    } finally {
      this.unstage();
    }
    await this.settle(c);
  }

  /**
   * Stages the rollups of batches prepared with prepareRollup (the ingest path prepares each
   * request as it arrives, so it keeps no rows until the apply) and returns the statements that
   * insert them, to run inside the batches' transaction; then unstage(), and settle(). `compact`
   * says whether settle() will compact (more statements in the transaction).
   */
  stage(prepared: readonly PreparedRollup[]): { sql: string; compact: boolean } {
    const fine = ROLLUP_LEVELS[ROLLUP_LEVELS.length - 1]!;
    let accs = prepared.length === 1 ? prepared[0]!.time : coarsen(prepared.flatMap((p) => p.time), fine.ms);
    const traces = prepared.length === 1 ? prepared[0]!.traces : prepared.flatMap((p) => p.traces);
    const sql: string[] = [];
    for (let i = ROLLUP_LEVELS.length - 1; i >= 0 && accs.length > 0; i--) {
      const l = ROLLUP_LEVELS[i]!;
      if (i < ROLLUP_LEVELS.length - 1) {
        accs = coarsen(accs, l.ms);
      }
      const scan = this.timeScans.get(l.table)!;
      scan.load(accs);
      sql.push(`INSERT INTO ${l.table} ${scan.select()};`);
      this.dirty.get(l.table)!.touch(accs.length, accs.reduce((m, x) => (x.bucketMs < m ? x.bucketMs : m), accs[0]!.bucketMs));
    }
    if (traces.length > 0) {
      this.traceScan.load(traces);
      sql.push(`INSERT INTO ${TRACE_ROLLUP} ${this.traceScan.select()};`);
      this.dirty.get(TRACE_ROLLUP)!.touch(traces.length, traces.reduce((m, t) => (t.minStart < m ? t.minStart : m), traces[0]!.minStart) / MS_NS);
    }
    return { sql: sql.join(' '), compact: [...this.dirty.values()].some((d) => d.rows >= this.compactAfter) };
  }

  /** Drops the staged rows (after their statements ran or failed). */
  unstage(): void {
    for (const [, scan] of this.scans) {
      scan.clear();
    }
  }

  /** Compacts the tables with enough partial rows (inside the transaction of the last stage()). */
  async settle(c: DuckDBConnection): Promise<void> {
    for (const [table, d] of this.dirty) {
      if (d.rows >= this.compactAfter) {
        try {
          await this.compact(c, table);
        } catch (e) {
          // Named apart: compaction merges rows already stored, so its failure says nothing
          // about the batch that happened to trigger it (the intake must not quarantine that).
          throw new Error(`${COMPACTION_FAILED} (${table}): ${(e as Error).message}`);
        }
      }
    }
  }

  /** Merges the partial rows touched since the last compaction of `table` (all tables when omitted). */
  async compact(c: DuckDBConnection, table?: string): Promise<void> {
    for (const [t, d] of this.dirty) {
      if ((table !== undefined && t !== table) || d.fromMs === null) {
        continue;
      }
      if (t === TRACE_ROLLUP) {
        const lo = d.fromMs * MS_NS - TRACE_MERGE_MARGIN_NS;
        const recent = `max_start_ns >= ${lo}`;
        const multi = `trace_id IN (SELECT trace_id FROM ${TRACE_ROLLUP} WHERE ${recent} GROUP BY trace_id HAVING count(*) > 1)`;
        await c.run(`CREATE TEMP TABLE IF NOT EXISTS trace_merge AS SELECT * FROM ${TRACE_ROLLUP} LIMIT 0`);
        await c.run(`INSERT INTO trace_merge ${traceMergeSql(`${recent} AND ${multi}`)}`);
        await c.run(`DELETE FROM ${TRACE_ROLLUP} WHERE ${recent} AND trace_id IN (SELECT trace_id FROM trace_merge)`);
        await c.run(`INSERT INTO ${TRACE_ROLLUP} SELECT * FROM trace_merge`);
        await c.run('DELETE FROM trace_merge');
      } else {
        const level = ROLLUP_LEVELS.find((l) => l.table === t)!;
        const where = `bucket_ms >= ${d.fromMs}`;
        await c.run(`CREATE TEMP TABLE IF NOT EXISTS ${t}_merge AS SELECT * FROM ${t} LIMIT 0`);
        await c.run(`INSERT INTO ${t}_merge ${mergeSql(t, level.ms, where)}`);
        await c.run(`DELETE FROM ${t} WHERE ${where}`);
        await c.run(`INSERT INTO ${t} SELECT * FROM ${t}_merge`);
        await c.run(`DELETE FROM ${t}_merge`);
      }
      d.reset();
    }
  }

  /**
   * Deletes the spans matching `where` (GDPR erasure) and corrects the rollups in the same
   * transaction: the deleted spans' contributions are appended as negative partial rows (so
   * counts and sums stay exact, and counts of sampled-out spans, which live only in the
   * rollups, are kept), and the affected traces are recomputed from their remaining spans.
   * min/max of a bucket may still reflect a deleted span. Returns the deleted span count.
   */
  async deleteSpansWhere(c: DuckDBConnection, where: string, params: string[]): Promise<number> {
    for (const l of ROLLUP_LEVELS) {
      await this.subtract(c, l, where, params);
    }
    await c.run(`CREATE TEMP TABLE IF NOT EXISTS trace_del AS SELECT trace_id FROM ${TRACE_ROLLUP} LIMIT 0`);
    await c.run(`INSERT INTO trace_del SELECT DISTINCT trace_id FROM spans WHERE ${where}`, params);
    const r = await c.run(`DELETE FROM spans WHERE ${where}`, params);
    await c.run(`DELETE FROM ${TRACE_ROLLUP} WHERE trace_id IN (SELECT trace_id FROM trace_del)`);
    await c.run(`INSERT INTO ${TRACE_ROLLUP} ${traceSpansSql('trace_id IN (SELECT trace_id FROM trace_del)')}`);
    await c.run('DELETE FROM trace_del');
    for (const l of ROLLUP_LEVELS) {
      await this.remergeErased(c, l);
    }
    return Number(r.rowsChanged);
  }

  /**
   * The rollup rows of the spans matching `where` (about to be deleted), into erased_<table> for
   * remergeErased(), and subtracted as negative rows: counts and sums stay exact, and the counts
   * of sampled-out spans (in the rollups only) stay.
   */
  private async subtract(c: DuckDBConnection, l: RollupLevel, where: string, params: string[]): Promise<void> {
    await c.run(`CREATE TEMP TABLE IF NOT EXISTS erased_${l.table} AS SELECT * FROM ${l.table} LIMIT 0`);
    await c.run(`INSERT INTO erased_${l.table} ${aggregateSpansSql(l.ms, where)}`, params);
    await c.run(
      `INSERT INTO ${l.table} SELECT bucket_ms, ${ROLLUP_DIMS.join(', ')}, is_root,
        ${COUNTS.map((x) => `-${x.col}`).join(', ')},
        ${ROLLUP_VALUES.map((v) => `${sumInto(v.prefix, `-(${v.prefix}_sum::HUGEINT)`)}, -${v.prefix}_n, NULL, NULL`).join(', ')}
      FROM erased_${l.table}`
    );
  }

  /**
   * Negative rows cannot take back a min or a max. Each group with erased spans is merged into
   * one row: counts and sums from its rows; a min (max) that an erased span may have set, i.e.
   * not below (above) the erased spans' own, is taken again from the spans left (that one then
   * misses the extremes of sampled-out spans). A group with nothing left goes.
   */
  private async remergeErased(c: DuckDBConnection, l: RollupLevel): Promise<void> {
    const t = l.table;
    const erased = `erased_${t}`;
    const keys = KEY_COLS;
    const on = (a: string, b: string) => keys.map((k) => `${a}.${k} = ${b}.${k}`).join(' AND ');
    const stored = aggregateSpansSql(l.ms, `(start_ns // ${BigInt(l.ms) * MS_NS}) * ${l.ms} IN (SELECT DISTINCT bucket_ms FROM ${erased})`);
    const extreme = (v: string, fn: 'min' | 'max') =>
      `CASE WHEN g.${v}_${fn} IS NULL OR m.${v}_${fn} ${fn === 'min' ? '<' : '>'} g.${v}_${fn} THEN m.${v}_${fn} ELSE s.${v}_${fn} END`;
    await c.run(`CREATE TEMP TABLE IF NOT EXISTS merged_${t} AS SELECT * FROM ${t} LIMIT 0`);
    await c.run(
      `INSERT INTO merged_${t}
       SELECT ${keys.map((k) => `m.${k}`).join(', ')},
         ${COUNTS.map((x) => `m.${x.col}`).join(', ')},
         ${ROLLUP_VALUES.map((v) => `m.${v.prefix}_sum, m.${v.prefix}_n, ${extreme(v.prefix, 'min')}, ${extreme(v.prefix, 'max')}`).join(', ')}
       FROM (
         SELECT ${keys.map((k) => `r.${k}`).join(', ')},
           ${COUNTS.map((x) => `sum(r.${x.col}) AS ${x.col}`).join(', ')},
           ${ROLLUP_VALUES.map((v) => `${sumInto(v.prefix, `sum(r.${v.prefix}_sum)`)} AS ${v.prefix}_sum, sum(r.${v.prefix}_n) AS ${v.prefix}_n, min(r.${v.prefix}_min) AS ${v.prefix}_min, max(r.${v.prefix}_max) AS ${v.prefix}_max`).join(', ')}
         FROM ${t} r JOIN ${erased} g ON ${on('r', 'g')}
         GROUP BY ${keys.map((k) => `r.${k}`).join(', ')}
       ) m
       JOIN ${erased} g ON ${on('m', 'g')}
       LEFT JOIN (${stored}) s ON ${on('m', 's')}
       WHERE m.n <> 0`
    );
    await c.run(`DELETE FROM ${t} r USING ${erased} g WHERE ${on('r', 'g')}`);
    await c.run(`INSERT INTO ${t} SELECT * FROM merged_${t}`);
    await c.run(`DELETE FROM merged_${t}`);
    await c.run(`DELETE FROM ${erased}`);
  }

  /**
   * Deletes the spans that start before `cutoffNs` and their rollup rows. Rows of buckets wholly
   * before the cutoff go; in the bucket the cutoff cuts, the deleted spans are subtracted as
   * negative rows (as an erasure does), so the spans after the cutoff that trace sampling
   * dropped stay counted. Returns the spans deleted.
   */
  async deleteBefore(c: DuckDBConnection, cutoffNs: bigint): Promise<number> {
    const cut = (l: RollupLevel) => (cutoffNs / (BigInt(l.ms) * MS_NS)) * BigInt(l.ms);
    for (const l of ROLLUP_LEVELS) {
      await this.subtract(c, l, `start_ns >= ${cut(l) * MS_NS} AND start_ns < ${cutoffNs}`, []);
    }
    const r = await c.run(`DELETE FROM spans WHERE start_ns < ${cutoffNs}`);
    for (const l of ROLLUP_LEVELS) {
      await c.run(`DELETE FROM ${l.table} WHERE bucket_ms < ${cut(l)}`);
      await this.remergeErased(c, l);
    }
    await c.run(`CREATE TEMP TABLE IF NOT EXISTS trace_cut AS SELECT trace_id FROM ${TRACE_ROLLUP} LIMIT 0`);
    await c.run(`INSERT INTO trace_cut SELECT DISTINCT trace_id FROM ${TRACE_ROLLUP} WHERE min_start_ns < ${cutoffNs} AND max_start_ns >= ${cutoffNs}`);
    // Traces cut in two are recomputed from their remaining spans (all their partial rows go).
    await c.run(`DELETE FROM ${TRACE_ROLLUP} WHERE min_start_ns < ${cutoffNs} OR trace_id IN (SELECT trace_id FROM trace_cut)`);
    await c.run(`INSERT INTO ${TRACE_ROLLUP} ${traceSpansSql('trace_id IN (SELECT trace_id FROM trace_cut)')}`);
    await c.run('DELETE FROM trace_cut');
    return Number(r.rowsChanged);
  }
}
