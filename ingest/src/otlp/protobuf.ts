// Hand-written protobuf codec for OTLP traces: decodes
// opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest into the shared decoded form
// (types.ts) and encodes ExportTraceServiceResponse. Field numbers follow
// opentelemetry-proto (collector/trace/v1/trace_service.proto, trace/v1/trace.proto,
// common/v1/common.proto, resource/v1/resource.proto).
//
// Why hand-written: no code generation or .proto loading at runtime, one pass over the bytes
// with no intermediate objects, and every malformed input ends in an OtlpDecodeError (never a
// RangeError/TypeError), since this parses untrusted network input.

import {
  OtlpDecodeError,
  type ExportResult,
  type ExportTraceServiceRequest,
  type OtlpAnyValue,
  type OtlpEvent,
  type OtlpKeyValue,
  type OtlpLink,
  type OtlpResourceSpans,
  type OtlpScope,
  type OtlpScopeSpans,
  type OtlpSpan,
} from './types.js';
import { plainConstructor } from '../util/plainConstructor.js';

/** Nesting limit for AnyValue arrays/kvlists and skipped groups (protobuf's default is 100). */
export const MAX_NESTING_DEPTH = 64;

// Wire types.
const VARINT = 0;
const I64 = 1;
const LEN = 2;
const SGROUP = 3;
const EGROUP = 4;
const I32 = 5;

// Tag bytes (field << 3 | wire type) of the fields we decode, to switch on the whole tag.
const T1_LEN = 0x0a;
const T2_VARINT = 0x10;
const T2_LEN = 0x12;
const T3_VARINT = 0x18;
const T3_LEN = 0x1a;
const T4_VARINT = 0x20;
const T4_LEN = 0x22;
const T5_VARINT = 0x28;
const T5_LEN = 0x2a;
const T6_VARINT = 0x30;
const T6_LEN = 0x32;
const T7_I64 = 0x39;
const T7_LEN = 0x3a;
const T8_I64 = 0x41;
const T1_I64 = 0x09;
const T4_I64 = 0x21;
const T9_LEN = 0x4a;
const T10_VARINT = 0x50;
const T11_LEN = 0x5a;
const T12_VARINT = 0x60;
const T13_LEN = 0x6a;
const T14_VARINT = 0x70;
const T15_LEN = 0x7a;
const T16_I32 = 0x85; // two-byte tag 0x85 0x01 decodes to 133

// Expected wire type per known field number, for each message (index = field number). A known
// field arriving with another wire type is an error; unlisted fields are skipped.
type WireTable = ReadonlyArray<number | undefined>;
const W_REQUEST: WireTable = [undefined, LEN];
const W_RESOURCE_SPANS: WireTable = [undefined, LEN, LEN, LEN];
const W_SCOPE_SPANS: WireTable = [undefined, LEN, LEN, LEN];
const W_RESOURCE: WireTable = [undefined, LEN, VARINT, LEN];
const W_SCOPE: WireTable = [undefined, LEN, LEN, LEN, VARINT];
const W_KEY_VALUE: WireTable = [undefined, LEN, LEN, VARINT];
const W_ANY_VALUE: WireTable = [undefined, LEN, VARINT, VARINT, I64, LEN, LEN, LEN, VARINT];
const W_VALUES: WireTable = [undefined, LEN];
const W_SPAN: WireTable = [
  undefined, LEN, LEN, LEN, LEN, LEN, VARINT, I64, I64, LEN, VARINT, LEN, VARINT, LEN, VARINT, LEN, I32,
];
const W_EVENT: WireTable = [undefined, I64, LEN, LEN, VARINT];
const W_LINK: WireTable = [undefined, LEN, LEN, LEN, LEN, VARINT, I32];
const W_STATUS: WireTable = [undefined, undefined, LEN, VARINT]; // field 1 is reserved

const TWO_32 = 4294967296;

/** Node's native Buffer slice decoders (what buf.toString(enc, s, e) calls, minus its checks). */
interface NodeBufferSlices {
  utf8Slice(start: number, end: number): string;
  hexSlice(start: number, end: number): string;
}
// Fail at startup rather than turning every request into a decode error if a Node version ever
// drops them (they have existed since Node 0.x; protobufjs relies on utf8Slice too).
{
  const proto = Buffer.prototype as unknown as Partial<NodeBufferSlices>;
  if (typeof proto.utf8Slice !== 'function' || typeof proto.hexSlice !== 'function') {
    throw new Error('otlp/protobuf: this Node.js lacks Buffer.prototype.utf8Slice/hexSlice');
  }
}

