// Metrics frames (queryType "metrics" and the cost timeline). Time series format: one frame
// per series, [time, value] with the series labels on the value field (Grafana's
// "timeseries-multi"; alert rules read it directly). Table format: one long frame, [time,
// <one string field per group-by dimension>, value], sorted by time ("timeseries-long").
import type { FrameJSON } from '../queryModel.js';
import type { MetricsResult } from '../query/metrics.js';
import { buildFrame, type FieldSpec } from './frame.js';

export interface MetricsFrameOptions {
  format: 'time_series' | 'table';
  /** Value field name (default: the metric name). */
  valueName?: string;
  pyflareFrame?: string;
}

function notices(r: MetricsResult): Array<Record<string, string>> {
  return r.series.length < r.seriesTotal
    ? [{ severity: 'warning', text: `showing the ${r.series.length} largest of ${r.seriesTotal} series (by span count)` }]
    : [];
}

/** Display name of a grouped series: its label values; "(none)" for an empty value. */
function displayName(r: MetricsResult, labels: Record<string, string>): string | undefined {
  if (r.groupBy.length === 0) {
    return undefined;
  }
  return r.groupBy.map((g) => labels[g] || '(none)').join(' / ');
}

export function metricsFrames(r: MetricsResult, refId: string, opts: MetricsFrameOptions): FrameJSON[] {
  const valueName = opts.valueName ?? r.metric;
  const custom = { pyflareFrame: opts.pyflareFrame ?? 'metrics', metric: r.metric, aggregation: r.aggregation, stepMs: r.stepMs, source: r.source };
  const n = notices(r);
  const baseMeta = (type: string) => ({
    type,
    typeVersion: [0, 1],
    custom,
    ...(n.length ? { notices: n } : {}),
  });
  const timeField = (values: number[]): FieldSpec => ({ name: 'time', type: 'time', values, config: { interval: r.stepMs } });
  if (opts.format === 'table') {
    const times: number[] = [];
    const dims: string[][] = r.groupBy.map(() => []);
    const values: Array<number | null> = [];
    r.timestamps.forEach((t, i) => {
      for (const s of r.series) {
        times.push(t);
        r.groupBy.forEach((g, k) => dims[k]!.push(s.labels[g] ?? ''));
        values.push(s.values[i] ?? null);
      }
    });
    return [
      buildFrame({
        name: valueName,
        refId,
        meta: { ...baseMeta('timeseries-long'), preferredVisualisationType: 'table' },
        fields: [
          timeField(times),
          ...r.groupBy.map((g, k): FieldSpec => ({ name: g, type: 'string', values: dims[k]! })),
          { name: valueName, type: 'number', nullable: values.includes(null), values, config: { unit: r.unit } },
        ],
      }),
    ];
  }
  if (r.series.length === 0) {
    // Nothing matched: one empty frame keeps the schema (alerting reads it as "no data").
    return [
      buildFrame({
        name: valueName,
        refId,
        meta: baseMeta('timeseries-multi'),
        fields: [timeField([]), { name: valueName, type: 'number', values: [], config: { unit: r.unit } }],
      }),
    ];
  }
  return r.series.map((s) => {
    const dn = displayName(r, s.labels);
    return buildFrame({
      name: valueName,
      refId,
      meta: baseMeta('timeseries-multi'),
      fields: [
        timeField(r.timestamps),
        {
          name: valueName,
          type: 'number',
          nullable: s.values.includes(null),
          labels: s.labels,
          values: s.values,
          config: { unit: r.unit, ...(dn !== undefined ? { displayNameFromDS: dn } : {}) },
        },
      ],
    });
  });
}
