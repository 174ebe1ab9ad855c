// Drift engine settings: service-wide ones from PYFLARE_DRIFT_* variables, per-model ones
// stored in drift_models (set over REST). Both validated with zod.
import os from 'node:os';
import { z } from 'zod';
import { columnDriftOptionsSchema, STAT_TEST_NAMES } from './stats/index.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** '15m', '1h', '1d', '30s' or plain milliseconds -> ms. */
export function parseDuration(v: string): number | null {
  const m = /^(\d+)\s*(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m) {
    return null;
  }
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: MINUTE, h: HOUR, d: DAY }[m[2] ?? 'ms']!;
  return n * unit;
}

export interface DriftConfig {
  /** Evaluation bucket (PYFLARE_DRIFT_BUCKET, default 1h); must divide a day evenly. */
  bucketMs: number;
  /** Scheduler tick (PYFLARE_DRIFT_INTERVAL_MS, default 60 s); 0 = no timer (evaluate on demand). */
  intervalMs: number;
  /** A bucket is evaluated this long after it ends, so late records and the span queue land first. */
  graceMs: number;
  /** Oldest bucket a fresh start catches up (PYFLARE_DRIFT_CATCHUP_DAYS, default 7). */
  catchUpMs: number;
  /** Rows sampled per window (current bucket, reference) for the univariate tests. */
  sampleRows: number;
  /** Embedding rows per window for embedding drift (the classifier's cost grows with it). */
  embeddingRows: number;
  /** Embeddings kept per bucket sample for rolling references. */
  embeddingRowsPerBucket: number;
  /** Fewer rows than this in either window: the bucket is skipped for that drift type. */
  minRows: number;
  /** Default K of the alert hysteresis (open after K buckets >= threshold, resolve after K < 0.8 x threshold). */
  alertBuckets: number;
  /** Days of inference records and drift samples kept; 0 keeps everything. */
  retentionDays: number;
  /** Cap on an intake/reference request body after decompression. */
  maxBodyBytes: number;
  /** Clock (tests inject one). */
  now: () => number;
  /** This replica's name in evaluation leases (PYFLARE_DRIFT_REPLICA_ID, default host:pid). */
  replicaId: string;
  /** Evaluation lease length (PYFLARE_DRIFT_LEASE_MS, default 120 s): how long a dead replica's buckets wait. */
  leaseMs: number;
}

const intEnv = (def: number, min: number, max: number) =>
  z.coerce.number({ message: 'must be a number' }).int('must be an integer').min(min).max(max).default(def);

const envSchema = z.object({
  PYFLARE_DRIFT_BUCKET: z
    .string()
    .default('1h')
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === null || ms < MINUTE || ms > DAY || DAY % ms !== 0) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be a duration of 1m..1d that divides a day (e.g. 5m, 15m, 1h, 1d)',
        });
        return z.NEVER;
      }
      return ms;
    }),
  PYFLARE_DRIFT_INTERVAL_MS: intEnv(60_000, 0, 86_400_000),
  PYFLARE_DRIFT_GRACE_MS: intEnv(60_000, 0, 86_400_000),
  PYFLARE_DRIFT_CATCHUP_DAYS: intEnv(7, 0, 365),
  PYFLARE_DRIFT_SAMPLE_ROWS: intEnv(5000, 100, 200_000),
  PYFLARE_DRIFT_EMBEDDING_ROWS: intEnv(1000, 20, 20_000),
  PYFLARE_DRIFT_MIN_ROWS: intEnv(30, 2, 100_000),
  PYFLARE_DRIFT_ALERT_BUCKETS: intEnv(2, 1, 1000),
  PYFLARE_DRIFT_MAX_BODY_BYTES: intEnv(64 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  PYFLARE_DRIFT_REPLICA_ID: z.string().min(1).max(200).optional(),
  PYFLARE_DRIFT_LEASE_MS: intEnv(120_000, 1000, 86_400_000),
});

