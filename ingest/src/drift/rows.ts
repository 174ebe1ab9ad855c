// Row -> object mapping shared by the DuckDB and ClickHouse stores (their tables use the same
// column names, so one mapping keeps both answering identically).
import type { FeatureValue } from './records.js';
import type { AlertRow, LlmSampleRow, ResultRow, SampleRow } from './storage.js';

export type Row = Record<string, unknown>;

export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
export const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function resultFrom(r: Row): ResultRow {
  return {
    modelId: String(r.model_id),
    service: String(r.service),
    driftType: String(r.drift_type),
    feature: String(r.feature),
    bucketSizeMs: num(r.bucket_size_ms),
    bucketMs: num(r.bucket_ms),
    test: String(r.test),
    statistic: numOrNull(r.statistic),
    pValue: numOrNull(r.p_value),
    threshold: numOrNull(r.threshold),
    score: num(r.score),
    scoreThreshold: num(r.score_threshold),
    drift: r.drift === true,
    referenceCount: num(r.reference_count),
    currentCount: num(r.current_count),
    details: typeof r.details === 'string' ? (JSON.parse(r.details) as Record<string, unknown>) : {},
    alertable: r.alertable === true,
    hysAbove: num(r.hys_above),
    hysBelow: num(r.hys_below),
    alertId: strOrNull(r.alert_id),
    computedMs: num(r.computed_ms),
  };
}

export function alertFrom(r: Row): AlertRow {
  return {
    id: String(r.id),
    modelId: String(r.model_id),
    service: String(r.service),
    driftType: String(r.drift_type),
    feature: String(r.feature),
    bucketSizeMs: num(r.bucket_size_ms),
    state: r.state === 'active' ? 'active' : 'resolved',
    openedMs: num(r.opened_ms),
    openBucketMs: num(r.open_bucket_ms),
    resolvedMs: numOrNull(r.resolved_ms),
    resolveBucketMs: numOrNull(r.resolve_bucket_ms),
    resolvedBy: r.resolved_by === 'auto' || r.resolved_by === 'manual' ? r.resolved_by : null,
    score: num(r.score),
    peakScore: num(r.peak_score),
    threshold: num(r.threshold),
    updatedMs: num(r.updated_ms),
  };
}

export function sampleFrom(r: Row, embedding: Float32Array | null): SampleRow {
  let features: Record<string, FeatureValue> = {};
  try {
    features = JSON.parse(String(r.features)) as Record<string, FeatureValue>;
  } catch {
    // stored by us as JSON; a broken row counts as having no features
  }
  return {
    features,
    predClass: strOrNull(r.pred_class),
    predValue: numOrNull(r.pred_value),
    predProb: numOrNull(r.pred_prob),
    embedding,
  };
}

export function llmFrom(r: Row): LlmSampleRow {
  return {
    inputTokens: numOrNull(r.input_tokens),
    outputTokens: numOrNull(r.output_tokens),
    latencyMs: num(r.latency_ms),
    costUsd: numOrNull(r.cost_usd),
    error: r.error === true,
    finishReason: String(r.finish_reason ?? 'none'),
    toolCall: r.tool_call === true,
  };
}
