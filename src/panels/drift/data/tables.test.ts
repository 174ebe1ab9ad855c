import { FieldType, toDataFrame } from '@grafana/data';

import { decode } from '../testing/decode';
import { alertsFrameJSON, categoricalDistributionJSON, driftScenario } from '../testing/synthetic';
import { isEmptyDriftData, readDriftData } from './driftData';
import { frameKind } from './tables';

const sc = driftScenario({ features: 6, buckets: 24 });

describe('readDriftData', () => {
  it('sorts the engine’s frames by kind', () => {
    const d = readDriftData(decode([...sc.overall, ...sc.perFeature, sc.features, sc.distribution, sc.alerts]));
    expect(d.series).toHaveLength(5 + 6);
    expect(d.features).toHaveLength(7);
    expect(d.features[0]).toMatchObject({ feature: '', driftType: 'feature', test: 'drift_share', model: sc.model });
    expect(d.features[1]).toMatchObject({
      feature: 'account_age_days',
      test: 'wasserstein',
      threshold: 0.1,
      drift: true,
    });
    expect(d.features[1]!.pValue).toBeUndefined();
    expect(d.distributions).toHaveLength(1);
    expect(d.distributions[0]).toMatchObject({
      feature: 'account_age_days',
      model: sc.model,
      test: 'wasserstein',
      threshold: 0.1,
      numeric: true,
    });
    expect(d.distributions[0]!.bins[0]).toEqual({
      label: '[0, 30)',
      lower: 0,
      upper: 30,
      reference: 0.04,
      current: 0.22,
    });
    expect(d.alerts.map((a) => [a.driftType, a.feature, a.state])).toEqual([
      ['feature', 'account_age_days', 'active'],
      ['concept', '', 'active'],
    ]);
    expect(d.hasAlertFrame).toBe(true);
  });

  it('reads category distributions and alert frames without rows', () => {
    const d = readDriftData(decode([categoricalDistributionJSON(), alertsFrameJSON([])]));
    expect(d.distributions[0]).toMatchObject({
      feature: 'payment_method',
      numeric: false,
      test: 'chisquare',
      pValue: 0.00002,
    });
    expect(d.distributions[0]!.bins[3]).toEqual({
      label: 'crypto',
      lower: undefined,
      upper: undefined,
      reference: 0.02,
      current: 0.15,
    });
    expect(d.alerts).toEqual([]);
    expect(d.hasAlertFrame).toBe(true);
  });

  it('knows frames by name when meta is gone, and ignores unrelated tables', () => {
    expect(frameKind(toDataFrame({ name: 'drift-alerts', fields: [] }))).toBe('drift-alerts');
    const text = toDataFrame({ fields: [{ name: 'msg', type: FieldType.string, values: ['x'] }] });
    expect(isEmptyDriftData(readDriftData([text]))).toBe(true);
  });
});
