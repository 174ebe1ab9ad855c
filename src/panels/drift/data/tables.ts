// Readers of the drift engine's table frames ('drift-features', 'drift-distribution',
// 'drift-alerts'). Tolerant: a missing or mistyped column reads as absent, never throws.
import type { DataFrame, Field } from '@grafana/data';

/** Latest per-feature test result (one row of 'drift-features'). */
export interface FeatureResult {
  model?: string;
  /** '' for a drift type's overall result (the engine writes '(overall)'). */
  feature: string;
  driftType: string;
  test?: string;
  statistic?: number;
  pValue?: number;
  threshold?: number;
  drift?: boolean;
  score?: number;
  referenceCount?: number;
  currentCount?: number;
}

export interface DistributionBin {
  label: string;
  /** Numeric bins have both edges; categories have neither. */
  lower?: number;
  upper?: number;
  /** Shares (0..1) of the reference and current windows in this bin. */
  reference: number;
  current: number;
}

/** Reference vs current shares of one feature ('drift-distribution'). */
export interface FeatureDistribution {
  feature: string;
  model?: string;
  driftType?: string;
  test?: string;
  statistic?: number;
  pValue?: number;
  threshold?: number;
  drift?: boolean;
  score?: number;
  /** Time of the evaluated bucket. */
  bucket?: number;
  bins: DistributionBin[];
  /** Every bin (but a missing-value bin) has numeric edges: draw a histogram, else category bars. */
  numeric: boolean;
  refId?: string;
}

export interface DriftAlert {
  id: string;
  model: string;
  driftType: string;
  feature: string;
  service: string;
  state: string;
  openedAt?: number;
  resolvedAt?: number;
  score?: number;
  threshold?: number;
}

export type PyflareFrameKind = 'drift-scores' | 'drift-features' | 'drift-distribution' | 'drift-alerts' | 'other';

/** Which engine frame this is: meta.custom.pyflareFrame, else the frame name (meta may be stripped by transformations). */
export function frameKind(frame: DataFrame): PyflareFrameKind {
  const custom = frame.meta?.custom as { pyflareFrame?: unknown } | undefined;
  const kind = typeof custom?.pyflareFrame === 'string' ? custom.pyflareFrame : frame.name;
  switch (kind) {
    case 'drift-scores':
    case 'drift-features':
    case 'drift-distribution':
    case 'drift-alerts':
      return kind;
    default:
      return 'other';
  }
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

function columns(frame: DataFrame): Map<string, Field> {
  return new Map(frame.fields.map((f) => [f.name, f]));
}

const at = (cols: Map<string, Field>, name: string, i: number): unknown => cols.get(name)?.values[i];

function custom(frame: DataFrame): Record<string, unknown> {
  return (frame.meta?.custom ?? {}) as Record<string, unknown>;
}

export function readFeatureResults(frame: DataFrame): FeatureResult[] {
  const cols = columns(frame);
  const model = str(custom(frame).model) || undefined;
  const out: FeatureResult[] = [];
  for (let i = 0; i < frame.length; i++) {
    const feature = str(at(cols, 'feature', i));
    const driftType = str(at(cols, 'driftType', i));
    if (feature === undefined || !driftType) {
      continue;
    }
    out.push({
      model: str(at(cols, 'model', i)) || model,
      feature: feature === '(overall)' ? '' : feature,
      driftType,
      test: str(at(cols, 'test', i)) || undefined,
      statistic: num(at(cols, 'statistic', i)),
      pValue: num(at(cols, 'pValue', i)),
      threshold: num(at(cols, 'threshold', i)),
      drift: bool(at(cols, 'drift', i)),
      score: num(at(cols, 'score', i)),
      referenceCount: num(at(cols, 'referenceCount', i)),
      currentCount: num(at(cols, 'currentCount', i)),
    });
  }
  return out;
}

export function readDistribution(frame: DataFrame): FeatureDistribution | undefined {
  const meta = custom(frame);
  const cols = columns(frame);
  const feature = str(meta.feature);
  if (!feature || !cols.has('reference') || !cols.has('current')) {
    return undefined;
  }
  const bins: DistributionBin[] = [];
  for (let i = 0; i < frame.length; i++) {
    const lower = num(at(cols, 'lower', i));
    const upper = num(at(cols, 'upper', i));
    bins.push({
      label: str(at(cols, 'bin', i)) ?? String(i),
      lower,
      upper,
      reference: num(at(cols, 'reference', i)) ?? 0,
      current: num(at(cols, 'current', i)) ?? 0,
    });
  }
  const edged = bins.filter((b) => b.lower !== undefined && b.upper !== undefined);
  // A numeric feature may add one bin for missing values; it is still a histogram.
  const numeric = edged.length > 0 && edged.length >= bins.length - 1;
  return {
    feature,
    model: str(meta.model) || undefined,
    driftType: str(meta.driftType) || undefined,
    test: str(meta.test) || undefined,
    statistic: num(meta.statistic),
    pValue: num(meta.pValue),
    threshold: num(meta.threshold),
    drift: bool(meta.drift),
    score: num(meta.score),
    bucket: num(meta.bucket),
    bins,
    numeric,
    refId: frame.refId,
  };
}

export function readAlerts(frame: DataFrame): DriftAlert[] {
  const cols = columns(frame);
  const out: DriftAlert[] = [];
  for (let i = 0; i < frame.length; i++) {
    const driftType = str(at(cols, 'driftType', i));
    if (!driftType) {
      continue;
    }
    out.push({
      id: str(at(cols, 'id', i)) ?? String(i),
      model: str(at(cols, 'model', i)) ?? '',
      driftType,
      feature: str(at(cols, 'feature', i)) ?? '',
      service: str(at(cols, 'service', i)) ?? '',
      state: str(at(cols, 'state', i)) ?? 'active',
      openedAt: num(at(cols, 'openedAt', i)),
      resolvedAt: num(at(cols, 'resolvedAt', i)),
      score: num(at(cols, 'score', i)),
      threshold: num(at(cols, 'threshold', i)),
    });
  }
  return out;
}
