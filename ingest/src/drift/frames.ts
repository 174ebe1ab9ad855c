// Grafana data frames of the drift engine (data-frame JSON, every field typed):
// - 'drift-scores': one time series per (model, service, drift type, feature), [time, score],
//   labels on the score field, threshold and alert state in meta.custom (alertable: numeric
//   with a time field first, 'timeseries-multi');
// - 'drift-features': latest per-feature results (table);
// - 'drift-distribution': reference vs current shares per bin of one feature;
// - 'drift-alerts': alerts (table; also usable as annotations: openedAt is the first time
//   field, `timeEnd`, `title`, `text` and `tags` follow Grafana's annotation field names).
import { buildFrame, type FieldSpec } from '../frames/frame.js';
import type { FrameJSON } from '../queryModel.js';
import type { DistributionBin } from './evaluate.js';
import type { AlertRow, ResultRow } from './store.js';

type Field = FieldSpec;

function frame(name: string, refId: string, meta: Record<string, unknown>, fields: Field[]): FrameJSON {
  return buildFrame({ name, refId, meta, fields });
}

const finite = (v: number | null): number | null => (v === null || !Number.isFinite(v) ? null : v);

export function seriesLabels(r: {
  modelId: string;
  service: string;
  driftType: string;
  feature: string;
}): Record<string, string> {
  return {
    model: r.modelId,
    driftType: r.driftType,
    ...(r.feature ? { feature: r.feature } : {}),
    ...(r.service ? { service: r.service } : {}),
  };
}

function seriesName(r: { modelId: string; service: string; driftType: string; feature: string }): string {
  return [r.modelId, r.service, r.driftType, r.feature].filter(Boolean).join(' / ');
}

/** One frame per series, oldest point first. `threshold` overrides the stored score threshold. */
export function scoresFrames(
  rows: readonly ResultRow[],
  opts: { refId: string; bucketMs: number; threshold?: number; activeAlerts: ReadonlySet<string> }
): FrameJSON[] {
  const groups = new Map<string, ResultRow[]>();
  for (const r of rows) {
    const k = JSON.stringify([r.modelId, r.service, r.driftType, r.feature]);
    const g = groups.get(k) ?? [];
    g.push(r);
    groups.set(k, g);
  }
  const frames: FrameJSON[] = [];
  for (const [k, g] of groups) {
    g.sort((a, b) => a.bucketMs - b.bucketMs);
    const last = g[g.length - 1]!;
    const threshold = opts.threshold ?? last.scoreThreshold;
    const name = seriesName(last);
    frames.push(
      frame(
        // One name for every series (the panel falls back to it when meta is stripped); the
        // legend comes from displayNameFromDS.
        'drift-scores',
        opts.refId,
        {
          type: 'timeseries-multi',
          typeVersion: [0, 1],
          custom: {
            pyflareFrame: 'drift-scores',
            threshold,
            alertActive: opts.activeAlerts.has(k),
            model: last.modelId,
            driftType: last.driftType,
            ...(last.feature ? { feature: last.feature } : {}),
            ...(last.service ? { service: last.service } : {}),
            bucketMs: opts.bucketMs,
            latest: { time: last.bucketMs, score: last.score, drift: last.drift, test: last.test },
          },
        },
        [
          { name: 'time', type: 'time', values: g.map((r) => r.bucketMs), config: { interval: opts.bucketMs } },
          {
            name: 'score',
            type: 'number',
            values: g.map((r) => r.score),
            labels: seriesLabels(last),
            config: {
              displayNameFromDS: name,
              thresholds: {
                mode: 'absolute',
                steps: [
                  { value: null, color: 'green' },
                  { value: threshold, color: 'red' },
                ],
              },
            },
          },
        ]
      )
    );
  }
  return frames;
}

/** Key of a series for matching alerts and results. */
export function seriesKeyOf(r: { modelId: string; service: string; driftType: string; feature: string }): string {
  return JSON.stringify([r.modelId, r.service, r.driftType, r.feature]);
}

