import { dataFrameFromJSON, type DataFrame, type DataFrameJSON } from '@grafana/data';
import type { FrameJSON } from '@pyflare/query-model';

/**
 * Frames in the shape the PyFlare service returns (see docs/HELPERS-BRIEF.md), for unit
 * tests. The browser tests use frames from the real service instead.
 */
export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
export const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);

const num = (name: string, values: number[], config: Record<string, unknown> = {}) => ({
  name,
  type: 'number' as const,
  typeInfo: { frame: 'float64' },
  config,
  values,
});
const str = (name: string, values: string[]) => ({
  name,
  type: 'string' as const,
  typeInfo: { frame: 'string' },
  values,
});
const other = (name: string, values: unknown[]) => ({
  name,
  type: 'other' as const,
  typeInfo: { frame: 'json.RawMessage' },
  values,
});
const time = (name: string, values: number[]) => ({
  name,
  type: 'time' as const,
  typeInfo: { frame: 'time.Time' },
  values,
});

type Col = FrameJSON['schema']['fields'][number] & { values: unknown[] };

function frame(name: string, meta: Record<string, unknown>, cols: Col[]): DataFrameJSON {
  const json: FrameJSON = {
    schema: { name, meta, fields: cols.map(({ values: _values, ...f }) => f) },
    data: { values: cols.map((c) => c.values) },
  };
  // Field types are the same strings; @grafana/data types them as its FieldType enum.
  return json as unknown as DataFrameJSON;
}

export interface ListRowInput {
  traceID: string;
  startTime: number;
  rootName: string;
  serviceName: string;
  models: string;
  durationMs: number;
  status: 'ok' | 'error';
  spanCount: number;
  errorCount: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  waterfall: unknown[];
}

export function traceListJSON(rows: ListRowInput[]): DataFrameJSON {
  const col = <K extends keyof ListRowInput>(k: K) => rows.map((r) => r[k]);
  return frame('traces', { preferredVisualisationType: 'table', custom: { pyflareFrame: 'trace-list' } }, [
    {
      ...str('traceID', col('traceID')),
      config: {
        links: [
          {
            title: 'Open trace',
            url: '',
            internal: {
              datasourceUid: 'pyflare',
              datasourceName: 'PyFlare',
              query: { queryType: 'trace', traceId: '${__value.raw}' },
            },
          },
        ],
      },
    } as Col,
    time('startTime', col('startTime')),
    str('rootName', col('rootName')),
    str('serviceName', col('serviceName')),
    str('models', col('models')),
    num('durationMs', col('durationMs'), { unit: 'ms' }),
    str('status', col('status')),
    num('spanCount', col('spanCount')),
    num('errorCount', col('errorCount')),
    num('inputTokens', col('inputTokens')),
    num('outputTokens', col('outputTokens')),
    num(
      'totalTokens',
      rows.map((r) => r.inputTokens + r.outputTokens)
    ),
    num('costUsd', col('costUsd'), { unit: 'currencyUSD' }),
    other('waterfall', col('waterfall')),
  ]);
}

export interface SpanInput {
  spanID: string;
  parentSpanID: string;
  operationName: string;
  serviceName?: string;
  startTime: number;
  duration: number;
  statusCode?: number;
  statusMessage?: string;
  spanKind?: string;
  provider?: string;
  model?: string;
  inputTokens?: number;
  outputTokens?: number;
  costUsd?: number;
  tags?: Array<{ key: string; value: unknown }>;
  logs?: unknown[];
  input?: string;
  output?: string;
}

export function traceJSON(spans: SpanInput[], traceID = TRACE_ID): DataFrameJSON {
  const s = <T>(f: (x: SpanInput) => T) => spans.map(f);
  return frame('trace', { preferredVisualisationType: 'trace', custom: { pyflareFrame: 'trace' } }, [
    str(
      'traceID',
      s(() => traceID)
    ),
    str(
      'spanID',
      s((x) => x.spanID)
    ),
    str(
      'parentSpanID',
      s((x) => x.parentSpanID)
    ),
    str(
      'operationName',
      s((x) => x.operationName)
    ),
    str(
      'serviceName',
      s((x) => x.serviceName ?? 'checkout-agent')
    ),
    other(
      'serviceTags',
      s((x) => [{ key: 'service.name', value: x.serviceName ?? 'checkout-agent' }])
    ),
    num(
      'startTime',
      s((x) => x.startTime)
    ),
    num(
      'duration',
      s((x) => x.duration)
    ),
    other(
      'tags',
      s((x) => x.tags ?? [])
    ),
    other(
      'logs',
      s((x) => x.logs ?? [])
    ),
    str(
      'kind',
      s(() => 'internal')
    ),
    num(
      'statusCode',
      s((x) => x.statusCode ?? 0)
    ),
    str(
      'statusMessage',
      s((x) => x.statusMessage ?? '')
    ),
    str(
      'spanKind',
      s((x) => x.spanKind ?? 'span')
    ),
    str(
      'provider',
      s((x) => x.provider ?? '')
    ),
    str(
      'model',
      s((x) => x.model ?? '')
    ),
    num(
      'inputTokens',
      s((x) => x.inputTokens ?? 0)
    ),
    num(
      'outputTokens',
      s((x) => x.outputTokens ?? 0)
    ),
    num(
      'cacheReadTokens',
      s(() => 0)
    ),
    num(
      'cacheWriteTokens',
      s(() => 0)
    ),
    num(
      'reasoningTokens',
      s(() => 0)
    ),
    num(
      'costUsd',
      s((x) => x.costUsd ?? 0),
      { unit: 'currencyUSD' }
    ),
    str(
      'input',
      s((x) => x.input ?? '')
    ),
    str(
      'output',
      s((x) => x.output ?? '')
    ),
  ]);
}

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
