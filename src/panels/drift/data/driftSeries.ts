import { FieldType, getFieldDisplayName, type DataFrame } from '@grafana/data';

import { KNOWN_DRIFT_TYPES } from '../types';

export type DriftStatus = 'ok' | 'warning' | 'critical';

export interface DriftSeries {
  /** Stable identity: drift type, feature, and the field it came from. */
  key: string;
  driftType: string;
  feature?: string;
  /** Model the score belongs to, when the frame says (label `model`/`modelId`). */
  model?: string;
  title: string;
  /** The drift type's name alone ("Feature drift"), for layouts that show the feature apart. */
  typeTitle: string;
  /** [epoch ms, score], sorted by time, without nulls. */
  points: Array<[number, number]>;
  latest?: number;
  latestTime?: number;
  max?: number;
}

const TYPE_ORDER = new Map<string, number>(KNOWN_DRIFT_TYPES.map((t, i) => [t, i]));

const TYPE_TITLES: Record<string, string> = {
  feature: 'Feature drift',
  prediction: 'Prediction drift',
  embedding: 'Embedding drift',
  concept: 'Concept drift',
  llm: 'LLM drift',
};

export function driftTitle(driftType: string, feature?: string): string {
  const base = TYPE_TITLES[driftType] ?? driftType;
  return feature ? `${base} · ${feature}` : base;
}

/**
 * Drift series from any numeric frames: each number field is one series; its labels
 * `driftType` and `feature` name it (fields without a driftType label are named by their
 * display name, so generic score frames work too). A frame without a time field gives one
 * point per number field (its last value).
 */
export function readDriftSeries(frames: DataFrame[]): DriftSeries[] {
  const out: DriftSeries[] = [];
  const seen = new Map<string, number>();
  for (const frame of frames) {
    const timeField = frame.fields.find((f) => f.type === FieldType.time);
    for (const field of frame.fields) {
      if (field.type !== FieldType.number) {
        continue;
      }
      const labels = field.labels ?? {};
      const driftType = labels.driftType ?? labels.drift_type ?? getFieldDisplayName(field, frame, frames);
      const feature = labels.feature || undefined;
      const model = labels.model ?? labels.modelId ?? labels.model_id;
      const points: Array<[number, number]> = [];
      for (let i = 0; i < field.values.length; i++) {
        const v: unknown = field.values[i];
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          continue;
        }
        const t: unknown = timeField ? timeField.values[i] : i;
        if (typeof t === 'number' && Number.isFinite(t)) {
          points.push([t, v]);
        }
      }
      points.sort((a, b) => a[0] - b[0]);
      const baseKey = [driftType, feature ?? '', model ?? ''].join('\u0000');
      // Two fields with the same labels (e.g. two queries) stay apart.
      const n = seen.get(baseKey) ?? 0;
      seen.set(baseKey, n + 1);
      const last = points[points.length - 1];
      out.push({
        key: n ? `${baseKey}\u0000${n}` : baseKey,
        driftType,
        feature,
        model,
        title: driftTitle(driftType, feature) + (model ? ` (${model})` : ''),
        typeTitle: driftTitle(driftType),
        points: timeField ? points : last ? [last] : [],
        latest: last?.[1],
        latestTime: timeField ? last?.[0] : undefined,
        max: points.length ? points.reduce((m, p) => Math.max(m, p[1]), -Infinity) : undefined,
      });
    }
  }
  return out;
}

export function driftStatus(
  value: number | undefined,
  thresholds: { warningThreshold: number; criticalThreshold: number }
): DriftStatus {
  if (value === undefined) {
    return 'ok';
  }
  if (value >= thresholds.criticalThreshold) {
    return 'critical';
  }
  if (value >= thresholds.warningThreshold) {
    return 'warning';
  }
  return 'ok';
}

const STATUS_RANK: Record<DriftStatus, number> = { critical: 0, warning: 1, ok: 2 };

/** Filters by drift type and orders worst first, then by drift type, then feature. */
export function arrangeDriftSeries(
  series: DriftSeries[],
  options: { driftTypes: string[]; warningThreshold: number; criticalThreshold: number }
): DriftSeries[] {
  const wanted = new Set(options.driftTypes);
  return series
    .filter((s) => wanted.size === 0 || wanted.has(s.driftType))
    .map((s, i) => ({ s, i, rank: STATUS_RANK[driftStatus(s.latest, options)] }))
    .sort(
      (a, b) =>
        a.rank - b.rank ||
        (TYPE_ORDER.get(a.s.driftType) ?? 99) - (TYPE_ORDER.get(b.s.driftType) ?? 99) ||
        (a.s.feature ?? '').localeCompare(b.s.feature ?? '') ||
        a.i - b.i
    )
    .map((x) => x.s);
}
