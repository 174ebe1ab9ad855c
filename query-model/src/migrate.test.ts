import { migrateQuery, type SavedQuery } from './migrate';
import { QUERY_MODEL_VERSION, pyflareQuerySchema } from './query';

function migrateAndParse(q: SavedQuery) {
  const migrated = migrateQuery(q);
  return { migrated, parsed: pyflareQuerySchema.safeParse(migrated) };
}

describe('migrateQuery', () => {
  it('returns a current query untouched (same object)', () => {
    const q = { refId: 'A', queryType: 'traces', pluginVersion: QUERY_MODEL_VERSION, search: 'x' };
    expect(migrateQuery(q)).toBe(q);
  });

  it('never mutates the saved query', () => {
    const q = { refId: 'A', queryType: 'traces', minDuration: 200 };
    const copy = JSON.parse(JSON.stringify(q));
    migrateQuery(q);
    expect(q).toEqual(copy);
  });

  it('maps a legacy traces query with filters', () => {
    const { migrated, parsed } = migrateAndParse({
      refId: 'A',
      queryType: 'traces',
      serviceName: 'checkout',
      modelId: 'gpt-4o',
      status: 'error',
      minDuration: 2000,
      maxDuration: '5000',
      limit: 50,
    });
    expect(migrated).toEqual({
      refId: 'A',
      queryType: 'traces',
      serviceName: 'checkout',
      modelId: 'gpt-4o',
      status: 'error',
      minDurationMs: 2000,
      maxDurationMs: 5000,
      limit: 50,
      pluginVersion: QUERY_MODEL_VERSION,
    });
    expect(parsed.success).toBe(true);
  });

  it('turns a legacy traces query with a traceId into a trace query', () => {
    const id = 'ab'.repeat(16);
    const { migrated, parsed } = migrateAndParse({ refId: 'B', queryType: 'traces', traceId: id });
    expect(migrated).toEqual({ refId: 'B', queryType: 'trace', traceId: id, pluginVersion: QUERY_MODEL_VERSION });
    expect(parsed.success).toBe(true);
  });

  it('maps legacy metrics names and group-by dimensions', () => {
    const { migrated, parsed } = migrateAndParse({
      refId: 'C',
      queryType: 'metrics',
      metric: 'cost_micros',
      aggregation: 'p99',
      groupBy: 'model_id',
      serviceName: 'api',
    });
    expect(migrated).toMatchObject({
      queryType: 'metrics',
      metric: 'cost_usd',
      aggregation: 'p99',
      groupBy: ['model'],
      filter: 'service:api',
    });
    expect(parsed.success).toBe(true);
  });

  it('maps legacy drift_score metrics to a drift query', () => {
    const { migrated } = migrateAndParse({ refId: 'D', queryType: 'metrics', metric: 'drift_score', modelId: 'fraud' });
    expect(migrated).toMatchObject({ queryType: 'drift', modelId: 'fraud' });
  });

  it('maps legacy cost grouping to a breakdown', () => {
    const { migrated, parsed } = migrateAndParse({ refId: 'E', queryType: 'costs', costGroupBy: 'service' });
    expect(migrated).toMatchObject({ queryType: 'costs', view: 'breakdown', groupBy: 'service' });
    expect(parsed.success).toBe(true);
  });

  it('keeps unsupported legacy evaluation metrics visible to validation', () => {
    const { parsed } = migrateAndParse({ refId: 'F', queryType: 'evaluations', evalMetric: 'toxicity' });
    expect(parsed.success).toBe(false);
    if (!parsed.success) {
      expect(parsed.error.issues[0]?.path).toEqual(['metric']);
    }
  });

  it('defaults a query with no type to a traces query', () => {
    const { parsed } = migrateAndParse({ refId: 'G' });
    expect(parsed.success && parsed.data.queryType).toBe('traces');
  });

  it('keeps unversioned queries of the current model as they are', () => {
    const cases: SavedQuery[] = [
      { refId: 'A', queryType: 'trace', traceId: 'ab'.repeat(16) },
      { refId: 'B', queryType: 'traces', search: 'service:checkout status:error' },
      { refId: 'C', queryType: 'metrics', metric: 'latency_ms', groupBy: ['model'], filter: 'service:api' },
      { refId: 'D', queryType: 'costs', view: 'timeline' },
      { refId: 'E', queryType: 'alerts', state: 'all' },
    ];
    for (const q of cases) {
      expect(migrateQuery(q)).toEqual({ ...q, pluginVersion: QUERY_MODEL_VERSION });
    }
  });

  it('treats pluginVersion 0 as legacy', () => {
    expect(migrateQuery({ refId: 'A', queryType: 'costs', pluginVersion: '0' })).toMatchObject({ view: 'breakdown' });
  });
});