class Reader {
  readonly buf: Uint8Array;
  /** Buffer view over the same memory, for native UTF-8 decoding. */
  readonly text: Buffer;
  readonly view: DataView;
  pos = 0;
  /**
   * Where the last trace id / parent span id was read, and its hex: the spans of a batch mostly
   * share a few traces and parents, so equal bytes reuse the string (cheaper than hexSlice).
   */
  lastTraceIdAt = -1;
  lastTraceId = '';
  lastParentIdAt = -1;
  lastParentId = '';
  /** Result registers of readVarint64 (unsigned 32-bit halves). */
  lo = 0;
  hi = 0;

  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.text = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
}

function fail(r: Reader, msg: string): never {
  throw new OtlpDecodeError(`invalid OTLP protobuf at byte ${r.pos}: ${msg}`);
}

function truncated(r: Reader, what: string): never {
  fail(r, `truncated ${what}`);
}

/** Reads a varint of up to 10 bytes into r.lo / r.hi. */
function readVarint64(r: Reader, end: number): void {
  const buf = r.buf;
  let pos = r.pos;
  let lo = 0;
  let hi = 0;
  let b: number;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) {truncated(r, 'varint');}
    b = buf[pos++]!;
    lo |= (b & 0x7f) << shift;
    if (b < 0x80) {
      r.pos = pos;
      r.lo = lo >>> 0;
      r.hi = 0;
      return;
    }
  }
  if (pos >= end) {truncated(r, 'varint');}
  b = buf[pos++]!;
  lo |= (b & 0x0f) << 28;
  hi = (b & 0x7f) >> 4;
  if (b >= 0x80) {
    let done = false;
    for (let shift = 3; shift < 31; shift += 7) {
      if (pos >= end) {truncated(r, 'varint');}
      b = buf[pos++]!;
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) {
        done = true;
        break;
      }
    }
    if (!done) {
      if (pos >= end) {truncated(r, 'varint');}
      b = buf[pos++]!;
      if (b > 1) {
        r.pos = pos - 1;
        fail(r, 'bad varint (longer than 10 bytes or over 64 bits)');
      }
      hi |= b << 31;
    }
  }
  r.pos = pos;
  r.lo = lo >>> 0;
  r.hi = hi >>> 0;
}

/** Low 32 bits of a varint, unsigned: uint32 fields (protobuf truncates wider values). */
function readUint32(r: Reader, end: number): number {
  const pos = r.pos;
  if (pos < end) {
    const b = r.buf[pos]!;
    if (b < 0x80) {
      r.pos = pos + 1;
      return b;
    }
  }
  readVarint64(r, end);
  return r.lo;
}

/** Low 32 bits of a varint, signed: int32 / enum fields. */
function readInt32(r: Reader, end: number): number {
  return readUint32(r, end) | 0;
}

function readBool(r: Reader, end: number): boolean {
  readVarint64(r, end);
  return r.lo !== 0 || r.hi !== 0;
}

// Token counts, ports and indexes are small: share their bigints instead of allocating each.
const SMALL_BIGINTS: readonly bigint[] = Array.from({ length: 4096 }, (_, i) => BigInt(i));

function readInt64(r: Reader, end: number): bigint {
  readVarint64(r, end);
  const lo = r.lo;
  const hi = r.hi;
  if (hi === 0) {return lo < 4096 ? SMALL_BIGINTS[lo]! : BigInt(lo);}
  if (hi < 0x200000) {return BigInt(hi * TWO_32 + lo);} // exact below 2^53
  if (hi === 0xffffffff && lo >= 0x80000000) {return BigInt(lo - TWO_32);} // small negatives
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
}

function readTag(r: Reader, end: number): number {
  const pos = r.pos;
  const b = r.buf[pos]!; // caller guarantees pos < end
  let tag: number;
  if (b < 0x80) {
    r.pos = pos + 1;
    tag = b;
  } else {
    readVarint64(r, end);
    if (r.hi !== 0) {
      r.pos = pos;
      fail(r, 'field tag out of range');
    }
    tag = r.lo;
  }
  if (tag >>> 3 === 0) {
    r.pos = pos;
    fail(r, 'field number 0');
  }
  return tag;
}

/** Reads a length prefix and checks that the payload fits in the enclosing message. */
function readLen(r: Reader, end: number, what: string): number {
  const start = r.pos;
  let len: number;
  if (start < end && r.buf[start]! < 0x80) {
    len = r.buf[start]!;
    r.pos = start + 1;
  } else {
    readVarint64(r, end);
    len = r.hi * TWO_32 + r.lo;
  }
  if (len > end - r.pos) {
    r.pos = start;
    fail(r, `length ${len} of ${what} runs past the end of its message`);
  }
  return len;
}

function readFixed64(r: Reader, end: number, what: string): bigint {
  const pos = r.pos;
  if (end - pos < 8) {truncated(r, what);}
  r.pos = pos + 8;
  return r.view.getBigUint64(pos, true);
}

