import { FieldType, getFieldDisplayName, type DataFrame, type Field } from '@grafana/data';

import { KNOWN_DRIFT_TYPES } from '../types';

export interface DriftSeries {
  /** Stable identity: model, service, drift type, feature (and a counter for duplicates). */
  key: string;
  driftType: string;
  feature?: string;
  /** Model the score belongs to (label `model`, else frame meta `model`). */
  model?: string;
  /** Service of LLM behaviour drift series. */
  service?: string;
  title: string;
  /** The drift type's name alone ("Feature drift"). */
  typeTitle: string;
  /** Epoch ms, ascending, without null scores; parallel to `values`. */
  times: number[];
  values: number[];
  latest?: number;
  latestTime?: number;
  max?: number;
  /** The series' own drift threshold (frame meta `threshold`, else the field's top threshold step). */
  threshold?: number;
  /** The engine reports an open drift alert on this series (frame meta `alertActive`). */
  alertActive?: boolean;
  /** Width of the series' time buckets, when known. */
  bucketMs?: number;
  /** Test that produced the latest score (frame meta `latest.test`). */
  latestTest?: string;
  /** refId of the query the frame answered (to find its data source). */
  refId?: string;
}

const TYPE_ORDER = new Map<string, number>(KNOWN_DRIFT_TYPES.map((t, i) => [t, i]));

const TYPE_TITLES: Record<string, string> = {
  feature: 'Feature drift',
  prediction: 'Prediction drift',
  embedding: 'Embedding drift',
  concept: 'Concept drift',
  llm: 'LLM behaviour drift',
};

export function driftTypeOrder(driftType: string): number {
  return TYPE_ORDER.get(driftType) ?? KNOWN_DRIFT_TYPES.length;
}

export function driftTitle(driftType: string, feature?: string): string {
  const base = TYPE_TITLES[driftType] ?? driftType;
  return feature ? `${base} · ${feature}` : base;
}

const finiteNumber = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The highest absolute threshold step of a field (the engine puts the drift line there). */
function fieldThreshold(field: Field): number | undefined {
  const th = field.config.thresholds;
  if (!th || th.mode !== 'absolute' || th.steps.length < 2) {
    return undefined;
  }
  return finiteNumber(th.steps[th.steps.length - 1]?.value);
}

/**
 * Drift series from numeric frames: every number field is one series. The drift engine's
 * 'drift-scores' frames carry labels {model, driftType, feature?, service?} on the score field
 * and {threshold, alertActive, bucketMs, latest} in meta.custom; other numeric frames work
 * too (fields without a driftType label are named by their display name). A frame without a
 * time field gives one point per number field (its last value).
 */
export function readDriftSeries(frames: DataFrame[]): DriftSeries[] {
  const out: DriftSeries[] = [];
  const seen = new Map<string, number>();
  for (const frame of frames) {
    const custom = (frame.meta?.custom ?? {}) as Record<string, unknown>;
    const timeField = frame.fields.find((f) => f.type === FieldType.time);
    for (const field of frame.fields) {
      if (field.type !== FieldType.number) {
        continue;
      }
      const labels = field.labels ?? {};
      const driftType =
        labels.driftType ??
        labels.drift_type ??
        nonEmpty(custom.driftType) ??
        getFieldDisplayName(field, frame, frames);
      const feature = nonEmpty(labels.feature) ?? nonEmpty(custom.feature);
      const model = nonEmpty(labels.model ?? labels.modelId ?? labels.model_id) ?? nonEmpty(custom.model);
      const service = nonEmpty(labels.service) ?? nonEmpty(custom.service);
      const pairs: Array<[number, number]> = [];
      for (let i = 0; i < field.values.length; i++) {
        const v = finiteNumber(field.values[i]);
        const t = timeField ? finiteNumber(timeField.values[i]) : i;
        if (v !== undefined && t !== undefined) {
          pairs.push([t, v]);
        }
      }
      // The engine sends ascending times; only sort what is not.
      if (pairs.some((p, i) => i > 0 && p[0] < pairs[i - 1]![0])) {
        pairs.sort((a, b) => a[0] - b[0]);
      }
      const kept = timeField ? pairs : pairs.slice(-1);
      const baseKey = JSON.stringify([model ?? '', service ?? '', driftType, feature ?? '']);
      // Two fields with the same labels (e.g. two queries) stay apart.
      const n = seen.get(baseKey) ?? 0;
      seen.set(baseKey, n + 1);
      const last = kept[kept.length - 1];
      let max: number | undefined;
      for (const p of kept) {
        max = max === undefined || p[1] > max ? p[1] : max;
      }
      const latest = custom.latest as { test?: unknown } | undefined;
      out.push({
        key: n ? `${baseKey}#${n}` : baseKey,
        driftType,
        feature,
        model,
        service,
        title: driftTitle(driftType, feature) + (model ? ` (${model})` : ''),
        typeTitle: driftTitle(driftType),
        times: kept.map((p) => p[0]),
        values: kept.map((p) => p[1]),
        latest: last?.[1],
        latestTime: timeField ? last?.[0] : undefined,
        max,
        threshold: finiteNumber(custom.threshold) ?? fieldThreshold(field),
        alertActive: typeof custom.alertActive === 'boolean' ? custom.alertActive : undefined,
        bucketMs: finiteNumber(custom.bucketMs) ?? finiteNumber(timeField?.config.interval),
        latestTest: nonEmpty(latest?.test),
        refId: frame.refId,
      });
    }
  }
  return out;
}

/** Known drift types first (in their order), then by model, service, feature. */
export function compareSeries(a: DriftSeries, b: DriftSeries): number {
  return (
    (a.model ?? '').localeCompare(b.model ?? '') ||
    driftTypeOrder(a.driftType) - driftTypeOrder(b.driftType) ||
    a.driftType.localeCompare(b.driftType) ||
    (a.service ?? '').localeCompare(b.service ?? '') ||
    (a.feature ?? '').localeCompare(b.feature ?? '')
  );
}
