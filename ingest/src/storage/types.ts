// The storage contract. DuckDB implements it today; a ClickHouse implementation can follow
// behind the same interface, so nothing above this layer writes SQL.
import { SEARCH_SPAN_KINDS, type SearchExpr } from '../search/parser.js';
import { plainConstructor } from '../util/plainConstructor.js';

export const SPAN_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
export type SpanKindName = (typeof SPAN_KINDS)[number];

/**
 * The LLM role of a span, in the vocabulary of the trace frame's `spanKind` field. The query
 * model owns the list (the editor and `kind:` searches accept exactly these), storage validates
 * rows against the same one.
 */
export const LLM_SPAN_KINDS = SEARCH_SPAN_KINDS;
export type LlmSpanKind = (typeof LLM_SPAN_KINDS)[number];

export type CostSource = 'provided' | 'computed' | 'unknown';

/** One normalized span: the row written to storage and read back. */
export interface SpanRow {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  traceState: string;
  name: string;
  kind: SpanKindName;
  service: string;
  scopeName: string;
  scopeVersion: string;
  /** Nanoseconds since the epoch; bigint because 64-bit values do not fit a JS number. */
  startNs: bigint;
  endNs: bigint;
  durationNs: bigint;
  statusCode: 0 | 1 | 2;
  statusMessage: string;
  spanKind: LlmSpanKind;
  provider: string | null;
  requestModel: string | null;
  responseModel: string | null;
  operation: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens: number | null;
  cacheWriteTokens: number | null;
  reasoningTokens: number | null;
  /** Integer micro-dollars. */
  costMicros: number | null;
  /** null for spans with no LLM usage at all (nothing to price). */
  costSource: CostSource | null;
  priceKey: string | null;
  sessionId: string | null;
  userId: string | null;
  agentName: string | null;
  toolName: string | null;
  finishReasons: string[];
  inputContent: string | null;
  outputContent: string | null;
  /**
   * Set by normalization when the content is, verbatim, the string value of this attribute (in
   * `attributes` too): the embedded storage then keeps the text once, in the attributes, and a
   * reference in the content column. Absent on rows read back from storage.
   */
  inputContentKey?: string | null;
  outputContentKey?: string | null;
  /** JSON object text: flat attribute keys -> JSON values. */
  attributes: string;
  resourceAttributes: string;
  /** JSON array text: [{timeNs (string), name, attributes}]. */
  events: string;
  /** JSON array text: [{traceId, spanId, traceState, attributes}]. */
  links: string;
  /** Some value was cut to fit the limits (see the attribute pyflare.truncated). */
  truncated: boolean;
}

/**
 * A trace search. `where` is the search language's AST (src/search/parser.ts): span-level
 * terms hold when any span of the trace matches; status/duration/cost/tokens are trace totals.
 */
export interface TraceSearch {
  /** Traces with a span starting in [fromNs, toNs]. */
  fromNs: bigint;
  toNs: bigint;
  where: SearchExpr | null;
  sortBy: 'time' | 'duration' | 'cost';
  limit: number;
  /** Keyset position: only traces after this one in the sort order (from a cursor). */
  after?: { key: bigint; traceId: string };
}

/** The sort key of a trace summary (start, extent or cost micros; no cost sorts as -1). */
export function traceSortKey(t: TraceSummary, sortBy: TraceSearch['sortBy']): bigint {
  return sortBy === 'time' ? t.startNs : sortBy === 'duration' ? t.endNs - t.startNs : BigInt(t.costMicros ?? -1);
}

export interface TraceStats {
  traceCount: number;
  errorTraceCount: number;
  spanCount: number;
  /** Trace extents in ms; null when no trace matched. quantile_cont (linear interpolation). */
  durationMs: { avg: number | null; p50: number | null; p90: number | null; p95: number | null; p99: number | null; max: number | null };
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
}