export function featuresFrame(rows: readonly ResultRow[], opts: { refId: string; modelId: string }): FrameJSON {
  return frame(
    'drift-features',
    opts.refId,
    {
      preferredVisualisationType: 'table',
      custom: {
        pyflareFrame: 'drift-features',
        model: opts.modelId,
        latestBucket: rows.reduce((m, r) => Math.max(m, r.bucketMs), 0) || null,
      },
    },
    [
      { name: 'feature', type: 'string', values: rows.map((r) => r.feature || '(overall)') },
      { name: 'driftType', type: 'string', values: rows.map((r) => r.driftType) },
      { name: 'test', type: 'string', values: rows.map((r) => r.test) },
      { name: 'statistic', type: 'number', nullable: true, values: rows.map((r) => finite(r.statistic)) },
      { name: 'pValue', type: 'number', nullable: true, values: rows.map((r) => finite(r.pValue)) },
      { name: 'threshold', type: 'number', nullable: true, values: rows.map((r) => finite(r.threshold)) },
      { name: 'drift', type: 'boolean', values: rows.map((r) => r.drift) },
      { name: 'score', type: 'number', values: rows.map((r) => r.score) },
      { name: 'referenceCount', type: 'number', values: rows.map((r) => r.referenceCount) },
      { name: 'currentCount', type: 'number', values: rows.map((r) => r.currentCount) },
    ]
  );
}

export function distributionFrame(row: ResultRow | null, opts: { refId: string; feature: string }): FrameJSON {
  const bins = (row?.details.distribution as DistributionBin[] | undefined) ?? [];
  return frame(
    'drift-distribution',
    opts.refId,
    {
      preferredVisualisationType: 'table',
      custom: {
        pyflareFrame: 'drift-distribution',
        feature: opts.feature,
        test: row?.test ?? null,
        statistic: row ? finite(row.statistic) : null,
        pValue: row ? finite(row.pValue) : null,
        threshold: row ? finite(row.threshold) : null,
        ...(row
          ? { model: row.modelId, driftType: row.driftType, bucket: row.bucketMs, drift: row.drift, score: row.score }
          : {}),
      },
    },
    [
      { name: 'bin', type: 'string', values: bins.map((b) => b.bin) },
      { name: 'lower', type: 'number', nullable: true, values: bins.map((b) => b.lower) },
      { name: 'upper', type: 'number', nullable: true, values: bins.map((b) => b.upper) },
      { name: 'reference', type: 'number', values: bins.map((b) => b.reference), config: { unit: 'percentunit' } },
      { name: 'current', type: 'number', values: bins.map((b) => b.current), config: { unit: 'percentunit' } },
    ]
  );
}

export function alertText(a: AlertRow): string {
  const what = a.feature ? `${a.driftType} drift of ${a.feature}` : `${a.driftType} drift`;
  const where = a.service ? `${a.modelId} (${a.service})` : a.modelId;
  const state = a.state === 'active' ? 'active' : `resolved${a.resolvedBy === 'manual' ? ' by hand' : ''}`;
  return `${what} on ${where}: score ${a.score.toPrecision(3)} (peak ${a.peakScore.toPrecision(3)}), threshold ${a.threshold.toPrecision(3)}; ${state}`;
}

export function alertsFrame(alerts: readonly AlertRow[], opts: { refId: string }): FrameJSON {
  return frame(
    'drift-alerts',
    opts.refId,
    { preferredVisualisationType: 'table', custom: { pyflareFrame: 'drift-alerts' } },
    [
      { name: 'id', type: 'string', values: alerts.map((a) => a.id) },
      { name: 'model', type: 'string', values: alerts.map((a) => a.modelId) },
      { name: 'driftType', type: 'string', values: alerts.map((a) => a.driftType) },
      { name: 'feature', type: 'string', values: alerts.map((a) => a.feature) },
      { name: 'state', type: 'string', values: alerts.map((a) => a.state) },
      { name: 'openedAt', type: 'time', values: alerts.map((a) => a.openedMs) },
      { name: 'resolvedAt', type: 'time', nullable: true, values: alerts.map((a) => a.resolvedMs) },
      { name: 'score', type: 'number', values: alerts.map((a) => a.score) },
      { name: 'threshold', type: 'number', values: alerts.map((a) => a.threshold) },
      { name: 'service', type: 'string', values: alerts.map((a) => a.service) },
      { name: 'timeEnd', type: 'time', nullable: true, values: alerts.map((a) => a.resolvedMs) },
      {
        name: 'title',
        type: 'string',
        values: alerts.map((a) => `Drift alert: ${a.modelId} ${a.driftType}${a.feature ? ` ${a.feature}` : ''}`),
      },
      { name: 'text', type: 'string', values: alerts.map(alertText) },
      {
        name: 'tags',
        type: 'string',
        values: alerts.map((a) => ['pyflare', 'drift', a.driftType, a.modelId, a.state].join(',')),
      },
    ]
  );
}
