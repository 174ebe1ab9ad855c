// One TRACE frame (queryType "trace"): one row per span, the fields Grafana's trace view reads
// (TraceSpanRow) followed by the LLM columns.
import type { FrameJSON } from '../queryModel.js';
import type { SpanRow } from '../storage/types.js';
import { buildFrame, nsToMs } from './frame.js';

export interface KeyValue {
  key: string;
  value: unknown;
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function toKeyValues(o: Record<string, unknown>): KeyValue[] {
  return Object.keys(o)
    .sort()
    .map((key) => ({ key, value: o[key] }));
}

/** Normalized LLM fields as tags, so they show in the span details next to the raw attributes. */
function llmTags(s: SpanRow): KeyValue[] {
  const t: KeyValue[] = [];
  const add = (key: string, value: unknown) => {
    if (value !== null && value !== undefined && value !== '') {
      t.push({ key, value });
    }
  };
  if (s.spanKind !== 'span') {
    add('pyflare.span_kind', s.spanKind);
  }
  add('pyflare.provider', s.provider);
  add('pyflare.operation', s.operation);
  add('pyflare.request_model', s.requestModel);
  add('pyflare.response_model', s.responseModel);
  add('pyflare.input_tokens', s.inputTokens);
  add('pyflare.output_tokens', s.outputTokens);
  add('pyflare.cache_read_tokens', s.cacheReadTokens);
  add('pyflare.cache_write_tokens', s.cacheWriteTokens);
  add('pyflare.reasoning_tokens', s.reasoningTokens);
  add('pyflare.cost_usd', s.costMicros === null ? null : s.costMicros / 1e6);
  add('pyflare.cost_source', s.costSource);
  add('pyflare.price_key', s.priceKey);
  add('pyflare.session_id', s.sessionId);
  add('pyflare.user_id', s.userId);
  add('pyflare.agent_name', s.agentName);
  add('pyflare.tool_name', s.toolName);
  if (s.finishReasons.length) {
    add('pyflare.finish_reasons', s.finishReasons.join(','));
  }
  return t;
}

interface StoredEvent {
  timeNs?: string;
  name?: string;
  attributes?: Record<string, unknown>;
}

function logsOf(s: SpanRow): Array<{ timestamp: number; name: string; fields: KeyValue[] }> {
  let events: StoredEvent[] = [];
  try {
    const v: unknown = JSON.parse(s.events);
    events = Array.isArray(v) ? (v as StoredEvent[]) : [];
  } catch {
    events = [];
  }
  return events.map((e) => ({
    timestamp: e.timeNs && /^\d+$/.test(e.timeNs) ? nsToMs(BigInt(e.timeNs)) : nsToMs(s.startNs),
    name: e.name ?? '',
    fields: toKeyValues(e.attributes ?? {}),
  }));
}

export function traceFrame(spans: SpanRow[], refId: string): FrameJSON {
  const col = <T>(f: (s: SpanRow) => T): T[] => spans.map(f);
  const numOrNull = (f: (s: SpanRow) => number | null) => ({ type: 'number' as const, nullable: true, values: col(f) });
  return buildFrame({
    name: 'trace',
    refId,
    meta: { preferredVisualisationType: 'trace', custom: { pyflareFrame: 'trace' } },
    fields: [
      { name: 'traceID', type: 'string', values: col((s) => s.traceId) },
      { name: 'spanID', type: 'string', values: col((s) => s.spanId) },
      { name: 'parentSpanID', type: 'string', values: col((s) => s.parentSpanId) },
      { name: 'operationName', type: 'string', values: col((s) => s.name) },
      { name: 'serviceName', type: 'string', values: col((s) => s.service) },
      { name: 'serviceTags', type: 'other', values: col((s) => toKeyValues(parseObject(s.resourceAttributes))) },
      { name: 'startTime', type: 'number', values: col((s) => nsToMs(s.startNs)) },
      { name: 'duration', type: 'number', values: col((s) => nsToMs(s.durationNs)), config: { unit: 'ms' } },
      { name: 'tags', type: 'other', values: col((s) => [...toKeyValues(parseObject(s.attributes)), ...llmTags(s)]) },
      { name: 'logs', type: 'other', values: col(logsOf) },
      { name: 'kind', type: 'string', values: col((s) => s.kind) },
      { name: 'statusCode', type: 'number', values: col((s) => s.statusCode) },
      { name: 'statusMessage', type: 'string', values: col((s) => s.statusMessage) },
      { name: 'spanKind', type: 'string', values: col((s) => s.spanKind) },
      { name: 'provider', type: 'string', values: col((s) => s.provider ?? '') },
      { name: 'model', type: 'string', values: col((s) => s.responseModel ?? s.requestModel ?? '') },
      { name: 'inputTokens', ...numOrNull((s) => s.inputTokens) },
      { name: 'outputTokens', ...numOrNull((s) => s.outputTokens) },
      { name: 'cacheReadTokens', ...numOrNull((s) => s.cacheReadTokens) },
      { name: 'cacheWriteTokens', ...numOrNull((s) => s.cacheWriteTokens) },
      { name: 'reasoningTokens', ...numOrNull((s) => s.reasoningTokens) },
      {
        name: 'costUsd',
        ...numOrNull((s) => (s.costMicros === null ? null : s.costMicros / 1e6)),
        config: { unit: 'currencyUSD', decimals: 6 },
      },
      { name: 'input', type: 'string', values: col((s) => s.inputContent ?? '') },
      { name: 'output', type: 'string', values: col((s) => s.outputContent ?? '') },
    ],
  });
}
