// The OpenAPI 3.1 document of every REST route of PYFLARE_HTTP_PORT, generated from the zod
// schemas that validate the requests (api.ts, serviceApi.ts, drift/rest.ts, the query model) and
// describe the answers. Served at /api/v1/openapi.json; openapi.test.ts checks that every
// registered /api/v1 route is in it.
import { z } from 'zod';
import { pyflareQuerySchema, queryRequestSchema } from '../queryModel.js';
import { SERVICE_VERSION } from './version.js';
import { modelConfigSchema, referenceSchema } from '../drift/config.js';
import { inferenceRecordSchema, labelRecordSchema, referenceRecordSchema } from '../drift/records.js';
import * as drift from '../drift/rest.js';
import * as api from './api.js';
import * as svc from './serviceApi.js';

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

/** Path parameters from the zod object that validates them. */
function pathParameters(obj: z.ZodObject, description?: string): Json[] {
  return Object.entries(obj.shape).map(([name, field]) => {
    const schema = schemaOf(field as z.ZodType, 'input');
    return { name, in: 'path', required: true, schema, ...(description ? { description } : {}) };
  });
}
const TRACE_ID = pathParameters(api.traceIdParams, '32 hex characters')[0]!;
const BUDGET_ID = pathParameters(api.budgetIdParams, 'Budget id')[0]!;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const ERRORS = {
  '400': json(ref('Error'), 'A parameter or body field is invalid; the message starts with its name (`limit: must be <= 1000`, `foo: unknown parameter`)'),
  '401': json(ref('Error'), 'Missing or unknown API key'),
  '403': json(ref('Error'), 'The key lacks the needed scope'),
};

function get(summary: string, params: Json[], response: string, extra: Json = {}): Json {
  return { get: { summary, parameters: params, responses: { '200': json(ref(response)), ...ERRORS, ...extra } } };
}

