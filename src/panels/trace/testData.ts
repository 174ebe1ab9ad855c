import { dataFrameFromJSON, type DataFrame } from '@grafana/data';

import { T0, TRACE_ID, traceJSON, type ListRowInput, type SpanInput } from './testing/frameJson';

/**
 * Frames in the shape the PyFlare service returns (see docs/HELPERS-BRIEF.md), for unit
 * tests. The browser tests use frames from the real service instead.
 */
export { T0, TRACE_ID, traceJSON, traceListJSON, type ListRowInput, type SpanInput } from './testing/frameJson';

/** An agent run: root, an LLM call, a tool call that failed, a final LLM call. */
export const AGENT_SPANS: SpanInput[] = [
  { spanID: 'a1', parentSpanID: '', operationName: 'agent.run', spanKind: 'agent', startTime: T0, duration: 1000 },
  {
    spanID: 'b2',
    parentSpanID: 'a1',
    operationName: 'chat gpt-4o',
    spanKind: 'llm',
    provider: 'openai',
    model: 'gpt-4o',
    startTime: T0 + 10,
    duration: 400,
    inputTokens: 1200,
    outputTokens: 300,
    costUsd: 0.006,
    tags: [{ key: 'gen_ai.request.temperature', value: 0.2 }],
    input: 'What is the refund policy?',
    output: 'Refunds within 30 days.',
  },
  {
    spanID: 'c3',
    parentSpanID: 'a1',
    operationName: 'execute_tool lookup_order',
    spanKind: 'tool',
    startTime: T0 + 420,
    duration: 100,
    statusCode: 2,
    statusMessage: 'order not found',
    logs: [
      { timestamp: T0 + 500, name: 'exception', fields: [{ key: 'exception.message', value: 'order not found' }] },
    ],
  },
  {
    spanID: 'd4',
    parentSpanID: 'a1',
    operationName: 'chat gpt-4o-mini',
    spanKind: 'llm',
    provider: 'openai',
    model: 'gpt-4o-mini',
    startTime: T0 + 530,
    duration: 450,
    inputTokens: 900,
    outputTokens: 100,
    costUsd: 0.0002,
  },
  // Runs in parallel with the first LLM call but finishes earlier: not on the critical path.
  {
    spanID: 'e5',
    parentSpanID: 'a1',
    operationName: 'retrieve docs',
    spanKind: 'retriever',
    startTime: T0 + 10,
    duration: 50,
  },
];

export function agentTraceFrame(): DataFrame {
  return dataFrameFromJSON(traceJSON(AGENT_SPANS));
}

export function agentListRow(over: Partial<ListRowInput> = {}): ListRowInput {
  return {
    traceID: TRACE_ID,
    startTime: T0,
    rootName: 'agent.run',
    serviceName: 'checkout-agent',
    models: 'gpt-4o,gpt-4o-mini',
    durationMs: 1000,
    status: 'error',
    spanCount: 5,
    errorCount: 1,
    inputTokens: 2100,
    outputTokens: 400,
    costUsd: 0.0062,
    waterfall: AGENT_SPANS.map((s) => ({
      spanID: s.spanID,
      parentSpanID: s.parentSpanID,
      offsetMs: s.startTime - T0,
      durationMs: s.duration,
      spanKind: s.spanKind ?? 'span',
      status: s.statusCode === 2 ? 'error' : 'ok',
    })),
    ...over,
  };
}
