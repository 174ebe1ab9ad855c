// Runs data-source queries (POST /api/v1/query): each refId is validated and answered on its
// own, so one bad query never fails its neighbours. The answer is the JSON of the Go SDK's
// backend.QueryDataResponse.
import type { z } from 'zod';
import { traceFrame } from '../frames/trace.js';
import { traceListFrame } from '../frames/traceList.js';
import type { ServiceMetrics } from '../metrics/registry.js';
import {
  describeIssues,
  migrateQuery,
  pyflareQuerySchema,
  type QueryResponseJSON,
  type QueryResultJSON,
  type queryRequestSchema,
  type SavedQuery,
  type TracesQuery,
} from '../queryModel.js';
import type { Storage, TraceSearch } from '../storage/types.js';
import { parseSearch, SearchError } from './search.js';

type QueryRequestBody = z.output<typeof queryRequestSchema>;

const MS = 1_000_000n;

export function traceSearchFrom(q: Omit<TracesQuery, 'refId' | 'queryType'>, range: { from: number; to: number }): TraceSearch {
  const parsed = parseSearch(q.search ?? '');
  const terms: TraceSearch['terms'] = [...parsed.terms];
  if (q.serviceName) {
    terms.push({ field: 'service', op: 'eq', value: q.serviceName });
  }
  if (q.modelId) {
    terms.push({ field: 'model', op: 'glob', value: q.modelId });
  }
  const mins = [q.minDurationMs !== undefined ? BigInt(Math.round(q.minDurationMs * 1000)) * 1000n : undefined, parsed.minDurationNs].filter(
    (x): x is bigint => x !== undefined
  );
  const maxs = [q.maxDurationMs !== undefined ? BigInt(Math.round(q.maxDurationMs * 1000)) * 1000n : undefined, parsed.maxDurationNs].filter(
    (x): x is bigint => x !== undefined
  );
  return {
    fromNs: BigInt(Math.floor(range.from)) * MS,
    toNs: BigInt(Math.floor(range.to)) * MS + (MS - 1n),
    terms,
    status: q.status !== 'all' ? q.status : (parsed.status ?? 'all'),
    minDurationNs: mins.length ? mins.reduce((a, b) => (a > b ? a : b)) : undefined,
    maxDurationNs: maxs.length ? maxs.reduce((a, b) => (a < b ? a : b)) : undefined,
    sortBy: q.sortBy,
    limit: q.limit,
  };
}

export interface QueryContext {
  /** UID of the calling Grafana data source, for the data links (header X-Pyflare-Datasource-Uid). */
  datasourceUid?: string;
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

  private async runOne(item: QueryRequestBody['queries'][number], ctx: QueryContext): Promise<QueryResultJSON> {
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
          const search = traceSearchFrom(query, item.timeRange);
          const traces = await this.storage.searchTraces(search);
          return { status: 200, frames: [traceListFrame(traces, item.refId, { datasourceUid: ctx.datasourceUid })] };
        }
        case 'trace': {
          const spans = await this.storage.getTrace(query.traceId.toLowerCase());
          return { status: 200, frames: [traceFrame(spans, item.refId)] };
        }
        default:
          return {
            status: 501,
            error: `queryType "${query.queryType}" is not implemented yet by this PyFlare service`,
            errorSource: 'plugin',
          };
      }
    } catch (e) {
      if (e instanceof SearchError) {
        return { status: 400, error: e.message, errorSource: 'downstream' };
      }
      return { status: 500, error: `query failed: ${(e as Error).message}`, errorSource: 'plugin' };
    } finally {
      this.metrics?.queryDuration.observe({ query_type: query.queryType }, Number(process.hrtime.bigint() - t0) / 1e9);
    }
  }
}
