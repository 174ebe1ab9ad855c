// The storage interface of the drift engine. Two implementations: DuckDB (./store.ts, the
// embedded single-process default) and ClickHouse (./clickhouse/store.ts, shared by several
// ingest replicas). Both must return the same rows in the same order for the same data: the
// statistics are computed in TS from what these methods return, and the conformance suite
// (./conformance.test.ts) runs the same assertions on both.
//
// Deterministic sampling on both engines: rows are ordered by a 64-bit hash that both SQL
// dialects compute identically, the first 8 bytes of MD5 of the key read big-endian (DuckDB
// `('0x' || md5(k)[1:16])::UBIGINT`, ClickHouse `reinterpretAsUInt64(reverse(substring(MD5(k), 1, 8)))`).
import type { ModelConfig } from './config.js';
import type { FeatureValue, InferenceRow, LabelRow } from './records.js';

/** One sampled record as the statistics need it. */
export interface SampleRow {
  features: Record<string, FeatureValue>;
  predClass: string | null;
  predValue: number | null;
  predProb: number | null;
  embedding: Float32Array | null;
}

/** One sampled LLM call. */
export interface LlmSampleRow {
  inputTokens: number | null;
  outputTokens: number | null;
  latencyMs: number;
  costUsd: number | null;
  error: boolean;
  finishReason: string;
  toolCall: boolean;
}

/** Counts for model quality: classification confusion or regression error sums. */
export interface QualityStats {
  n: number;
  /** [predicted, actual, count] (classification). */
  confusion: Array<[string, string, number]>;
  /** Regression sums over rows with numeric prediction and label. */
  reg: { n: number; sse: number; sae: number };
}

/** One drift measurement: a drift_results row before the bookkeeping columns (what evaluate.ts computes). */
export interface DriftPart {
  /** '' = the drift type's overall score. */
  feature: string;
  test: string;
  statistic: number | null;
  pValue: number | null;
  threshold: number | null;
  score: number;
  scoreThreshold: number;
  drift: boolean;
  referenceCount: number;
  currentCount: number;
  details: Record<string, unknown>;
}

export interface ResultRow extends DriftPart {
  modelId: string;
  service: string;
  driftType: string;
  bucketSizeMs: number;
  bucketMs: number;
  alertable: boolean;
  hysAbove: number;
  hysBelow: number;
  alertId: string | null;
  computedMs: number;
}

export interface AlertRow {
  id: string;
  modelId: string;
  service: string;
  driftType: string;
  feature: string;
  bucketSizeMs: number;
  state: 'active' | 'resolved';
  openedMs: number;
  openBucketMs: number;
  resolvedMs: number | null;
  resolveBucketMs: number | null;
  resolvedBy: 'auto' | 'manual' | null;
  score: number;
  peakScore: number;
  threshold: number;
  updatedMs: number;
}

export interface ResultBatch {
  key: { modelId: string; service: string; driftType: string; bucketSizeMs: number; fromMs: number; toMs: number };
  rows: readonly ResultRow[];
  alerts: { upsert: readonly AlertRow[]; deleteIds: readonly string[] };
}

export interface SeriesKey {
  modelId: string;
  service: string;
  driftType: string;
  feature: string;
}


/** The state of a lease after acquireLease / as stored. */
export interface Lease {
  /** True when the caller holds the lease until expiresMs. */
  owned: boolean;
  /** The holder ('' when released). */
  owner: string;
  /** Increases with every claim, renewal or release. */
  epoch: number;
  expiresMs: number;
}

export interface DriftModelInfo {
  modelId: string;
  firstMs: number | null;
  lastMs: number | null;
  records: number;
  configured: boolean;
}

export interface DatasetInfo {
  datasetId: string;
  modelId: string;
  name: string;
  rowCount: number;
  createdMs: number;
}

export interface AlertFilter {
  state?: 'active' | 'resolved' | 'all';
  modelId?: string;
  driftType?: string;
  fromMs?: number;
  toMs?: number;
  limit?: number;
}

