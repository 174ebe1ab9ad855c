// Continuous drift evaluation: every closed bucket (PYFLARE_DRIFT_BUCKET) of every model is
// compared with the model's reference, per drift type, and stored in drift_results with the
// alert hysteresis state. A cursor per source (inference records, LLM spans) and bucket size
// remembers the last evaluated bucket, so a restart catches up the missed buckets (back to
// PYFLARE_DRIFT_CATCHUP_DAYS) and never evaluates a bucket twice; re-running one anyway
// replaces its rows (and replays its alerts), so nothing is counted twice.
//
// Samples: a bucket's records are sampled deterministically (smallest hash(id)) and the sample
// kept in drift_samples; rolling references read those samples instead of re-scanning days of
// records. Concept drift uses exact per-bucket quality counts (drift_bucket_stats).
//
// Replicas sharing one store: each source's bucket loop runs only while this engine holds the
// lease `eval:<source>:<bucket size>` (DriftStorage.acquireLease), renewed before each bucket, so
// one replica evaluates a bucket and another takes over when the holder's lease expires.
import { replaySeries, INITIAL_STATE, type SeriesState } from './alerts.js';
import type { DriftConfig, ModelConfig, ReferenceSpec } from './config.js';
import {
  conceptDrift,
  embeddingDriftOf,
  featureDrift,
  llmDrift,
  mergeStats,
  predictionDrift,
  type DriftOutcome,
  type DriftPart,
  type StoredDriftType,
} from './evaluate.js';
import type { InferenceRow, LabelRow } from './records.js';
import type { DriftStorage, Lease, LlmSampleRow, QualityStats, ResultBatch, ResultRow, SampleRow } from './storage.js';

const DAY = 86_400_000;

export interface DriftLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface TickSummary {
  buckets: number;
  evaluations: number;
  recomputed: number;
  /** More buckets are due than one tick handles; the next tick continues. */
  behind: boolean;
  /** Sources skipped because another replica holds their evaluation lease. */
  leasedElsewhere: number;
  ms: number;
}

interface ReferenceData {
  rows: SampleRow[];
  embeddings: Float32Array[];
  quality: QualityStats;
  description: Record<string, unknown>;
}

