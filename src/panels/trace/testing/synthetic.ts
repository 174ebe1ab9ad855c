import type { DataFrameJSON } from '@grafana/data';

import { T0, traceJSON, traceListJSON, type ListRowInput, type SpanInput } from './frameJson';

/**
 * Synthetic LLM traces in the service's frame shapes, for the benchmark and for tests of
 * big traces: agent runs that loop over LLM calls, tool calls and retrievals, with sub-agents.
 * Deterministic for a given seed.
 */
export function rng(seed: number) {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

const MODELS = ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4', 'gemini-2.5-flash'];
const TOOLS = ['lookup_order', 'search_docs', 'send_email', 'get_weather', 'sql_query'];
const SERVICES = ['checkout-agent', 'orders-api', 'search-api', 'billing'];

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** Spans of one synthetic trace with `count` spans (at least 1). */
export function syntheticSpans(count: number, seed = 1): SpanInput[] {
  const rand = rng(seed);
  const spans: SpanInput[] = [];
  let next = 0;
  const id = () => hex(++next, 16);
  const rootId = id();
  spans.push({
    spanID: rootId,
    parentSpanID: '',
    operationName: 'invoke_agent checkout',
    serviceName: SERVICES[0],
    spanKind: 'agent',
    startTime: T0,
    duration: 0,
    tags: [{ key: 'gen_ai.agent.name', value: 'checkout' }],
  });

  // Agents run steps one after another; a step is an LLM call, a tool call (sometimes a
  // remote service with its own children), a retrieval, or a sub-agent with steps of its own.
  const agents: Array<{ id: string; cursor: number; depth: number }> = [{ id: rootId, cursor: T0 + 2, depth: 0 }];
  while (spans.length < count) {
    const agent = agents[Math.floor(rand() * agents.length)]!;
    const roll = rand();
    const start = agent.cursor + rand() * 5;
    const spanID = id();
    if (roll < 0.45) {
      const model = MODELS[Math.floor(rand() * MODELS.length)]!;
      const inputTokens = 200 + Math.floor(rand() * 3000);
      const outputTokens = 20 + Math.floor(rand() * 600);
      const duration = 200 + rand() * 2500;
      spans.push({
        spanID,
        parentSpanID: agent.id,
        operationName: `chat ${model}`,
        serviceName: SERVICES[0],
        spanKind: 'llm',
        provider: model.startsWith('claude') ? 'anthropic' : model.startsWith('gemini') ? 'gcp.gemini' : 'openai',
        model,
        startTime: start,
        duration,
        inputTokens,
        outputTokens,
        costUsd: (inputTokens * 2.5 + outputTokens * 10) / 1e6,
        tags: [
          { key: 'gen_ai.operation.name', value: 'chat' },
          { key: 'gen_ai.request.model', value: model },
          { key: 'gen_ai.request.temperature', value: 0.2 },
          { key: 'gen_ai.usage.input_tokens', value: inputTokens },
          { key: 'gen_ai.usage.output_tokens', value: outputTokens },
          {
            key: 'gen_ai.input.messages',
            value: JSON.stringify([
              { role: 'user', parts: [{ type: 'text', content: `Step ${spans.length}: what next?` }] },
            ]),
          },
        ],
        input: `Step ${spans.length}: what next?`,
        output: 'Call the next tool.',
      });
      agent.cursor = start + duration;
    } else if (roll < 0.75) {
      const tool = TOOLS[Math.floor(rand() * TOOLS.length)]!;
      const duration = 5 + rand() * 400;
      const failed = rand() < 0.03;
      spans.push({
        spanID,
        parentSpanID: agent.id,
        operationName: `execute_tool ${tool}`,
        serviceName: SERVICES[0],
        spanKind: 'tool',
        startTime: start,
        duration,
        statusCode: failed ? 2 : 0,
        statusMessage: failed ? `${tool} failed` : '',
        tags: [
          { key: 'gen_ai.operation.name', value: 'execute_tool' },
          { key: 'gen_ai.tool.name', value: tool },
        ],
      });
      // A remote call under the tool, in another service.
      if (rand() < 0.4 && spans.length < count) {
        spans.push({
          spanID: id(),
          parentSpanID: spanID,
          operationName: `GET /api/${tool}`,
          serviceName: SERVICES[1 + Math.floor(rand() * 3)],
          startTime: start + 1,
          duration: Math.max(duration - 2, 1),
          tags: [{ key: 'http.response.status_code', value: 200 }],
        });
      }
      agent.cursor = start + duration;
    } else if (roll < 0.9) {
      const duration = 20 + rand() * 200;
      spans.push({
        spanID,
        parentSpanID: agent.id,
        operationName: 'retrieve documents',
        serviceName: SERVICES[2],
        spanKind: 'retriever',
        startTime: start,
        duration,
      });
      agent.cursor = start + duration;
    } else if (agent.depth < 6) {
      spans.push({
        spanID,
        parentSpanID: agent.id,
        operationName: 'invoke_agent researcher',
        serviceName: SERVICES[0],
        spanKind: 'agent',
        startTime: start,
        duration: 0,
      });
      agents.push({ id: spanID, cursor: start + 1, depth: agent.depth + 1 });
    }
  }

  // Agents last until their last step ends; parents before children, so walk backwards.
  const byId = new Map(spans.map((s) => [s.spanID, s]));
  for (let i = spans.length - 1; i >= 0; i--) {
    const s = spans[i]!;
    const end = s.startTime + s.duration;
    const parent = byId.get(s.parentSpanID);
    if (parent && parent.startTime + parent.duration < end + 1) {
      parent.duration = end + 1 - parent.startTime;
    }
  }
  for (const a of agents) {
    const s = byId.get(a.id)!;
    s.duration = Math.max(s.duration, a.cursor - s.startTime + 1);
  }
  // Again, now that agent durations are known.
  for (let i = spans.length - 1; i >= 0; i--) {
    const s = spans[i]!;
    const parent = byId.get(s.parentSpanID);
    if (parent && parent.startTime + parent.duration < s.startTime + s.duration) {
      parent.duration = s.startTime + s.duration - parent.startTime + 1;
    }
  }
  return spans;
}

export function syntheticTraceJSON(count: number, seed = 1): DataFrameJSON {
  return traceJSON(syntheticSpans(count, seed), hex(seed, 32));
}

/** A trace list frame of `count` traces, each with a mini waterfall of up to 50 spans. */
export function syntheticTraceListJSON(count: number, seed = 7): DataFrameJSON {
  const rand = rng(seed);
  const rows: ListRowInput[] = [];
  for (let i = 0; i < count; i++) {
    const spans = syntheticSpans(5 + Math.floor(rand() * 80), seed + i);
    const root = spans[0]!;
    const errors = spans.filter((s) => s.statusCode === 2).length;
    const models = [...new Set(spans.map((s) => s.model).filter((m): m is string => Boolean(m)))];
    const inputTokens = spans.reduce((n, s) => n + (s.inputTokens ?? 0), 0);
    const outputTokens = spans.reduce((n, s) => n + (s.outputTokens ?? 0), 0);
    rows.push({
      traceID: hex(seed * 1_000_003 + i, 32),
      startTime: T0 - i * 7_000,
      rootName: root.operationName,
      serviceName: root.serviceName ?? '',
      models: models.join(','),
      durationMs: root.duration,
      status: errors > 0 ? 'error' : 'ok',
      spanCount: spans.length,
      errorCount: errors,
      inputTokens,
      outputTokens,
      costUsd: spans.reduce((n, s) => n + (s.costUsd ?? 0), 0),
      waterfall: spans.slice(0, 50).map((s) => ({
        spanID: s.spanID,
        parentSpanID: s.parentSpanID,
        offsetMs: s.startTime - root.startTime,
        durationMs: s.duration,
        spanKind: s.spanKind ?? 'span',
        status: s.statusCode === 2 ? 'error' : 'ok',
      })),
    });
  }
  return traceListJSON(rows);
}
