// Inference records carried by OTLP spans, so an instrumented model service needs no second
// client. A span whose attributes include `pyflare.model.id` becomes one record:
//   pyflare.model.id (required), pyflare.model.version, pyflare.inference.id (default
//   `<traceId>-<spanId>`, so a re-sent export is ignored), pyflare.feature.<name> (scalars),
//   pyflare.prediction (string/bool = class, number = value), pyflare.prediction.class,
//   pyflare.prediction.value, pyflare.prediction.probability, pyflare.label (same kinds),
//   pyflare.embedding (array of numbers). Time: the span's end.
// Spans without pyflare.model.id cost one pass over their attribute keys.
import type { ExportFn } from '../intake/exporter.js';
import type { ExportTraceServiceRequest, OtlpAnyValue } from '../otlp/types.js';
import { validateInferences, type InferenceRow } from './records.js';

const MODEL_KEY = 'pyflare.model.id';
const FEATURE_PREFIX = 'pyflare.feature.';

function scalar(v: OtlpAnyValue): number | string | boolean | null | undefined {
  switch (v.kind) {
    case 'string':
    case 'bool':
    case 'double':
      return v.value;
    case 'int':
      return Number(v.value);
    case 'empty':
      return null;
    default:
      return undefined;
  }
}

function numberArray(v: OtlpAnyValue): number[] | undefined {
  if (v.kind !== 'array') {
    return undefined;
  }
  const out: number[] = [];
  for (const x of v.value) {
    const s = scalar(x);
    if (typeof s !== 'number') {
      return undefined;
    }
    out.push(s);
  }
  return out;
}

export interface OtlpInferences {
  rows: InferenceRow[];
  /** Spans that named a model but did not make a valid record. */
  invalid: number;
  errors: string[];
}

/** Inference records from the spans of one export request (validated like REST records). */
export function inferencesFromOtlp(req: ExportTraceServiceRequest, nowMs: number): OtlpInferences {
  const items: Array<Record<string, unknown>> = [];
  const spanIds: Array<{ traceId: string; spanId: string }> = [];
  for (const rs of req.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) {
        let has = false;
        for (const kv of span.attributes) {
          if (kv.key === MODEL_KEY) {
            has = true;
            break;
          }
        }
        if (!has) {
          continue;
        }
        const rec: Record<string, unknown> = { timestamp: Number(span.endTimeUnixNano / 1_000_000n) };
        const features: Record<string, unknown> = {};
        const pred: Record<string, unknown> = {};
        let predScalar: unknown;
        for (const kv of span.attributes) {
          const k = kv.key;
          if (!k.startsWith('pyflare.')) {
            continue;
          }
          if (k.startsWith(FEATURE_PREFIX)) {
            const s = scalar(kv.value);
            if (s !== undefined) {
              features[k.slice(FEATURE_PREFIX.length)] = s;
            }
            continue;
          }
          switch (k) {
            case MODEL_KEY:
              rec.modelId = scalar(kv.value);
              break;
            case 'pyflare.model.version':
              rec.modelVersion = String(scalar(kv.value) ?? '');
              break;
            case 'pyflare.inference.id':
              rec.id = String(scalar(kv.value) ?? '');
              break;
            case 'pyflare.prediction':
              predScalar = scalar(kv.value);
              break;
            case 'pyflare.prediction.class':
              pred.class = scalar(kv.value);
              break;
            case 'pyflare.prediction.value':
              pred.value = scalar(kv.value);
              break;
            case 'pyflare.prediction.probability':
              pred.probability = scalar(kv.value);
              break;
            case 'pyflare.label':
              rec.label = scalar(kv.value);
              break;
            case 'pyflare.embedding':
              rec.embedding = numberArray(kv.value) ?? 'not an array of numbers';
              break;
          }
        }
        if (predScalar !== undefined && predScalar !== null) {
          if (Object.keys(pred).length === 0) {
            rec.prediction = predScalar;
          } else if (typeof predScalar === 'number') {
            pred.value ??= predScalar;
          } else {
            pred.class ??= predScalar;
          }
        }
        if (Object.keys(pred).length > 0) {
          rec.prediction = pred;
        }
        rec.features = features;
        rec.id ??= `${span.traceId}-${span.spanId}`;
        items.push(rec);
        spanIds.push({ traceId: span.traceId, spanId: span.spanId });
      }
    }
  }
  if (items.length === 0) {
    return { rows: [], invalid: 0, errors: [] };
  }
  const v = validateInferences(items, { nowMs, source: 'otlp' });
  v.rows.forEach((row, i) => {
    const s = spanIds[v.indices[i]!]!;
    row.traceId = s.traceId;
    row.spanId = s.spanId;
  });
  return {
    rows: v.rows,
    invalid: v.rejected,
    errors: v.errors.slice(0, 5).map((e) => `span ${spanIds[e.index]?.spanId ?? '?'}: ${e.field}: ${e.message}`),
  };
}

/**
 * Wraps the OTLP export function: inference records in the spans are stored (durably) before
 * the spans, so a failure answers retryably before anything was acknowledged, and a retry is
 * harmless (record ids are deterministic, duplicates ignored). Invalid records never fail the
 * export; they are logged.
 */
export function withInferenceExtraction(
  inner: ExportFn,
  sink: { store(rows: InferenceRow[]): Promise<unknown>; now(): number; onInvalid?(n: number, errors: string[]): void }
): ExportFn {
  // Rest parameters: the export function's extra arguments pass through untouched.
  return async (...args: Parameters<ExportFn>) => {
    const ex = inferencesFromOtlp(args[0], sink.now());
    if (ex.invalid > 0) {
      sink.onInvalid?.(ex.invalid, ex.errors);
    }
    if (ex.rows.length > 0) {
      await sink.store(ex.rows);
    }
    return inner(...args);
  };
}
