// SYNTHETIC drift frames in the exact JSON shape of the drift engine (ingest/src/drift/frames.ts):
// 'drift-scores', 'drift-features', 'drift-distribution', 'drift-alerts'. For unit tests, the
// benchmark, and browser tests that need sizes or shapes the real engine is not asked for.
// No runtime import of @grafana/data: Node scripts use this too.
import type { FrameFieldType, FrameJSON } from '@pyflare/query-model';

const GO: Record<FrameFieldType, string> = {
  time: 'time.Time',
  number: 'float64',
  string: 'string',
  boolean: 'bool',
  other: 'json.RawMessage',
  enum: 'enum',
};

interface Col {
  name: string;
  type: FrameFieldType;
  values: unknown[];
  nullable?: boolean;
  labels?: Record<string, string>;
  config?: Record<string, unknown>;
}

function frame(name: string, meta: Record<string, unknown>, cols: Col[], refId = 'A'): FrameJSON {
  return {
    schema: {
      name,
      refId,
      meta,
      fields: cols.map((c) => ({
        name: c.name,
        type: c.type,
        typeInfo: c.nullable ? { frame: GO[c.type], nullable: true } : { frame: GO[c.type] },
        ...(c.labels ? { labels: c.labels } : {}),
        ...(c.config ? { config: c.config } : {}),
      })),
    },
    data: { values: cols.map((c) => c.values) },
  };
}

export const HOUR = 3_600_000;
/** End of the synthetic range: 2025-01-15 12:00 UTC. */
export const SYNTHETIC_END = Date.UTC(2025, 0, 15, 12, 0, 0);

export interface ScoresInput {
  model: string;
  driftType: string;
  feature?: string;
  service?: string;
  times: number[];
  values: number[];
  threshold: number;
  alertActive?: boolean;
  bucketMs?: number;
  test?: string;
  refId?: string;
}

export function scoresFrameJSON(s: ScoresInput): FrameJSON {
  const name = [s.model, s.service, s.driftType, s.feature].filter(Boolean).join(' / ');
  const last = s.values.length - 1;
  const bucketMs = s.bucketMs ?? HOUR;
  return frame(
    name,
    {
      type: 'timeseries-multi',
      typeVersion: [0, 1],
      custom: {
        pyflareFrame: 'drift-scores',
        threshold: s.threshold,
        alertActive: s.alertActive ?? false,
        model: s.model,
        driftType: s.driftType,
        ...(s.feature ? { feature: s.feature } : {}),
        ...(s.service ? { service: s.service } : {}),
        bucketMs,
        latest:
          last >= 0
            ? { time: s.times[last], score: s.values[last], drift: s.values[last]! >= s.threshold, test: s.test ?? '' }
            : undefined,
      },
    },
    [
      { name: 'time', type: 'time', values: s.times, config: { interval: bucketMs } },
      {
        name: 'score',
        type: 'number',
        values: s.values,
        labels: {
          model: s.model,
          driftType: s.driftType,
          ...(s.feature ? { feature: s.feature } : {}),
          ...(s.service ? { service: s.service } : {}),
        },
        config: {
          displayNameFromDS: name,
          thresholds: {
            mode: 'absolute',
            steps: [
              { value: null, color: 'green' },
              { value: s.threshold, color: 'red' },
            ],
          },
        },
      },
    ],
    s.refId
  );
}

export interface FeatureRowInput {
  feature: string;
  driftType: string;
  test: string;
  statistic: number | null;
  pValue: number | null;
  threshold: number | null;
  drift: boolean;
  score: number;
  referenceCount: number;
  currentCount: number;
}

