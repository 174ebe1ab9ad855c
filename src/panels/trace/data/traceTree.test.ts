import { dataFrameFromJSON, toDataFrame } from '@grafana/data';

import { agentTraceFrame, AGENT_SPANS, T0, TRACE_ID, traceJSON, traceListJSON, agentListRow } from '../testData';
import { buildTraceTree, findTraceFrames, visibleSpans } from './traceTree';

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

  it('marks the critical path', () => {
    const critical = tree.spans.filter((s) => s.onCriticalPath).map((s) => s.spanID);
    // The retriever ran in parallel with the first LLM call and finished first.
    expect(critical).toEqual(['a1', 'b2', 'c3', 'd4']);
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

describe('visibleSpans', () => {
  it('hides the descendants of collapsed spans', () => {
    const tree = buildTraceTree(agentTraceFrame());
    expect(visibleSpans(tree, new Set())).toHaveLength(5);
    expect(visibleSpans(tree, new Set(['a1'])).map((s) => s.spanID)).toEqual(['a1']);
  });
});
