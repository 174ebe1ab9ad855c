// OTLP/JSON decoder (opentelemetry-proto's JSON mapping): trace and span ids are hex strings,
// 64-bit integers come as decimal strings or numbers, enums as integers (or their names), and
// field names are lowerCamelCase (the proto3 JSON names; the original snake_case names are
// accepted too, as proto3 JSON parsers must). Unknown fields are ignored.
//
// A hand-written decoder rather than a zod schema: it is a wire-format decoder on the hot path
// (like the protobuf one), converts as it validates, and names the offending field path.
import {
  OtlpDecodeError,
  type ExportTraceServiceRequest,
  type OtlpAnyValue,
  type OtlpEvent,
  type OtlpKeyValue,
  type OtlpLink,
  type OtlpResourceSpans,
  type OtlpScopeSpans,
  type OtlpSpan,
} from './types.js';

type Obj = Record<string, unknown>;
const MAX_DEPTH = 64;

const SPAN_KIND_NAMES: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODE_NAMES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

function fail(path: string, msg: string): never {
  throw new OtlpDecodeError(`${path}: ${msg}`);
}

/** Field by its lowerCamel JSON name or its original proto name. */
function field(o: Obj, camel: string, snake?: string): unknown {
  const v = o[camel];
  if (v !== undefined) {
    return v;
  }
  return snake === undefined ? undefined : o[snake];
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown, path: string): Obj {
  if (v === undefined || v === null) {
    return {};
  }
  if (!isObj(v)) {
    fail(path, 'expected an object');
  }
  return v;
}

function arr(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) {
    return [];
  }
  if (!Array.isArray(v)) {
    fail(path, 'expected an array');
  }
  return v;
}

function str(v: unknown, path: string): string {
  if (v === undefined || v === null) {
    return '';
  }
  if (typeof v !== 'string') {
    fail(path, 'expected a string');
  }
  return v;
}

const INT_RE = /^-?\d+$/;

function int64(v: unknown, path: string): bigint {
  if (v === undefined || v === null || v === '') {
    return 0n;
  }
  if (typeof v === 'string' && INT_RE.test(v.trim())) {
    return BigInt(v.trim());
  }
  if (typeof v === 'number' && Number.isInteger(v)) {
    return BigInt(v);
  }
  fail(path, 'expected an integer (decimal string or number)');
}

function uint32(v: unknown, path: string): number {
  const n = int64(v, path);
  if (n < 0n || n > 0xffffffffn) {
    fail(path, 'out of range for uint32');
  }
  return Number(n);
}

function enumValue(v: unknown, names: Record<string, number>, path: string): number {
  if (v === undefined || v === null) {
    return 0;
  }
  if (typeof v === 'string' && v in names) {
    return names[v]!;
  }
  if (typeof v === 'number' && Number.isInteger(v)) {
    return v;
  }
  if (typeof v === 'string' && INT_RE.test(v)) {
    return Number(v);
  }
  fail(path, 'expected an enum value');
}

/** Ids are hex in OTLP/JSON; returned lower-case, validity is normalization's business. */
function hexId(v: unknown, path: string): string {
  const s = str(v, path);
  if (s.length > 64) {
    fail(path, 'id too long');
  }
  return s.toLowerCase();
}

function anyValue(v: unknown, path: string, depth: number): OtlpAnyValue {
  if (depth > MAX_DEPTH) {
    fail(path, 'value nested too deeply');
  }
  if (v === undefined || v === null) {
    return { kind: 'empty' };
  }
  const o = obj(v, path);
  if ('stringValue' in o || 'string_value' in o) {
    return { kind: 'string', value: str(field(o, 'stringValue', 'string_value'), `${path}.stringValue`) };
  }
  if ('boolValue' in o || 'bool_value' in o) {
    const b = field(o, 'boolValue', 'bool_value');
    if (typeof b !== 'boolean') {
      fail(`${path}.boolValue`, 'expected a boolean');
    }
    return { kind: 'bool', value: b };
  }
  if ('intValue' in o || 'int_value' in o) {
    return { kind: 'int', value: int64(field(o, 'intValue', 'int_value'), `${path}.intValue`) };
  }
  if ('doubleValue' in o || 'double_value' in o) {
    const d = field(o, 'doubleValue', 'double_value');
    if (typeof d === 'number') {
      return { kind: 'double', value: d };
    }
    if (typeof d === 'string' && (d === 'NaN' || d === 'Infinity' || d === '-Infinity' || Number.isFinite(Number(d)))) {
      return { kind: 'double', value: Number(d) };
    }
    fail(`${path}.doubleValue`, 'expected a number');
  }
  if ('bytesValue' in o || 'bytes_value' in o) {
    const s = str(field(o, 'bytesValue', 'bytes_value'), `${path}.bytesValue`);
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(s)) {
      fail(`${path}.bytesValue`, 'expected base64');
    }
    return { kind: 'bytes', value: new Uint8Array(Buffer.from(s, 'base64')) };
  }
  if ('arrayValue' in o || 'array_value' in o) {
    const a = obj(field(o, 'arrayValue', 'array_value'), `${path}.arrayValue`);
    return {
      kind: 'array',
      value: arr(a.values, `${path}.arrayValue.values`).map((x, i) => anyValue(x, `${path}.arrayValue.values[${i}]`, depth + 1)),
    };
  }
  if ('kvlistValue' in o || 'kvlist_value' in o) {
    const kv = obj(field(o, 'kvlistValue', 'kvlist_value'), `${path}.kvlistValue`);
    return { kind: 'kvlist', value: keyValues(kv.values, `${path}.kvlistValue.values`, depth + 1) };
  }
  return { kind: 'empty' };
}

