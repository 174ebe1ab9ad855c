// The shared query model. It is published as TypeScript without "type": "module", so under
// Node's ESM loader (tsx) its named exports are only reachable through the default export;
// in the esbuild bundle they are plain named exports. This shim works in both.
import * as ns from '@pyflare/query-model';

type QueryModel = typeof ns;
/** The query model's exports under either loader (search/parser.ts takes the search language from it). */
export const qm: QueryModel = (Reflect.get(ns, 'default') as QueryModel | undefined) ?? ns;

export const {
  pyflareQuerySchema,
  queryRequestSchema,
  migrateQuery,
  describeIssues,
  tracesQuerySchema,
  metricsQuerySchema,
  costsQuerySchema,
  budgetInputSchema,
  dimensionSchema,
  QUERY_MODEL_VERSION,
  METRICS,
  AGGREGATIONS,
  DIMENSIONS,
  SPAN_SCOPES,
  BUDGET_PERIODS,
  TRACE_SORTS,
  TRACE_STATUSES,
} = qm;
export type {
  FrameFieldType,
  FrameJSON,
  PyflareQuery,
  QueryResultJSON,
  QueryResponseJSON,
  TraceQuery,
  TracesQuery,
  MetricsQuery,
  CostsQuery,
  BudgetInput,
  Dimension,
  MetricName,
  Aggregation,
  SpanScope,
  SavedQuery,
} from '@pyflare/query-model';
