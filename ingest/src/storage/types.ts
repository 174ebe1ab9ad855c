// The storage contract. DuckDB implements it today; a ClickHouse implementation can follow
// behind the same interface, so nothing above this layer writes SQL.

export const SPAN_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
export type SpanKindName = (typeof SPAN_KINDS)[number];

/** The LLM role of a span, in the vocabulary of the trace frame's `spanKind` field. */
export const LLM_SPAN_KINDS = [
  'llm',
  'embedding',
  'tool',
  'agent',
  'retriever',
  'chain',
  'reranker',
  'guardrail',
  'evaluator',
  'workflow',
  'task',
  'span',
] as const;
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

/** A span-level condition; a trace matches when some span of it satisfies the condition. */
export type SpanTerm =
  | { field: 'service' | 'provider' | 'operation' | 'spanKind' | 'agent' | 'tool' | 'user' | 'session'; op: 'eq'; value: string }
  | { field: 'model'; op: 'glob'; value: string }
  | { field: 'name'; op: 'contains'; value: string }
  | { field: 'attr'; key: string; op: 'eq'; value: string };

export interface TraceSearch {
  /** Traces with a span starting in [fromNs, toNs]. */
  fromNs: bigint;
  toNs: bigint;
  /** All must match (each by any span of the trace); `negate` excludes traces with such a span. */
  terms: Array<SpanTerm & { negate?: boolean }>;
  status: 'all' | 'ok' | 'error';
  minDurationNs?: bigint;
  maxDurationNs?: bigint;
  sortBy: 'time' | 'duration' | 'cost';
  limit: number;
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
  getTrace(traceId: string, limit?: number): Promise<SpanRow[]>;
  services(range?: CatalogRange): Promise<string[]>;
  models(range?: CatalogRange): Promise<string[]>;
  attributeKeys(range?: CatalogRange): Promise<string[]>;
  attributeValues(key: string, range?: CatalogRange): Promise<string[]>;

  status(): Promise<StorageStatus>;
  sizeBytes(): Promise<number>;
  /** Deletes spans that started before `cutoffNs`; returns how many. */
  deleteBefore(cutoffNs: bigint): Promise<number>;

  listApiKeys(): Promise<ApiKeyRecord[]>;
  putApiKey(rec: ApiKeyRecord): Promise<void>;
  deleteApiKey(id: string): Promise<boolean>;

  close(): Promise<void>;
}
