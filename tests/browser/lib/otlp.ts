/** OTLP/HTTP JSON (ExportTraceServiceRequest) builders for the browser tests. */

type AnyValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean };

export function attr(key: string, value: string | number | boolean): { key: string; value: AnyValue } {
  if (typeof value === 'string') {
    return { key, value: { stringValue: value } };
  }
  if (typeof value === 'boolean') {
    return { key, value: { boolValue: value } };
  }
  return Number.isInteger(value) ? { key, value: { intValue: String(value) } } : { key, value: { doubleValue: value } };
}

export interface SpanSpec {
  spanId: string;
  parentSpanId?: string;
  name: string;
  startMs: number;
  durationMs: number;
  kind?: number;
  attributes?: Record<string, string | number | boolean>;
  error?: string;
  events?: Array<{ name: string; atMs: number; attributes?: Record<string, string | number | boolean> }>;
}

const ns = (ms: number) => (BigInt(Math.round(ms * 1000)) * BigInt(1000)).toString();

export function exportRequest(serviceName: string, traceId: string, spans: SpanSpec[]) {
  return {
    resourceSpans: [
      {
        resource: { attributes: [attr('service.name', serviceName), attr('deployment.environment', 'test')] },
        scopeSpans: [
          {
            scope: { name: 'pyflare-browser-test', version: '1.0.0' },
            spans: spans.map((s) => ({
              traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? '',
              name: s.name,
              kind: s.kind ?? 1,
              startTimeUnixNano: ns(s.startMs),
              endTimeUnixNano: ns(s.startMs + s.durationMs),
              attributes: Object.entries(s.attributes ?? {}).map(([k, v]) => attr(k, v)),
              events: (s.events ?? []).map((e) => ({
                timeUnixNano: ns(e.atMs),
                name: e.name,
                attributes: Object.entries(e.attributes ?? {}).map(([k, v]) => attr(k, v)),
              })),
              status: s.error ? { code: 2, message: s.error } : { code: 0 },
            })),
          },
        ],
      },
    ],
  };
}
