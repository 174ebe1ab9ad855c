import { QUERY_TYPES, defaultsFor, describeIssues, pyflareQuerySchema } from './query';
import { queryRequestSchema } from './wire';

describe('pyflareQuerySchema', () => {
  it('fills defaults of a traces query', () => {
    const q = pyflareQuerySchema.parse({ refId: 'A', queryType: 'traces' });
    expect(q).toEqual({ refId: 'A', queryType: 'traces', search: '', status: 'all', sortBy: 'time', limit: 100 });
  });

  it('names the field of each problem', () => {
    const r = pyflareQuerySchema.safeParse({ refId: 'A', queryType: 'traces', limit: 0, status: 'weird' });
    expect(r.success).toBe(false);
    if (!r.success) {
      const msgs = describeIssues(r.error);
      expect(msgs.some((m) => m.startsWith('limit:'))).toBe(true);
      expect(msgs.some((m) => m.startsWith('status:'))).toBe(true);
    }
  });

  it('rejects an unknown query type', () => {
    expect(pyflareQuerySchema.safeParse({ refId: 'A', queryType: 'logs' }).success).toBe(false);
  });

  it('validates trace ids', () => {
    expect(pyflareQuerySchema.safeParse({ refId: 'A', queryType: 'trace', traceId: 'xyz' }).success).toBe(false);
    expect(pyflareQuerySchema.safeParse({ refId: 'A', queryType: 'trace', traceId: 'a'.repeat(32) }).success).toBe(true);
  });

  it('accepts attribute dimensions and rejects unknown ones', () => {
    const ok = pyflareQuerySchema.safeParse({ refId: 'A', queryType: 'metrics', groupBy: ['model', 'attr.user.tier'] });
    expect(ok.success).toBe(true);
    const bad = pyflareQuerySchema.safeParse({ refId: 'A', queryType: 'metrics', groupBy: ['color'] });
    expect(bad.success).toBe(false);
  });

  it('has defaults for every query type', () => {
    for (const t of QUERY_TYPES) {
      const q = defaultsFor(t, 'A');
      expect(q.queryType).toBe(t);
      expect(q.pluginVersion).toBe('1');
    }
  });
});

describe('queryRequestSchema', () => {
  it('accepts the Go backend request shape', () => {
    const r = queryRequestSchema.parse({
      queries: [{ refId: 'A', timeRange: { from: 1, to: 2 }, query: { queryType: 'traces' } }],
    });
    expect(r.queries[0]?.intervalMs).toBe(60_000);
    expect(r.queries[0]?.maxDataPoints).toBe(1000);
  });

  it('rejects an empty batch', () => {
    expect(queryRequestSchema.safeParse({ queries: [] }).success).toBe(false);
  });
});
