// zod schemas of the query REST API: query-string parameters (validated on every request;
// unknown parameters are rejected) and response bodies (what the tests check answers against).
// The OpenAPI document (openapi.ts) is generated from these.
import { z } from 'zod';
import { durationMs, epochMs } from './serviceApi.js';
import {
  AGGREGATIONS,
  BUDGET_PERIODS,
  budgetInputSchema,
  dimensionSchema,
  METRICS,
  SPAN_SCOPES,
  TRACE_SORTS,
  TRACE_STATUSES,
} from '../queryModel.js';

const int = z.coerce.number().int();

const text = z.string().max(4096);

const range = {
  from: epochMs.optional().describe('Range start, epoch ms (default: depends on the resource)'),
  to: epochMs.optional().describe('Range end, epoch ms (default: now)'),
};

/** Comma-separated dimensions (`model,attr.user.tier`). */
const dimensionList = z
  .string()
  .max(1000)
  .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x !== ''))
  .pipe(z.array(dimensionSchema).max(4))
  .describe('Comma-separated dimensions: provider, model, service, operation, span_kind, user, session, agent, tool or attr.<key> (up to 4)');

const searchFields = {
  search: text.optional().describe('Search language, e.g. `service:checkout model:gpt-4o* status:error duration:>2s`'),
  q: text.optional().describe('Alias of search'),
  service: text.optional(),
  serviceName: text.optional().describe('Alias of service'),
  model: text.optional().describe('Model glob (request or response model)'),
  modelId: text.optional().describe('Alias of model'),
  status: z.enum(TRACE_STATUSES).optional(),
  minDurationMs: durationMs.optional(),
  maxDurationMs: durationMs.optional(),
};

export const tracesParams = z
  .object({
    ...range,
    ...searchFields,
    sortBy: z.enum(TRACE_SORTS).optional().describe('time (newest first), duration or cost (largest first)'),
    limit: int.min(1).max(1000).optional().describe('Page size (default 100)'),
    cursor: z.string().max(2000).optional().describe('nextCursor of the previous page; pins the time range and search'),
  })
  .strict();

export const traceStatsParams = z.object({ ...range, ...searchFields }).strict();

export const traceIdParams = z.object({ traceId: z.string().regex(/^[0-9a-fA-F]{32}$/, 'must be 32 hex characters') });

export const metricsParams = z
  .object({
    ...range,
    metric: z.enum(METRICS).optional().describe('Default request_count'),
    aggregation: z.enum(AGGREGATIONS).optional().describe('Default sum'),
    groupBy: dimensionList.optional(),
    filter: text.optional().describe('Span-level search language (every term is evaluated on each span)'),
    spans: z.enum(SPAN_SCOPES).optional().describe('llm (default): model calls; root: trace roots; all: every span'),
    intervalMs: int.positive().max(366 * 86_400_000).optional().describe('Minimum step (default 60000)'),
    maxDataPoints: int.positive().max(100_000).optional().describe('Maximum buckets (default 1000)'),
  })
  .strict();

export const costRangeParams = z.object({ ...range, filter: text.optional() }).strict();
export const costBreakdownParams = costRangeParams
  .extend({
    groupBy: dimensionSchema.optional().describe('Default model'),
    limit: int.min(1).max(1000).optional().describe('Rows (default 50)'),
  })
  .strict();
export const costTimelineParams = costRangeParams
  .extend({
    groupBy: dimensionList.optional(),
    intervalMs: int.positive().max(366 * 86_400_000).optional(),
    maxDataPoints: int.positive().max(100_000).optional(),
  })
  .strict();
export const costForecastParams = z
  .object({
    horizonDays: int.min(1).max(90).optional().describe('Days to forecast from today (default 7)'),
    at: epochMs.optional().describe('Forecast as of this time (default now); history = up to 90 complete days before its UTC day'),
    filter: text.optional(),
  })
  .strict();
export const budgetIdParams = z.object({ id: z.string().min(1).max(128) });
export { budgetInputSchema };

// ---- responses --------------------------------------------------------------------------------

const nullableNum = z.number().nullable();

export const waterfallEntrySchema = z.object({
  spanID: z.string(),
  parentSpanID: z.string(),
  offsetMs: z.number(),
  durationMs: z.number(),
  spanKind: z.string(),
  status: z.enum(['ok', 'error']),
});

export const traceSummarySchema = z.object({
  traceId: z.string(),
  startTime: z.string(),
  startTimeMs: z.number(),
  rootName: z.string(),
  serviceName: z.string(),
  models: z.array(z.string()),
  durationMs: z.number(),
  status: z.enum(['ok', 'error']),
  spanCount: z.number(),
  errorCount: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  totalTokens: z.number(),
  costUsd: nullableNum,
  waterfall: z.array(waterfallEntrySchema),
});