function keyValues(v: unknown, path: string, depth = 0): OtlpKeyValue[] {
  return arr(v, path).map((x, i) => {
    const p = `${path}[${i}]`;
    const o = obj(x, p);
    return { key: str(o.key, `${p}.key`), value: anyValue(o.value, `${p}.value`, depth) };
  });
}

function event(v: unknown, path: string): OtlpEvent {
  const o = obj(v, path);
  return {
    timeUnixNano: int64(field(o, 'timeUnixNano', 'time_unix_nano'), `${path}.timeUnixNano`),
    name: str(o.name, `${path}.name`),
    attributes: keyValues(o.attributes, `${path}.attributes`),
    droppedAttributesCount: uint32(field(o, 'droppedAttributesCount', 'dropped_attributes_count'), `${path}.droppedAttributesCount`),
  };
}

function link(v: unknown, path: string): OtlpLink {
  const o = obj(v, path);
  return {
    traceId: hexId(field(o, 'traceId', 'trace_id'), `${path}.traceId`),
    spanId: hexId(field(o, 'spanId', 'span_id'), `${path}.spanId`),
    traceState: str(field(o, 'traceState', 'trace_state'), `${path}.traceState`),
    attributes: keyValues(o.attributes, `${path}.attributes`),
    droppedAttributesCount: uint32(field(o, 'droppedAttributesCount', 'dropped_attributes_count'), `${path}.droppedAttributesCount`),
  };
}

function span(v: unknown, path: string): OtlpSpan {
  const o = obj(v, path);
  const status = obj(o.status, `${path}.status`);
  return {
    traceId: hexId(field(o, 'traceId', 'trace_id'), `${path}.traceId`),
    spanId: hexId(field(o, 'spanId', 'span_id'), `${path}.spanId`),
    parentSpanId: hexId(field(o, 'parentSpanId', 'parent_span_id'), `${path}.parentSpanId`),
    traceState: str(field(o, 'traceState', 'trace_state'), `${path}.traceState`),
    flags: uint32(o.flags, `${path}.flags`),
    name: str(o.name, `${path}.name`),
    kind: enumValue(o.kind, SPAN_KIND_NAMES, `${path}.kind`),
    startTimeUnixNano: int64(field(o, 'startTimeUnixNano', 'start_time_unix_nano'), `${path}.startTimeUnixNano`),
    endTimeUnixNano: int64(field(o, 'endTimeUnixNano', 'end_time_unix_nano'), `${path}.endTimeUnixNano`),
    attributes: keyValues(o.attributes, `${path}.attributes`),
    droppedAttributesCount: uint32(field(o, 'droppedAttributesCount', 'dropped_attributes_count'), `${path}.droppedAttributesCount`),
    events: arr(o.events, `${path}.events`).map((e, i) => event(e, `${path}.events[${i}]`)),
    droppedEventsCount: uint32(field(o, 'droppedEventsCount', 'dropped_events_count'), `${path}.droppedEventsCount`),
    links: arr(o.links, `${path}.links`).map((l, i) => link(l, `${path}.links[${i}]`)),
    droppedLinksCount: uint32(field(o, 'droppedLinksCount', 'dropped_links_count'), `${path}.droppedLinksCount`),
    status: {
      code: enumValue(status.code, STATUS_CODE_NAMES, `${path}.status.code`),
      message: str(status.message, `${path}.status.message`),
    },
  };
}

