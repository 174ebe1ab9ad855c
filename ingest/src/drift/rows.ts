// Row <-> object mapping and result assembly shared by the DuckDB and ClickHouse stores (their
// tables use the same column names, so one mapping keeps both answering identically; only the
// SQL, which differs by dialect, stays in each store).
import { DEFAULT_MODEL_CONFIG, modelConfigSchema, type ModelConfig } from './config.js';
import type { FeatureValue, InferenceRow } from './records.js';
import type { AlertRow, DatasetInfo, LlmSampleRow, QualityStats, ResultRow, SampleRow } from './storage.js';

export type Row = Record<string, unknown>;

export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
export const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const finiteOrNull = (v: number | null): number | null => (v !== null && Number.isFinite(v) ? v : null);

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

/** A result as drift_results columns (the inverse of resultFrom). Non-finite numbers do not fit the columns. */
export function resultColumns(r: ResultRow) {
  return {
    model_id: r.modelId,
    service: r.service,
    drift_type: r.driftType,
    feature: r.feature,
    bucket_size_ms: r.bucketSizeMs,
    bucket_ms: r.bucketMs,
    test: r.test,
    statistic: finiteOrNull(r.statistic),
    p_value: finiteOrNull(r.pValue),
    threshold: r.threshold,
    score: Number.isFinite(r.score) ? r.score : 0,
    score_threshold: r.scoreThreshold,
    drift: r.drift,
    reference_count: r.referenceCount,
    current_count: r.currentCount,
    details: JSON.stringify(r.details),
    alertable: r.alertable,
    hys_above: r.hysAbove,
    hys_below: r.hysBelow,
    alert_id: r.alertId,
    computed_ms: r.computedMs,
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

/** An alert as drift_alerts columns (the inverse of alertFrom), keys in table column order. */
export function alertColumns(al: AlertRow) {
  return {
    id: al.id,
    model_id: al.modelId,
    service: al.service,
    drift_type: al.driftType,
    feature: al.feature,
    bucket_size_ms: al.bucketSizeMs,
    state: al.state,
    opened_ms: al.openedMs,
    open_bucket_ms: al.openBucketMs,
    resolved_ms: al.resolvedMs,
    resolve_bucket_ms: al.resolveBucketMs,
    resolved_by: al.resolvedBy,
    score: al.score,
    peak_score: al.peakScore,
    threshold: al.threshold,
    updated_ms: al.updatedMs,
  };
}

/** The columns inference records and reference dataset rows have in common. */
export function recordColumns(r: InferenceRow) {
  return {
    features: r.features,
    pred_class: r.predClass,
    pred_value: r.predValue,
    pred_prob: r.predProb,
    label_class: r.labelClass,
    label_value: r.labelValue,
  };
}

/** label_ms of a new record: when it arrived, if it came labelled. */
export const labelledAt = (r: InferenceRow, nowMs: number): number | null =>
  r.labelClass !== null || r.labelValue !== null ? nowMs : null;

/** applyLabels' answer from the records it updated (id, model_id, ts_ms). */
export function labelsApplied(updated: readonly Row[]): {
  found: Set<string>;
  touched: Array<{ modelId: string; tsMs: number }>;
} {
  return {
    found: new Set(updated.map((r) => String(r.id))),
    touched: updated.map((r) => ({ modelId: String(r.model_id), tsMs: num(r.ts_ms) })),
  };
}

/** A model's stored settings; the defaults when there are none or they no longer validate. */
export function modelConfigFrom(r: Row | undefined): { config: ModelConfig; updatedMs: number | null } {
  if (!r) {
    return { config: DEFAULT_MODEL_CONFIG, updatedMs: null };
  }
  const parsed = modelConfigSchema.safeParse(JSON.parse(String(r.config)));
  return { config: parsed.success ? parsed.data : DEFAULT_MODEL_CONFIG, updatedMs: num(r.updated_ms) };
}

export function datasetFrom(r: Row): DatasetInfo {
  return {
    datasetId: String(r.dataset_id),
    modelId: String(r.model_id),
    name: String(r.name),
    rowCount: num(r.row_count),
    createdMs: num(r.created_ms),
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

/**
 * Quality counts from the confusion rows (pred_class, label_class, n) and the regression sums
 * row (n, sse, sae). Sums over no rows read as 0 (DuckDB answers NULL for them).
 */
export function qualityStatsFrom(conf: readonly Row[], reg: Row | undefined): QualityStats {
  const confusion = conf.map(
    (r) => [String(r.pred_class), String(r.label_class), num(r.n)] as [string, string, number]
  );
  const g = reg ?? {};
  const regN = num(g.n);
  return {
    n: confusion.reduce((s, c) => s + c[2], 0) + regN,
    confusion,
    reg: { n: regN, sse: regN > 0 ? num(g.sse) : 0, sae: regN > 0 ? num(g.sae) : 0 },
  };
}

/** Per-bucket quality counts from confusion rows (b, pred_class, label_class, n) and regression rows (b, n, sse, sae). */
export function qualityByBucketFrom(conf: readonly Row[], reg: readonly Row[]): Map<number, QualityStats> {
  const out = new Map<number, QualityStats>();
  const get = (b: number) => {
    let s = out.get(b);
    if (!s) {
      s = { n: 0, confusion: [], reg: { n: 0, sse: 0, sae: 0 } };
      out.set(b, s);
    }
    return s;
  };
  for (const r of conf) {
    const s = get(num(r.b));
    s.confusion.push([String(r.pred_class), String(r.label_class), num(r.n)]);
    s.n += num(r.n);
  }
  for (const r of reg) {
    const s = get(num(r.b));
    s.reg = { n: num(r.n), sse: num(r.sse), sae: num(r.sae) };
    s.n += num(r.n);
  }
  return out;
}
