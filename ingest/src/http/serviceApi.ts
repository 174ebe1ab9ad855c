// zod schemas of the REST routes outside the query API (api.ts): status, catalogs, API keys,
// erasure requests, health, and the answers of the inference intake and drift routes (their
// request schemas live next to the routes in drift/rest.ts). Requests are validated with these;
// the OpenAPI document (openapi.ts) is generated from them.
import { z } from 'zod';
import { modelConfigSchema, referenceSchema } from '../drift/config.js';
import { MAX_EPOCH_MS, SCOPES, type Scope } from '../storage/types.js';

/** Epoch ms up to MAX_EPOCH_MS (times are 64-bit nanoseconds). */
export const epochMs = z.coerce
  .number()
  .int()
  .nonnegative()
  .max(MAX_EPOCH_MS, `must be <= ${MAX_EPOCH_MS} (epoch ms; times are 64-bit nanoseconds, up to the year 2262)`);
/** A duration bound in ms that fits 64-bit nanoseconds (~292 years). */
export const durationMs = z.coerce.number().min(0).max(MAX_EPOCH_MS, `must be <= ${MAX_EPOCH_MS} (ms)`);
const scopeSchema = z.enum(SCOPES as [Scope, ...Scope[]]);

// ---- requests ---------------------------------------------------------------------------------

/** Range of the catalogs (GET /api/v1/catalog/*). */
export const catalogRangeParams = z
  .object({
    from: epochMs.optional().describe('Range start, epoch ms (default: no bound)'),
    to: epochMs.optional().describe('Range end, epoch ms (default: no bound)'),
  })
  .strict();

export const attributeValuesParams = catalogRangeParams
  .extend({
    key: z
      .string()
      .min(1, 'is required')
      .max(256)
      .regex(/^[^\u0000-\u001f]+$/, 'must be printable')
      .describe('Attribute key, e.g. gen_ai.tool.name'),
  })
  .strict();

export const createKeyBody = z
  .object({
    name: z.string().min(1).max(200),
    scopes: z.array(scopeSchema).min(1),
  })
  .strict();

export const keyIdParams = z.object({ id: z.string().min(1).max(128) });

const subjectId = z.string().min(1).max(1024);
/** POST /api/v1/admin/deletions: one of the ids at least. */
export const deletionBody = z
  .object({ userId: subjectId.optional(), sessionId: subjectId.optional(), reason: z.string().max(1000).optional() })
  .strict()
  .refine((b) => b.userId !== undefined || b.sessionId !== undefined, { message: 'is required (or sessionId)', path: ['userId'] });

// ---- responses --------------------------------------------------------------------------------

const nullableNum = z.number().nullable();

export const healthResponse = z.object({
  status: z.enum(['ok', 'failing']),
  /** Why the process should be restarted (status failing). */
  reason: z.string().optional(),
});
export const readyResponse = z.object({
  status: z.enum(['ready', 'not ready']),
  /** Why it is not ready, when storage writes keep failing. */
  reason: z.string().optional(),
});

export const statusResponse = z.object({
  version: z.string(),
  storage: z.enum(['duckdb', 'clickhouse']),
  scopes: z.array(scopeSchema),
  spanCount: z.number(),
  lastSpanTime: z.string().nullable().describe('ISO time of the newest span'),
});

export const catalogValuesResponse = z.object({ values: z.array(z.string()) });

export const apiKeyInfo = z.object({ id: z.string(), name: z.string(), scopes: z.array(scopeSchema), createdAt: z.string() });
export const keysResponse = z.object({ keys: z.array(apiKeyInfo) });
export const createdKeyResponse = z.object({
  id: z.string(),
  key: z.string().describe('The key (pfk_...); shown only in this answer'),
  name: z.string(),
  scopes: z.array(scopeSchema),
});

export const deletionRecord = z.object({
  id: z.string(),
  at: z.string(),
  requestedBy: z.string().describe('API key id of the admin who asked'),
  userIdHash: z.string().nullable().describe('Keyed hash (sha256: + 32 hex) of the user id asked for'),
  sessionIdHash: z.string().nullable(),
  deletedSpans: z.number(),
  reason: z.string().nullable(),
});
export const deletionsResponse = z.object({ deletions: z.array(deletionRecord) });

