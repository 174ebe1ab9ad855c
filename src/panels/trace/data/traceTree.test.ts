import { dataFrameFromJSON, toDataFrame } from '@grafana/data';

import { agentTraceFrame, AGENT_SPANS, T0, TRACE_ID, traceJSON, traceListJSON, agentListRow } from '../testData';
import { ancestorIds, buildTraceTree, findTraceFrames, parentSpanIds, visibleSpans } from './traceTree';

describe('findTraceFrames', () => {
  it('finds trace frames by trace id and skips list frames', () => {
    const trace = agentTraceFrame();
    const other = dataFrameFromJSON(traceJSON(AGENT_SPANS.slice(0, 1), 'f'.repeat(32)));
    const list = dataFrameFromJSON(traceListJSON([agentListRow()]));
    const found = findTraceFrames([list, trace, other]);
    expect([...found.keys()]).toEqual([TRACE_ID, 'f'.repeat(32)]);
    expect(found.get(TRACE_ID)).toBe(trace);
  });
});

describe('buildTraceTree', () => {
  const tree = buildTraceTree(agentTraceFrame());

  it('builds the hierarchy in start order with depth and offsets', () => {
    expect(tree.traceID).toBe(TRACE_ID);
    expect(tree.startMs).toBe(T0);
    expect(tree.durationMs).toBe(1000);
    expect(tree.roots.map((r) => r.spanID)).toEqual(['a1']);
    expect(tree.spans.map((s) => [s.operationName, s.depth, s.offsetMs])).toEqual([
      ['agent.run', 0, 0],
      ['chat gpt-4o', 1, 10],
      ['retrieve docs', 1, 10],
      ['execute_tool lookup_order', 1, 420],
      ['chat gpt-4o-mini', 1, 530],
    ]);
  });

  it('marks the critical path with the segments each span contributes', () => {
    const critical = tree.spans.filter((s) => s.onCriticalPath).map((s) => s.spanID);
    // The retriever ran in parallel with the first LLM call and finished first.
    expect(critical).toEqual(['a1', 'b2', 'c3', 'd4']);
    expect(tree.criticalPath.get('d4')).toEqual([[T0 + 530, T0 + 980]]);
    expect(tree.criticalPath.get('a1')).toEqual([
      [T0, T0 + 10],
      [T0 + 410, T0 + 420],
      [T0 + 520, T0 + 530],
      [T0 + 980, T0 + 1000],
    ]);
  });

  it('counts descendants and the errors among them', () => {
    const root = tree.byId.get('a1')!;
    expect(root.descendantCount).toBe(4);
    expect(root.descendantErrors).toBe(1);
    expect(tree.byId.get('b2')!.descendantCount).toBe(0);
    expect(tree.maxDepth).toBe(1);
  });

  it('computes self time and LLM details', () => {
    const root = tree.byId.get('a1')!;
    // 1000 ms minus the children's union [10,410] ∪ [420,520] ∪ [530,980] = 950.
    expect(root.selfMs).toBe(50);
    const llm = tree.byId.get('b2')!;
    expect(llm).toMatchObject({
      spanKind: 'llm',
      model: 'gpt-4o',
      provider: 'openai',
      inputTokens: 1200,
      costUsd: 0.006,
    });
    expect(llm.tags).toEqual([{ key: 'gen_ai.request.temperature', value: 0.2 }]);
    const tool = tree.byId.get('c3')!;
    expect(tool.isError).toBe(true);
    expect(tool.logs[0]).toMatchObject({ name: 'exception', timestamp: T0 + 500 });
  });

  it('sums the totals', () => {
    expect(tree.totals).toMatchObject({
      spans: 5,
      errors: 1,
      inputTokens: 2100,
      outputTokens: 400,
      services: ['checkout-agent'],
      models: ['gpt-4o', 'gpt-4o-mini'],
    });
    expect(tree.totals.costUsd).toBeCloseTo(0.0062, 10);
  });

  it('makes orphans and cycles roots instead of losing them', () => {
    const frame = toDataFrame({
      meta: { preferredVisualisationType: 'trace' },
      fields: [
        { name: 'traceID', values: ['t', 't', 't', 't'] },
        { name: 'spanID', values: ['a', 'b', 'c', 'd'] },
        { name: 'parentSpanID', values: ['missing', 'a', 'd', 'c'] },
        { name: 'operationName', values: ['orphan', 'child', 'cyc1', 'cyc2'] },
        { name: 'startTime', values: [0, 1, 2, 3] },
        { name: 'duration', values: [10, 2, 1, 1] },
      ],
    });
    const t = buildTraceTree(frame);
    expect(t.spans).toHaveLength(4);
    expect(t.roots.map((r) => r.spanID)).toEqual(['a', 'c']);
    expect(t.byId.get('d')!.depth).toBe(1);
  });

  it('handles an empty frame', () => {
    const t = buildTraceTree(toDataFrame({ fields: [{ name: 'spanID', values: [] }] }));
    expect(t.spans).toEqual([]);
    expect(t.durationMs).toBe(0);
  });
});

/** A trace frame from (spanID, parentSpanID, start, duration) tuples. */
function treeOf(spans: Array<[string, string, number, number]>) {
  return buildTraceTree(
    toDataFrame({
      meta: { preferredVisualisationType: 'trace' },
      fields: [
        { name: 'traceID', values: spans.map(() => 't') },
        { name: 'spanID', values: spans.map((s) => s[0]) },
        { name: 'parentSpanID', values: spans.map((s) => s[1]) },
        { name: 'operationName', values: spans.map((s) => s[0]) },
        { name: 'startTime', values: spans.map((s) => s[2]) },
        { name: 'duration', values: spans.map((s) => s[3]) },
      ],
    })
  );
}

describe('visibleSpans', () => {
  it('hides the descendants of collapsed spans', () => {
    const tree = buildTraceTree(agentTraceFrame());
    expect(visibleSpans(tree, new Set())).toHaveLength(5);
    expect(visibleSpans(tree, new Set(['a1'])).map((s) => s.spanID)).toEqual(['a1']);
  });

  it('skips whole nested subtrees and keeps what follows them', () => {
    const tree = treeOf([
      ['r', '', 0, 100],
      ['a', 'r', 0, 50],
      ['a1', 'a', 0, 10],
      ['a2', 'a', 10, 10],
      ['a2x', 'a2', 10, 5],
      ['b', 'r', 50, 50],
      ['b1', 'b', 50, 10],
    ]);
    expect(visibleSpans(tree, new Set(['a'])).map((s) => s.spanID)).toEqual(['r', 'a', 'b', 'b1']);
    expect(visibleSpans(tree, new Set(['a2', 'b'])).map((s) => s.spanID)).toEqual(['r', 'a', 'a1', 'a2', 'b']);
    expect([...parentSpanIds(tree)].sort()).toEqual(['a', 'a2', 'b', 'r']);
    expect(ancestorIds(tree, 'a2x')).toEqual(['a2', 'a', 'r']);
    expect(ancestorIds(tree, 'r')).toEqual([]);
  });

  it('builds a chain nested deeper than the call stack', () => {
    const n = 20_000;
    const spans: Array<[string, string, number, number]> = Array.from({ length: n }, (_, i) => [
      `s${i}`,
      i === 0 ? '' : `s${i - 1}`,
      i,
      n - i,
    ]);
    const tree = treeOf(spans);
    expect(tree.spans).toHaveLength(n);
    expect(tree.maxDepth).toBe(n - 1);
    expect(tree.byId.get('s0')!.descendantCount).toBe(n - 1);
    expect(visibleSpans(tree, new Set(['s1']))).toHaveLength(2);
  });
});
