import type {
  Aggregation,
  Dimension,
  MetricName,
  QueryType,
  ALERT_STATES,
  COST_VIEWS,
  DRIFT_TYPES,
  DRIFT_VIEWS,
  TRACE_SORTS,
  TRACE_STATUSES,
} from '@pyflare/query-model';

/** Display names of the query model's enums, kept apart from the model itself. */
export const QUERY_TYPE_LABELS: Record<QueryType, { label: string; description: string }> = {
  traces: { label: 'Traces', description: 'Search LLM and agent traces' },
  trace: { label: 'Trace', description: 'All spans of one trace, by trace ID' },
  metrics: { label: 'Metrics', description: 'Requests, errors, latency, tokens and cost over time' },
  costs: { label: 'Costs', description: 'Spend summaries, breakdowns, budgets and forecasts' },
  drift: { label: 'Drift', description: 'Feature, prediction, embedding and concept drift scores' },
  alerts: { label: 'Alerts', description: 'Drift and budget alerts raised by PyFlare' },
};

export const METRIC_LABELS: Record<MetricName, string> = {
  request_count: 'Requests',
  error_count: 'Errors',
  error_rate: 'Error rate',
  latency_ms: 'Latency (ms)',
  tokens_input: 'Input tokens',
  tokens_output: 'Output tokens',
  tokens_cached: 'Cached tokens',
  tokens_total: 'Total tokens',
  cost_usd: 'Cost (USD)',
};

export const AGGREGATION_LABELS: Record<Aggregation, string> = {
  sum: 'Sum',
  avg: 'Average',
  count: 'Count',
  min: 'Min',
  max: 'Max',
  p50: 'p50',
  p90: 'p90',
  p95: 'p95',
  p99: 'p99',
};

export const DIMENSION_LABELS: Record<Dimension, string> = {
  provider: 'Provider',
  model: 'Model',
  service: 'Service',
  operation: 'Operation',
  span_kind: 'Span kind',
  user: 'User',
  session: 'Session',
  agent: 'Agent',
  tool: 'Tool',
};

export const TRACE_STATUS_LABELS: Record<(typeof TRACE_STATUSES)[number], string> = {
  all: 'All',
  ok: 'OK',
  error: 'Error',
};

export const TRACE_SORT_LABELS: Record<(typeof TRACE_SORTS)[number], string> = {
  time: 'Newest',
  duration: 'Slowest',
  cost: 'Most expensive',
};

export const COST_VIEW_LABELS: Record<(typeof COST_VIEWS)[number], string> = {
  summary: 'Summary',
  breakdown: 'Breakdown',
  timeline: 'Timeline',
  budgets: 'Budgets',
  forecast: 'Forecast',
  breaches: 'Budget breaches',
};

export const DRIFT_TYPE_LABELS: Record<(typeof DRIFT_TYPES)[number], string> = {
  all: 'All',
  feature: 'Feature',
  prediction: 'Prediction',
  embedding: 'Embedding',
  concept: 'Concept',
  llm: 'LLM',
};

export const DRIFT_VIEW_LABELS: Record<(typeof DRIFT_VIEWS)[number], string> = {
  scores: 'Scores',
  features: 'Per feature',
  distribution: 'Distribution',
};

export const ALERT_STATE_LABELS: Record<(typeof ALERT_STATES)[number], string> = {
  active: 'Active',
  resolved: 'Resolved',
  all: 'All',
};