/** Measures of the aggregate engine; `dur` etc. name the rollup values (rollups.ts). */
export type CountMetric = 'requests' | 'errors' | 'error_rate' | 'usage' | 'unpriced';
export type ValueMetric = 'dur' | 'in' | 'out' | 'cached' | 'total' | 'cost';
export type AggFn = 'sum' | 'avg' | 'count' | 'min' | 'max' | { quantile: number };
export type Measure = { metric: CountMetric } | { metric: ValueMetric; fn: AggFn };
export type SpanScopeName = 'llm' | 'root' | 'all';

/**
 * Aggregates spans in [fromNs, toNs) by time bucket (stepMs, buckets aligned to multiples of
 * the step since the epoch) and dimensions. Values are in base units (ns, tokens, micros).
 */
export interface AggregateQuery {
  fromNs: bigint;
  toNs: bigint;
  /** Absent: one row per group over the whole range. */
  stepMs?: number;
  /** Dimension names (query-model DIMENSIONS) or `attr.<key>`. */
  groupBy: string[];
  /** Span-level filter (every term evaluated on the span itself). */
  filter: SearchExpr | null;
  spans: SpanScopeName;
  measures: Measure[];
  /** Keep only this many groups: the largest by `rankBy` (a measure index) or by span count. */
  maxGroups?: number;
  rankBy?: number;
}

export interface AggregateRow {
  bucketMs: number | null;
  labels: string[];
  /** Per measure: a number, or null (no value: avg/min/max/quantile of nothing, rate of 0 requests). */
  values: Array<number | null>;
}

export interface AggregateResult {
  rows: AggregateRow[];
  /** Where the numbers came from: the per-minute rollup, raw spans, or both (raw at the range edges). */
  source: 'rollup' | 'raw' | 'rollup+raw';
  /** Groups before maxGroups was applied. */
  groupCount: number;
}

export type BudgetPeriod = 'daily' | 'weekly' | 'monthly';

export interface BudgetRecord {
  id: string;
  name: string;
  /** null = all spend. */
  scope: { dimension: string; value: string } | null;
  period: BudgetPeriod;
  amountMicros: bigint;
  alertThreshold: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface WaterfallSpan {
  spanId: string;
  parentSpanId: string;
  startNs: bigint;
  durationNs: bigint;
  spanKind: string;
  statusCode: number;
}

export interface TraceSummary {
  traceId: string;
  startNs: bigint;
  endNs: bigint;
  rootName: string;
  rootService: string;
  models: string[];
  spanCount: number;
  errorCount: number;
  inputTokens: number;
  outputTokens: number;
  /** null when no span of the trace has a cost. */
  costMicros: number | null;
  /** The first spans by start time (at most 50). */
  waterfall: WaterfallSpan[];
}

export interface StorageStatus {
  spanCount: number;
  lastSpanNs: bigint | null;
}

export type Scope = 'ingest' | 'read' | 'admin';
export const SCOPES: readonly Scope[] = ['ingest', 'read', 'admin'];

export interface ApiKeyRecord {
  id: string;
  name: string;
  /** Hex sha256 of the key; the key itself is never stored. */
  keyHash: string;
  scopes: Scope[];
  createdAt: Date;
}

export interface SpanDeleteFilter {
  userId?: string;
  sessionId?: string;
}

export interface CatalogRange {
  fromNs?: bigint;
  toNs?: bigint;
}

export interface Storage {
  readonly kind: string;

  /** Highest WAL batch sequence already applied (0n when none). */
  appliedSeq(): Promise<bigint>;
  /** Appends the rows and records `seq` as applied, atomically: a replayed batch is skipped by seq. */
  applyBatch(rows: readonly SpanRow[], seq: bigint): Promise<void>;
  /** Makes everything applied so far durable in the main database file. */
  checkpoint(): Promise<void>;

