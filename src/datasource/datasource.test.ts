import type { DataSourceInstanceSettings, ScopedVars } from '@grafana/data';
import { setTemplateSrv, type TemplateSrv } from '@grafana/runtime';
import { DEFAULT_QUERY, QUERY_MODEL_VERSION } from '@pyflare/query-model';

import { DataSource } from './datasource';
import type { PyflareOptions, PyflareQuery } from './types';

const settings = {
  id: 1,
  uid: 'pyflare',
  type: 'pyflare-observability-datasource',
  name: 'PyFlare',
  access: 'proxy',
  readOnly: false,
  jsonData: { url: 'http://localhost:8780' },
  meta: { id: 'pyflare-observability-datasource' },
} as unknown as DataSourceInstanceSettings<PyflareOptions>;

// A template service with Grafana's semantics for the two things used here: plain and scoped variables.
const templateSrv: TemplateSrv = {
  getVariables: () => [],
  containsTemplate: (t?: string) => Boolean(t?.includes('$')),
  updateTimeRange: () => {},
  replace: (target?: string, scopedVars?: ScopedVars) =>
    (target ?? '').replace(/\$(\w+)/g, (m, name: string) => {
      const scoped = scopedVars?.[name]?.value;
      if (scoped !== undefined) {
        return String(scoped);
      }
      return name === 'service' ? 'checkout' : m;
    }),
};

describe('DataSource', () => {
  beforeAll(() => setTemplateSrv(templateSrv));

  it('starts new queries as a traces search of the current model version', () => {
    const ds = new DataSource(settings);
    expect(ds.getDefaultQuery('explore' as never)).toEqual(DEFAULT_QUERY);
  });

  it('interpolates template and scoped variables without mutating the query', () => {
    const ds = new DataSource(settings);
    const q: PyflareQuery = {
      refId: 'A',
      queryType: 'traces',
      pluginVersion: QUERY_MODEL_VERSION,
      search: 'service:$service model:$model',
    };
    const copy = JSON.parse(JSON.stringify(q));
    const out = ds.applyTemplateVariables(q, { model: { text: 'gpt-4o', value: 'gpt-4o' } });
    expect(out).toMatchObject({ search: 'service:checkout model:gpt-4o' });
    expect(q).toEqual(copy);
  });

  it('migrates legacy queries when they run', () => {
    const ds = new DataSource(settings);
    const legacy = {
      refId: 'A',
      queryType: 'metrics',
      metric: 'cost_micros',
      groupBy: 'model_id',
    } as unknown as PyflareQuery;
    expect(ds.applyTemplateVariables(legacy, {})).toMatchObject({
      queryType: 'metrics',
      metric: 'cost_usd',
      groupBy: ['model'],
      pluginVersion: QUERY_MODEL_VERSION,
    });
  });

  it('filters hidden and empty queries', () => {
    const ds = new DataSource(settings);
    expect(ds.filterQuery({ refId: 'A', queryType: 'traces', hide: true })).toBe(false);
    expect(ds.filterQuery({ refId: 'A', queryType: 'trace', traceId: '', pluginVersion: QUERY_MODEL_VERSION })).toBe(
      false
    );
    expect(ds.filterQuery({ refId: 'A', queryType: 'costs' })).toBe(true);
  });

  it('reads catalog lists and tolerates a failing backend', async () => {
    const ds = new DataSource(settings);
    const get = jest.spyOn(ds, 'getResource');
    get.mockResolvedValueOnce({ values: ['checkout', 'search'] });
    await expect(ds.getCatalog('services')).resolves.toEqual(['checkout', 'search']);
    // Cached: a second picker opening does not ask again.
    await expect(ds.getCatalog('services')).resolves.toEqual(['checkout', 'search']);
    expect(get).toHaveBeenCalledTimes(1);
    expect(get).toHaveBeenCalledWith('catalog/services', undefined);

    get.mockRejectedValueOnce(new Error('502'));
    await expect(ds.getCatalog('models')).resolves.toEqual([]);
    get.mockResolvedValueOnce({ nope: true });
    await expect(ds.getCatalog('attribute-values', 'user.tier')).resolves.toEqual([]);
    expect(get).toHaveBeenLastCalledWith('catalog/attribute-values', { key: 'user.tier' });
  });
});
