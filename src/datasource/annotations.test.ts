import { FieldType, createDataFrame } from '@grafana/data';
import { QUERY_MODEL_VERSION } from '@pyflare/query-model';
import { lastValueFrom } from 'rxjs';

import { annotationSupport, budgetBreachesQuery, defaultAnnotationQuery, framesToAnnotations } from './annotations';

// The drift alerts frame as the service writes it: openedAt is the first time field.
const driftAlerts = createDataFrame({
  name: 'drift-alerts',
  fields: [
    { name: 'id', type: FieldType.string, values: ['a1', 'a2'] },
    { name: 'openedAt', type: FieldType.time, values: [1000, 5000] },
    { name: 'resolvedAt', type: FieldType.time, values: [3000, null] },
    { name: 'timeEnd', type: FieldType.time, values: [3000, null] },
    { name: 'title', type: FieldType.string, values: ['Drift alert: fraud feature amount', 'Drift alert: churn llm'] },
    { name: 'text', type: FieldType.string, values: ['feature drift of amount on fraud', 'llm drift on churn'] },
    {
      name: 'tags',
      type: FieldType.string,
      values: ['pyflare,drift,feature,fraud,resolved', 'pyflare,drift,llm,churn,active'],
    },
  ],
});
const breaches = createDataFrame({
  name: 'budget-breaches',
  fields: [
    { name: 'time', type: FieldType.time, values: [2000] },
    { name: 'timeEnd', type: FieldType.time, values: [86_400_000] },
    { name: 'title', type: FieldType.string, values: ['Budget warning: daily'] },
    { name: 'text', type: FieldType.string, values: ['daily budget reached its alert threshold'] },
    { name: 'tags', type: FieldType.string, values: ['pyflare,budget,warning,daily'] },
    { name: 'id', type: FieldType.string, values: ['b1:0:warning'] },
  ],
});

describe('annotations', () => {
  it('turns drift alert and budget breach frames into events', () => {
    expect(framesToAnnotations([driftAlerts, breaches])).toEqual([
      {
        time: 1000,
        timeEnd: 3000,
        isRegion: true,
        title: 'Drift alert: fraud feature amount',
        text: 'Drift alert: fraud feature amount\nfeature drift of amount on fraud',
        tags: ['pyflare', 'drift', 'feature', 'fraud', 'resolved'],
        id: 'a1',
        color: 'green',
      },
      {
        time: 5000,
        title: 'Drift alert: churn llm',
        text: 'Drift alert: churn llm\nllm drift on churn',
        tags: ['pyflare', 'drift', 'llm', 'churn', 'active'],
        id: 'a2',
        color: 'red',
      },
      {
        time: 2000,
        timeEnd: 86_400_000,
        isRegion: true,
        title: 'Budget warning: daily',
        text: 'Budget warning: daily\ndaily budget reached its alert threshold',
        tags: ['pyflare', 'budget', 'warning', 'daily'],
        id: 'b1:0:warning',
        color: 'orange',
      },
    ]);
  });

  it('skips frames without a time field and rows without a time', () => {
    const table = createDataFrame({ fields: [{ name: 'x', type: FieldType.number, values: [1] }] });
    const noTime = createDataFrame({ fields: [{ name: 'time', type: FieldType.time, values: [null] }] });
    expect(framesToAnnotations([table, noTime])).toEqual([]);
  });

  it('prepares stored annotations and their queries', async () => {
    expect(annotationSupport.getDefaultQuery!()).toEqual(defaultAnnotationQuery());
    const prepared = annotationSupport.prepareAnnotation!({ name: 'Drift', enable: true, iconColor: 'red' });
    expect(prepared.target).toEqual({
      refId: 'Anno',
      queryType: 'alerts',
      state: 'all',
      pluginVersion: QUERY_MODEL_VERSION,
    });
    // Legacy targets are migrated.
    const legacy = annotationSupport.prepareAnnotation!({
      name: 'x',
      enable: true,
      iconColor: 'red',
      target: { refId: '', queryType: 'drift', modelId: 'fraud' },
    });
    expect(legacy.target).toMatchObject({
      refId: 'Anno',
      queryType: 'drift',
      modelId: 'fraud',
      pluginVersion: QUERY_MODEL_VERSION,
    });
    expect(annotationSupport.prepareQuery!({ name: 'x', enable: true, iconColor: 'red' })).toBeUndefined();
    expect(annotationSupport.prepareQuery!({ ...prepared, target: budgetBreachesQuery('b1') })).toEqual({
      refId: 'Anno',
      queryType: 'costs',
      view: 'breaches',
      budget: 'b1',
      pluginVersion: QUERY_MODEL_VERSION,
    });
    const events = await lastValueFrom(annotationSupport.processEvents!(prepared, [breaches]));
    expect(events).toHaveLength(1);
  });

  it('gives every stored annotation a versioned target, migrated like panel queries', () => {
    const base = { name: 'Budgets', enable: true, iconColor: 'orange' };
    const current = { ...base, target: budgetBreachesQuery('b1') };
    // Already current: the very same annotation.
    expect(annotationSupport.prepareAnnotation!(current)).toBe(current);
    // Provisioned without a version: the version is added, nothing else changes.
    const provisioned = annotationSupport.prepareAnnotation!({
      ...base,
      target: { refId: 'Anno', queryType: 'costs', view: 'breaches', budget: 'daily' },
    });
    expect(provisioned.target).toEqual({
      refId: 'Anno',
      queryType: 'costs',
      view: 'breaches',
      budget: 'daily',
      pluginVersion: QUERY_MODEL_VERSION,
    });
    // Query fields saved on the annotation itself move into the target.
    const legacy = annotationSupport.prepareAnnotation!({
      ...base,
      queryType: 'alerts',
      state: 'active',
      modelId: 'fraud',
    } as unknown as Parameters<NonNullable<typeof annotationSupport.prepareAnnotation>>[0]);
    expect(legacy).toEqual({
      ...base,
      target: {
        refId: 'Anno',
        queryType: 'alerts',
        state: 'active',
        modelId: 'fraud',
        pluginVersion: QUERY_MODEL_VERSION,
      },
    });
    // The query that runs is migrated too, whatever prepared the annotation.
    expect(
      annotationSupport.prepareQuery!({ ...base, target: { refId: '', queryType: 'alerts', state: 'resolved' } })
    ).toEqual({ refId: 'Anno', queryType: 'alerts', state: 'resolved', pluginVersion: QUERY_MODEL_VERSION });
  });
});