function readFixed32(r: Reader, end: number, what: string): number {
  const pos = r.pos;
  if (end - pos < 4) {truncated(r, what);}
  r.pos = pos + 4;
  return r.view.getUint32(pos, true);
}

function readDouble(r: Reader, end: number): number {
  const pos = r.pos;
  if (end - pos < 8) {truncated(r, 'double');}
  r.pos = pos + 8;
  return r.view.getFloat64(pos, true);
}

// Attribute keys and many values (model names, providers, operation names) repeat across spans
// and requests. Short strings go through a small direct-mapped cache keyed by their bytes:
// hashing a few words and comparing the bytes in JS is cheaper than a native decode call plus a
// fresh string, and repeated keys end up sharing one string. Equal bytes decode to equal
// strings, so a byte-for-byte match is all the check a hit needs.
const CACHE_MAX_LEN = 40;
const CACHE_SIZE = 4096; // power of two
const cacheStrings: string[] = new Array<string>(CACHE_SIZE).fill('');
const cacheLens = new Int32Array(CACHE_SIZE).fill(-1);
const cacheBytes = new Uint8Array(CACHE_SIZE * CACHE_MAX_LEN);
const cacheView = new DataView(cacheBytes.buffer);

/** UTF-8 string; invalid sequences become U+FFFD (Buffer's decoder) rather than failing. */
function readString(r: Reader, end: number, what: string): string {
  const len = readLen(r, end, what);
  if (len === 0) {return '';}
  const start = r.pos;
  const stop = start + len;
  r.pos = stop;
  if (len > CACHE_MAX_LEN) {return (r.text as unknown as NodeBufferSlices).utf8Slice(start, stop);}
  const buf = r.buf;
  const view = r.view;
  // Hash the length and up to three 4-byte words (start, middle, end); collisions only cost a miss.
  let h: number;
  if (len >= 4) {
    h = Math.imul(len ^ view.getInt32(start, true), 0x01000193);
    h = Math.imul(h ^ view.getInt32(stop - 4, true), 0x01000193);
    h = Math.imul(h ^ view.getInt32(start + ((len - 4) >> 1), true), 0x01000193);
  } else {
    h = len;
    for (let i = start; i < stop; i++) {h = Math.imul(h ^ buf[i]!, 0x01000193);}
  }
  const slot = (h ^ (h >>> 15)) & (CACHE_SIZE - 1);
  const base = slot * CACHE_MAX_LEN;
  if (cacheLens[slot] === len) {
    let k = 0;
    for (const words = len - 3; k < words; k += 4) {
      if (view.getInt32(start + k, true) !== cacheView.getInt32(base + k, true)) {break;}
    }
    if (k >= len - 3) {
      while (k < len && buf[start + k] === cacheBytes[base + k]) {k++;}
      if (k === len) {return cacheStrings[slot]!;}
    }
  }
  const str = (r.text as unknown as NodeBufferSlices).utf8Slice(start, stop);
  for (let k = 0; k < len; k++) {cacheBytes[base + k] = buf[start + k]!;}
  cacheLens[slot] = len;
  cacheStrings[slot] = str;
  return str;
}

function readHex(r: Reader, end: number, what: string): string {
  const len = readLen(r, end, what);
  const start = r.pos;
  r.pos = start + len;
  return (r.text as unknown as NodeBufferSlices).hexSlice(start, start + len);
}

function sameBytes(v: DataView, a: number, b: number, len: 8 | 16): boolean {
  if (v.getInt32(a, true) !== v.getInt32(b, true) || v.getInt32(a + 4, true) !== v.getInt32(b + 4, true)) {return false;}
  return len === 8 || (v.getInt32(a + 8, true) === v.getInt32(b + 8, true) && v.getInt32(a + 12, true) === v.getInt32(b + 12, true));
}

function readTraceId(r: Reader, end: number, what: string): string {
  const len = readLen(r, end, what);
  const start = r.pos;
  r.pos = start + len;
  if (len !== 16) {return (r.text as unknown as NodeBufferSlices).hexSlice(start, start + len);}
  if (r.lastTraceIdAt >= 0 && sameBytes(r.view, r.lastTraceIdAt, start, 16)) {return r.lastTraceId;}
  r.lastTraceIdAt = start;
  return (r.lastTraceId = (r.text as unknown as NodeBufferSlices).hexSlice(start, start + 16));
}

function readParentSpanId(r: Reader, end: number): string {
  const len = readLen(r, end, 'Span.parent_span_id');
  const start = r.pos;
  r.pos = start + len;
  if (len !== 8) {return (r.text as unknown as NodeBufferSlices).hexSlice(start, start + len);}
  if (r.lastParentIdAt >= 0 && sameBytes(r.view, r.lastParentIdAt, start, 8)) {return r.lastParentId;}
  r.lastParentIdAt = start;
  return (r.lastParentId = (r.text as unknown as NodeBufferSlices).hexSlice(start, start + 8));
}

