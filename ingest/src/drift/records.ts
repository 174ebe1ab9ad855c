// Inference records and labels as clients send them: validation (per record, so one bad
// record never costs its neighbours), body decoding (JSON array, single object, NDJSON, CSV
// for reference datasets) and the normalized row that storage writes.
import crypto from 'node:crypto';
import { z } from 'zod';

export const MAX_EMBEDDING_DIMS = 4096;
export const MAX_FEATURES = 500;
export const MAX_TEXT = 32 * 1024;
/** Records per request; more is a 413 (split the batch). */
export const MAX_RECORDS_PER_REQUEST = 100_000;

const DAY_MS = 86_400_000;
/** Inference times before this are surely wrong units (seconds sent as ms). */
const MIN_TS_MS = Date.UTC(2000, 0, 1);

export type FeatureValue = number | string | boolean | null;

/** One inference as stored (the validated, normalized form). */
export interface InferenceRow {
  id: string;
  modelId: string;
  modelVersion: string;
  tsMs: number;
  /** JSON object text: feature name -> value. */
  features: string;
  predClass: string | null;
  predValue: number | null;
  predProb: number | null;
  labelClass: string | null;
  labelValue: number | null;
  embedding: number[] | null;
  source: 'api' | 'otlp' | 'dataset';
  traceId: string | null;
  spanId: string | null;
}

export interface RecordError {
  index: number;
  field: string;
  message: string;
}

const name = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\u0000-\u001f]+$/, 'must be printable');

const timestamp = z.union([
  z.number().finite(),
  z
    .string()
    .min(1)
    .transform((s, ctx) => {
      const t = Date.parse(s);
      if (Number.isNaN(t)) {
        ctx.addIssue({ code: 'custom', message: 'must be epoch milliseconds or an ISO 8601 time' });
        return z.NEVER;
      }
      return t;
    }),
]);

const featureValue = z.union([z.number().finite(), z.string().max(MAX_TEXT), z.boolean(), z.null()]);
const features = z
  .record(name, featureValue)
  .refine((f) => Object.keys(f).length <= MAX_FEATURES, `at most ${MAX_FEATURES} features`);

const classValue = z.union([z.string().min(1).max(1000), z.boolean(), z.number().int()]).transform((v) => String(v));

/** A prediction: a class (string/boolean), a number (regression) or an object with class/probability/value. */
const prediction = z.union([
  z
    .number()
    .finite()
    .transform((v) => ({ class: null, value: v, probability: null })),
  z
    .union([z.string().min(1).max(1000), z.boolean()])
    .transform((v) => ({ class: String(v), value: null, probability: null })),
  z
    .object({
      class: classValue.optional(),
      value: z.number().finite().optional(),
      probability: z.number().min(0).max(1).optional(),
    })
    .refine((p) => p.class !== undefined || p.value !== undefined, 'needs class or value')
    .transform((p) => ({ class: p.class ?? null, value: p.value ?? null, probability: p.probability ?? null })),
]);

/** A label (ground truth): a class or a number, like the prediction. */
const label = z.union([
  z
    .number()
    .finite()
    .transform((v) => ({ class: null, value: v })),
  z.union([z.string().min(1).max(1000), z.boolean()]).transform((v) => ({ class: String(v), value: null })),
  z
    .object({ class: classValue.optional(), value: z.number().finite().optional() })
    .refine((p) => p.class !== undefined || p.value !== undefined, 'needs class or value')
    .transform((p) => ({ class: p.class ?? null, value: p.value ?? null })),
]);

const embedding = z.array(z.number().finite()).min(1).max(MAX_EMBEDDING_DIMS);

export const inferenceRecordSchema = z.object({
  id: z.string().min(1).max(200).optional(),
  modelId: name,
  modelVersion: z.string().max(200).default(''),
  timestamp,
  features: features.default({}),
  prediction: prediction.optional(),
  label: label.optional(),
  embedding: embedding.optional(),
});
export type InferenceRecordInput = z.input<typeof inferenceRecordSchema>;

/** A reference dataset row: like a record, without model, id or time. */
export const referenceRecordSchema = z.object({
  features: features.default({}),
  prediction: prediction.optional(),
  label: label.optional(),
  embedding: embedding.optional(),
});

export const labelRecordSchema = z.object({
  id: z.string().min(1).max(200),
  label,
});

function issuesOf(error: z.ZodError, index: number): RecordError[] {
  return error.issues.map((i) => ({
    index,
    field: i.path.length ? i.path.map(String).join('.') : '(record)',
    message: i.message,
  }));
}

