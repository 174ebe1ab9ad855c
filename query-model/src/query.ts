import { z } from 'zod';

/** Version written into every saved query; bump it together with a migration in migrate.ts. */
export const QUERY_MODEL_VERSION = '1';

export const QUERY_TYPES = ['traces', 'trace', 'metrics', 'costs', 'drift', 'alerts'] as const;
export type QueryType = (typeof QUERY_TYPES)[number];

export const TRACE_STATUSES = ['all', 'ok', 'error'] as const;
export const TRACE_SORTS = ['time', 'duration', 'cost'] as const;

export const METRICS = [
  'request_count',
  'error_count',
  'error_rate',
  'latency_ms',
  'tokens_input',
  'tokens_output',
  'tokens_cached',
  'tokens_total',
  'cost_usd',
] as const;
export type MetricName = (typeof METRICS)[number];

export const AGGREGATIONS = ['sum', 'avg', 'count', 'min', 'max', 'p50', 'p90', 'p95', 'p99'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

/** Dimensions that metrics and costs can be grouped or filtered by; `attr.<key>` adds any span attribute. */
export const DIMENSIONS = [
  'provider',
  'model',
  'service',
  'operation',
  'span_kind',
  'user',
  'session',
  'agent',
  'tool',
] as const;
export type Dimension = (typeof DIMENSIONS)[number];
export const dimensionSchema = z.union([
  z.enum(DIMENSIONS),
  z.string().regex(/^attr\.[A-Za-z0-9_.\-/]{1,200}$/, 'must be a known dimension or attr.<attribute key>'),
]);

/**
 * Which spans a metrics query counts: `llm` = model calls (span kinds llm, embedding,
 * reranker), `root` = trace roots (requests into a service), `all` = every span.
 */
export const SPAN_SCOPES = ['llm', 'root', 'all'] as const;
export type SpanScope = (typeof SPAN_SCOPES)[number];

/** `breaches`: when each budget crossed its alert threshold or its amount (annotations). */
export const COST_VIEWS = ['summary', 'breakdown', 'timeline', 'budgets', 'forecast', 'breaches'] as const;
export const BUDGET_PERIODS = ['daily', 'weekly', 'monthly'] as const;
export const DRIFT_TYPES = ['feature', 'prediction', 'embedding', 'concept', 'llm', 'all'] as const;
export const DRIFT_VIEWS = ['scores', 'features', 'distribution'] as const;
export const ALERT_STATES = ['active', 'resolved', 'all'] as const;
export const RESULT_FORMATS = ['time_series', 'table'] as const;

const limit = z.number().int().min(1).max(10_000);
const text = z.string().max(4096);

const base = {
  refId: z.string().min(1).max(128),
  pluginVersion: z.string().max(32).optional(),
  hide: z.boolean().optional(),
};

export const tracesQuerySchema = z.object({
  ...base,
  queryType: z.literal('traces'),
  /** Search language, e.g. `service:checkout model:gpt-4o* status:error duration:>2s`. */
  search: text.default(''),
  serviceName: text.optional(),
  modelId: text.optional(),
  status: z.enum(TRACE_STATUSES).default('all'),
  minDurationMs: z.number().min(0).optional(),
  maxDurationMs: z.number().min(0).optional(),
  sortBy: z.enum(TRACE_SORTS).default('time'),
  limit: limit.default(100),
});

export const traceQuerySchema = z.object({
  ...base,
  queryType: z.literal('trace'),
  traceId: z.string().regex(/^[0-9a-fA-F]{32}$/, 'must be 32 hex characters'),
});

export const metricsQuerySchema = z.object({
  ...base,
  queryType: z.literal('metrics'),
  metric: z.enum(METRICS).default('request_count'),
  aggregation: z.enum(AGGREGATIONS).default('sum'),
  groupBy: z.array(dimensionSchema).max(4).default([]),
  /** Span-level search language, e.g. `service:checkout model:gpt-4o*`. */
  filter: text.default(''),
  spans: z.enum(SPAN_SCOPES).default('llm'),
  format: z.enum(RESULT_FORMATS).default('time_series'),
});

export const costsQuerySchema = z.object({
  ...base,
  queryType: z.literal('costs'),
  view: z.enum(COST_VIEWS).default('summary'),
  groupBy: dimensionSchema.default('model'),
  filter: text.default(''),
  horizonDays: z.number().int().min(1).max(90).default(7),
  /** Rows of the breakdown view (largest cost first). */
  limit: z.number().int().min(1).max(1000).default(50),
  format: z.enum(RESULT_FORMATS).default('time_series'),
  /** budgets and breaches views: only the budget with this id or name (omitted = every budget). */
  budget: text.optional(),
});

/** A cost budget as created or replaced over REST (`/api/v1/costs/budgets`). */
export const budgetInputSchema = z.object({
  name: z.string().min(1).max(200),
  /** Omitted = all spend; else one dimension value (`*` and `?` match any characters). */
  scope: z.object({ dimension: dimensionSchema, value: z.string().min(1).max(1000) }).nullable().default(null),
  period: z.enum(BUDGET_PERIODS),
  /** At least one micro-dollar, the unit spend is counted in (a smaller amount would round to 0). */
  amountUsd: z.number().min(0.000001, 'must be at least 0.000001 (one micro-dollar)').max(1e12),
  /** Share of the amount at which the budget warns (0.8 = at 80 %). */
  alertThreshold: z.number().gt(0).max(10).default(0.8),
});
export type BudgetInput = z.output<typeof budgetInputSchema>;

export const driftQuerySchema = z.object({
  ...base,
  queryType: z.literal('drift'),
  modelId: text.default(''),
  driftType: z.enum(DRIFT_TYPES).default('all'),
  view: z.enum(DRIFT_VIEWS).default('scores'),
  /**
   * scores view: omitted = each drift type's overall score, a name = that feature's series,
   * `*` = every feature's series; distribution view: the feature to show (required).
   */
  feature: text.optional(),
  threshold: z.number().min(0).optional(),
  /** LLM behaviour drift is per model and service; omitted = every service. */
  service: text.optional(),
});

export const alertsQuerySchema = z.object({
  ...base,
  queryType: z.literal('alerts'),
  state: z.enum(ALERT_STATES).default('active'),
  modelId: text.optional(),
  driftType: z.enum(DRIFT_TYPES).optional(),
});

/** Every query the data source can send, discriminated on `queryType`. */
export const pyflareQuerySchema = z.discriminatedUnion('queryType', [
  tracesQuerySchema,
  traceQuerySchema,
  metricsQuerySchema,
  costsQuerySchema,
  driftQuerySchema,
  alertsQuerySchema,
]);

/** A query as stored in a dashboard (defaults may be missing). */
export type PyflareQueryInput = z.input<typeof pyflareQuerySchema>;
/** A query after validation, with every default filled in. */
export type PyflareQuery = z.output<typeof pyflareQuerySchema>;
export type TracesQuery = z.output<typeof tracesQuerySchema>;
export type TraceQuery = z.output<typeof traceQuerySchema>;
export type MetricsQuery = z.output<typeof metricsQuerySchema>;
export type CostsQuery = z.output<typeof costsQuerySchema>;
export type DriftQuery = z.output<typeof driftQuerySchema>;
export type AlertsQuery = z.output<typeof alertsQuerySchema>;

/** The query a new panel starts with. */
export const DEFAULT_QUERY: Omit<TracesQuery, 'refId'> = {
  queryType: 'traces',
  pluginVersion: QUERY_MODEL_VERSION,
  search: '',
  status: 'all',
  sortBy: 'time',
  limit: 100,
};

/** Defaults of each query type, used by the editor when the user switches type. */
export function defaultsFor(queryType: QueryType, refId: string): PyflareQuery {
  const withDefaults = pyflareQuerySchema.safeParse(
    queryType === 'trace' ? { refId, queryType, traceId: '0'.repeat(32) } : { refId, queryType }
  );
  if (!withDefaults.success) {
    throw new Error(`no defaults for query type ${queryType}`);
  }
  const q = { ...withDefaults.data, pluginVersion: QUERY_MODEL_VERSION };
  if (q.queryType === 'trace') {
    q.traceId = '';
  }
  return q;
}

/** Human-readable issues of a failed parse: `field: message`, one per problem. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(query)'}: ${i.message}`);
}