/** Reads PYFLARE_DRIFT_*; throws naming the bad variable. */
export function loadDriftConfig(
  env: NodeJS.ProcessEnv,
  overrides: Partial<DriftConfig> = {},
  retentionDays = 30
): DriftConfig {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v.trim() !== '') {
      raw[key] = v.trim();
    }
  }
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `invalid configuration: ${parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; ')}`
    );
  }
  const e = parsed.data;
  return {
    bucketMs: e.PYFLARE_DRIFT_BUCKET,
    intervalMs: e.PYFLARE_DRIFT_INTERVAL_MS,
    graceMs: e.PYFLARE_DRIFT_GRACE_MS,
    catchUpMs: e.PYFLARE_DRIFT_CATCHUP_DAYS * DAY,
    sampleRows: e.PYFLARE_DRIFT_SAMPLE_ROWS,
    embeddingRows: e.PYFLARE_DRIFT_EMBEDDING_ROWS,
    // Enough that a one-day rolling reference still holds the embedding cap.
    embeddingRowsPerBucket: Math.max(100, Math.ceil((e.PYFLARE_DRIFT_EMBEDDING_ROWS * e.PYFLARE_DRIFT_BUCKET) / DAY)),
    minRows: e.PYFLARE_DRIFT_MIN_ROWS,
    alertBuckets: e.PYFLARE_DRIFT_ALERT_BUCKETS,
    retentionDays,
    maxBodyBytes: e.PYFLARE_DRIFT_MAX_BODY_BYTES,
    now: Date.now,
    // host:pid survives a container restart (same host name, pid 1), so a restarted replica takes
    // its own lease back at once; two processes on one host still differ.
    replicaId: e.PYFLARE_DRIFT_REPLICA_ID ?? `${os.hostname()}:${process.pid}`,
    leaseMs: e.PYFLARE_DRIFT_LEASE_MS,
    ...overrides,
  };
}

export const FEATURE_TYPES = ['numeric', 'categorical', 'boolean', 'text'] as const;
export type FeatureType = (typeof FEATURE_TYPES)[number];

export const referenceSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('rolling'), days: z.number().gt(0).max(365).default(7) }).strict(),
  z
    .object({ type: z.literal('fixed'), from: z.number().int().nonnegative(), to: z.number().int().positive() })
    .strict()
    .refine((r) => r.to > r.from, { message: 'to must be after from', path: ['to'] }),
  z.object({ type: z.literal('dataset'), datasetId: z.string().min(1).max(128) }).strict(),
]);
export type ReferenceSpec = z.output<typeof referenceSchema>;

const columnOverride = columnDriftOptionsSchema.extend({ type: z.enum(FEATURE_TYPES).optional() }).strict();

/** Per-model drift settings (PUT /api/v1/drift/models/:id; the reference also via /drift/reference). */
export const modelConfigSchema = z
  .object({
    reference: referenceSchema.default({ type: 'rolling', days: 7 }),
    /** Test for every feature without an own override (default: Evidently's automatic choice). */
    test: z.enum(STAT_TEST_NAMES).optional(),
    threshold: z.number().positive().finite().optional(),
    /** Per-feature overrides: test, threshold, type. */
    features: z.record(z.string().max(200), columnOverride).default({}),
    /** Dataset drift when the share of drifted features is >= this (also the feature score's threshold). */
    driftShare: z.number().gt(0).lte(1).default(0.5),
    correction: z.enum(['none', 'bonferroni', 'fdr_bh']).default('none'),
    prediction: columnDriftOptionsSchema.default({}),
    embedding: z
      .object({
        method: z.enum(['model', 'mmd', 'distance']).default('model'),
        /** Threshold of the deciding method (AUC for model, distance, MMD p-value alpha). */
        threshold: z.number().positive().finite().optional(),
      })
      .strict()
      .default({ method: 'model' }),
    /** Concept drift: relative drop of quality (accuracy/F1, or rise of RMSE/MAE) that counts as drift. */
    concept: z
      .object({ threshold: z.number().positive().max(100).default(0.1) })
      .strict()
      .default({ threshold: 0.1 }),
    /** LLM behaviour drift: share of drifted behaviour metrics that counts as drift, and per-metric overrides. */
    llm: z
      .object({
        driftShare: z.number().gt(0).lte(1).default(0.3),
        metrics: z.record(z.string(), columnDriftOptionsSchema).default({}),
      })
      .strict()
      .default({ driftShare: 0.3, metrics: {} }),
    alerts: z
      .object({
        enabled: z.boolean().default(true),
        /** K: consecutive buckets to open and to resolve (default PYFLARE_DRIFT_ALERT_BUCKETS). */
        buckets: z.number().int().min(1).max(1000).optional(),
        /** Also alert per feature, not only on each drift type's overall score. */
        perFeature: z.boolean().default(false),
      })
      .strict()
      .default({ enabled: true, perFeature: false }),
  })
  .strict();
export type ModelConfig = z.output<typeof modelConfigSchema>;
export type ModelConfigInput = z.input<typeof modelConfigSchema>;

export const DEFAULT_MODEL_CONFIG: ModelConfig = modelConfigSchema.parse({});