export interface ResultFilter {
  modelId?: string;
  service?: string;
  driftTypes?: readonly string[];
  /** null = overall rows only (feature ''), '*' = every feature row, a name = that feature. */
  feature?: string | null;
  bucketSizeMs: number;
  /** Bucket start range, both ends included. */
  fromMs: number;
  toMs: number;
  /** Only the newest bucket of each series. */
  latestOnly?: boolean;
}

export type SampleSource = 'inference' | 'llm';

/** Everything the drift engine, REST and frames read and write. No raw SQL crosses it. */
export interface DriftStorage {
  /** 'duckdb' | 'clickhouse' (logs, status). */
  readonly kind: string;

  // intake
  /** Stores records durably; a record whose id is stored already is ignored. Returns how many were new. */
  insertInferences(rows: readonly InferenceRow[], nowMs: number): Promise<number>;
  /** Sets labels by record id; returns the ids found and the (model, time) of each updated record. */
  applyLabels(
    rows: readonly LabelRow[],
    nowMs: number
  ): Promise<{ found: Set<string>; touched: Array<{ modelId: string; tsMs: number }> }>;

  // settings and catalog
  modelConfig(modelId: string): Promise<{ config: ModelConfig; updatedMs: number | null }>;
  putModelConfig(modelId: string, config: ModelConfig, nowMs: number): Promise<void>;
  /** Models with records, settings or results, by id. */
  models(): Promise<DriftModelInfo[]>;
  earliestInferenceMs(): Promise<number | null>;
  earliestSpanMs(): Promise<number | null>;
  modelsInWindow(fromMs: number, toMs: number): Promise<Array<{ modelId: string; n: number }>>;
  llmModelsInWindow(fromMs: number, toMs: number): Promise<Array<{ modelId: string; service: string; n: number }>>;

  // samples
  /** The `limit` records of [from, to) with the smallest hash(id), embeddings on the first `embeddingLimit` that have one. */
  sampleInferences(modelId: string, fromMs: number, toMs: number, limit: number, embeddingLimit: number): Promise<SampleRow[]>;
  sampleEmbeddings(modelId: string, fromMs: number, toMs: number, limit: number): Promise<Float32Array[]>;
  sampledBuckets(
    source: SampleSource,
    modelId: string,
    service: string,
    bucketSizeMs: number,
    fromMs: number,
    toMs: number
  ): Promise<Set<number>>;
  inferenceCountsByBucket(modelId: string, bucketSizeMs: number, fromMs: number, toMs: number): Promise<Map<number, number>>;
  llmCountsByBucket(
    modelId: string,
    service: string,
    bucketSizeMs: number,
    fromMs: number,
    toMs: number
  ): Promise<Map<number, number>>;
  storeInferenceSample(modelId: string, bucketSizeMs: number, bucketMs: number, limit: number, embeddingLimit: number): Promise<number>;
  storeLlmSample(modelId: string, service: string, bucketSizeMs: number, bucketMs: number, limit: number): Promise<number>;
  storedInferenceSamples(modelId: string, bucketSizeMs: number, fromMs: number, toMs: number, limit: number): Promise<SampleRow[]>;
  storedSampleEmbeddings(modelId: string, bucketSizeMs: number, fromMs: number, toMs: number, limit: number): Promise<Float32Array[]>;
  llmSample(modelId: string, service: string, fromMs: number, toMs: number, limit: number): Promise<LlmSampleRow[]>;
  storedLlmSamples(
    modelId: string,
    service: string,
    bucketSizeMs: number,
    fromMs: number,
    toMs: number,
    limit: number
  ): Promise<LlmSampleRow[]>;
  markSampledEmpty(
    source: SampleSource,
    modelId: string,
    service: string,
    bucketSizeMs: number,
    buckets: readonly number[]
  ): Promise<void>;

