// The OpenAPI 3.1 document of the query API, generated from the zod schemas that validate the
// requests (api.ts, the query model) and describe the answers. Served at /api/v1/openapi.json.
import { z } from 'zod';
import { pyflareQuerySchema, queryRequestSchema } from '../queryModel.js';
import { SERVICE_VERSION } from './version.js';
import * as api from './api.js';

type Json = Record<string, unknown>;

function schemaOf(s: z.ZodType, io: 'input' | 'output'): Json {
  const out = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Json;
  delete out.$schema;
  return out;
}

function queryParameters(obj: z.ZodObject): Json[] {
  return Object.entries(obj.shape).map(([name, field]) => {
    const f = field as z.ZodType;
    const schema = schemaOf(f, 'input');
    const description = typeof schema.description === 'string' ? schema.description : undefined;
    delete schema.description;
    return { name, in: 'query', required: !f.safeParse(undefined).success, schema, ...(description ? { description } : {}) };
  });
}

const pathParam = (name: string, schema: Json) => ({ name, in: 'path', required: true, schema });
const TRACE_ID = pathParam('traceId', { type: 'string', pattern: '^[0-9a-fA-F]{32}$' });
const BUDGET_ID = pathParam('id', { type: 'string' });

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const ERRORS = {
  '400': json(ref('Error'), 'A parameter is invalid; the message starts with its name'),
  '401': json(ref('Error'), 'Missing or unknown API key'),
  '403': json(ref('Error'), 'The key lacks the needed scope'),
};

function get(summary: string, params: Json[], response: string, extra: Json = {}): Json {
  return { get: { summary, parameters: params, responses: { '200': json(ref(response)), ...ERRORS, ...extra } } };
}

let cached: Json | undefined;

export function openApiDocument(): Json {
  if (cached) {
    return cached;
  }
  const schemas: Record<string, Json> = {
    Error: schemaOf(api.errorResponse, 'output'),
    TracesPage: schemaOf(api.tracesResponse, 'output'),
    TraceStats: schemaOf(api.traceStatsResponse, 'output'),
    Trace: schemaOf(api.traceResponse, 'output'),
    TraceTimeline: schemaOf(api.timelineResponse, 'output'),
    Metrics: schemaOf(api.metricsResponse, 'output'),
    CostSummary: schemaOf(api.costSummaryResponse, 'output'),
    CostBreakdown: schemaOf(api.costBreakdownResponse, 'output'),
    CostForecast: schemaOf(api.forecastResponse, 'output'),
    Budget: schemaOf(api.budgetResponse, 'output'),
    Budgets: schemaOf(api.budgetsResponse, 'output'),
    BudgetInput: schemaOf(api.budgetInputSchema, 'input'),
    QueryRequest: schemaOf(queryRequestSchema, 'input'),
    PyflareQuery: schemaOf(pyflareQuerySchema, 'input'),
  };
  const notFound = { '404': json(ref('Error'), 'No such trace or budget') };
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'PyFlare query API',
      version: SERVICE_VERSION,
      description:
        'Traces, metrics and costs of LLM applications. Money is stored as integer micro-dollars and shown as USD. ' +
        'Search language: `service:checkout model:gpt-4o* status:error duration:>2s cost:>0.01 tokens:>=1000 kind:llm attr.user.tier=gold "free text"` ' +
        'with AND, OR, NOT/-, parentheses; adjacent terms are ANDed. In trace searches span-level terms match when any span of the trace matches and ' +
        'status/duration/cost/tokens are trace totals; in metrics and cost filters every term is evaluated on each span.',
    },
    security: [{ bearer: [] }, { apiKey: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
      },
      schemas,
    },
    paths: {
      '/api/v1/openapi.json': { get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1' } } } },
      '/api/v1/query': {
        post: {
          summary: 'Grafana data-source queries (the Go backend forwards QueryDataRequest); answers backend.QueryDataResponse JSON with data frames',
          requestBody: { required: true, content: { 'application/json': { schema: ref('QueryRequest') } } },
          responses: { '200': { description: 'Per-refId results: {results:{A:{status,frames|error}}}' }, ...ERRORS },
        },
      },
      '/api/v1/traces': get('Search traces (newest first by default), paginated by cursor', queryParameters(api.tracesParams), 'TracesPage'),
      '/api/v1/traces/stats': get('Statistics of the traces a search matches', queryParameters(api.traceStatsParams), 'TraceStats'),
      '/api/v1/traces/{traceId}': get('All spans of one trace', [TRACE_ID], 'Trace', notFound),
      '/api/v1/traces/{traceId}/timeline': get('Span tree of one trace with offsets, self time and critical path', [TRACE_ID], 'TraceTimeline', notFound),
      '/api/v1/metrics': get(
        'Time series of requests, errors, error rate, latency, tokens or cost by step and dimensions',
        queryParameters(api.metricsParams),
        'Metrics'
      ),
      '/api/v1/costs/summary': get('Total cost of a range with the previous period for comparison', queryParameters(api.costRangeParams), 'CostSummary'),
      '/api/v1/costs/breakdown': get('Cost by one dimension, largest first', queryParameters(api.costBreakdownParams), 'CostBreakdown'),
      '/api/v1/costs/timeline': get('Cost per step (optionally by dimensions)', queryParameters(api.costTimelineParams), 'Metrics'),
      '/api/v1/costs/forecast': get('Daily cost forecast with a prediction interval and its backtested coverage', queryParameters(api.costForecastParams), 'CostForecast'),
      '/api/v1/costs/budgets': {
        ...get('Budgets with spend, projection and state', [], 'Budgets'),
        post: {
          summary: 'Create a budget (admin scope)',
          requestBody: { required: true, content: { 'application/json': { schema: ref('BudgetInput') } } },
          responses: { '201': json(ref('Budget'), 'Created'), ...ERRORS },
        },
      },
      '/api/v1/costs/budgets/{id}': {
        ...get('One budget', [BUDGET_ID], 'Budget', notFound),
        put: {
          summary: 'Replace a budget (admin scope)',
          parameters: [BUDGET_ID],
          requestBody: { required: true, content: { 'application/json': { schema: ref('BudgetInput') } } },
          responses: { '200': json(ref('Budget')), ...ERRORS, ...notFound },
        },
        delete: { summary: 'Delete a budget (admin scope)', parameters: [BUDGET_ID], responses: { '204': { description: 'Deleted' }, ...ERRORS, ...notFound } },
      },
    },
  };
  return cached;
}
