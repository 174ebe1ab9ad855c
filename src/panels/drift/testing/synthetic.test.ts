import { driftScenario, HOUR, SYNTHETIC_END } from './synthetic';

describe('driftScenario', () => {
  it('is deterministic and in the engine’s frame shape', () => {
    const a = driftScenario({ features: 20, buckets: 24 });
    expect(driftScenario({ features: 20, buckets: 24 })).toEqual(a);
    expect(a.perFeature).toHaveLength(20);
    const f = a.perFeature[0]!;
    expect(f.schema.meta).toMatchObject({ custom: { pyflareFrame: 'drift-scores', threshold: 0.1, bucketMs: HOUR } });
    expect(f.schema.fields.map((x) => [x.name, x.type, x.typeInfo.frame])).toEqual([
      ['time', 'time', 'time.Time'],
      ['score', 'number', 'float64'],
    ]);
    expect(f.schema.fields[1]!.labels).toEqual({
      model: 'fraud-detector',
      driftType: 'feature',
      feature: 'account_age_days',
    });
    expect(f.data.values[0]![23]).toBe(SYNTHETIC_END);
    expect(a.overall.map((o) => (o.schema.meta as { custom: { driftType: string } }).custom.driftType)).toEqual([
      'feature',
      'prediction',
      'embedding',
      'concept',
      'llm',
    ]);
    expect(a.drifting[0]).toBe('account_age_days');
    expect(a.features.schema.fields.map((x) => x.name)).toEqual([
      'feature',
      'driftType',
      'test',
      'statistic',
      'pValue',
      'threshold',
      'drift',
      'score',
      'referenceCount',
      'currentCount',
    ]);
  });
});
