// REST resources of the query side: traces (search, stats, by id, timeline), metrics and
// costs (summary, breakdown, timeline, forecast, budgets). Every parameter is validated by
// the zod schemas in api.ts (400 naming the parameter); reads need the read scope, budget
// changes the admin scope.
import type { FastifyInstance } from 'fastify';
import { budgetRecord, budgetView, listBudgetViews, PROJECTION_METHOD } from '../costs/budgets.js';
import { costBreakdown, costForecast, costSummary, costTimeline } from '../costs/costs.js';
import { nsToMs } from '../frames/frame.js';
import { waterfallOf } from '../frames/traceList.js';
import { runMetrics } from '../query/metrics.js';
import { searchTracePage, timelineOf, traceStatsOf, type TraceSearchFields } from '../query/traces.js';
import type { SpanRow, Storage, TraceSummary } from '../storage/types.js';
import { nsToIso } from '../util/json.js';
import * as api from './api.js';
import { HttpError } from './errors.js';
import { openApiDocument } from './openapi.js';
import { parse } from './validate.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface QueryRouteDeps {
  storage: Storage;
  /** Clock (tests). */
  now?: () => number;
  spanJson: (s: SpanRow) => Record<string, unknown>;
}

function rangeOf(q: { from?: number; to?: number }, now: number, defaultSpanMs: number): { from: number; to: number } {
  const to = q.to ?? now;
  const from = q.from ?? to - defaultSpanMs;
  if (!(to > from)) {
    throw new HttpError(400, `to: must be after from (${from})`);
  }
  return { from, to };
}

function searchFieldsOf(q: {
  search?: string;
  q?: string;
  service?: string;
  serviceName?: string;
  model?: string;
  modelId?: string;
  status?: 'all' | 'ok' | 'error';
  minDurationMs?: number;
  maxDurationMs?: number;
}): Omit<TraceSearchFields, 'sortBy' | 'limit'> {
  return {
    search: q.search ?? q.q ?? '',
    serviceName: q.service ?? q.serviceName,
    modelId: q.model ?? q.modelId,
    status: q.status ?? 'all',
    minDurationMs: q.minDurationMs,
    maxDurationMs: q.maxDurationMs,
  };
}

export function traceSummaryJson(t: TraceSummary): Record<string, unknown> {
  return {
    traceId: t.traceId,
    startTime: nsToIso(t.startNs),
    startTimeMs: Number(t.startNs / 1_000_000n),
    rootName: t.rootName,
    serviceName: t.rootService,
    models: t.models,
    durationMs: nsToMs(t.endNs - t.startNs),
    status: t.errorCount > 0 ? 'error' : 'ok',
    spanCount: t.spanCount,
    errorCount: t.errorCount,
    inputTokens: t.inputTokens,
    outputTokens: t.outputTokens,
    totalTokens: t.inputTokens + t.outputTokens,
    costUsd: t.costMicros === null ? null : t.costMicros / 1e6,
    waterfall: waterfallOf(t),
  };
}

