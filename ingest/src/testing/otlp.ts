// Builders for OTLP requests in tests: the decoded form (for normalization) and OTLP/JSON
// bodies (for the HTTP receiver).
import crypto from 'node:crypto';
import type { ExportTraceServiceRequest, OtlpAnyValue, OtlpKeyValue, OtlpSpan } from '../otlp/types.js';

export type AttrValue = string | number | boolean | bigint | string[] | null;

export function anyValue(v: AttrValue): OtlpAnyValue {
  if (v === null) {
    return { kind: 'empty' };
  }
  if (Array.isArray(v)) {
    return { kind: 'array', value: v.map((s) => ({ kind: 'string', value: s })) };
  }
  switch (typeof v) {
    case 'string':
      return { kind: 'string', value: v };
    case 'boolean':
      return { kind: 'bool', value: v };
    case 'bigint':
      return { kind: 'int', value: v };
    default:
      return Number.isInteger(v) ? { kind: 'int', value: BigInt(v) } : { kind: 'double', value: v };
  }
}

export function kvs(attrs: Record<string, AttrValue>): OtlpKeyValue[] {
  return Object.entries(attrs).map(([key, v]) => ({ key, value: anyValue(v) }));
}

export const hex = (bytes: number) => crypto.randomBytes(bytes).toString('hex');
export const NOW_NS = BigInt(Date.parse('2026-01-15T12:00:00Z')) * 1_000_000n;

export function span(p: Partial<OtlpSpan> & { attrs?: Record<string, AttrValue> } = {}): OtlpSpan {
  const start = p.startTimeUnixNano ?? NOW_NS - 5_000_000_000n;
  return {
    traceId: p.traceId ?? hex(16),
    spanId: p.spanId ?? hex(8),
    parentSpanId: p.parentSpanId ?? '',
    traceState: p.traceState ?? '',
    flags: p.flags ?? 0,
    name: p.name ?? 'op',
    kind: p.kind ?? 1,
    startTimeUnixNano: start,
    endTimeUnixNano: p.endTimeUnixNano ?? start + 250_000_000n,
    attributes: p.attributes ?? kvs(p.attrs ?? {}),
    droppedAttributesCount: 0,
    events: p.events ?? [],
    droppedEventsCount: 0,
    links: p.links ?? [],
    droppedLinksCount: 0,
    status: p.status ?? { code: 0, message: '' },
  };
}

export function request(spans: OtlpSpan[], resource: Record<string, AttrValue> = { 'service.name': 'test-svc' }): ExportTraceServiceRequest {
  return {
    resourceSpans: [
      {
        resource: { attributes: kvs(resource), droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeSpans: [{ scope: { name: 'test', version: '1.0', attributes: [] }, schemaUrl: '', spans }],
      },
    ],
  };
}

/** OTLP/JSON attribute list. */
export function jsonAttrs(attrs: Record<string, string | number | boolean>): Array<{ key: string; value: Record<string, unknown> }> {
  return Object.entries(attrs).map(([key, v]) => ({
    key,
    value:
      typeof v === 'string'
        ? { stringValue: v }
        : typeof v === 'boolean'
          ? { boolValue: v }
          : Number.isInteger(v)
            ? { intValue: String(v) }
            : { doubleValue: v },
  }));
}

export interface JsonSpanSpec {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  startMs?: number;
  durationMs?: number;
  attrs?: Record<string, string | number | boolean>;
  status?: 0 | 1 | 2;
  kind?: number;
}

/** An OTLP/JSON ExportTraceServiceRequest body. */
export function jsonBody(spans: JsonSpanSpec[], service = 'test-svc'): Record<string, unknown> {
  return {
    resourceSpans: [
      {
        resource: { attributes: jsonAttrs({ 'service.name': service }) },
        scopeSpans: [
          {
            scope: { name: 'test', version: '1' },
            spans: spans.map((s) => {
              const start = BigInt(Math.round((s.startMs ?? Date.now() - 1000) * 1000)) * 1000n;
              const end = start + BigInt(Math.round((s.durationMs ?? 100) * 1000)) * 1000n;
              return {
                traceId: s.traceId ?? hex(16),
                spanId: s.spanId ?? hex(8),
                parentSpanId: s.parentSpanId ?? '',
                name: s.name ?? 'op',
                kind: s.kind ?? 1,
                startTimeUnixNano: start.toString(),
                endTimeUnixNano: end.toString(),
                attributes: jsonAttrs(s.attrs ?? {}),
                status: { code: s.status ?? 0 },
              };
            }),
          },
        ],
      },
    ],
  };
}
