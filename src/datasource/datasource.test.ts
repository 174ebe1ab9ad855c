import type { DataSourceInstanceSettings, ScopedVars } from '@grafana/data';
import { HealthStatus, setTemplateSrv, type TemplateSrv } from '@grafana/runtime';
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

describe('DataSource variables, ad hoc filters and health', () => {
  const multi: TemplateSrv = {
    getVariables: () => [{ name: 'models' }, { name: 'service' }] as unknown as ReturnType<TemplateSrv['getVariables']>,
    containsTemplate: (t?: string) => Boolean(t?.includes('$')),
    updateTimeRange: () => {},
    replace: (target?: string, _s?: ScopedVars, format?: string | Function) =>
      (target ?? '').replace(/\$(\w+)/g, (m, name: string) => {
        const v = ({ models: ['gpt-4o', 'o3'], service: 'checkout' } as Record<string, string | string[]>)[name];
        if (v === undefined) {
          return m;
        }
        return typeof format === 'function' ? format(v) : Array.isArray(v) ? `{${v.join(',')}}` : v;
      }),
  };
  beforeAll(() => setTemplateSrv(multi));
  afterAll(() => setTemplateSrv(templateSrv));

  it('formats multi-value variables for the search language and applies ad hoc filters', () => {
    const ds = new DataSource(settings);
    const q: PyflareQuery = {
      refId: 'A',
      queryType: 'metrics',
      pluginVersion: QUERY_MODEL_VERSION,
      filter: 'model:$models',
    };
    const out = ds.applyTemplateVariables(q, {}, [{ key: 'user.tier', operator: '=', value: 'gold' }]);
    expect(out).toMatchObject({ filter: 'model:(gpt-4o OR o3) attr.user.tier:gold' });
    expect(q.filter).toBe('model:$models');
  });

  it('skips a drift distribution without a feature', () => {
    const ds = new DataSource(settings);
    const base = {
      refId: 'A',
      queryType: 'drift' as const,
      pluginVersion: QUERY_MODEL_VERSION,
      view: 'distribution' as const,
    };
    expect(ds.filterQuery(base)).toBe(false);
    expect(ds.filterQuery({ ...base, feature: 'amount' })).toBe(true);
    expect(ds.filterQuery({ ...base, view: 'scores' })).toBe(true);
  });

  it('offers ad hoc keys and values from the catalog', async () => {
    const ds = new DataSource(settings);
    const get = jest
      .spyOn(ds, 'getResource')
      .mockImplementation(async (path: string, params?: Record<string, string>) => {
        if (path === 'catalog/attribute-keys') {
          return { values: ['user.tier', 'service'] };
        }
        if (path === 'catalog/services') {
          return { values: ['checkout'] };
        }
        return { values: [`${params?.key}=gold`] };
      });
    const keys = await ds.getTagKeys({ filters: [] });
    expect(keys.map((k) => k.text)).toEqual([
      'service',
      'model',
      'provider',
      'operation',
      'kind',
      'agent',
      'tool',
      'user',
      'session',
      'status',
      'user.tier',
    ]);
    await expect(ds.getTagValues({ key: 'service', filters: [] })).resolves.toEqual([
      { text: 'checkout', value: 'checkout' },
    ]);
    await expect(ds.getTagValues({ key: 'status', filters: [] })).resolves.toEqual([
      { text: 'ok', value: 'ok' },
      { text: 'error', value: 'error' },
    ]);
    await expect(ds.getTagValues({ key: 'attr.user.tier', filters: [] })).resolves.toEqual([
      { text: 'user.tier=gold', value: 'user.tier=gold' },
    ]);
    expect(get).toHaveBeenLastCalledWith('catalog/attribute-values', { key: 'user.tier' });
    await expect(ds.getTagValues({ key: 'tool', filters: [] })).resolves.toEqual([]);
  });

  it('answers metricFindQuery with the short text form', async () => {
    const ds = new DataSource(settings);
    jest.spyOn(ds, 'getResource').mockResolvedValue({ values: ['b', 'a'] });
    await expect(ds.metricFindQuery('all:models')).resolves.toEqual([
      { text: 'a', value: 'a' },
      { text: 'b', value: 'b' },
    ]);
    expect(ds.variableNames()).toEqual(['models', 'service']);
  });

  it('puts the health details under the "Save & test" result', async () => {
    const ds = new DataSource(settings);
    const details = { url: 'http://pf:8780', version: '0.1.0', storage: 'duckdb', spanCount: 1234, lastSpanTime: null };
    jest.spyOn(ds, 'callHealthCheck').mockResolvedValueOnce({ status: HealthStatus.OK, message: 'reachable', details });
    const ok = await ds.testDatasource();
    expect(ok.status).toBe('success');
    expect(ok.details?.message).toBe(
      'Service version: 0.1.0 · Storage engine: duckdb · Spans stored: 1,234 · Data freshness: no spans yet · URL: http://pf:8780'
    );
    jest
      .spyOn(ds, 'callHealthCheck')
      .mockResolvedValueOnce({
        status: HealthStatus.Error,
        message: '401',
        details: { url: 'http://pf', errorKind: 'unauthorized' },
      });
    await expect(ds.testDatasource()).rejects.toMatchObject({
      status: 'error',
      message: '401',
      details: { message: 'URL: http://pf · Failure: unauthorized' },
    });
  });
});
