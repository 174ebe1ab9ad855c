import { normalizeVariableQuery, parseVariableQueryText, variableQueryProblem } from './variables';

describe('variable queries', () => {
  it('reads the short text form', () => {
    expect(parseVariableQueryText('services')).toEqual({
      refId: 'PyflareVariableQuery',
      kind: 'services',
      timeScoped: true,
    });
    expect(parseVariableQueryText('all:drift-models')).toMatchObject({ kind: 'drift-models', timeScoped: false });
    expect(parseVariableQueryText('features($model)')).toMatchObject({ kind: 'features', modelId: '$model' });
    expect(parseVariableQueryText('attribute-values(user.tier)')).toMatchObject({
      kind: 'attribute-values',
      attributeKey: 'user.tier',
    });
    expect(parseVariableQueryText('features')).toBeNull();
    expect(parseVariableQueryText('services(x)')).toBeNull();
    expect(parseVariableQueryText('colours')).toBeNull();
  });

  it('normalizes every stored form', () => {
    expect(normalizeVariableQuery(undefined)).toEqual({
      refId: 'PyflareVariableQuery',
      kind: 'services',
      timeScoped: true,
    });
    expect(normalizeVariableQuery({ refId: 'V', query: 'models' })).toMatchObject({ kind: 'models' });
    expect(normalizeVariableQuery({ refId: 'V', kind: 'features', modelId: 'fraud', timeScoped: false })).toEqual({
      refId: 'V',
      kind: 'features',
      modelId: 'fraud',
      timeScoped: false,
    });
    expect(normalizeVariableQuery({ refId: 'V', kind: 'nope' })).toBeNull();
  });

  it('names what is missing', () => {
    expect(variableQueryProblem({ kind: 'features' })).toMatch(/model/);
    expect(variableQueryProblem({ kind: 'attribute-values', attributeKey: ' ' })).toMatch(/key/);
    expect(variableQueryProblem({ kind: 'services' })).toBeNull();
  });
});