export function featuresFrameJSON(
  model: string,
  rows: FeatureRowInput[],
  latestBucket: number,
  refId = 'B'
): FrameJSON {
  return frame(
    'drift-features',
    { preferredVisualisationType: 'table', custom: { pyflareFrame: 'drift-features', model, latestBucket } },
    [
      { name: 'feature', type: 'string', values: rows.map((r) => r.feature || '(overall)') },
      { name: 'driftType', type: 'string', values: rows.map((r) => r.driftType) },
      { name: 'test', type: 'string', values: rows.map((r) => r.test) },
      { name: 'statistic', type: 'number', nullable: true, values: rows.map((r) => r.statistic) },
      { name: 'pValue', type: 'number', nullable: true, values: rows.map((r) => r.pValue) },
      { name: 'threshold', type: 'number', nullable: true, values: rows.map((r) => r.threshold) },
      { name: 'drift', type: 'boolean', values: rows.map((r) => r.drift) },
      { name: 'score', type: 'number', values: rows.map((r) => r.score) },
      { name: 'referenceCount', type: 'number', values: rows.map((r) => r.referenceCount) },
      { name: 'currentCount', type: 'number', values: rows.map((r) => r.currentCount) },
    ],
    refId
  );
}

export interface DistributionInput {
  feature: string;
  model: string;
  driftType?: string;
  test: string;
  statistic: number | null;
  pValue: number | null;
  threshold: number | null;
  drift: boolean;
  score: number;
  bucket: number;
  bins: Array<{ bin: string; lower: number | null; upper: number | null; reference: number; current: number }>;
  refId?: string;
}

export function distributionFrameJSON(d: DistributionInput): FrameJSON {
  return frame(
    'drift-distribution',
    {
      preferredVisualisationType: 'table',
      custom: {
        pyflareFrame: 'drift-distribution',
        feature: d.feature,
        test: d.test,
        statistic: d.statistic,
        pValue: d.pValue,
        threshold: d.threshold,
        model: d.model,
        driftType: d.driftType ?? 'feature',
        bucket: d.bucket,
        drift: d.drift,
        score: d.score,
      },
    },
    [
      { name: 'bin', type: 'string', values: d.bins.map((b) => b.bin) },
      { name: 'lower', type: 'number', nullable: true, values: d.bins.map((b) => b.lower) },
      { name: 'upper', type: 'number', nullable: true, values: d.bins.map((b) => b.upper) },
      { name: 'reference', type: 'number', values: d.bins.map((b) => b.reference), config: { unit: 'percentunit' } },
      { name: 'current', type: 'number', values: d.bins.map((b) => b.current), config: { unit: 'percentunit' } },
    ],
    d.refId ?? 'C'
  );
}

export interface AlertInput {
  id: string;
  model: string;
  driftType: string;
  feature: string;
  service?: string;
  state: 'active' | 'resolved';
  openedAt: number;
  resolvedAt: number | null;
  score: number;
  threshold: number;
}

export function alertsFrameJSON(alerts: AlertInput[], refId = 'D'): FrameJSON {
  return frame(
    'drift-alerts',
    { preferredVisualisationType: 'table', custom: { pyflareFrame: 'drift-alerts' } },
    [
      { name: 'id', type: 'string', values: alerts.map((a) => a.id) },
      { name: 'model', type: 'string', values: alerts.map((a) => a.model) },
      { name: 'driftType', type: 'string', values: alerts.map((a) => a.driftType) },
      { name: 'feature', type: 'string', values: alerts.map((a) => a.feature) },
      { name: 'state', type: 'string', values: alerts.map((a) => a.state) },
      { name: 'openedAt', type: 'time', values: alerts.map((a) => a.openedAt) },
      { name: 'resolvedAt', type: 'time', nullable: true, values: alerts.map((a) => a.resolvedAt) },
      { name: 'score', type: 'number', values: alerts.map((a) => a.score) },
      { name: 'threshold', type: 'number', values: alerts.map((a) => a.threshold) },
      { name: 'service', type: 'string', values: alerts.map((a) => a.service ?? '') },
    ],
    refId
  );
}

/** Deterministic PRNG (mulberry32): the same scenario every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const round = (v: number) => Number(v.toFixed(4));

export interface Scenario {
  model: string;
  /** One overall series per drift type (feature, prediction, embedding, concept, llm). */
  overall: FrameJSON[];
  /** One series per feature ('drift-scores' with a feature label). */
  perFeature: FrameJSON[];
  features: FrameJSON;
  distribution: FrameJSON;
  alerts: FrameJSON;
  /** Features that drift, worst first. */
  drifting: string[];
}