  searchTraces(q: TraceSearch): Promise<TraceSummary[]>;
  traceStats(q: Omit<TraceSearch, 'limit' | 'sortBy' | 'after'>): Promise<TraceStats>;
  aggregate(q: AggregateQuery): Promise<AggregateResult>;
  listBudgets(): Promise<BudgetRecord[]>;
  putBudget(b: BudgetRecord): Promise<void>;
  deleteBudget(id: string): Promise<boolean>;
  getTrace(traceId: string, limit?: number): Promise<SpanRow[]>;
  services(range?: CatalogRange): Promise<string[]>;
  models(range?: CatalogRange): Promise<string[]>;
  attributeKeys(range?: CatalogRange): Promise<string[]>;
  attributeValues(key: string, range?: CatalogRange): Promise<string[]>;

  status(): Promise<StorageStatus>;
  sizeBytes(): Promise<number>;
  /** Memory the embedded engine holds (buffer manager), for /metrics; absent for a remote one. */
  memoryBytes?(): Promise<number>;
  /** The engine's memory limit now, when the service sets it (it follows the data: memoryFit.ts). */
  memoryLimitBytes?(): number | null;
  /** Deletes spans that started before `cutoffNs`; returns how many. */
  deleteBefore(cutoffNs: bigint): Promise<number>;
  /**
   * Erasure (GDPR): deletes every span whose user_id equals `userId` OR whose session_id equals
   * `sessionId` (at least one given), correcting the rollups; returns how many spans went.
   */
  deleteSpans(filter: SpanDeleteFilter): Promise<number>;

  listApiKeys(): Promise<ApiKeyRecord[]>;
  putApiKey(rec: ApiKeyRecord): Promise<void>;
  deleteApiKey(id: string): Promise<boolean>;

  close(): Promise<void>;
}

/**
 * The last epoch millisecond (a whole one, in 2262) that 64-bit nanosecond times hold. Time
 * bounds beyond it are refused: ClickHouse would wrap them and DuckDB overflow.
 */
export const MAX_EPOCH_MS = 9_223_372_036_853;
/** Largest value of the 64-bit columns. */
export const INT64_MAX = 9_223_372_036_854_775_807n;

// Held rows are copied from a constructor, not an object literal: see util/plainConstructor.ts.
const RowObj = plainConstructor<new (r: Readonly<SpanRow>) => SpanRow>(function (this: SpanRow, r: Readonly<SpanRow>) {
  this.traceId = r.traceId;
  this.spanId = r.spanId;
  this.parentSpanId = r.parentSpanId;
  this.traceState = r.traceState;
  this.name = r.name;
  this.kind = r.kind;
  this.service = r.service;
  this.scopeName = r.scopeName;
  this.scopeVersion = r.scopeVersion;
  this.startNs = r.startNs;
  this.endNs = r.endNs;
  this.durationNs = r.durationNs;
  this.statusCode = r.statusCode;
  this.statusMessage = r.statusMessage;
  this.spanKind = r.spanKind;
  this.provider = r.provider;
  this.requestModel = r.requestModel;
  this.responseModel = r.responseModel;
  this.operation = r.operation;
  this.inputTokens = r.inputTokens;
  this.outputTokens = r.outputTokens;
  this.cacheReadTokens = r.cacheReadTokens;
  this.cacheWriteTokens = r.cacheWriteTokens;
  this.reasoningTokens = r.reasoningTokens;
  this.costMicros = r.costMicros;
  this.costSource = r.costSource;
  this.priceKey = r.priceKey;
  this.sessionId = r.sessionId;
  this.userId = r.userId;
  this.agentName = r.agentName;
  this.toolName = r.toolName;
  this.finishReasons = r.finishReasons;
  this.inputContent = r.inputContent;
  this.outputContent = r.outputContent;
  this.inputContentKey = r.inputContentKey ?? null;
  this.outputContentKey = r.outputContentKey ?? null;
  this.attributes = r.attributes;
  this.resourceAttributes = r.resourceAttributes;
  this.events = r.events;
  this.links = r.links;
  this.truncated = r.truncated;
});

/** A row that outlives the sink call. */
export function copyRow(r: Readonly<SpanRow>): SpanRow {
  return new RowObj(r);
}
