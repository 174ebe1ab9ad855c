import type { DataFrameJSON } from '@grafana/data';
import type { FrameJSON } from '@pyflare/query-model';

/**
 * Frame JSON in the shape the PyFlare service returns (see docs/HELPERS-BRIEF.md), for unit
 * tests and the benchmark. No runtime import of @grafana/data: Node scripts use it too.
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