const FEATURE_NAMES = [
  'account_age_days',
  'basket_value',
  'country',
  'device_type',
  'payment_method',
  'items_in_cart',
  'session_length_s',
  'hour_of_day',
  'distance_km',
  'previous_orders',
];

/**
 * A fraud model over `buckets` hourly buckets with `features` features: most are stable,
 * a few drift from some bucket on (ramp), one drifts hard. Tests as the engine picks them
 * for a large reference: normed Wasserstein for numbers, Jensen–Shannon for categories (both
 * threshold 0.1), and KS (score 1 - p, threshold 0.95) for every fifth feature.
 */
export function driftScenario(
  opts: { features?: number; buckets?: number; end?: number; seed?: number } = {}
): Scenario {
  const nFeatures = opts.features ?? 12;
  const nBuckets = opts.buckets ?? 48;
  const end = opts.end ?? SYNTHETIC_END;
  const rand = rng(opts.seed ?? 7);
  const model = 'fraud-detector';
  const times = Array.from({ length: nBuckets }, (_, i) => end - (nBuckets - 1 - i) * HOUR);
  const names = Array.from({ length: nFeatures }, (_, i) =>
    i < FEATURE_NAMES.length ? FEATURE_NAMES[i]! : `feature_${String(i).padStart(3, '0')}`
  );
  const perFeature: FrameJSON[] = [];
  const rows: FeatureRowInput[] = [];
  const finals: Array<{ name: string; level: number }> = [];
  names.forEach((feature, fi) => {
    const ks = fi % 5 === 4;
    const categorical = !ks && fi % 3 === 2;
    const test = ks ? 'ks' : categorical ? 'jensenshannon' : 'wasserstein';
    const threshold = ks ? 0.95 : 0.1;
    // Which features drift: the first one hard, then every 7th mildly, every 11th creeping up.
    const hard = fi === 0;
    const mild = fi % 7 === 3;
    const creeping = fi % 11 === 6;
    const start = Math.floor(nBuckets * (hard ? 0.55 : mild ? 0.7 : 0.4));
    const values = times.map((_, b) => {
      const noise = rand() * 0.35;
      let level = 0.15 + noise; // in units of the threshold
      if (b >= start && (hard || mild)) {
        level += (hard ? 1.6 : 0.75) * Math.min(1, (b - start) / (nBuckets * 0.15));
      }
      if (creeping) {
        level += 0.65 * (b / nBuckets);
      }
      // KS scores are 1 - p: a level maps to a score below 1.
      return round(ks ? Math.min(0.9999, level * threshold) : level * threshold);
    });
    const last = values[values.length - 1]!;
    finals.push({ name: feature, level: last / threshold });
    perFeature.push(
      scoresFrameJSON({
        model,
        driftType: 'feature',
        feature,
        times,
        values,
        threshold,
        alertActive: last >= threshold && hard,
        test,
      })
    );
    rows.push({
      feature,
      driftType: 'feature',
      test,
      statistic: ks ? round(0.05 + last * 0.2) : last,
      pValue: ks ? round(Math.max(0, 1 - last)) : null,
      threshold: ks ? 0.05 : threshold,
      drift: last >= threshold,
      score: last,
      referenceCount: 20_000,
      currentCount: 1_000 + Math.round(rand() * 400),
    });
  });
  const drifted = finals.filter((f) => f.level >= 1).length;
  const series = (
    driftType: string,
    threshold: number,
    f: (b: number) => number,
    extra: Partial<ScoresInput> = {}
  ): FrameJSON =>
    scoresFrameJSON({ model, driftType, times, values: times.map((_, b) => round(f(b))), threshold, ...extra });
  const share = (b: number) => {
    let n = 0;
    for (const fr of perFeature) {
      const v = fr.data.values[1]![b] as number;
      const th = (fr.schema.meta as { custom: { threshold: number } }).custom.threshold;
      n += v >= th ? 1 : 0;
    }
    return n / perFeature.length;
  };
  const overall = [
    series('feature', 0.5, share, { test: 'drift_share', alertActive: false }),
    series(
      'prediction',
      0.1,
      (b) => 0.03 + 0.09 * Math.max(0, (b - nBuckets * 0.6) / (nBuckets * 0.4)) + rand() * 0.01,
      {
        test: 'psi',
        alertActive: false,
      }
    ),
    series('embedding', 0.1, (b) => 0.02 + 0.01 * Math.sin(b / 3) + rand() * 0.01, {
      test: 'domain_classifier_auc',
    }),
    series('concept', 0.1, (b) => 0.04 + rand() * 0.02 + (b > nBuckets * 0.8 ? 0.1 : 0), {
      test: 'relative_drop',
      alertActive: true,
    }),
    series('llm', 0.2, (b) => 0.06 + 0.02 * Math.cos(b / 4) + rand() * 0.02, {
      test: 'jensenshannon',
      service: 'support-bot',
    }),
  ];
  const lastShare = share(nBuckets - 1);
  rows.unshift({
    feature: '',
    driftType: 'feature',
    test: 'drift_share',
    statistic: lastShare,
    pValue: null,
    threshold: 0.5,
    drift: lastShare >= 0.5,
    score: lastShare,
    referenceCount: 20_000,
    currentCount: 1_200,
  });
  const top = finals[0]!.name;
  const edges = [0, 30, 60, 90, 180, 365, 730, 1095, 1460, 1825, 3650];
  const ref = [0.04, 0.05, 0.06, 0.1, 0.15, 0.2, 0.14, 0.1, 0.08, 0.08];
  const cur = [0.22, 0.18, 0.12, 0.1, 0.1, 0.1, 0.07, 0.05, 0.03, 0.03];
  const distribution = distributionFrameJSON({
    feature: top,
    model,
    test: 'wasserstein',
    statistic: finals[0]!.level * 0.1,
    pValue: null,
    threshold: 0.1,
    drift: true,
    score: finals[0]!.level * 0.1,
    bucket: times[times.length - 1]!,
    bins: ref.map((r, i) => ({
      bin: `[${edges[i]}, ${edges[i + 1]})`,
      lower: edges[i]!,
      upper: edges[i + 1]!,
      reference: r,
      current: cur[i]!,
    })),
  });
  const alerts = alertsFrameJSON([
    {
      id: 'alert-1',
      model,
      driftType: 'feature',
      feature: top,
      state: 'active',
      openedAt: times[Math.floor(nBuckets * 0.7)]!,
      resolvedAt: null,
      score: finals[0]!.level * 0.1,
      threshold: 0.1,
    },
    {
      id: 'alert-2',
      model,
      driftType: 'concept',
      feature: '',
      state: 'active',
      openedAt: times[Math.floor(nBuckets * 0.85)]!,
      resolvedAt: null,
      score: 0.15,
      threshold: 0.1,
    },
  ]);
  return {
    model,
    overall,
    perFeature,
    features: featuresFrameJSON(model, rows, times[times.length - 1]!),
    distribution,
    alerts,
    drifting: finals
      .filter((f) => f.level >= 1)
      .sort((a, b) => b.level - a.level)
      .map((f) => f.name)
      .slice(0, Math.max(drifted, 0)),
  };
}

/** A categorical feature's distribution (category bars). */
export function categoricalDistributionJSON(end = SYNTHETIC_END): FrameJSON {
  const cats = ['card', 'paypal', 'bank_transfer', 'crypto', 'gift_card', '(other)'];
  const ref = [0.52, 0.28, 0.12, 0.02, 0.04, 0.02];
  const cur = [0.41, 0.25, 0.1, 0.15, 0.06, 0.03];
  return distributionFrameJSON({
    feature: 'payment_method',
    model: 'fraud-detector',
    test: 'chisquare',
    statistic: 312.4,
    pValue: 0.00002,
    threshold: 0.05,
    drift: true,
    score: 0.99998,
    bucket: end,
    bins: cats.map((c, i) => ({ bin: c, lower: null, upper: null, reference: ref[i]!, current: cur[i]! })),
  });
}
