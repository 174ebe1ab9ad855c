import { dataFrameFromJSON } from '@grafana/data';

import { readTraceList } from '../data/traceList';
import { buildTraceTree, visibleSpans } from '../data/traceTree';
import { syntheticTraceJSON, syntheticTraceListJSON } from './synthetic';

describe('synthetic traces', () => {
  it('builds a consistent 10,000-span agent trace', () => {
    const tree = buildTraceTree(dataFrameFromJSON(syntheticTraceJSON(10_000, 3)));
    expect(tree.spans).toHaveLength(10_000);
    expect(tree.roots).toHaveLength(1);
    // Every child lies within its parent, so the waterfall nests cleanly.
    for (const s of tree.spans) {
      for (const c of s.children) {
        expect(c.startMs).toBeGreaterThanOrEqual(s.startMs);
        expect(c.endMs).toBeLessThanOrEqual(s.endMs);
      }
    }
    expect(tree.maxDepth).toBeGreaterThan(2);
    expect(tree.criticalPath.size).toBeGreaterThan(1);
    const root = tree.roots[0]!;
    expect(visibleSpans(tree, new Set([root.spanID]))).toHaveLength(1);
  });

  it('is deterministic', () => {
    expect(syntheticTraceJSON(50, 9)).toEqual(syntheticTraceJSON(50, 9));
  });

  it('makes list rows with mini waterfalls', () => {
    const rows = readTraceList(dataFrameFromJSON(syntheticTraceListJSON(20)));
    expect(rows).toHaveLength(20);
    expect(new Set(rows.map((r) => r.traceID)).size).toBe(20);
    expect(rows.every((r) => r.durationMs > 0 && r.spanCount >= 5)).toBe(true);
  });
});