export const tracesResponse = z.object({
  traces: z.array(traceSummarySchema),
  nextCursor: z.string().nullable(),
  from: z.number(),
  to: z.number(),
});

export const traceStatsResponse = z.object({
  from: z.number(),
  to: z.number(),
  traceCount: z.number(),
  errorTraceCount: z.number(),
  errorRate: nullableNum,
  spanCount: z.number(),
  durationMs: z.object({ avg: nullableNum, p50: nullableNum, p90: nullableNum, p95: nullableNum, p99: nullableNum, max: nullableNum }),
  inputTokens: z.number(),
  outputTokens: z.number(),
  costUsd: z.number(),
});

export const traceResponse = z.object({ traceId: z.string(), spans: z.array(z.record(z.string(), z.unknown())) });

export const timelineResponse = z.object({
  traceId: z.string(),
  startTimeMs: z.number(),
  durationMs: z.number(),
  spanCount: z.number(),
  errorCount: z.number(),
  costUsd: nullableNum,
  inputTokens: z.number(),
  outputTokens: z.number(),
  spans: z.array(
    z.object({
      spanId: z.string(),
      parentSpanId: z.string(),
      name: z.string(),
      serviceName: z.string(),
      spanKind: z.string(),
      model: z.string().nullable(),
      depth: z.number(),
      offsetMs: z.number(),
      durationMs: z.number(),
      selfTimeMs: z.number(),
      status: z.enum(['ok', 'error']),
      inputTokens: nullableNum,
      outputTokens: nullableNum,
      costUsd: nullableNum,
    })
  ),
  criticalPath: z.array(z.string()),
});

export const metricsResponse = z.object({
  metric: z.enum(METRICS),
  aggregation: z.enum(AGGREGATIONS),
  unit: z.string(),
  stepMs: z.number(),
  from: z.number(),
  to: z.number(),
  source: z.enum(['rollup', 'raw', 'rollup+raw']),
  groupBy: z.array(z.string()),
  timestamps: z.array(z.number()),
  series: z.array(z.object({ labels: z.record(z.string(), z.string()), values: z.array(nullableNum) })),
  seriesTotal: z.number(),
});

export const costSummaryResponse = z.object({
  from: z.number(),
  to: z.number(),
  totalUsd: z.number(),
  previousUsd: z.number(),
  changeRatio: nullableNum,
  requests: z.number(),
  pricedRequests: z.number(),
  unpricedRequests: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  cachedTokens: z.number(),
  avgCostPerRequestUsd: nullableNum,
  costPer1kTokensUsd: nullableNum,
});

export const costBreakdownResponse = z.object({
  from: z.number(),
  to: z.number(),
  groupBy: z.string(),
  totalUsd: z.number(),
  otherUsd: z.number(),
  groupCount: z.number(),
  rows: z.array(
    z.object({
      key: z.string(),
      costUsd: z.number(),
      share: z.number(),
      requests: z.number(),
      inputTokens: z.number(),
      outputTokens: z.number(),
      avgCostPerRequestUsd: nullableNum,
    })
  ),
});

export const forecastResponse = z.object({
  method: z.string(),
  model: z.enum(['trend+weekday', 'trend', 'mean', 'none']),
  interval: z.number(),
  todaySoFarUsd: z.number(),
  history: z.array(z.object({ dayMs: z.number(), usd: z.number() })),
  forecast: z.array(z.object({ dayMs: z.number(), usd: z.number(), lowerUsd: nullableNum, upperUsd: nullableNum })),
  backtest: z.object({ points: z.number(), coverage: nullableNum, mape: nullableNum, maxHorizonDays: z.number() }),
});

export const budgetResponse = z.object({
  id: z.string(),
  name: z.string(),
  scope: z.object({ dimension: z.string(), value: z.string() }).nullable(),
  period: z.enum(BUDGET_PERIODS),
  amountUsd: z.number(),
  alertThreshold: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
  status: z.object({
    periodStart: z.number(),
    periodEnd: z.number(),
    spentUsd: z.number(),
    usedShare: z.number(),
    projectedUsd: z.number(),
    projectedOverageUsd: z.number(),
    thresholdReached: z.boolean(),
    state: z.enum(['ok', 'warning', 'exceeded']),
    rateWindowDays: z.number(),
  }),
});
export const budgetsResponse = z.object({ budgets: z.array(budgetResponse), projectionMethod: z.string() });

export const errorResponse = z.object({
  error: z.string(),
  offset: z.number().optional().describe('Search errors: 0-based position in the search string'),
  expected: z.array(z.string()).optional().describe('Search errors: what the parser expected there'),
});
