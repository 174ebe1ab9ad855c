import { FieldType, toDataFrame } from '@grafana/data';

import { decode } from '../testing/decode';
import { scoresFrameJSON } from '../testing/synthetic';
import { compareSeries, driftTitle, readDriftSeries } from './driftSeries';

const t = (h: number) => Date.UTC(2025, 0, 15, h);

describe('readDriftSeries', () => {
  it('reads the engine’s drift-scores frames: labels, threshold, alert flag, bucket, latest test', () => {
    const [frame] = decode([
      scoresFrameJSON({
        model: 'fraud',
        driftType: 'feature',
        feature: 'age',
        times: [t(0), t(1), t(2)],
        values: [0.05, 0.12, 0.31],
        threshold: 0.1,
        alertActive: true,
        test: 'wasserstein',
      }),
    ]);
    const [s] = readDriftSeries([frame!]);
    expect(s).toMatchObject({
      driftType: 'feature',
      feature: 'age',
      model: 'fraud',
      title: 'Feature drift · age (fraud)',
      typeTitle: 'Feature drift',
      times: [t(0), t(1), t(2)],
      values: [0.05, 0.12, 0.31],
      latest: 0.31,
      latestTime: t(2),
      max: 0.31,
      threshold: 0.1,
      alertActive: true,
      bucketMs: 3_600_000,
      latestTest: 'wasserstein',
      refId: 'A',
    });
  });

  it('sorts unordered points, drops nulls, reads the threshold from field config without meta', () => {
    const frame = toDataFrame({
      fields: [
        { name: 'time', type: FieldType.time, values: [t(2), t(0), t(1)] },
        {
          name: 'score',
          type: FieldType.number,
          labels: { driftType: 'llm', service: 'bot' },
          values: [0.25, 0.05, null],
          config: {
            thresholds: {
              mode: 'absolute',
              steps: [
                { value: -Infinity, color: 'green' },
                { value: 0.2, color: 'red' },
              ],
            },
          },
        },
      ],
    });
    const [s] = readDriftSeries([frame]);
    expect(s).toMatchObject({ times: [t(0), t(2)], values: [0.05, 0.25], threshold: 0.2, service: 'bot' });
    expect(s!.alertActive).toBeUndefined();
    expect(s!.title).toBe('LLM behaviour drift');
  });

  it('names unlabelled numeric fields by their display name and reads frames without time', () => {
    const generic = toDataFrame({ fields: [{ name: 'ks_pvalue', type: FieldType.number, values: [0.5, 0.7] }] });
    expect(readDriftSeries([generic])[0]).toMatchObject({
      driftType: 'ks_pvalue',
      latest: 0.7,
      values: [0.7],
      latestTime: undefined,
    });
  });

  it('keeps series with equal labels apart', () => {
    const a = toDataFrame({
      fields: [
        { name: 'time', type: FieldType.time, values: [t(0)] },
        { name: 'v', type: FieldType.number, labels: { driftType: 'concept' }, values: [0.1] },
      ],
    });
    const series = readDriftSeries([a, a]);
    expect(new Set(series.map((s) => s.key)).size).toBe(2);
  });

  it('orders by model, then drift type in display order, then feature', () => {
    const mk = (model: string, driftType: string, feature?: string) =>
      ({ key: '', model, driftType, feature }) as Parameters<typeof compareSeries>[0];
    const sorted = [
      mk('b', 'feature'),
      mk('a', 'llm'),
      mk('a', 'feature', 'z'),
      mk('a', 'feature', 'c'),
      mk('a', 'custom'),
    ].sort(compareSeries);
    expect(sorted.map((s) => `${s.model}/${s.driftType}/${s.feature ?? ''}`)).toEqual([
      'a/feature/c',
      'a/feature/z',
      'a/llm/',
      'a/custom/',
      'b/feature/',
    ]);
    expect(driftTitle('custom_score')).toBe('custom_score');
  });
});
