import { FieldType, toDataFrame } from '@grafana/data';

import { arrangeDriftSeries, driftStatus, driftTitle, readDriftSeries } from './driftSeries';

const t = (m: number) => Date.UTC(2025, 0, 15, 12, m);

const wide = toDataFrame({
  fields: [
    { name: 'time', type: FieldType.time, values: [t(2), t(0), t(1)] },
    {
      name: 'score',
      type: FieldType.number,
      labels: { driftType: 'feature', feature: 'age' },
      values: [0.25, 0.05, null],
    },
    { name: 'score', type: FieldType.number, labels: { driftType: 'embedding' }, values: [0.04, 0.02, 0.03] },
  ],
});
const prediction = toDataFrame({
  fields: [
    { name: 'time', type: FieldType.time, values: [t(0), t(1)] },
    { name: 'psi', type: FieldType.number, labels: { driftType: 'prediction', model: 'fraud' }, values: [0.08, 0.12] },
  ],
});

describe('readDriftSeries', () => {
  it('reads one series per number field, named by its labels, sorted by time', () => {
    const series = readDriftSeries([wide, prediction]);
    expect(series.map((s) => s.title)).toEqual(['Feature drift · age', 'Embedding drift', 'Prediction drift (fraud)']);
    expect(series[0]).toMatchObject({
      driftType: 'feature',
      feature: 'age',
      points: [
        [t(0), 0.05],
        [t(2), 0.25],
      ],
      latest: 0.25,
      latestTime: t(2),
      max: 0.25,
    });
    expect(series[2]).toMatchObject({ model: 'fraud', latest: 0.12 });
  });

  it('names unlabelled numeric fields by their display name', () => {
    const generic = toDataFrame({
      fields: [
        { name: 'time', type: FieldType.time, values: [t(0)] },
        { name: 'ks_pvalue', type: FieldType.number, values: [0.5] },
      ],
    });
    expect(readDriftSeries([generic])[0]).toMatchObject({ driftType: 'ks_pvalue', title: 'ks_pvalue', latest: 0.5 });
  });

  it('reads single numbers without a time field', () => {
    const single = toDataFrame({
      fields: [{ name: 'score', type: FieldType.number, labels: { driftType: 'concept' }, values: [0.1, 0.3] }],
    });
    expect(readDriftSeries([single])[0]).toMatchObject({ latest: 0.3, points: [[1, 0.3]], latestTime: undefined });
  });

  it('keeps series with equal labels apart and skips non-numeric fields', () => {
    const a = toDataFrame({
      fields: [
        { name: 'time', type: FieldType.time, values: [t(0)] },
        { name: 'model', type: FieldType.string, values: ['x'] },
        { name: 'v', type: FieldType.number, labels: { driftType: 'llm' }, values: [0.1] },
      ],
    });
    const series = readDriftSeries([a, a]);
    expect(series).toHaveLength(2);
    expect(new Set(series.map((s) => s.key)).size).toBe(2);
  });

  it('returns nothing for no frames', () => {
    expect(readDriftSeries([])).toEqual([]);
  });
});

describe('driftStatus and arrangeDriftSeries', () => {
  const th = { warningThreshold: 0.1, criticalThreshold: 0.2, driftTypes: [] as string[] };

  it('classifies scores against the thresholds', () => {
    expect(driftStatus(0.05, th)).toBe('ok');
    expect(driftStatus(0.1, th)).toBe('warning');
    expect(driftStatus(0.2, th)).toBe('critical');
    expect(driftStatus(undefined, th)).toBe('ok');
  });

  it('orders worst first and filters drift types', () => {
    const series = readDriftSeries([wide, prediction]);
    expect(arrangeDriftSeries(series, th).map((s) => s.driftType)).toEqual(['feature', 'prediction', 'embedding']);
    expect(arrangeDriftSeries(series, { ...th, driftTypes: ['embedding'] }).map((s) => s.driftType)).toEqual([
      'embedding',
    ]);
  });

  it('titles unknown drift types as they are', () => {
    expect(driftTitle('llm', 'toxicity')).toBe('LLM drift · toxicity');
    expect(driftTitle('custom_score')).toBe('custom_score');
  });
});