const jsonBody = (schema: Json, description?: string) => ({
  required: true,
  ...(description ? { description } : {}),
  content: { 'application/json': { schema } },
});
const NO_KEY = { security: [] };
const notFoundOf = (what: string) => ({ '404': json(ref('Error'), `No such ${what}`) });
const overloaded = { '503': json(ref('Error'), 'Storage unavailable or shutting down; retry after Retry-After') };
const tooLarge = { '413': json(ref('Error'), 'Body over the size cap (PYFLARE_DRIFT_MAX_BODY_BYTES), also after decompression') };
const badMedia = { '415': json(ref('Error'), 'Unsupported Content-Encoding') };
/** Bodies of the inference and reference routes: JSON array, one object, or NDJSON; gzip/deflate allowed. */
function recordsBody(record: string, description: string): Json {
  return {
    required: true,
    description: `${description} Content-Encoding gzip, deflate or none.`,
    content: {
      'application/json': { schema: { oneOf: [{ type: 'array', items: ref(record) }, ref(record)] } },
      'application/x-ndjson': { schema: { type: 'string', description: `One ${record} JSON object per line` } },
    },
  };
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
    Health: schemaOf(svc.healthResponse, 'output'),
    Readiness: schemaOf(svc.readyResponse, 'output'),
    Status: schemaOf(svc.statusResponse, 'output'),
    CatalogValues: schemaOf(svc.catalogValuesResponse, 'output'),
    ApiKeys: schemaOf(svc.keysResponse, 'output'),
    ApiKeyInput: schemaOf(svc.createKeyBody, 'input'),
    CreatedApiKey: schemaOf(svc.createdKeyResponse, 'output'),
    DeletionInput: schemaOf(svc.deletionBody, 'input'),
    Deletion: schemaOf(svc.deletionRecord, 'output'),
    Deletions: schemaOf(svc.deletionsResponse, 'output'),
    InferenceRecord: schemaOf(inferenceRecordSchema, 'input'),
    InferenceIntake: schemaOf(svc.inferenceIntakeResponse, 'output'),
    LabelRecord: schemaOf(labelRecordSchema, 'input'),
    LabelIntake: schemaOf(svc.labelsResponse, 'output'),
    ReferenceRecord: schemaOf(referenceRecordSchema, 'input'),
    DriftModels: schemaOf(svc.driftModelsResponse, 'output'),
    DriftModel: schemaOf(svc.driftModelResponse, 'output'),
    DriftSettingsInput: schemaOf(modelConfigSchema, 'input'),
    DriftSettings: schemaOf(svc.driftSettingsResponse, 'output'),
    DriftTimeline: schemaOf(svc.driftTimelineResponse, 'output'),
    DriftHeatmap: schemaOf(svc.driftHeatmapResponse, 'output'),
    DriftReference: schemaOf(svc.driftReferenceResponse, 'output'),
    ReferenceWindowInput: schemaOf(z.intersection(drift.windowBody.pick({ modelId: true }), referenceSchema), 'input'),
    ReferenceDatasetInput: schemaOf(drift.datasetBody, 'input'),
    ReferenceWindow: schemaOf(svc.referenceWindowResponse, 'output'),
    ReferenceDataset: schemaOf(svc.referenceDatasetResponse, 'output'),
    ReferenceRejected: schemaOf(svc.referenceRejectedResponse, 'output'),
    DriftAlerts: schemaOf(svc.alertsResponse, 'output'),
    DriftAlert: schemaOf(svc.alertResponse, 'output'),
    DriftAlertConflict: schemaOf(svc.alertConflictResponse, 'output'),
    DriftEvaluation: schemaOf(svc.evaluateResponse, 'output'),
  };
  const notFound = { '404': json(ref('Error'), 'No such trace or budget') };
  const catalog = (summary: string, params: z.ZodObject = svc.catalogRangeParams) =>
    get(`${summary} (read scope)`, queryParameters(params), 'CatalogValues');
  const MODEL_ID = pathParameters(drift.modelParam, 'Model id (pyflare.model.id)');
  const ALERT_ID = pathParameters(drift.modelParam, 'Alert id');
  const KEY_ID = pathParameters(svc.keyIdParams, 'Key id');
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'PyFlare API',
      version: SERVICE_VERSION,
      description:
        'Traces, metrics and costs of LLM applications, inference records and drift, API keys and erasure requests: every REST route of ' +
        'PYFLARE_HTTP_PORT (OTLP intake is on its own ports). Money is stored as integer micro-dollars and shown as USD. ' +
        'Scopes: `read` for every GET and POST /api/v1/query, `ingest` for the inference intake, `admin` for keys, budget changes, drift ' +
        'settings, references, alert resolution, evaluation and erasure. A 400 names the bad parameter or body field first ' +
        '(`limit: must be <= 1000`, `foo: unknown parameter`); unknown query parameters of the query and catalog resources are rejected. ' +
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
      '/healthz': {
        get: {
          summary: 'Liveness: 200 while the process serves HTTP; 503 when storage refuses all work until a restart (the WAL is replayed then)',
          ...NO_KEY,
          responses: { '200': json(ref('Health')), '503': json(ref('Health'), 'Needs a restart') },
        },
      },
      '/readyz': {
        get: {
          summary:
            'Readiness: 200 once every listener is up (WAL replayed, storage open); 503 before, while shutting down, and while writes to storage keep failing (3 in a row)',
          ...NO_KEY,
          responses: { '200': json(ref('Readiness')), '503': json(ref('Readiness'), 'Not ready') },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          ...NO_KEY,
          responses: { '200': { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } } },
        },
      },
      '/api/v1/openapi.json': { get: { summary: 'This document', ...NO_KEY, responses: { '200': { description: 'OpenAPI 3.1' } } } },
      '/api/v1/status': get('Version, storage, scopes and span count (read scope)', [], 'Status'),
      '/api/v1/query': {
        post: {
          summary: 'Grafana data-source queries (the Go backend forwards QueryDataRequest); answers backend.QueryDataResponse JSON with data frames',
          parameters: [
            {
              name: 'X-Pyflare-Datasource-Uid',
              in: 'header',
              required: false,
              schema: { type: 'string' },
              description: 'Data source uid for the "Open trace" links of trace lists',
            },
          ],
          requestBody: jsonBody(ref('QueryRequest')),
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
          requestBody: jsonBody(ref('BudgetInput')),
          responses: { '201': json(ref('Budget'), 'Created'), ...ERRORS },
        },
      },
      '/api/v1/costs/budgets/{id}': {
        ...get('One budget', [BUDGET_ID], 'Budget', notFound),
        put: {
          summary: 'Replace a budget (admin scope)',
          parameters: [BUDGET_ID],
          requestBody: jsonBody(ref('BudgetInput')),
          responses: { '200': json(ref('Budget')), ...ERRORS, ...notFound },
        },
        delete: { summary: 'Delete a budget (admin scope)', parameters: [BUDGET_ID], responses: { '204': { description: 'Deleted' }, ...ERRORS, ...notFound } },
      },
      '/api/v1/catalog/services': catalog('Service names seen in the range'),
      '/api/v1/catalog/models': catalog('Model names (request and response models) seen in the range'),
      '/api/v1/catalog/attribute-keys': catalog('Span attribute keys seen in the range'),
      '/api/v1/catalog/attribute-values': catalog('Values of one span attribute seen in the range', svc.attributeValuesParams),
      '/api/v1/keys': {
        get: { summary: 'API keys, without secrets or hashes (admin scope)', responses: { '200': json(ref('ApiKeys')), ...ERRORS } },
        post: {
          summary: 'Create an API key (admin scope); the key is shown only in this answer and stored as a SHA-256 hash',
          requestBody: jsonBody(ref('ApiKeyInput')),
          responses: { '201': json(ref('CreatedApiKey'), 'Created'), ...ERRORS },
        },
      },
      '/api/v1/keys/{id}': {
        delete: {
          summary: 'Delete an API key (admin scope); the id `bootstrap` (PYFLARE_API_KEY) cannot be deleted (400)',
          parameters: KEY_ID,
          responses: { '204': { description: 'Deleted' }, ...ERRORS, ...notFoundOf('key') },
        },
      },
      '/api/v1/admin/deletions': {
        get: { summary: 'Audit records of erasure requests, newest first (admin scope)', responses: { '200': json(ref('Deletions')), ...ERRORS } },
        post: {
          summary: 'Erase every span of a user id and/or session id, correct the rollups and record an audit entry (admin scope)',
          requestBody: jsonBody(ref('DeletionInput'), 'userId or sessionId at least'),
          responses: { '200': json(ref('Deletion'), 'Erased; the audit record'), ...ERRORS },
        },
      },
      '/api/v1/inferences': {
        post: {
          summary: 'Store inference records for drift detection (ingest scope); up to 100,000 records per request. Records whose id is already stored count as duplicates',
          requestBody: recordsBody('InferenceRecord', 'A JSON array of records, one record, or NDJSON.'),
          responses: {
            '200': json(ref('InferenceIntake'), 'Every record was stored (or was a duplicate)'),
            '207': json(ref('InferenceIntake'), 'Partial success: the valid records were stored; `errors` name the rejected ones by index and field'),
            ...ERRORS,
            ...tooLarge,
            ...badMedia,
            ...overloaded,
          },
        },
      },
      '/api/v1/inferences/labels': {
        post: {
          summary: 'Ground-truth labels for stored inference records, by id (ingest scope), for concept drift',
          requestBody: recordsBody('LabelRecord', 'A JSON array of {id, label}, one, or NDJSON.'),
          responses: {
            '200': json(ref('LabelIntake'), 'Every label was stored'),
            '207': json(ref('LabelIntake'), 'Partial success: invalid labels and unknown ids are listed in `errors`'),
            ...ERRORS,
            ...tooLarge,
            ...badMedia,
            ...overloaded,
          },
        },
      },
      '/api/v1/drift/models': get('Models with inference records or settings (read scope)', [], 'DriftModels'),
      '/api/v1/drift/models/{id}': {
        ...get('Settings, record counts, latest scores and active alerts of one model (read scope)', MODEL_ID, 'DriftModel', notFoundOf('drift data or settings')),
        put: {
          summary: 'Replace the drift settings of a model (admin scope)',
          parameters: MODEL_ID,
          requestBody: jsonBody(ref('DriftSettingsInput')),
          responses: { '200': json(ref('DriftSettings')), ...ERRORS },
        },
      },
      '/api/v1/drift/timeline': get('Drift scores per bucket and series (read scope); default range: the last 7 days', queryParameters(drift.timelineQuery), 'DriftTimeline'),
      '/api/v1/drift/heatmap': get('Feature x bucket drift scores of one model (read scope)', queryParameters(drift.heatmapQuery), 'DriftHeatmap'),
      '/api/v1/drift/reference': {
        ...get(
          'The reference of a model (read scope)',
          queryParameters(drift.referenceQuery.pick({ modelId: true }).extend({ modelId: z.string().min(1).max(200) })),
          'DriftReference'
        ),
        post: {
          summary:
            'Set the reference of a model (admin scope): a fixed or rolling window (JSON {modelId, type}), or a dataset upload ' +
            '(JSON {modelId, type: "dataset", records}, or records as a JSON array, NDJSON or CSV with ?modelId=)',
          parameters: queryParameters(drift.referenceQuery),
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: { oneOf: [ref('ReferenceWindowInput'), ref('ReferenceDatasetInput'), { type: 'array', items: ref('ReferenceRecord') }] },
              },
              'application/x-ndjson': { schema: { type: 'string', description: 'One ReferenceRecord per line (needs ?modelId=)' } },
              'text/csv': { schema: { type: 'string', description: 'A header row of feature names (prediction, label columns), one row per record (needs ?modelId=)' } },
            },
          },
          responses: {
            '200': json(ref('ReferenceWindow'), 'Window reference set'),
            '201': json(ref('ReferenceDataset'), 'Dataset stored and set as the reference'),
            '400': json({ oneOf: [ref('Error'), ref('ReferenceRejected')] }, 'A parameter is invalid, or dataset rows are (nothing stored; `errors` name them)'),
            '401': ERRORS['401'],
            '403': ERRORS['403'],
            ...tooLarge,
            ...badMedia,
          },
        },
      },
      '/api/v1/drift/alerts': get('Drift alerts, newest first (read scope)', queryParameters(drift.alertsQuery), 'DriftAlerts'),
      '/api/v1/drift/alerts/{id}/resolve': {
        post: {
          summary: 'Resolve a drift alert by hand (admin scope)',
          parameters: ALERT_ID,
          responses: {
            '200': json(ref('DriftAlert'), 'Resolved'),
            ...ERRORS,
            ...notFoundOf('alert'),
            '409': json(ref('DriftAlertConflict'), 'Already resolved'),
          },
        },
      },
      '/api/v1/alerts': get('All alerts (drift alerts today, `kind: "drift"`), newest first (read scope)', queryParameters(drift.alertsQuery), 'DriftAlerts'),
      '/api/v1/drift/evaluate': {
        post: { summary: 'Evaluate the due drift buckets now (admin scope)', responses: { '200': json(ref('DriftEvaluation')), ...ERRORS } },
      },
    },
  };
  return cached;
}