function readBytes(r: Reader, end: number): Uint8Array {
  const len = readLen(r, end, 'bytes value');
  const out = new Uint8Array(len);
  out.set(r.buf.subarray(r.pos, r.pos + len));
  r.pos += len;
  return out;
}

/** Skips a field we do not decode, or fails if a known field has the wrong wire type. */
function skipField(r: Reader, end: number, tag: number, table: WireTable, message: string, depth: number): void {
  const field = tag >>> 3;
  const wt = tag & 7;
  const expected = field < table.length ? table[field] : undefined;
  if (expected !== undefined && expected !== wt) {
    fail(r, `${message} field ${field} has wire type ${wt}, expected ${expected}`);
  }
  skipValue(r, end, field, wt, depth);
}

function skipValue(r: Reader, end: number, field: number, wt: number, depth: number): void {
  switch (wt) {
    case VARINT:
      readVarint64(r, end);
      return;
    case I64:
      if (end - r.pos < 8) {truncated(r, 'fixed64 field');}
      r.pos += 8;
      return;
    case LEN: {
      const len = readLen(r, end, `field ${field}`); // not `r.pos += readLen(..)`: that reads pos first
      r.pos += len;
      return;
    }
    case I32:
      if (end - r.pos < 4) {truncated(r, 'fixed32 field');}
      r.pos += 4;
      return;
    case SGROUP:
      skipGroup(r, end, field, depth + 1);
      return;
    case EGROUP:
      return fail(r, `unexpected end-group for field ${field}`);
    default:
      return fail(r, `invalid wire type ${wt} for field ${field}`);
  }
}

function skipGroup(r: Reader, end: number, field: number, depth: number): void {
  if (depth > MAX_NESTING_DEPTH) {fail(r, 'nesting too deep');}
  while (r.pos < end) {
    const tag = readTag(r, end);
    const wt = tag & 7;
    if (wt === EGROUP) {
      if (tag >>> 3 !== field) {fail(r, `end-group for field ${tag >>> 3} inside group ${field}`);}
      return;
    }
    skipValue(r, end, tag >>> 3, wt, depth);
  }
  truncated(r, `group ${field}`);
}

// ---- result objects ------------------------------------------------------------------------
// The decoded objects come from constructor functions, not object literals: see
// util/plainConstructor.ts.

// Arrays too: an array literal's allocation site is pretenured like an object literal's.
const NO_ITEMS: readonly never[] = [];
const newArray = <T>(): T[] => NO_ITEMS.slice();

type NonEmptyAnyValue = Exclude<OtlpAnyValue, { kind: 'empty' }>;
const AnyValueObj = plainConstructor<new <V extends NonEmptyAnyValue>(kind: V['kind'], value: V['value']) => V>(
  function (this: { kind: string; value: unknown }, kind: string, value: unknown) {
    this.kind = kind;
    this.value = value;
  },
);
const KeyValueObj = plainConstructor<new (key: string, value: OtlpAnyValue) => OtlpKeyValue>(
  function (this: OtlpKeyValue, key: string, value: OtlpAnyValue) {
    this.key = key;
    this.value = value;
  },
);
const StatusObj = plainConstructor<new () => OtlpSpan['status']>(function (this: OtlpSpan['status']) {
  this.code = 0;
  this.message = '';
});
const EventObj = plainConstructor<new () => OtlpEvent>(function (this: OtlpEvent) {
  this.timeUnixNano = 0n;
  this.name = '';
  this.attributes = newArray();
  this.droppedAttributesCount = 0;
});
const LinkObj = plainConstructor<new () => OtlpLink>(function (this: OtlpLink) {
  this.traceId = '';
  this.spanId = '';
  this.traceState = '';
  this.attributes = newArray();
  this.droppedAttributesCount = 0;
});
const SpanObj = plainConstructor<new () => OtlpSpan>(function (this: OtlpSpan) {
  this.traceId = '';
  this.spanId = '';
  this.parentSpanId = '';
  this.traceState = '';
  this.flags = 0;
  this.name = '';
  this.kind = 0;
  this.startTimeUnixNano = 0n;
  this.endTimeUnixNano = 0n;
  this.attributes = newArray();
  this.droppedAttributesCount = 0;
  this.events = newArray();
  this.droppedEventsCount = 0;
  this.links = newArray();
  this.droppedLinksCount = 0;
  this.status = new StatusObj();
});
const ScopeObj = plainConstructor<new () => OtlpScope>(function (this: OtlpScope) {
  this.name = '';
  this.version = '';
  this.attributes = newArray();
});
const ScopeSpansObj = plainConstructor<new () => OtlpScopeSpans>(function (this: OtlpScopeSpans) {
  this.scope = new ScopeObj();
  this.schemaUrl = '';
  this.spans = newArray();
});
const ResourceObj = plainConstructor<new () => OtlpResourceSpans['resource']>(function (this: OtlpResourceSpans['resource']) {
  this.attributes = newArray();
  this.droppedAttributesCount = 0;
});
const ResourceSpansObj = plainConstructor<new () => OtlpResourceSpans>(function (this: OtlpResourceSpans) {
  this.resource = new ResourceObj();
  this.schemaUrl = '';
  this.scopeSpans = newArray();
});