export async function registerQueryRoutes(app: FastifyInstance, deps: QueryRouteDeps): Promise<void> {
  const { storage } = deps;
  const now = deps.now ?? Date.now;
  const read = { config: { scope: 'read' as const } };
  const admin = { config: { scope: 'admin' as const } };

  app.get('/api/v1/openapi.json', async () => openApiDocument());

  app.get('/api/v1/traces', read, async (req) => {
    const q = parse(api.tracesParams, req.query, 'query');
    const fields: TraceSearchFields = { ...searchFieldsOf(q), sortBy: q.sortBy ?? 'time', limit: q.limit ?? 100 };
    const page = await searchTracePage(storage, fields, rangeOf(q, now(), HOUR), q.cursor);
    return { traces: page.traces.map(traceSummaryJson), nextCursor: page.nextCursor, from: page.range.from, to: page.range.to };
  });

  app.get('/api/v1/traces/stats', read, async (req) => {
    const q = parse(api.traceStatsParams, req.query, 'query');
    const r = rangeOf(q, now(), HOUR);
    const s = await traceStatsOf(storage, searchFieldsOf(q), r);
    return {
      from: r.from,
      to: r.to,
      traceCount: s.traceCount,
      errorTraceCount: s.errorTraceCount,
      errorRate: s.traceCount ? s.errorTraceCount / s.traceCount : null,
      spanCount: s.spanCount,
      durationMs: s.durationMs,
      inputTokens: s.inputTokens,
      outputTokens: s.outputTokens,
      costUsd: s.costMicros / 1e6,
    };
  });

  const spansOf = async (raw: unknown): Promise<{ traceId: string; spans: SpanRow[] }> => {
    const { traceId } = parse(api.traceIdParams, raw, 'traceId');
    const id = traceId.toLowerCase();
    const spans = await storage.getTrace(id);
    if (spans.length === 0) {
      throw new HttpError(404, `trace ${id} not found`);
    }
    return { traceId: id, spans };
  };

  app.get('/api/v1/traces/:traceId', read, async (req) => {
    const { traceId, spans } = await spansOf(req.params);
    return { traceId, spans: spans.map(deps.spanJson) };
  });

  app.get('/api/v1/traces/:traceId/timeline', read, async (req) => {
    const { traceId, spans } = await spansOf(req.params);
    return timelineOf(traceId, spans);
  });

  app.get('/api/v1/metrics', read, async (req) => {
    const q = parse(api.metricsParams, req.query, 'query');
    const r = rangeOf(q, now(), HOUR);
    return runMetrics(storage, {
      metric: q.metric ?? 'request_count',
      aggregation: q.aggregation ?? 'sum',
      groupBy: q.groupBy ?? [],
      filter: q.filter ?? '',
      spans: q.spans ?? 'llm',
      from: r.from,
      to: r.to,
      intervalMs: q.intervalMs ?? 60_000,
      maxDataPoints: q.maxDataPoints ?? 1000,
    });
  });

  app.get('/api/v1/costs/summary', read, async (req) => {
    const q = parse(api.costRangeParams, req.query, 'query');
    return costSummary(storage, { ...rangeOf(q, now(), 7 * DAY), filter: q.filter ?? '' });
  });

  app.get('/api/v1/costs/breakdown', read, async (req) => {
    const q = parse(api.costBreakdownParams, req.query, 'query');
    return costBreakdown(storage, { ...rangeOf(q, now(), 7 * DAY), filter: q.filter ?? '', groupBy: q.groupBy ?? 'model', limit: q.limit ?? 50 });
  });

  app.get('/api/v1/costs/timeline', read, async (req) => {
    const q = parse(api.costTimelineParams, req.query, 'query');
    return costTimeline(storage, {
      ...rangeOf(q, now(), 7 * DAY),
      filter: q.filter ?? '',
      groupBy: q.groupBy ?? [],
      intervalMs: q.intervalMs ?? 60_000,
      maxDataPoints: q.maxDataPoints ?? 1000,
    });
  });

  app.get('/api/v1/costs/forecast', read, async (req) => {
    const q = parse(api.costForecastParams, req.query, 'query');
    return costForecast(storage, { anchorMs: q.at ?? now(), horizonDays: q.horizonDays ?? 7, filter: q.filter ?? '' });
  });

  app.get('/api/v1/costs/budgets', read, async () => ({
    budgets: await listBudgetViews(storage, now()),
    projectionMethod: PROJECTION_METHOD,
  }));

  const findBudget = async (raw: unknown) => {
    const { id } = parse(api.budgetIdParams, raw, 'id');
    const b = (await storage.listBudgets()).find((x) => x.id === id);
    if (!b) {
      throw new HttpError(404, `budget ${id} not found`);
    }
    return b;
  };

  app.get('/api/v1/costs/budgets/:id', read, async (req) => budgetView(storage, await findBudget(req.params), now()));

  app.post('/api/v1/costs/budgets', admin, async (req, reply) => {
    const input = parse(api.budgetInputSchema, req.body, 'body');
    const rec = budgetRecord(input, undefined, new Date(now()));
    await storage.putBudget(rec);
    return reply.code(201).send(await budgetView(storage, rec, now()));
  });

  app.put('/api/v1/costs/budgets/:id', admin, async (req) => {
    const existing = await findBudget(req.params);
    const input = parse(api.budgetInputSchema, req.body, 'body');
    const rec = budgetRecord(input, existing, new Date(now()));
    await storage.putBudget(rec);
    return budgetView(storage, rec, now());
  });

  app.delete('/api/v1/costs/budgets/:id', admin, async (req, reply) => {
    const b = await findBudget(req.params);
    await storage.deleteBudget(b.id);
    return reply.code(204).send();
  });
}