export const recordError = z.object({
  index: z.number().describe('0-based position of the record (NDJSON: line) in the request'),
  field: z.string().describe('Field path, or (record) / (line)'),
  message: z.string(),
});
const recordErrors = {
  errors: z.array(recordError).describe('Sorted by index, at most 1000'),
  errorsTruncated: z.literal(true).optional(),
};

export const inferenceIntakeResponse = z.object({
  accepted: z.number(),
  rejected: z.number(),
  duplicates: z.number().describe('Accepted records whose id was already stored'),
  ids: z.array(z.string().nullable()).describe('One per input record; null for rejected ones'),
  ...recordErrors,
});
export const labelsResponse = z.object({ accepted: z.number(), rejected: z.number(), ...recordErrors });

export const driftModelsResponse = z.object({
  models: z.array(
    z.object({ modelId: z.string(), firstMs: nullableNum, lastMs: nullableNum, records: z.number(), configured: z.boolean() })
  ),
});

export const driftResult = z.object({
  time: z.number(),
  driftType: z.string(),
  feature: z.string().optional(),
  service: z.string().optional(),
  test: z.string(),
  statistic: nullableNum,
  pValue: nullableNum,
  threshold: nullableNum,
  score: z.number(),
  scoreThreshold: z.number(),
  drift: z.boolean(),
  referenceCount: z.number(),
  currentCount: z.number(),
});

export const driftAlert = z.object({
  kind: z.literal('drift'),
  id: z.string(),
  modelId: z.string(),
  service: z.string().optional(),
  driftType: z.string(),
  feature: z.string().optional(),
  state: z.enum(['active', 'resolved']),
  openedAt: z.string(),
  openedAtMs: z.number(),
  resolvedAt: z.string().nullable(),
  resolvedAtMs: nullableNum,
  resolvedBy: z.enum(['auto', 'manual']).nullable(),
  score: z.number(),
  peakScore: z.number(),
  threshold: z.number(),
  bucketMs: z.number(),
  message: z.string(),
});
export const alertsResponse = z.object({ alerts: z.array(driftAlert) });
export const alertResponse = z.object({ alert: driftAlert });
export const alertConflictResponse = z.object({ error: z.string(), alert: driftAlert });

export const driftModelResponse = z.object({
  modelId: z.string(),
  records: z.number(),
  firstRecordMs: nullableNum,
  lastRecordMs: nullableNum,
  settings: modelConfigSchema,
  settingsUpdatedMs: nullableNum,
  bucketMs: z.number(),
  latest: z.array(driftResult),
  activeAlerts: z.array(driftAlert),
});
export const driftSettingsResponse = z.object({ modelId: z.string(), settings: modelConfigSchema });

export const driftTimelineResponse = z.object({
  bucketMs: z.number(),
  from: z.number(),
  to: z.number(),
  series: z.array(
    z.object({
      labels: z.record(z.string(), z.string()),
      threshold: z.number(),
      points: z.array(z.object({ time: z.number(), score: z.number(), drift: z.boolean(), test: z.string() })),
    })
  ),
});

export const driftHeatmapResponse = z.object({
  modelId: z.string(),
  driftType: z.string(),
  bucketMs: z.number(),
  buckets: z.array(z.number()),
  features: z.array(z.string()).describe('Feature names (driftType=all: <driftType>:<feature>)'),
  scores: z.array(z.array(nullableNum)).describe('scores[feature][bucket]'),
  drift: z.array(z.array(z.boolean().nullable())).describe('drift[feature][bucket]'),
});

const datasetInfo = z.object({ datasetId: z.string(), modelId: z.string(), name: z.string(), rowCount: z.number(), createdMs: z.number() });
export const driftReferenceResponse = z.object({
  modelId: z.string(),
  reference: referenceSchema,
  configured: z.boolean(),
  dataset: datasetInfo.nullable().optional(),
});
export const referenceWindowResponse = z.object({ modelId: z.string(), reference: referenceSchema });
export const referenceDatasetResponse = z.object({
  modelId: z.string(),
  reference: referenceSchema,
  dataset: z.object({ datasetId: z.string(), name: z.string(), rowCount: z.number() }),
});
export const referenceRejectedResponse = z.object({ error: z.string(), ...recordErrors });

export const evaluateResponse = z.object({
  evaluated: z.object({
    buckets: z.number(),
    evaluations: z.number(),
    recomputed: z.number(),
    behind: z.boolean().describe('More buckets are due; the next tick continues'),
    leasedElsewhere: z.number(),
    ms: z.number(),
  }),
});