// ---- messages ---------------------------------------------------------------------------

function decodeKeyValue(r: Reader, end: number, depth: number): OtlpKeyValue {
  let key = '';
  let value: OtlpAnyValue | undefined;
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case T1_LEN:
        key = readString(r, end, 'KeyValue.key');
        break;
      case T2_LEN: {
        const len = readLen(r, end, 'KeyValue.value');
        value = decodeAnyValue(r, r.pos + len, depth + 1, value);
        break;
      }
      default:
        skipField(r, end, tag, W_KEY_VALUE, 'KeyValue', depth);
    }
  }
  return new KeyValueObj(key, value ?? { kind: 'empty' });
}

function decodeAttributes(r: Reader, end: number, depth: number, into: OtlpKeyValue[], what: string): void {
  const len = readLen(r, end, what);
  into.push(decodeKeyValue(r, r.pos + len, depth + 1));
}

/**
 * AnyValue is a oneof: the last member seen wins, except that a repeated array/kvlist member
 * merges into the previous one (protobuf's rule for repeated occurrences of a message field).
 */
function decodeAnyValue(r: Reader, end: number, depth: number, prev: OtlpAnyValue | undefined): OtlpAnyValue {
  if (depth > MAX_NESTING_DEPTH) {fail(r, 'nesting too deep');}
  let v: OtlpAnyValue | undefined = prev;
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case T1_LEN:
        v = new AnyValueObj('string', readString(r, end, 'AnyValue.string_value'));
        break;
      case T2_VARINT:
        v = new AnyValueObj('bool', readBool(r, end));
        break;
      case T3_VARINT:
        v = new AnyValueObj('int', readInt64(r, end));
        break;
      case T4_I64:
        v = new AnyValueObj('double', readDouble(r, end));
        break;
      case T5_LEN: {
        const len = readLen(r, end, 'AnyValue.array_value');
        const values = v !== undefined && v.kind === 'array' ? v.value : newArray<OtlpAnyValue>();
        decodeArrayValue(r, r.pos + len, depth + 1, values);
        v = new AnyValueObj('array', values);
        break;
      }
      case T6_LEN: {
        const len = readLen(r, end, 'AnyValue.kvlist_value');
        const values = v !== undefined && v.kind === 'kvlist' ? v.value : newArray<OtlpKeyValue>();
        decodeKeyValueList(r, r.pos + len, depth + 1, values);
        v = new AnyValueObj('kvlist', values);
        break;
      }
      case T7_LEN:
        v = new AnyValueObj('bytes', readBytes(r, end));
        break;
      case 0x40: // string_value_strindex: needs a profiles dictionary, which traces never carry
        readVarint64(r, end);
        v = { kind: 'empty' };
        break;
      default:
        skipField(r, end, tag, W_ANY_VALUE, 'AnyValue', depth);
    }
  }
  return v ?? { kind: 'empty' };
}

function decodeArrayValue(r: Reader, end: number, depth: number, into: OtlpAnyValue[]): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === T1_LEN) {
      const len = readLen(r, end, 'ArrayValue.values');
      into.push(decodeAnyValue(r, r.pos + len, depth + 1, undefined));
    } else {
      skipField(r, end, tag, W_VALUES, 'ArrayValue', depth);
    }
  }
}

function decodeKeyValueList(r: Reader, end: number, depth: number, into: OtlpKeyValue[]): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === T1_LEN) {
      decodeAttributes(r, end, depth, into, 'KeyValueList.values');
    } else {
      skipField(r, end, tag, W_VALUES, 'KeyValueList', depth);
    }
  }
}

function decodeResource(r: Reader, end: number, depth: number, into: OtlpResourceSpans['resource']): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case T1_LEN:
        decodeAttributes(r, end, depth, into.attributes, 'Resource.attributes');
        break;
      case T2_VARINT:
        into.droppedAttributesCount = readUint32(r, end);
        break;
      default:
        skipField(r, end, tag, W_RESOURCE, 'Resource', depth);
    }
  }
}