export interface ValidationResult<T> {
  rows: T[];
  /** Input index of each row. */
  indices: number[];
  errors: RecordError[];
  rejected: number;
}

/**
 * Validates items one by one against `schema`; `toRow` turns a valid item into a row, or
 * refuses it with a field-level error (checks the schema cannot express, such as the clock).
 */
function validateEach<In, T>(
  items: readonly unknown[],
  schema: z.ZodType<In>,
  toRow: (rec: In, index: number) => { row: T } | { field: string; message: string }
): ValidationResult<T> {
  const out: ValidationResult<T> = { rows: [], indices: [], errors: [], rejected: 0 };
  items.forEach((item, index) => {
    const r = schema.safeParse(item);
    if (!r.success) {
      out.errors.push(...issuesOf(r.error, index));
      out.rejected++;
      return;
    }
    const checked = toRow(r.data, index);
    if (!('row' in checked)) {
      out.errors.push({ index, ...checked });
      out.rejected++;
      return;
    }
    out.rows.push(checked.row);
    out.indices.push(index);
  });
  return out;
}

/** The columns an inference and a reference row take from the record alike. */
function recordColumns(rec: z.output<typeof referenceRecordSchema>) {
  return {
    features: JSON.stringify(rec.features),
    predClass: rec.prediction?.class ?? null,
    predValue: rec.prediction?.value ?? null,
    predProb: rec.prediction?.probability ?? null,
    labelClass: rec.label?.class ?? null,
    labelValue: rec.label?.value ?? null,
    embedding: rec.embedding ?? null,
    traceId: null,
    spanId: null,
  };
}

/** Validates inference records one by one; `nowMs` bounds the timestamp (at most one day ahead). */
export function validateInferences(
  items: readonly unknown[],
  opts: { nowMs: number; source?: InferenceRow['source'] }
): ValidationResult<InferenceRow> {
  return validateEach<z.output<typeof inferenceRecordSchema>, InferenceRow>(items, inferenceRecordSchema, (rec) => {
    const ts = rec.timestamp;
    if (ts < MIN_TS_MS || ts > opts.nowMs + DAY_MS) {
      return {
        field: 'timestamp',
        message: `must be epoch milliseconds between 2000-01-01 and one day ahead of the server clock (got ${ts})`,
      };
    }
    return {
      row: {
        ...recordColumns(rec),
        id: rec.id ?? crypto.randomUUID(),
        modelId: rec.modelId,
        modelVersion: rec.modelVersion,
        tsMs: Math.floor(ts),
        source: opts.source ?? 'api',
      },
    };
  });
}

export interface LabelRow {
  id: string;
  labelClass: string | null;
  labelValue: number | null;
}

export function validateLabels(items: readonly unknown[]): ValidationResult<LabelRow> {
  return validateEach<z.output<typeof labelRecordSchema>, LabelRow>(items, labelRecordSchema, (rec) => ({
    row: { id: rec.id, labelClass: rec.label.class, labelValue: rec.label.value },
  }));
}

/** Reference dataset rows (stored like inferences, model and time filled in by the caller). */
export function validateReferenceRows(
  items: readonly unknown[],
  modelId: string,
  datasetId: string
): ValidationResult<InferenceRow> {
  return validateEach<z.output<typeof referenceRecordSchema>, InferenceRow>(
    items,
    referenceRecordSchema,
    (rec, index) => ({
      row: {
        ...recordColumns(rec),
        id: `${datasetId}:${index}`,
        modelId,
        modelVersion: '',
        tsMs: 0,
        source: 'dataset',
      },
    })
  );
}

export class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

/**
 * JSON array, a single JSON object, or NDJSON (one JSON value per line). A line that does not
 * parse becomes an item error rather than failing the request; a body that is none of these
 * is a 400.
 */
