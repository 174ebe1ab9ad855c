import type { ScopedVars } from '@grafana/data';
import { QUERY_MODEL_VERSION } from '@pyflare/query-model';

import { adHocTerm, expandValues, interpolateFields, interpolateSearch, type Replace } from './interpolate';
import { interpolateQuery } from './query';
import type { PyflareQuery } from './types';

// Grafana's TemplateSrv semantics for what is used here: $v, ${v}, [[v]], multi-value lists
// handed to the format callback, unknown variables left alone.
const VARS: Record<string, string | string[]> = {
  service: 'checkout',
  models: ['gpt-4o', 'claude 3'],
  model: 'gpt-4o',
  one: ['only'],
  expr: 'status:error duration:>2s',
  dims: ['model', 'service'],
  features: ['amount', 'age'],
  trace: 'ab'.repeat(16),
};
const replace: Replace = (target, scopedVars?: ScopedVars, format?) =>
  target.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g, (m, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c)!;
    const v = scopedVars?.[name]?.value ?? VARS[name];
    if (v === undefined) {
      return m;
    }
    const value = v as string | string[];
    if (format) {
      return format(value);
    }
    return Array.isArray(value) ? `{${value.join(',')}}` : value;
  });

const v = QUERY_MODEL_VERSION;

describe('interpolateSearch', () => {
  it('expands multi-value variables to a value list the parser reads', () => {
    expect(interpolateSearch('model:$models status:error', replace)).toBe('model:(gpt-4o OR "claude 3") status:error');
    expect(interpolateSearch('model:${models}', replace)).toBe('model:(gpt-4o OR "claude 3")');
    expect(interpolateSearch('-model:[[models]]', replace)).toBe('-model:(gpt-4o OR "claude 3")');
  });

  it('inserts single values as written so a variable may hold an expression', () => {
    expect(interpolateSearch('service:$service $expr', replace)).toBe('service:checkout status:error duration:>2s');
    expect(interpolateSearch('model:$one', replace)).toBe('model:only');
  });

  it('quotes a single value written inside quotes, and lists replace the quotes', () => {
    expect(interpolateSearch('model:"$model"', replace, { model: { text: 'a "b"', value: 'a "b"' } })).toBe(
      'model:"a \\"b\\""'
    );
    expect(interpolateSearch('model:"$models"', replace)).toBe('model:(gpt-4o OR "claude 3")');
    expect(interpolateSearch('model:"$unknown" $other', replace)).toBe('model:"$unknown" $other');
  });
});

describe('expandValues', () => {
  it('gives one value per combination', () => {
    expect(expandValues('$service', replace)).toEqual(['checkout']);
    expect(expandValues('$features-$models', replace)).toEqual([
      'amount-gpt-4o',
      'amount-claude 3',
      'age-gpt-4o',
      'age-claude 3',
    ]);
  });
});

describe('adHocTerm', () => {
  it('writes filters as search terms', () => {
    expect(adHocTerm({ key: 'service', operator: '=', value: 'checkout' })).toBe('service:checkout');
    expect(adHocTerm({ key: 'user.tier', operator: '!=', value: 'free plan' })).toBe('-attr.user.tier:"free plan"');
    expect(adHocTerm({ key: 'model', operator: '=|', value: '', values: ['a', 'b'] })).toBe('model:(a OR b)');
    expect(adHocTerm({ key: 'attr.llm.temperature', operator: '>', value: '0.5' })).toBe('attr.llm.temperature:>0.5');
    expect(adHocTerm({ key: 'x.y', operator: '<', value: 'abc' })).toBeNull();
    expect(adHocTerm({ key: 'service', operator: '=~', value: 'check.*' })).toBeNull();
    expect(adHocTerm({ key: 'a:b', operator: '=', value: 'x' })).toBeNull();
  });
});