function decodeScope(r: Reader, end: number, depth: number, into: OtlpScope): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case T1_LEN:
        into.name = readString(r, end, 'InstrumentationScope.name');
        break;
      case T2_LEN:
        into.version = readString(r, end, 'InstrumentationScope.version');
        break;
      case T3_LEN:
        decodeAttributes(r, end, depth, into.attributes, 'InstrumentationScope.attributes');
        break;
      default:
        skipField(r, end, tag, W_SCOPE, 'InstrumentationScope', depth);
    }
  }
}

function decodeEvent(r: Reader, end: number, depth: number): OtlpEvent {
  const ev = new EventObj();
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case T1_I64:
        ev.timeUnixNano = readFixed64(r, end, 'Event.time_unix_nano');
        break;
      case T2_LEN:
        ev.name = readString(r, end, 'Event.name');
        break;
      case T3_LEN:
        decodeAttributes(r, end, depth, ev.attributes, 'Event.attributes');
        break;
      case T4_VARINT:
        ev.droppedAttributesCount = readUint32(r, end);
        break;
      default:
        skipField(r, end, tag, W_EVENT, 'Span.Event', depth);
    }
  }
  return ev;
}

function decodeLink(r: Reader, end: number, depth: number): OtlpLink {
  const link = new LinkObj();
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case T1_LEN:
        link.traceId = readTraceId(r, end, 'Link.trace_id');
        break;
      case T2_LEN:
        link.spanId = readHex(r, end, 'Link.span_id');
        break;
      case T3_LEN:
        link.traceState = readString(r, end, 'Link.trace_state');
        break;
      case T4_LEN:
        decodeAttributes(r, end, depth, link.attributes, 'Link.attributes');
        break;
      case T5_VARINT:
        link.droppedAttributesCount = readUint32(r, end);
        break;
      default:
        // Link.flags (6, fixed32) has no place in the decoded form; skipField checks its type.
        skipField(r, end, tag, W_LINK, 'Span.Link', depth);
    }
  }
  return link;
}

function decodeStatus(r: Reader, end: number, depth: number, into: OtlpSpan['status']): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case T2_LEN:
        into.message = readString(r, end, 'Status.message');
        break;
      case T3_VARINT:
        into.code = readInt32(r, end);
        break;
      default:
        skipField(r, end, tag, W_STATUS, 'Status', depth);
    }
  }
}

function decodeSpan(r: Reader, end: number, depth: number): OtlpSpan {
  const span = new SpanObj();
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case T1_LEN:
        span.traceId = readTraceId(r, end, 'Span.trace_id');
        break;
      case T2_LEN:
        span.spanId = readHex(r, end, 'Span.span_id');
        break;
      case T3_LEN:
        span.traceState = readString(r, end, 'Span.trace_state');
        break;
      case T4_LEN:
        span.parentSpanId = readParentSpanId(r, end);
        break;
      case T5_LEN:
        span.name = readString(r, end, 'Span.name');
        break;
      case T6_VARINT:
        span.kind = readInt32(r, end);
        break;
      case T7_I64:
        span.startTimeUnixNano = readFixed64(r, end, 'Span.start_time_unix_nano');
        break;
      case T8_I64:
        span.endTimeUnixNano = readFixed64(r, end, 'Span.end_time_unix_nano');
        break;
      case T9_LEN:
        decodeAttributes(r, end, depth, span.attributes, 'Span.attributes');
        break;
      case T10_VARINT:
        span.droppedAttributesCount = readUint32(r, end);
        break;
      case T11_LEN: {
        const len = readLen(r, end, 'Span.events');
        span.events.push(decodeEvent(r, r.pos + len, depth + 1));
        break;
      }
      case T12_VARINT:
        span.droppedEventsCount = readUint32(r, end);
        break;
      case T13_LEN: {
        const len = readLen(r, end, 'Span.links');
        span.links.push(decodeLink(r, r.pos + len, depth + 1));
        break;
      }
      case T14_VARINT:
        span.droppedLinksCount = readUint32(r, end);
        break;
      case T15_LEN: {
        const len = readLen(r, end, 'Span.status');
        decodeStatus(r, r.pos + len, depth + 1, span.status);
        break;
      }
      case T16_I32:
        span.flags = readFixed32(r, end, 'Span.flags');
        break;
      default:
        skipField(r, end, tag, W_SPAN, 'Span', depth);
    }
  }
  return span;
}

function decodeScopeSpans(r: Reader, end: number, depth: number): OtlpScopeSpans {
  const ss = new ScopeSpansObj();
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case T1_LEN: {
        const len = readLen(r, end, 'ScopeSpans.scope');
        decodeScope(r, r.pos + len, depth + 1, ss.scope);
        break;
      }
      case T2_LEN: {
        const len = readLen(r, end, 'ScopeSpans.spans');
        ss.spans.push(decodeSpan(r, r.pos + len, depth + 1));
        break;
      }
      case T3_LEN:
        ss.schemaUrl = readString(r, end, 'ScopeSpans.schema_url');
        break;
      default:
        skipField(r, end, tag, W_SCOPE_SPANS, 'ScopeSpans', depth);
    }
  }
  return ss;
}