/** 32-bit seed from a string (embedding classifier folds and sampling must be reproducible). */
function seedOf(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

export class DriftEngine {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<TickSummary> | null = null;
  private stopped = false;
  private lastRetentionMs = 0;
  /** Bumped per model when labels change (invalidates cached fixed-window quality). */
  private readonly labelsVersion = new Map<string, number>();
  private readonly refCache = new Map<string, ReferenceData>();
  private readonly llmRefCache = new Map<string, LlmSampleRow[]>();
  /** Buckets one tick evaluates at most per source (then it yields to the next tick). */
  maxBucketsPerTick = 500;
  /** Leases this engine believes it holds (renewed before each bucket, released on stop). */
  private readonly held = new Map<string, Lease>();

  constructor(
    readonly store: DriftStorage,
    readonly cfg: DriftConfig,
    private readonly log: DriftLogger
  ) {}

  get bucketMs(): number {
    return this.cfg.bucketMs;
  }

  bucketOf(ms: number): number {
    return Math.floor(ms / this.cfg.bucketMs) * this.cfg.bucketMs;
  }

  // ---- intake --------------------------------------------------------------------------------

  async ingest(rows: readonly InferenceRow[]): Promise<number> {
    return this.store.insertInferences(rows, this.cfg.now());
  }

  async applyLabels(rows: readonly LabelRow[]): Promise<Set<string>> {
    const { found, touched } = await this.store.applyLabels(rows, this.cfg.now());
    const seen = new Set<string>();
    const items: Array<{ modelId: string; bucketMs: number }> = [];
    for (const t of touched) {
      const b = this.bucketOf(t.tsMs);
      const k = `${t.modelId}\u0000${b}`;
      if (!seen.has(k)) {
        seen.add(k);
        items.push({ modelId: t.modelId, bucketMs: b });
      }
      this.labelsVersion.set(t.modelId, (this.labelsVersion.get(t.modelId) ?? 0) + 1);
    }
    await this.store.markLabelsChanged(items, this.cfg.bucketMs, await this.store.cursor(this.cursorKey('inference')));
    return found;
  }

  // ---- scheduler -----------------------------------------------------------------------------

  start(): void {
    if (this.cfg.intervalMs <= 0 || this.timer || this.stopped) {
      return;
    }
    const loop = () => {
      this.timer = setTimeout(() => {
        this.tick()
          .catch((e: Error) => this.log.error({ err: e.message }, 'drift evaluation failed; will retry'))
          .finally(() => {
            if (!this.stopped) {
              loop();
            }
          });
      }, this.cfg.intervalMs);
      this.timer.unref();
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.running) {
      await this.running.catch(() => undefined);
    }
    // Hand the leases over at once instead of letting the other replicas wait for expiry.
    for (const key of this.held.keys()) {
      await this.store.releaseLease(key, this.cfg.replicaId, this.cfg.now()).catch(() => undefined);
    }
    this.held.clear();
  }

  /**
   * Holds (claims or renews) the evaluation lease `key`: renewed when less than half of it is
   * left, so the holder keeps it across ticks and a dead holder's lease runs out.
   */
  private async holdLease(key: string): Promise<boolean> {
    const now = this.cfg.now();
    const have = this.held.get(key);
    if (have && have.expiresMs - now > this.cfg.leaseMs / 2) {
      return true;
    }
    const lease = await this.store.acquireLease(key, this.cfg.replicaId, now, this.cfg.leaseMs);
    if (lease.owned) {
      this.held.set(key, lease);
    } else {
      this.held.delete(key);
    }
    return lease.owned;
  }

  /** Evaluates every due bucket (single flight: concurrent callers share one run). */
  tick(): Promise<TickSummary> {
    if (!this.running) {
      this.running = this.runTick().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private cursorKey(source: 'inference' | 'llm'): string {
    return `${source}:${this.cfg.bucketMs}`;
  }

  /** Start of the newest bucket that has ended at least `graceMs` ago. */
  lastClosedBucket(now = this.cfg.now()): number {
    const size = this.cfg.bucketMs;
    return Math.floor((now - this.cfg.graceMs - size) / size) * size;
  }

  private async runTick(): Promise<TickSummary> {
    const t0 = Date.now();
    const now = this.cfg.now();
    const size = this.cfg.bucketMs;
    const lastClosed = this.lastClosedBucket(now);
    const summary: TickSummary = { buckets: 0, evaluations: 0, recomputed: 0, behind: false, leasedElsewhere: 0, ms: 0 };
    const owned = new Set<string>();
    for (const source of ['inference', 'llm'] as const) {
      const key = this.cursorKey(source);
      const leaseKey = `eval:${key}`;
      if (!(await this.holdLease(leaseKey))) {
        summary.leasedElsewhere++;
        continue;
      }
      owned.add(source);
      // Read after taking the lease: the previous holder may have advanced it.
      let cursor = await this.store.cursor(key);
      if (cursor === null) {
        const earliest =
          source === 'inference' ? await this.store.earliestInferenceMs() : await this.store.earliestSpanMs();
        if (earliest === null) {
          continue;
        }
        cursor = Math.max(this.bucketOf(earliest), this.bucketOf(now - this.cfg.catchUpMs)) - size;
      }
      let n = 0;
      for (let b = cursor + size; b <= lastClosed && !this.stopped; b += size) {
        if (n++ >= this.maxBucketsPerTick) {
          summary.behind = true;
          break;
        }
        if (!(await this.holdLease(leaseKey))) {
          // Lost (expired while we were slow): the new holder continues from the cursor.
          summary.leasedElsewhere++;
          break;
        }
        summary.evaluations +=
          source === 'inference' ? await this.evaluateInferenceBucket(b) : await this.evaluateLlmBucket(b);
        summary.buckets++;
        await this.store.setCursor(key, b);
      }
    }
    // Recomputation and retention belong to the holder of the inference lease (one replica).
    const dirty = owned.has('inference') ? await this.store.dirtyBuckets(size, 200) : [];
    // Buckets whose labels arrived after they were evaluated: recompute concept drift.
    for (const d of dirty) {
      if (this.stopped) {
        break;
      }
      await this.evaluateInference(d.modelId, d.bucketMs, ['concept']);
      await this.store.clearDirty(d.modelId, size, d.bucketMs);
      summary.recomputed++;
    }
    if (owned.has('inference') && this.cfg.retentionDays > 0 && now - this.lastRetentionMs > 3_600_000) {
      this.lastRetentionMs = now;
      const deleted = await this.store.deleteBefore(now - this.cfg.retentionDays * DAY);
      if (deleted > 0) {
        this.log.info({ deleted, days: this.cfg.retentionDays }, 'drift retention: old inference records deleted');
      }
    }
    if (summary.buckets > 0 || summary.recomputed > 0) {
      await this.store.checkpoint();
    }
    summary.ms = Date.now() - t0;
    if (summary.buckets > 0 || summary.recomputed > 0) {
      this.log.info({ ...summary }, 'drift evaluated');
    }
    return summary;
  }

  // ---- inference records ---------------------------------------------------------------------

  private async evaluateInferenceBucket(b: number): Promise<number> {
    let n = 0;
    for (const m of await this.store.modelsInWindow(b, b + this.cfg.bucketMs)) {
      n += await this.evaluateInference(m.modelId, b, ['feature', 'prediction', 'embedding', 'concept']);
    }
    return n;
  }

  /** Evaluates one model at one bucket for the given drift types; returns how many were stored. */
  async evaluateInference(modelId: string, b: number, types: readonly StoredDriftType[]): Promise<number> {
    const { config } = await this.store.modelConfig(modelId);
    const size = this.cfg.bucketMs;
    const wantSamples = types.some((t) => t === 'feature' || t === 'prediction');
    const ref = await this.reference(modelId, config, b, {
      samples: wantSamples,
      embeddings: types.includes('embedding'),
    });
    // Every drift type of this bucket is written in one transaction at the end.
    const batches: ResultBatch[] = [];
    const write = async (type: StoredDriftType, outcome: DriftOutcome) => {
      if (outcome.parts.length > 0) {
        batches.push(await this.prepareResults(modelId, '', type, b, outcome.parts, config, ref.description));
      }
    };
    if (wantSamples) {
      await this.ensureInferenceSamples(modelId, b, b + size);
      const cur = await this.store.storedInferenceSamples(modelId, size, b, b + size, this.cfg.sampleRows);
      if (types.includes('feature')) {
        await write('feature', featureDrift(ref.rows, cur, config, this.cfg.minRows));
      }
      if (types.includes('prediction')) {
        await write('prediction', predictionDrift(ref.rows, cur, config, this.cfg.minRows));
      }
    }
    if (types.includes('embedding')) {
      const cur = await this.store.sampleEmbeddings(modelId, b, b + size, this.cfg.embeddingRows);
      if (cur.length > 0) {
        await write(
          'embedding',
          embeddingDriftOf(ref.embeddings, cur, config, {
            minRows: this.cfg.minRows,
            maxRows: this.cfg.embeddingRows,
            seed: seedOf(`${modelId}|${b}`),
          })
        );
      }
    }
    if (types.includes('concept')) {
      const cur = (await this.bucketQuality(modelId, b, b + size)).get(b);
      if (cur && cur.n > 0) {
        await write('concept', conceptDrift(ref.quality, cur, config, this.cfg.minRows));
      }
    }
    await this.store.replaceResults(batches);
    return batches.length;
  }

  /** The reference window of a bucket: its rows (sample), embeddings and quality counts. */
  private async reference(
    modelId: string,
    config: ModelConfig,
    b: number,
    want: { samples: boolean; embeddings: boolean }
  ): Promise<ReferenceData> {
    const spec = config.reference;
    const size = this.cfg.bucketMs;
    const R = this.cfg.sampleRows;
    const E = this.cfg.embeddingRows;
    if (spec.type === 'rolling') {
      const to = b;
      const from = this.bucketOf(b - spec.days * DAY);
      if (want.samples || want.embeddings) {
        await this.ensureInferenceSamples(modelId, from, to);
      }
      const quality = mergeStats((await this.bucketQuality(modelId, from, to)).values());
      return {
        rows: want.samples ? await this.store.storedInferenceSamples(modelId, size, from, to, R) : [],
        embeddings: want.embeddings ? await this.store.storedSampleEmbeddings(modelId, size, from, to, E) : [],
        quality,
        description: { type: 'rolling', days: spec.days, from, to },
      };
    }
    const settled = spec.type === 'dataset' || spec.to + this.cfg.graceMs <= this.cfg.now();
    const key = `${modelId}|${JSON.stringify(spec)}|${this.labelsVersion.get(modelId) ?? 0}`;
    const cached = settled ? this.refCache.get(key) : undefined;
    if (cached) {
      return cached;
    }
    let data: ReferenceData;
    if (spec.type === 'fixed') {
      data = {
        rows: await this.store.sampleInferences(modelId, spec.from, spec.to, R, 0),
        embeddings: await this.store.sampleEmbeddings(modelId, spec.from, spec.to, E),
        quality: await this.store.quality(modelId, spec.from, spec.to),
        description: { type: 'fixed', from: spec.from, to: spec.to },
      };
    } else {
      const ds = await this.store.dataset(spec.datasetId);
      const rows = ds ? await this.store.datasetSample(spec.datasetId, R, E) : [];
      data = {
        rows,
        embeddings: rows.map((r) => r.embedding).filter((e): e is Float32Array => e !== null),
        quality: ds ? await this.store.datasetQuality(spec.datasetId) : mergeStats([]),
        description: { type: 'dataset', datasetId: spec.datasetId, found: ds !== null },
      };
    }
    if (settled) {
      if (this.refCache.size > 200) {
        this.refCache.clear();
      }
      this.refCache.set(key, data);
    }
    return data;
  }

  /** Buckets in [from, to) with no stored sample yet. */
  private async unsampledBuckets(kind: 'inference' | 'llm', modelId: string, service: string, from: number, to: number): Promise<number[]> {
    const size = this.cfg.bucketMs;
    const have = await this.store.sampledBuckets(kind, modelId, service, size, from, to);
    const missing: number[] = [];
    for (let b = from; b < to; b += size) {
      if (!have.has(b)) {
        missing.push(b);
      }
    }
    return missing;
  }

  /** Makes sure every bucket in [from, to) has its stored sample (once per bucket). */
  private async ensureInferenceSamples(modelId: string, from: number, to: number): Promise<void> {
    const size = this.cfg.bucketMs;
    const missing = await this.unsampledBuckets('inference', modelId, '', from, to);
    if (missing.length === 0) {
      return;
    }
    const counts =
      missing.length === 1
        ? null
        : await this.store.inferenceCountsByBucket(modelId, size, missing[0]!, missing[missing.length - 1]! + size);
    const empty: number[] = [];
    for (const b of missing) {
      if (counts && !counts.has(b)) {
        empty.push(b);
      } else {
        await this.store.storeInferenceSample(modelId, size, b, this.cfg.sampleRows, this.cfg.embeddingRowsPerBucket);
      }
    }
    // Only buckets that are over can be marked empty for good.
    await this.store.markSampledEmpty(
      'inference',
      modelId,
      '',
      size,
      empty.filter((b) => b <= this.lastClosedBucket())
    );
  }

  /** Quality counts per bucket in [from, to), computed once and kept until labels change. */
  private async bucketQuality(modelId: string, from: number, to: number): Promise<Map<number, QualityStats>> {
    const size = this.cfg.bucketMs;
    const have = await this.store.bucketStats(modelId, size, from, to);
    const missing: number[] = [];
    for (let b = from; b < to; b += size) {
      if (!have.has(b)) {
        missing.push(b);
      }
    }
    if (missing.length > 0) {
      const fresh = await this.store.qualityByBucket(modelId, size, missing[0]!, missing[missing.length - 1]! + size);
      const items: Array<[number, QualityStats]> = [];
      const closed = this.lastClosedBucket();
      for (const b of missing) {
        const s = fresh.get(b) ?? mergeStats([]);
        have.set(b, s);
        if (b <= closed) {
          items.push([b, s]);
        }
      }
      await this.store.putBucketStatsMany(modelId, size, items);
    }
    return have;
  }

  // ---- LLM spans -----------------------------------------------------------------------------

  private async evaluateLlmBucket(b: number): Promise<number> {
    let n = 0;
    for (const m of await this.store.llmModelsInWindow(b, b + this.cfg.bucketMs)) {
      n += await this.evaluateLlm(m.modelId, m.service, b);
    }
    return n;
  }

  async evaluateLlm(modelId: string, service: string, b: number): Promise<number> {
    const { config } = await this.store.modelConfig(modelId);
    const size = this.cfg.bucketMs;
    const R = this.cfg.sampleRows;
    let spec: ReferenceSpec = config.reference;
    if (spec.type === 'dataset') {
      // Datasets describe model inputs, not call behaviour: compare with the last week instead.
      spec = { type: 'rolling', days: 7 };
    }
    let ref: LlmSampleRow[];
    let description: Record<string, unknown>;
    if (spec.type === 'rolling') {
      const from = this.bucketOf(b - spec.days * DAY);
      await this.ensureLlmSamples(modelId, service, from, b);
      ref = await this.store.storedLlmSamples(modelId, service, size, from, b, R);
      description = { type: 'rolling', days: spec.days, from, to: b };
    } else {
      const key = `${modelId}|${service}|${spec.from}|${spec.to}`;
      const settled = spec.to + this.cfg.graceMs <= this.cfg.now();
      ref =
        (settled ? this.llmRefCache.get(key) : undefined) ??
        (await this.store.llmSample(modelId, service, spec.from, spec.to, R));
      if (settled) {
        if (this.llmRefCache.size > 200) {
          this.llmRefCache.clear();
        }
        this.llmRefCache.set(key, ref);
      }
      description = { type: 'fixed', from: spec.from, to: spec.to };
    }
    await this.ensureLlmSamples(modelId, service, b, b + size);
    const cur = await this.store.storedLlmSamples(modelId, service, size, b, b + size, R);
    const outcome = llmDrift(ref, cur, config, this.cfg.minRows);
    if (outcome.parts.length === 0) {
      return 0;
    }
    await this.store.replaceResults([
      await this.prepareResults(modelId, service, 'llm', b, outcome.parts, config, description),
    ]);
    return 1;
  }

  private async ensureLlmSamples(modelId: string, service: string, from: number, to: number): Promise<void> {
    const size = this.cfg.bucketMs;
    const missing = await this.unsampledBuckets('llm', modelId, service, from, to);
    if (missing.length === 0) {
      return;
    }
    const counts =
      missing.length === 1
        ? null
        : await this.store.llmCountsByBucket(modelId, service, size, missing[0]!, missing[missing.length - 1]! + size);
    const empty: number[] = [];
    for (const b of missing) {
      if (counts && !counts.has(b)) {
        empty.push(b);
      } else {
        await this.store.storeLlmSample(modelId, service, size, b, this.cfg.sampleRows);
      }
    }
    await this.store.markSampledEmpty(
      'llm',
      modelId,
      service,
      size,
      empty.filter((b) => b <= this.lastClosedBucket())
    );
  }

  // ---- results and alerts ---------------------------------------------------------------------

  /**
   * The rows that replace one bucket's results for (model, service, type), with the alert
   * hysteresis of each alertable series replayed from this bucket on (later buckets too, when
   * an old bucket is recomputed).
   */
  private async prepareResults(
    modelId: string,
    service: string,
    driftType: StoredDriftType,
    b: number,
    parts: readonly DriftPart[],
    config: ModelConfig,
    reference: Record<string, unknown>
  ): Promise<ResultBatch> {
    const size = this.cfg.bucketMs;
    const nowMs = this.cfg.now();
    const k = config.alerts.buckets ?? this.cfg.alertBuckets;
    const rows: ResultRow[] = parts.map((p) => ({
      modelId,
      service,
      driftType,
      feature: p.feature,
      bucketSizeMs: size,
      bucketMs: b,
      test: p.test,
      statistic: p.statistic,
      pValue: p.pValue,
      threshold: p.threshold,
      score: p.score,
      scoreThreshold: p.scoreThreshold,
      drift: p.drift,
      referenceCount: p.referenceCount,
      currentCount: p.currentCount,
      details: p.feature === '' ? { ...p.details, window: reference } : p.details,
      alertable: config.alerts.enabled && (p.feature === '' || config.alerts.perFeature),
      hysAbove: 0,
      hysBelow: 0,
      alertId: null,
      computedMs: nowMs,
    }));
    const later = await this.store.resultsFrom(modelId, service, driftType, size, b + size);
    const all = [...rows, ...later];
    const prev = await this.store.lastStates(modelId, service, driftType, size, b);
    const existing = await this.store.alertsOfSeries(modelId, service, driftType, size);
    const bySeries = new Map<string, ResultRow[]>();
    for (const r of all) {
      if (!r.alertable) {
        continue;
      }
      const list = bySeries.get(r.feature) ?? [];
      list.push(r);
      bySeries.set(r.feature, list);
    }
    const replaced = new Map<ResultRow, ResultRow>();
    const upsert = [];
    const deleteIds: string[] = [];
    for (const [feature, list] of bySeries) {
      const p = prev.get(feature);
      const st: SeriesState = p ? { above: p.hysAbove, below: p.hysBelow, alertId: p.alertId } : { ...INITIAL_STATE };
      const r = replaySeries({
        series: { modelId, service, driftType, feature },
        bucketSizeMs: size,
        rows: list,
        prev: st,
        existing: existing.filter((a) => a.feature === feature),
        k,
        nowMs,
      });
      r.rows.forEach((row, i) => replaced.set(list[i]!, row));
      upsert.push(...r.upsert);
      deleteIds.push(...r.deleteIds);
    }
    const last = later.length ? later[later.length - 1]!.bucketMs : b;
    return {
      key: { modelId, service, driftType, bucketSizeMs: size, fromMs: b, toMs: last + size },
      rows: all.map((r) => replaced.get(r) ?? r),
      alerts: { upsert, deleteIds },
    };
  }
}