describe('interpolateFields', () => {
  it('interpolates every string field of every query type without mutating it', () => {
    const queries: PyflareQuery[] = [
      {
        refId: 'A',
        queryType: 'traces',
        pluginVersion: v,
        search: 'model:$models',
        serviceName: '$service',
        modelId: '$model',
      },
      { refId: 'B', queryType: 'trace', pluginVersion: v, traceId: '$trace' },
      {
        refId: 'C',
        queryType: 'metrics',
        pluginVersion: v,
        groupBy: ['$dims', 'attr.$service', 'model'],
        filter: 'service:$service',
      },
      {
        refId: 'D',
        queryType: 'costs',
        pluginVersion: v,
        groupBy: '$dims',
        filter: 'model:$models',
        budget: '$service',
      },
      {
        refId: 'E',
        queryType: 'drift',
        pluginVersion: v,
        modelId: '$model',
        feature: '$features',
        service: '$service',
      },
      { refId: 'F', queryType: 'alerts', pluginVersion: v, modelId: '$models' },
    ];
    const copy = JSON.parse(JSON.stringify(queries));
    const out = queries.map((q) => interpolateFields(q, replace));
    expect(queries).toEqual(copy);
    expect(out).toEqual([
      {
        refId: 'A',
        queryType: 'traces',
        pluginVersion: v,
        search: 'model:(gpt-4o OR "claude 3")',
        serviceName: 'checkout',
        modelId: 'gpt-4o',
      },
      { refId: 'B', queryType: 'trace', pluginVersion: v, traceId: 'ab'.repeat(16) },
      {
        refId: 'C',
        queryType: 'metrics',
        pluginVersion: v,
        groupBy: ['model', 'service', 'attr.checkout'],
        filter: 'service:checkout',
      },
      {
        refId: 'D',
        queryType: 'costs',
        pluginVersion: v,
        groupBy: 'model',
        filter: 'model:(gpt-4o OR "claude 3")',
        budget: 'checkout',
      },
      // Several features: every feature's series; a single model stays.
      { refId: 'E', queryType: 'drift', pluginVersion: v, modelId: 'gpt-4o', feature: '*', service: 'checkout' },
      // Several models where one is expected: all models (the closest superset).
      { refId: 'F', queryType: 'alerts', pluginVersion: v },
    ]);
  });

  it('moves multi-value service and model pickers of a traces query into the search', () => {
    const q: PyflareQuery = { refId: 'A', queryType: 'traces', pluginVersion: v, search: 'a OR b', modelId: '$models' };
    expect(interpolateFields(q, replace)).toEqual({
      refId: 'A',
      queryType: 'traces',
      pluginVersion: v,
      search: '(a OR b) model:(gpt-4o OR "claude 3")',
    });
  });

  it('applies ad hoc filters to traces, metrics and costs searches only', () => {
    const filters = [
      { key: 'service', operator: '=', value: 'checkout' },
      { key: 'user.tier', operator: '=~', value: '.*' },
    ];
    expect(
      interpolateFields({ refId: 'A', queryType: 'traces', pluginVersion: v }, replace, {}, filters)
    ).toMatchObject({
      search: 'service:checkout',
    });
    expect(
      interpolateFields({ refId: 'A', queryType: 'metrics', pluginVersion: v, filter: 'model:x' }, replace, {}, filters)
    ).toMatchObject({ filter: 'model:x service:checkout' });
    const drift: PyflareQuery = { refId: 'A', queryType: 'drift', pluginVersion: v, modelId: 'm' };
    expect(interpolateFields(drift, replace, {}, filters)).toEqual(drift);
  });

  it('leaves refId, queryType, pluginVersion and Grafana fields alone', () => {
    const q = {
      refId: '$A',
      queryType: 'costs',
      pluginVersion: v,
      key: '$k',
      datasource: { uid: '$ds' },
    } as PyflareQuery;
    expect(interpolateQuery(q, replace)).toEqual(q);
  });
});