function decodeResourceSpans(r: Reader, end: number, depth: number): OtlpResourceSpans {
  const rs = new ResourceSpansObj();
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case T1_LEN: {
        const len = readLen(r, end, 'ResourceSpans.resource');
        decodeResource(r, r.pos + len, depth + 1, rs.resource);
        break;
      }
      case T2_LEN: {
        const len = readLen(r, end, 'ResourceSpans.scope_spans');
        rs.scopeSpans.push(decodeScopeSpans(r, r.pos + len, depth + 1));
        break;
      }
      case T3_LEN:
        rs.schemaUrl = readString(r, end, 'ResourceSpans.schema_url');
        break;
      default:
        skipField(r, end, tag, W_RESOURCE_SPANS, 'ResourceSpans', depth);
    }
  }
  return rs;
}

/**
 * Decodes a binary ExportTraceServiceRequest. Throws OtlpDecodeError (with the byte offset) for
 * truncated or malformed input; invalid UTF-8 in strings is replaced with U+FFFD, not rejected.
 */
export function decodeTraceRequestProto(buf: Uint8Array): ExportTraceServiceRequest {
  if (!(buf instanceof Uint8Array)) {throw new OtlpDecodeError('OTLP protobuf body must be bytes');}
  const r = new Reader(buf);
  const end = buf.length;
  const resourceSpans: OtlpResourceSpans[] = [];
  try {
    while (r.pos < end) {
      const tag = readTag(r, end);
      if (tag === T1_LEN) {
        const len = readLen(r, end, 'ExportTraceServiceRequest.resource_spans');
        resourceSpans.push(decodeResourceSpans(r, r.pos + len, 1));
      } else {
        skipField(r, end, tag, W_REQUEST, 'ExportTraceServiceRequest', 0);
      }
    }
  } catch (err) {
    if (err instanceof OtlpDecodeError) {throw err;}
    // Defensive: nothing above should throw anything else, but a RangeError here must still
    // surface as a client error, not a crash.
    throw new OtlpDecodeError(`invalid OTLP protobuf at byte ${r.pos}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { resourceSpans };
}

// ---- span-by-span decoding -------------------------------------------------------------------
// The ingest path normalizes each span right after decoding it, so the decoded objects of a
// request never all exist at once: they die young instead of being copied by every scavenge
// that runs while a whole decoded request is alive. Same validation as
// decodeTraceRequestProto; a resource (or scope) is decoded completely, whatever its position
// among the fields of its message, before the first of its spans is handed out.

/** An error thrown by a visitor callback: passed through as is, never turned into a decode error. */
class VisitorError {
  constructor(readonly error: unknown) {}
}
function callVisitor(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    throw new VisitorError(e);
  }
}

/** Reads a length prefix and returns the position after the payload (which is skipped). */
function skipLen(r: Reader, end: number, what: string): number {
  const len = readLen(r, end, what);
  return r.pos + len;
}

/** Receives a request's resources, scopes and spans in order (resource, scope, spans, scope, ...). */
export interface TraceRequestVisitor {
  resource(resource: OtlpResourceSpans['resource'], index: number): void;
  scope(scope: OtlpScope, index: number): void;
  span(span: OtlpSpan, index: number): void;
}

function* visitScopeSpans(r: Reader, end: number, depth: number, index: number, v: TraceRequestVisitor): Generator<void, void, void> {
  const start = r.pos;
  const ss = new ScopeSpansObj();
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case T1_LEN: {
        const len = readLen(r, end, 'ScopeSpans.scope');
        decodeScope(r, r.pos + len, depth + 1, ss.scope);
        break;
      }
      case T2_LEN:
        r.pos = skipLen(r, end, 'ScopeSpans.spans');
        break;
      case T3_LEN:
        ss.schemaUrl = readString(r, end, 'ScopeSpans.schema_url');
        break;
      default:
        skipField(r, end, tag, W_SCOPE_SPANS, 'ScopeSpans', depth);
    }
  }
  callVisitor(() => v.scope(ss.scope, index));
  r.pos = start;
  let pi = 0;
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === T2_LEN) {
      const len = readLen(r, end, 'ScopeSpans.spans');
      const span = decodeSpan(r, r.pos + len, depth + 1);
      callVisitor(() => v.span(span, pi++));
      yield;
    } else if (tag === T1_LEN || tag === T3_LEN) {
      r.pos = skipLen(r, end, 'ScopeSpans');
    } else {
      skipField(r, end, tag, W_SCOPE_SPANS, 'ScopeSpans', depth);
    }
  }
}

function* visitResourceSpans(r: Reader, end: number, depth: number, index: number, v: TraceRequestVisitor): Generator<void, void, void> {
  const start = r.pos;
  const rs = new ResourceSpansObj();
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case T1_LEN: {
        const len = readLen(r, end, 'ResourceSpans.resource');
        decodeResource(r, r.pos + len, depth + 1, rs.resource);
        break;
      }
      case T2_LEN:
        r.pos = skipLen(r, end, 'ResourceSpans.scope_spans');
        break;
      case T3_LEN:
        rs.schemaUrl = readString(r, end, 'ResourceSpans.schema_url');
        break;
      default:
        skipField(r, end, tag, W_RESOURCE_SPANS, 'ResourceSpans', depth);
    }
  }
  callVisitor(() => v.resource(rs.resource, index));
  r.pos = start;
  let si = 0;
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === T2_LEN) {
      const len = readLen(r, end, 'ResourceSpans.scope_spans');
      yield* visitScopeSpans(r, r.pos + len, depth + 1, si++, v);
    } else if (tag === T1_LEN || tag === T3_LEN) {
      r.pos = skipLen(r, end, 'ResourceSpans');
    } else {
      skipField(r, end, tag, W_RESOURCE_SPANS, 'ResourceSpans', depth);
    }
  }
}

/**
 * Decodes a binary ExportTraceServiceRequest span by span into `v`. Throws OtlpDecodeError for
 * what decodeTraceRequestProto rejects, possibly after some spans were visited: discard them then.
 */
export function visitTraceRequestProto(buf: Uint8Array, v: TraceRequestVisitor): void {
  const steps = visitTraceRequestProtoSteps(buf, v);
  while (!steps.next().done) {
    // one span per step
  }
}

/** visitTraceRequestProto one span at a time: each step visits a span (callers may pause between). */
export function* visitTraceRequestProtoSteps(buf: Uint8Array, v: TraceRequestVisitor): Generator<void, void, void> {
  if (!(buf instanceof Uint8Array)) {throw new OtlpDecodeError('OTLP protobuf body must be bytes');}
  const r = new Reader(buf);
  const end = buf.length;
  let ri = 0;
  try {
    while (r.pos < end) {
      const tag = readTag(r, end);
      if (tag === T1_LEN) {
        const len = readLen(r, end, 'ExportTraceServiceRequest.resource_spans');
        yield* visitResourceSpans(r, r.pos + len, 1, ri++, v);
      } else {
        skipField(r, end, tag, W_REQUEST, 'ExportTraceServiceRequest', 0);
      }
    }
  } catch (err) {
    if (err instanceof VisitorError) {throw err.error;}
    if (err instanceof OtlpDecodeError) {throw err;}
    throw new OtlpDecodeError(`invalid OTLP protobuf at byte ${r.pos}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

// ---- response encoding -------------------------------------------------------------------

function varintSize(v: bigint): number {
  let n = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    n++;
  }
  return n;
}

function writeVarint(out: Uint8Array, pos: number, v: bigint): number {
  while (v >= 0x80n) {
    out[pos++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  out[pos++] = Number(v);
  return pos;
}

/**
 * Encodes an ExportTraceServiceResponse. Fully accepted -> the empty message (no
 * partial_success), as OTLP asks; otherwise partial_success {rejected_spans, error_message}.
 */
export function encodeTraceResponseProto(result: ExportResult): Uint8Array {
  const rejectedNum = Number.isFinite(result.rejectedSpans) ? Math.trunc(result.rejectedSpans) : 0;
  const message = result.errorMessage;
  if (rejectedNum === 0 && message === '') {return new Uint8Array(0);}
  // int64 on the wire: negatives take ten bytes (two's complement), like any protobuf encoder.
  const rejected = BigInt.asUintN(64, BigInt(rejectedNum));
  const msgBytes = Buffer.from(message, 'utf8');
  let inner = 0;
  if (rejected !== 0n) {inner += 1 + varintSize(rejected);}
  if (msgBytes.length > 0) {inner += 1 + varintSize(BigInt(msgBytes.length)) + msgBytes.length;}
  const out = new Uint8Array(1 + varintSize(BigInt(inner)) + inner);
  let pos = 0;
  out[pos++] = T1_LEN; // partial_success = 1
  pos = writeVarint(out, pos, BigInt(inner));
  if (rejected !== 0n) {
    out[pos++] = 0x08; // rejected_spans = 1, varint
    pos = writeVarint(out, pos, rejected);
  }
  if (msgBytes.length > 0) {
    out[pos++] = T2_LEN; // error_message = 2
    pos = writeVarint(out, pos, BigInt(msgBytes.length));
    out.set(msgBytes, pos);
  }
  return out;
}
