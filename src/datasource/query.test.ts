import { QUERY_MODEL_VERSION, pyflareQuerySchema } from '@pyflare/query-model';

import { interpolateQuery, isRunnable, migratePyflareQuery, needsMigration, queryDisplayText } from './query';
import type { PyflareQuery } from './types';

const legacy = (q: Record<string, unknown>) => q as unknown as PyflareQuery;

describe('migratePyflareQuery', () => {
  it('migrates a query of PyFlare’s original data source and keeps Grafana’s fields', () => {
    const saved = legacy({
      refId: 'A',
      datasource: { type: 'pyflare-observability-datasource', uid: 'pf' },
      queryType: 'traces',
      serviceName: 'checkout',
      minDuration: '2000',
      limit: 20,
    });
    const before = JSON.parse(JSON.stringify(saved));
    const q = migratePyflareQuery(saved);
    expect(q).toMatchObject({
      refId: 'A',
      queryType: 'traces',
      serviceName: 'checkout',
      minDurationMs: 2000,
      limit: 20,
      pluginVersion: QUERY_MODEL_VERSION,
      datasource: { type: 'pyflare-observability-datasource', uid: 'pf' },
    });
    expect(saved).toEqual(before);
    expect(pyflareQuerySchema.safeParse(q).success).toBe(true);
  });

  it('returns a current query as is', () => {
    const q: PyflareQuery = { refId: 'A', queryType: 'traces', pluginVersion: QUERY_MODEL_VERSION };
    expect(migratePyflareQuery(q)).toBe(q);
    expect(needsMigration(q)).toBe(false);
  });
});

describe('interpolateQuery', () => {
  const vars: Record<string, string> = { $service: 'checkout', $model: 'gpt-4o', $trace: 'ab'.repeat(16) };
  const replace = (v: string) => v.replace(/\$\w+/g, (m) => vars[m] ?? m);

  it('replaces template variables in string and string-array fields', () => {
    const q: PyflareQuery = {
      refId: 'A',
      queryType: 'metrics',
      pluginVersion: QUERY_MODEL_VERSION,
      metric: 'latency_ms',
      groupBy: ['model', 'attr.$service'],
      filter: 'service:$service model:$model',
    };
    expect(interpolateQuery(q, replace)).toEqual({
      ...q,
      groupBy: ['model', 'attr.checkout'],
      filter: 'service:checkout model:gpt-4o',
    });
  });

  it('never mutates the saved query', () => {
    const q: PyflareQuery = {
      refId: 'A',
      queryType: 'traces',
      pluginVersion: QUERY_MODEL_VERSION,
      search: 'service:$service',
      serviceName: '$service',
    };
    const copy = JSON.parse(JSON.stringify(q));
    const out = interpolateQuery(q, replace);
    expect(q).toEqual(copy);
    expect(out).not.toBe(q);
    expect(out).toMatchObject({ search: 'service:checkout', serviceName: 'checkout' });
  });

  it('does not touch refId, queryType or pluginVersion', () => {
    const calls: string[] = [];
    const q: PyflareQuery = { refId: '$A', queryType: 'trace', pluginVersion: QUERY_MODEL_VERSION, traceId: '$trace' };
    const out = interpolateQuery(q, (v) => {
      calls.push(v);
      return replace(v);
    });
    expect(calls).toEqual(['$trace']);
    expect(out).toEqual({ ...q, traceId: 'ab'.repeat(16) });
  });

  it('migrates legacy queries before interpolating', () => {
    const out = interpolateQuery(legacy({ refId: 'A', queryType: 'traces', traceId: '$trace' }), replace);
    expect(out).toEqual({
      refId: 'A',
      queryType: 'trace',
      traceId: 'ab'.repeat(16),
      pluginVersion: QUERY_MODEL_VERSION,
    });
  });
});

describe('isRunnable', () => {
  it('skips hidden queries', () => {
    expect(isRunnable({ refId: 'A', queryType: 'traces', hide: true })).toBe(false);
    expect(isRunnable({ refId: 'A', queryType: 'traces' })).toBe(true);
  });

  it('skips trace lookups without an id', () => {
    expect(isRunnable({ refId: 'A', queryType: 'trace', traceId: '', pluginVersion: QUERY_MODEL_VERSION })).toBe(false);
    expect(isRunnable({ refId: 'A', queryType: 'trace', traceId: '  ', pluginVersion: QUERY_MODEL_VERSION })).toBe(
      false
    );
    expect(isRunnable({ refId: 'A', queryType: 'trace', traceId: '$trace', pluginVersion: QUERY_MODEL_VERSION })).toBe(
      true
    );
  });
});

describe('queryDisplayText', () => {
  const v = QUERY_MODEL_VERSION;
  it('describes queries in one line', () => {
    expect(
      queryDisplayText({ refId: 'A', queryType: 'traces', search: 'slow', status: 'error', pluginVersion: v })
    ).toBe('Traces: slow status:error');
    expect(
      queryDisplayText({ refId: 'A', queryType: 'metrics', metric: 'cost_usd', groupBy: ['model'], pluginVersion: v })
    ).toBe('Metrics: sum(cost_usd) by model');
    expect(
      queryDisplayText({ refId: 'A', queryType: 'drift', driftType: 'feature', modelId: 'fraud', pluginVersion: v })
    ).toBe('Drift: feature of fraud');
  });
});
