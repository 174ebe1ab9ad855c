import { QUERY_MODEL_VERSION } from './query';
import {
  migrateVariableQuery,
  normalizeVariableQuery,
  parseVariableQueryText,
  variableQueryNeedsMigration,
  variableQueryProblem,
} from './variables';

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

  it('migrates every stored form to the versioned object, without mutating it', () => {
    const v = QUERY_MODEL_VERSION;
    expect(migrateVariableQuery('all:features($model)')).toEqual({
      refId: 'PyflareVariableQuery',
      kind: 'features',
      modelId: '$model',
      timeScoped: false,
      pluginVersion: v,
    });
    const grafanaForm = { refId: 'V', query: 'attribute-values(user.tier)' };
    const copy = { ...grafanaForm };
    expect(migrateVariableQuery(grafanaForm)).toEqual({
      refId: 'V',
      kind: 'attribute-values',
      attributeKey: 'user.tier',
      timeScoped: true,
      pluginVersion: v,
    });
    expect(grafanaForm).toEqual(copy);
    // Written without a version (provisioning): defaults filled in, version added.
    expect(migrateVariableQuery({ refId: 'V', kind: 'models' })).toEqual({
      refId: 'V',
      kind: 'models',
      timeScoped: true,
      pluginVersion: v,
    });
    expect(migrateVariableQuery(undefined)).toMatchObject({ kind: 'services', pluginVersion: v });
    expect(migrateVariableQuery('colours')).toBeNull();
  });

  it('leaves current and newer versions alone', () => {
    const current = { refId: 'V', kind: 'services' as const, timeScoped: true, pluginVersion: QUERY_MODEL_VERSION };
    expect(migrateVariableQuery(current)).toBe(current);
    expect(variableQueryNeedsMigration(current)).toBe(false);
    const newer = { refId: 'V', kind: 'services' as const, pluginVersion: '99' };
    expect(migrateVariableQuery(newer)).toBe(newer);
    expect(variableQueryNeedsMigration(newer)).toBe(false);
    expect(variableQueryNeedsMigration({ refId: 'V', kind: 'services' })).toBe(true);
    expect(variableQueryNeedsMigration('services')).toBe(true);
    expect(variableQueryNeedsMigration('colours')).toBe(false);
  });
});