export function decodeItems(body: string, mediaType: string): { items: unknown[]; errors: RecordError[] } {
  const text = body.replace(/^\uFEFF/, '');
  const trimmed = text.trimStart();
  const ndjson =
    mediaType === 'application/x-ndjson' || mediaType === 'application/jsonl' || mediaType === 'application/ndjson';
  if (!ndjson && (trimmed.startsWith('[') || trimmed.startsWith('{'))) {
    try {
      const v: unknown = JSON.parse(text);
      const items = Array.isArray(v) ? v : [v];
      if (items.length > MAX_RECORDS_PER_REQUEST) {
        throw new BodyError(413, `at most ${MAX_RECORDS_PER_REQUEST} records per request`);
      }
      return { items, errors: [] };
    } catch (e) {
      if (e instanceof BodyError) {
        throw e;
      }
      // A JSON object per line also starts with '{': fall through to NDJSON.
      if (trimmed.startsWith('[') || !trimmed.includes('\n')) {
        throw new BodyError(400, `body is not valid JSON: ${(e as Error).message}`);
      }
    }
  }
  const items: unknown[] = [];
  const errors: RecordError[] = [];
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (l === '') {
      continue;
    }
    if (items.length >= MAX_RECORDS_PER_REQUEST) {
      throw new BodyError(413, `at most ${MAX_RECORDS_PER_REQUEST} records per request`);
    }
    try {
      items.push(JSON.parse(l));
    } catch (e) {
      errors.push({ index: items.length, field: '(record)', message: `invalid JSON: ${(e as Error).message}` });
      items.push(undefined);
    }
  }
  if (items.length === 0) {
    throw new BodyError(400, 'body holds no records (send a JSON array, an object or NDJSON)');
  }
  return { items, errors };
}

/** RFC 4180 CSV (quotes, doubled quotes, CRLF) -> rows of cells. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let i = 0;
  const s = text.replace(/^\uFEFF/, '');
  while (i < s.length) {
    const c = s[i]!;
    if (quoted) {
      if (c === '"') {
        if (s[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        cell += c;
      }
      i++;
      continue;
    }
    if (c === '"' && cell === '') {
      quoted = true;
    } else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') {
        i++;
      }
      row.push(cell);
      cell = '';
      if (row.length > 1 || row[0] !== '') {
        rows.push(row);
      }
      row = [];
    } else {
      cell += c;
    }
    i++;
  }
  if (quoted) {
    throw new BodyError(400, 'CSV: unterminated quoted cell');
  }
  row.push(cell);
  if (row.length > 1 || row[0] !== '') {
    rows.push(row);
  }
  return rows;
}

/** Columns of a reference CSV with a meaning of their own; every other column is a feature. */
const CSV_SPECIAL = new Set(['prediction', 'probability', 'prediction_probability', 'label', 'embedding']);

function csvValue(v: string): number | boolean | string | null {
  if (v === '') {
    return null;
  }
  const lower = v.toLowerCase();
  if (lower === 'true' || lower === 'false') {
    return lower === 'true';
  }
  const n = Number(v);
  return Number.isFinite(n) && /^[\s+\-.\d]/.test(v) && v.trim() !== '' ? n : v;
}

/**
 * A reference CSV -> reference records. Header row required. Columns `prediction`,
 * `probability` (or `prediction_probability`), `label` and `embedding` (a JSON array) are
 * read as such; every other column is a feature; a column whose non-empty cells are all
 * numbers is numeric, true/false is boolean, anything else categorical/text.
 */
export function csvToReferenceItems(text: string): unknown[] {
  const rows = parseCsv(text);
  if (rows.length < 2) {
    throw new BodyError(400, 'CSV needs a header row and at least one data row');
  }
  const header = rows[0]!.map((h) => h.trim());
  if (new Set(header).size !== header.length || header.some((h) => h === '')) {
    throw new BodyError(400, 'CSV header must name every column once');
  }
  // A column is numeric only if every cell is (so "007" ids in a mixed column stay strings).
  const numericCol = header.map((_, c) =>
    rows.slice(1).every((r) => {
      const v = csvValue(r[c] ?? '');
      return v === null || typeof v === 'number';
    })
  );
  return rows.slice(1).map((r) => {
    const features: Record<string, FeatureValue> = {};
    const rec: Record<string, unknown> = { features };
    header.forEach((h, c) => {
      const raw = r[c] ?? '';
      const v = csvValue(raw);
      const val = numericCol[c] ? v : typeof v === 'number' ? raw : v;
      if (!CSV_SPECIAL.has(h)) {
        features[h] = val;
        return;
      }
      if (val === null) {
        return;
      }
      if (h === 'embedding') {
        try {
          rec.embedding = JSON.parse(raw);
        } catch {
          rec.embedding = raw;
        }
      } else if (h === 'probability' || h === 'prediction_probability') {
        rec.probability = val;
      } else {
        rec[h] = val;
      }
    });
    if (rec.probability !== undefined) {
      const p = rec.prediction;
      rec.prediction = {
        ...(typeof p === 'number' ? { value: p } : p !== undefined ? { class: p } : {}),
        probability: rec.probability,
      };
      delete rec.probability;
    }
    return rec;
  });
}