  // reference datasets
  putDataset(datasetId: string, modelId: string, name: string, rows: readonly InferenceRow[], nowMs: number): Promise<void>;
  dataset(datasetId: string): Promise<DatasetInfo | null>;
  datasetSample(datasetId: string, limit: number, embeddingLimit: number): Promise<SampleRow[]>;
  datasetQuality(datasetId: string): Promise<QualityStats>;

  // model quality (concept drift)
  quality(modelId: string, fromMs: number, toMs: number): Promise<QualityStats>;
  qualityByBucket(modelId: string, bucketSizeMs: number, fromMs: number, toMs: number): Promise<Map<number, QualityStats>>;
  bucketStats(modelId: string, bucketSizeMs: number, fromMs: number, toMs: number): Promise<Map<number, QualityStats>>;
  putBucketStats(modelId: string, bucketSizeMs: number, bucketMs: number, stats: QualityStats): Promise<void>;
  putBucketStatsMany(modelId: string, bucketSizeMs: number, items: ReadonlyArray<[number, QualityStats]>): Promise<void>;
  /** Labels changed: forget these buckets' quality counts, mark evaluated ones (<= cursorMs) dirty. */
  markLabelsChanged(
    items: ReadonlyArray<{ modelId: string; bucketMs: number }>,
    bucketSizeMs: number,
    cursorMs: number | null
  ): Promise<void>;
  dirtyBuckets(bucketSizeMs: number, limit: number): Promise<Array<{ modelId: string; bucketMs: number }>>;
  clearDirty(modelId: string, bucketSizeMs: number, bucketMs: number): Promise<void>;

  // evaluation cursor and leases
  cursor(key: string): Promise<number | null>;
  setCursor(key: string, bucketMs: number): Promise<void>;
  /**
   * Claims, renews or takes over (when expired) the lease `key` for `owner` until nowMs + ttlMs.
   * At most one owner holds a lease at any time, across every replica sharing the store.
   */
  acquireLease(key: string, owner: string, nowMs: number, ttlMs: number): Promise<Lease>;
  /** Gives the lease up when `owner` holds it (another replica may take it at once). */
  releaseLease(key: string, owner: string, nowMs: number): Promise<void>;

  // results and alerts
  resultsFrom(modelId: string, service: string, driftType: string, bucketSizeMs: number, fromMs: number): Promise<ResultRow[]>;
  lastStates(
    modelId: string,
    service: string,
    driftType: string,
    bucketSizeMs: number,
    beforeMs: number
  ): Promise<Map<string, ResultRow>>;
  alertsOfSeries(modelId: string, service: string, driftType: string, bucketSizeMs: number): Promise<AlertRow[]>;
  /** Replaces the results of each batch key's [fromMs, toMs) and applies its alert changes. */
  replaceResults(batches: readonly ResultBatch[]): Promise<void>;
  alerts(f: AlertFilter): Promise<AlertRow[]>;
  alert(id: string): Promise<AlertRow | null>;
  /** Resolves an active alert by hand; null when not found or not active. */
  resolveAlertManually(id: string, nowMs: number): Promise<AlertRow | null>;
  /** Results ordered by model, service, type, feature, bucket. */
  results(f: ResultFilter): Promise<ResultRow[]>;

  // housekeeping
  /** Deletes records, samples and quality counts older than cutoffMs; returns the records deleted. */
  deleteBefore(cutoffMs: number): Promise<number>;
  /** Makes written data compact/durable after an evaluation run (DuckDB CHECKPOINT; no-op elsewhere). */
  checkpoint(): Promise<void>;
  close(): Promise<void>;
}

/** Sorts model info like the DuckDB query did (by id). */
export function byModelId(a: { modelId: string }, b: { modelId: string }): number {
  return a.modelId < b.modelId ? -1 : a.modelId > b.modelId ? 1 : 0;
}

/** Whether another owner holds an unexpired lease (a released lease has owner ''). */
export function leaseHeldByOther(cur: { owner: string; expiresMs: number }, owner: string, nowMs: number): boolean {
  return cur.owner !== owner && cur.owner !== '' && cur.expiresMs > nowMs;
}
