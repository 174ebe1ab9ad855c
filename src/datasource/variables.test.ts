import { dateTime, type DataQueryRequest, type DataSourceInstanceSettings, type TimeRange } from '@grafana/data';
import { QUERY_MODEL_VERSION } from '@pyflare/query-model';
import { lastValueFrom } from 'rxjs';

import { DataSource } from './datasource';
import type { Replace } from './interpolate';
import type { PyflareOptions, PyflareVariableQuery } from './types';
import { PyflareVariableSupport, findVariableValues } from './variables';

const range: TimeRange = {
  from: dateTime(1_700_000_000_000),
  to: dateTime(1_700_003_600_000),
  raw: { from: 'now-1h', to: 'now' },
};
const replace: Replace = (t, _s, format) =>
  t.replace(/\$(\w+)/g, (m, n: string) => {
    const v = ({ model: 'fraud', models: ['fraud', 'churn'], key: 'user.tier' } as Record<string, string | string[]>)[
      n
    ];
    return v === undefined ? m : format ? format(v) : String(v);
  });

function fakeService() {
  const calls: Array<[string, Record<string, string> | undefined]> = [];
  const get = jest.fn(async (path: string, params?: Record<string, string>) => {
    calls.push([path, params]);
    switch (path) {
      case 'catalog/services':
        return { values: ['search', 'checkout'] };
      case 'catalog/attribute-values':
        return { values: [`${params?.key}-a`, `${params?.key}-b`] };
      case 'drift/models':
        return {
          models: [
            { modelId: 'fraud', firstMs: 1_600_000_000_000, lastMs: 1_700_001_000_000 },
            { modelId: 'old', firstMs: 1_500_000_000_000, lastMs: 1_600_000_000_000 },
            { modelId: 'configured', firstMs: null, lastMs: null },
          ],
        };
      case 'drift/heatmap':
        return { features: params?.modelId === 'fraud' ? ['amount', 'age', ''] : ['age', 'tenure'] };
      default:
        throw new Error(`404 ${path}`);
    }
  });
  return { get, calls };
}

describe('findVariableValues', () => {
  it('lists catalog values scoped to the time range, sorted', async () => {
    const { get, calls } = fakeService();
    await expect(findVariableValues(get, { refId: 'V', kind: 'services' }, replace, { range })).resolves.toEqual([
      'checkout',
      'search',
    ]);
    expect(calls[0]).toEqual(['catalog/services', { from: '1700000000000', to: '1700003600000' }]);
    await findVariableValues(get, { refId: 'V', kind: 'services', timeScoped: false }, replace, { range });
    expect(calls[1]).toEqual(['catalog/services', undefined]);
  });

  it('lists drift models active in the range, and features of (chained) models', async () => {
    const { get, calls } = fakeService();
    await expect(findVariableValues(get, 'drift-models', replace, { range })).resolves.toEqual(['configured', 'fraud']);
    await expect(findVariableValues(get, 'all:drift-models', replace, { range })).resolves.toEqual([
      'configured',
      'fraud',
      'old',
    ]);
    await expect(
      findVariableValues(get, { refId: 'V', kind: 'features', modelId: '$models' }, replace, { range })
    ).resolves.toEqual(['age', 'amount', 'tenure']);
    expect(calls.filter((c) => c[0] === 'drift/heatmap').map((c) => c[1])).toEqual([
      { modelId: 'fraud', driftType: 'feature', from: '1700000000000', to: '1700003600000' },
      { modelId: 'churn', driftType: 'feature', from: '1700000000000', to: '1700003600000' },
    ]);
  });

  it('lists attribute values of a templated key; incomplete queries list nothing', async () => {
    const { get } = fakeService();
    await expect(findVariableValues(get, 'attribute-values($key)', replace)).resolves.toEqual([
      'user.tier-a',
      'user.tier-b',
    ]);
    await expect(findVariableValues(get, { refId: 'V', kind: 'features' }, replace)).resolves.toEqual([]);
    await expect(findVariableValues(get, 'colours', replace)).rejects.toThrow(/Unknown PyFlare variable query/);
  });
});

describe('findVariableValues of saved queries of each version', () => {
  it('reads the current form, Grafana’s {query} form and the unversioned object alike', async () => {
    const { get } = fakeService();
    const forms: unknown[] = [
      { refId: 'V', kind: 'features', modelId: 'fraud', timeScoped: false, pluginVersion: QUERY_MODEL_VERSION },
      { refId: 'V', query: 'all:features(fraud)' },
      { refId: 'V', kind: 'features', modelId: 'fraud', timeScoped: false },
    ];
    for (const form of forms) {
      await expect(findVariableValues(get, form, replace, { range })).resolves.toEqual(['age', 'amount']);
    }
  });
});

describe('PyflareVariableSupport', () => {
  it('answers a text/value frame through the data source', async () => {
    const ds = new DataSource({ jsonData: {}, meta: {} } as unknown as DataSourceInstanceSettings<PyflareOptions>);
    const find = jest.spyOn(ds, 'findVariableValues').mockResolvedValue(['a', 'b']);
    const support = new PyflareVariableSupport(ds);
    const target: PyflareVariableQuery = { refId: 'V', kind: 'models' };
    const res = await lastValueFrom(
      support.query({ targets: [target], range, scopedVars: {} } as unknown as DataQueryRequest<PyflareVariableQuery>)
    );
    expect(find).toHaveBeenCalledWith(target, { range, scopedVars: {} });
    const frame = res.data[0];
    expect(frame.fields.map((f: { name: string; values: unknown[] }) => [f.name, f.values])).toEqual([
      ['text', ['a', 'b']],
      ['value', ['a', 'b']],
    ]);
  });
});