function scopeSpans(v: unknown, path: string): OtlpScopeSpans {
  const o = obj(v, path);
  const scope = obj(o.scope, `${path}.scope`);
  return {
    scope: {
      name: str(scope.name, `${path}.scope.name`),
      version: str(scope.version, `${path}.scope.version`),
      attributes: keyValues(scope.attributes, `${path}.scope.attributes`),
    },
    schemaUrl: str(field(o, 'schemaUrl', 'schema_url'), `${path}.schemaUrl`),
    spans: arr(o.spans, `${path}.spans`).map((s, i) => span(s, `${path}.spans[${i}]`)),
  };
}

function resourceSpans(v: unknown, path: string): OtlpResourceSpans {
  const o = obj(v, path);
  const resource = obj(o.resource, `${path}.resource`);
  return {
    resource: {
      attributes: keyValues(resource.attributes, `${path}.resource.attributes`),
      droppedAttributesCount: uint32(
        field(resource, 'droppedAttributesCount', 'dropped_attributes_count'),
        `${path}.resource.droppedAttributesCount`
      ),
    },
    schemaUrl: str(field(o, 'schemaUrl', 'schema_url'), `${path}.schemaUrl`),
    scopeSpans: arr(field(o, 'scopeSpans', 'scope_spans'), `${path}.scopeSpans`).map((s, i) =>
      scopeSpans(s, `${path}.scopeSpans[${i}]`)
    ),
  };
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const BIG_INT_LITERAL = /[:,[]\s*-?\d{16,}\s*[,}\]]/;

/**
 * JSON.parse turns integers beyond 2^53 into lossy doubles. OTLP/JSON says int64 travel as
 * strings, but some senders write bare numbers (nanosecond timestamps are 19 digits), so such
 * literals are quoted before parsing. Strings are skipped; only bare literals change.
 */
export function quoteBigIntegers(text: string): string {
  if (!BIG_INT_LITERAL.test(text)) {
    return text;
  }
  let out = '';
  let last = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Skip the string, honouring backslash escapes.
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) {
          i += 2;
        } else if (d === 0x22) {
          i++;
          break;
        } else {
          i++;
        }
      }
      continue;
    }
    if ((c >= 0x30 && c <= 0x39) || c === 0x2d) {
      // A whole JSON number token: -?digits(.digits)?([eE][+-]?digits)?
      const begin = i;
      let j = c === 0x2d ? i + 1 : i;
      const digitsFrom = j;
      while (j < n && isDigit(text.charCodeAt(j))) {
        j++;
      }
      const digits = j - digitsFrom;
      let integer = true;
      if (j < n && text.charCodeAt(j) === 0x2e) {
        integer = false;
        j++;
        while (j < n && isDigit(text.charCodeAt(j))) {
          j++;
        }
      }
      if (j < n && (text.charCodeAt(j) | 0x20) === 0x65) {
        integer = false;
        j++;
        if (j < n && (text.charCodeAt(j) === 0x2b || text.charCodeAt(j) === 0x2d)) {
          j++;
        }
        while (j < n && isDigit(text.charCodeAt(j))) {
          j++;
        }
      }
      if (integer && digits >= 16) {
        out += text.slice(last, begin) + '"' + text.slice(begin, j) + '"';
        last = j;
      }
      i = Math.max(j, i + 1);
      continue;
    }
    i++;
  }
  return out + text.slice(last);
}

export function decodeTraceRequestJson(body: Uint8Array | string): ExportTraceServiceRequest {
  let text: string;
  if (typeof body === 'string') {
    text = body;
  } else {
    // Invalid UTF-8 becomes U+FFFD rather than failing the request.
    text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false }).decode(body);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(quoteBigIntegers(text));
  } catch (e) {
    throw new OtlpDecodeError(`invalid JSON: ${(e as Error).message}`);
  }
  if (!isObj(parsed)) {
    throw new OtlpDecodeError('(root): expected an ExportTraceServiceRequest object');
  }
  return {
    resourceSpans: arr(field(parsed, 'resourceSpans', 'resource_spans'), 'resourceSpans').map((r, i) =>
      resourceSpans(r, `resourceSpans[${i}]`)
    ),
  };
}

/** ExportTraceServiceResponse in OTLP/JSON; int64 rejectedSpans as a string per the proto3 JSON mapping. */
export function encodeTraceResponseJson(r: { rejectedSpans: number; errorMessage: string }): string {
  if (r.rejectedSpans === 0 && r.errorMessage === '') {
    return '{}';
  }
  return JSON.stringify({ partialSuccess: { rejectedSpans: String(r.rejectedSpans), errorMessage: r.errorMessage } });
}
