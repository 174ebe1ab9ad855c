import type { KeyValue, TraceSpan } from './traceTree';

export interface SpanException {
  type: string;
  message: string;
  stacktrace: string;
  timestamp: number;
}

function field(fields: KeyValue[], key: string): string {
  const v = fields.find((f) => f.key === key)?.value;
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

/** Exceptions recorded on a span (OpenTelemetry `exception` events). */
export function spanExceptions(span: Pick<TraceSpan, 'logs'>): SpanException[] {
  return span.logs
    .filter((e) => e.name === 'exception')
    .map((e) => ({
      type: field(e.fields, 'exception.type'),
      message: field(e.fields, 'exception.message'),
      stacktrace: field(e.fields, 'exception.stacktrace'),
      timestamp: e.timestamp,
    }));
}

/** Attributes whose content the chat view already shows; listed last, not hidden. */
const MESSAGE_KEYS =
  /^(gen_ai\.(input|output)\.messages|gen_ai\.system_instructions|gen_ai\.(prompt|completion)(\.\d+\..*)?|llm\.(input|output)_messages\..*|input\.value|output\.value)$/;

export function isMessageAttribute(key: string): boolean {
  return MESSAGE_KEYS.test(key);
}

/** Attributes sorted by key, message content after the rest (it is long and shown as a chat). */
export function sortedAttributes(items: KeyValue[]): KeyValue[] {
  return [...items].sort((a, b) => {
    const ma = isMessageAttribute(a.key) ? 1 : 0;
    const mb = isMessageAttribute(b.key) ? 1 : 0;
    return ma - mb || a.key.localeCompare(b.key);
  });
}

/** A cell value as text: strings as they are, structures as compact JSON. */
export function attributeText(v: unknown): string {
  if (typeof v === 'string') {
    return v;
  }
  if (v === null || v === undefined) {
    return '';
  }
  if (typeof v === 'object') {
    try {
      return JSON.stringify(v);
    } catch {
      return String(v);
    }
  }
  return String(v);
}
