import type { PanelData } from '@grafana/data';
import { pyflareQuerySchema, QUERY_MODEL_VERSION } from '@pyflare/query-model';

import { distributionQuery, driftDataSource, featureVariableUpdate } from './drilldown';

describe('drill-down', () => {
  it('builds a distribution query the query model accepts', () => {
    const q = distributionQuery({ feature: 'age', model: 'fraud', driftType: 'feature' }, { uid: 'pf', type: 'x' });
    expect(q).toEqual({
      refId: 'drift-distribution',
      queryType: 'drift',
      view: 'distribution',
      modelId: 'fraud',
      driftType: 'feature',
      feature: 'age',
      pluginVersion: QUERY_MODEL_VERSION,
      datasource: { uid: 'pf', type: 'x' },
    });
    const { datasource: _ds, ...saved } = q;
    expect(pyflareQuerySchema.safeParse(saved).success).toBe(true);
    expect(distributionQuery({ feature: 'f', driftType: 'custom', service: 'bot' })).toMatchObject({
      driftType: 'all',
      modelId: '',
      service: 'bot',
    });
  });

  it('finds the data source of the drift query, not Grafana’s pseudo ones', () => {
    const data = (targets: unknown[]) => ({ request: { targets } }) as unknown as PanelData;
    expect(driftDataSource(data([{ refId: 'A', datasource: { uid: 'pf', type: 't' } }]), 'A')).toEqual({
      uid: 'pf',
      type: 't',
    });
    expect(
      driftDataSource(
        data([
          { refId: 'A', datasource: { uid: 'a' } },
          { refId: 'B', datasource: { uid: 'b' } },
        ]),
        'B'
      )?.uid
    ).toBe('b');
    expect(driftDataSource(data([{ refId: 'A', datasource: { uid: '-- Mixed --' } }]), 'A')).toBeUndefined();
    expect(driftDataSource({} as PanelData)).toBeUndefined();
  });

  it('sets a dashboard variable by name', () => {
    expect(featureVariableUpdate('feature', 'age')).toEqual({ 'var-feature': 'age' });
    expect(featureVariableUpdate('${feature}', 'age')).toEqual({ 'var-feature': 'age' });
    expect(featureVariableUpdate('bad name', 'age')).toBeUndefined();
  });
});
