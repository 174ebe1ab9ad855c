// Runs data-source queries (POST /api/v1/query): each refId is validated and answered on its
// own, so one bad query never fails its neighbours. The answer is the JSON of the Go SDK's
// backend.QueryDataResponse.
import type { z } from 'zod';
import { budgetBreaches, breachesFrame } from '../costs/breaches.js';
import { listBudgetViews } from '../costs/budgets.js';
import { costBreakdown, costForecast, costSummary, costTimeline } from '../costs/costs.js';
import { runDriftQuery } from '../drift/index.js';
import { budgetsFrame, costBreakdownFrame, costSummaryFrame, forecastFrame } from '../frames/costs.js';
import { metricsFrames } from '../frames/metrics.js';
import { traceFrame } from '../frames/trace.js';
import { traceListFrame } from '../frames/traceList.js';
import type { ServiceMetrics } from '../metrics/registry.js';
import {
  describeIssues,
  migrateQuery,
  pyflareQuerySchema,
  type CostsQuery,
  type FrameJSON,
  type QueryResponseJSON,
  type QueryResultJSON,
  type queryRequestSchema,
  type SavedQuery,
} from '../queryModel.js';
import { SearchError } from '../search/parser.js';
import type { Storage } from '../storage/types.js';
import { QueryError } from './errors.js';
import { runMetrics } from './metrics.js';
import { traceSearchFrom } from './traces.js';

export { traceSearchFrom } from './traces.js';

type QueryRequestBody = z.output<typeof queryRequestSchema>;
type QueryItem = QueryRequestBody['queries'][number];

export interface QueryContext {
  /** UID of the calling Grafana data source, for the data links (header X-Pyflare-Datasource-Uid). */
  datasourceUid?: string;
  /** Clock for budgets (tests). */
  nowMs?: number;
}

/** The costs query's optional `budget` (id or name) selects one budget. */
function matchesBudget(q: CostsQuery, b: { id: string; name: string }): boolean {
  return !q.budget || b.id === q.budget || b.name === q.budget;
}

export class QueryService {
  constructor(
    private readonly storage: Storage,
    private readonly metrics?: ServiceMetrics
  ) {}

  async run(body: QueryRequestBody, ctx: QueryContext = {}): Promise<QueryResponseJSON> {
    const results: Record<string, QueryResultJSON> = {};
    // Queries run one after another: DuckDB reads share one connection anyway.
    for (const item of body.queries) {
      results[item.refId] = await this.runOne(item, ctx);
    }
    return { results };
  }

  private async runOne(item: QueryItem, ctx: QueryContext): Promise<QueryResultJSON> {
    let query;
    try {
      const migrated = migrateQuery({ ...item.query, refId: item.refId } as SavedQuery);
      const parsed = pyflareQuerySchema.safeParse(migrated);
      if (!parsed.success) {
        return { status: 400, error: describeIssues(parsed.error).join('; '), errorSource: 'downstream' };
      }
      query = parsed.data;
    } catch (e) {
      return { status: 400, error: `query: ${(e as Error).message}`, errorSource: 'downstream' };
    }
    if (query.hide) {
      return { status: 200, frames: [] };
    }
    const t0 = process.hrtime.bigint();
    try {
      switch (query.queryType) {
        case 'traces': {
          const traces = await this.storage.searchTraces(traceSearchFrom(query, item.timeRange));
          return { status: 200, frames: [traceListFrame(traces, item.refId, { datasourceUid: ctx.datasourceUid })] };
        }
        case 'trace': {
          const spans = await this.storage.getTrace(query.traceId.toLowerCase());
          return { status: 200, frames: [traceFrame(spans, item.refId)] };
        }
        case 'metrics': {
          const r = await runMetrics(this.storage, {
            metric: query.metric,
            aggregation: query.aggregation,
            groupBy: query.groupBy,
            filter: query.filter,
            spans: query.spans,
            from: item.timeRange.from,
            to: item.timeRange.to,
            intervalMs: item.intervalMs,
            maxDataPoints: item.maxDataPoints,
          });
          return { status: 200, frames: metricsFrames(r, item.refId, { format: query.format }) };
        }
        case 'costs':
          return { status: 200, frames: await this.costs(query, item, ctx) };
        case 'drift':
        case 'alerts':
          return await runDriftQuery(this.storage, query, item);
        default:
          return {
            status: 501,
            error: `queryType "${(query as { queryType: string }).queryType}" is not implemented yet by this PyFlare service`,
            errorSource: 'plugin',
          };
      }
    } catch (e) {
      if (e instanceof SearchError) {
        const field = query.queryType === 'traces' ? 'search' : 'filter';
        return { status: 400, error: `${field}: ${e.message.replace(/^search: /, '')}`, errorSource: 'downstream' };
      }
      if (e instanceof QueryError) {
        return { status: 400, error: e.message, errorSource: 'downstream' };
      }
      return { status: 500, error: `query failed: ${(e as Error).message}`, errorSource: 'plugin' };
    } finally {
      this.metrics?.queryDuration.observe({ query_type: query.queryType }, Number(process.hrtime.bigint() - t0) / 1e9);
    }
  }

  private async costs(q: CostsQuery, item: QueryItem, ctx: QueryContext): Promise<FrameJSON[]> {
    const range = { from: item.timeRange.from, to: item.timeRange.to, filter: q.filter };
    switch (q.view) {
      case 'summary':
        return [costSummaryFrame(await costSummary(this.storage, range), item.refId)];
      case 'breakdown':
        return [costBreakdownFrame(await costBreakdown(this.storage, { ...range, groupBy: q.groupBy, limit: q.limit }), item.refId)];
      case 'timeline': {
        const r = await costTimeline(this.storage, { ...range, groupBy: [q.groupBy], intervalMs: item.intervalMs, maxDataPoints: item.maxDataPoints });
        return metricsFrames(r, item.refId, { format: q.format, valueName: 'costUsd', pyflareFrame: 'cost-timeline' });
      }
      case 'budgets': {
        const views = await listBudgetViews(this.storage, ctx.nowMs ?? Date.now());
        return [budgetsFrame(views.filter((b) => matchesBudget(q, b)), item.refId)];
      }
      case 'breaches': {
        const budgets = (await this.storage.listBudgets()).filter((b) => matchesBudget(q, b));
        const breaches = await budgetBreaches(this.storage, budgets, item.timeRange, ctx.nowMs ?? Date.now());
        return [breachesFrame(breaches, item.refId)];
      }
      case 'forecast':
        return [forecastFrame(await costForecast(this.storage, { anchorMs: item.timeRange.to, horizonDays: q.horizonDays, filter: q.filter }), item.refId)];
    }
  }
}
