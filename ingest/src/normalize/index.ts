// Decoded OTLP request -> normalized span rows. Each span is checked on its own: an invalid
// one is rejected (counted in partial_success with a message) and its neighbours are kept.
//
// Validation rules (documented in docs of the service):
// - traceId: 32 hex chars, spanId: 16 hex chars, not all zero; parentSpanId empty or 16 hex
//   (all-zero parent = root). Ids are stored lower-case.
// - startTimeUnixNano must be after 1970-01-01 (> 0) and at most 1 day after the receiver's
//   clock (clients with skewed clocks are tolerated, far-future garbage is not);
//   endTimeUnixNano must be > 0 and not before the start (a span must have ended).
// - Long strings are truncated (see attributes.ts) and flagged, never rejected.
//
// Speed: this runs for every span at up to ~100k spans/s, so the hot path allocates little.
// Span attributes go straight from the OTLP key/value list to their JSON text (no object of
// all attributes), the few keys LLM extraction reads land in numbered slots (llm.ts), and the
// accepted span is written into one reused row that the caller copies or consumes at once.
// Odd attribute lists (duplicate keys, integer-like keys) take the general object-based path,
// which gives the same result.
import type { ExportTraceServiceRequest, OtlpKeyValue, OtlpSpan } from '../otlp/types.js';
import type { PriceInput, PriceResult } from '../pricing/types.js';
import { copyRow, SPAN_KINDS, type CostSource, type LlmSpanKind, type SpanKindName, type SpanRow } from '../storage/types.js';
import {
  anyValueToJson,
  attributesToObject,
  Budget,
  cleanString,
  cut,
  DEFAULT_LIMITS,
  limitString,
  type Json,
  type Limits,
  TRUNCATED_ATTR,
} from './attributes.js';
import { extractLlmView, isIndexedKey, KEY_SLOTS, LLM_KEYS, viewOfAttrs, type AttrView, type SpanEventLite } from './llm.js';

export type { Limits } from './attributes.js';
export { DEFAULT_LIMITS } from './attributes.js';

/** What normalization needs of the price book (PriceBook satisfies it). */
export interface Pricer {
  price(input: PriceInput): PriceResult;
}

export type RejectReason =
  | 'invalid_trace_id'
  | 'invalid_span_id'
  | 'invalid_parent_span_id'
  | 'invalid_start_time'
  | 'invalid_end_time'
  | 'future_timestamp';

export interface NormalizeSummary {
  accepted: number;
  rejected: number;
  rejectedByReason: Partial<Record<RejectReason, number>>;
  /** Human-readable summary for partial_success.error_message ('' when nothing was rejected). */
  errorMessage: string;
}

export interface NormalizeResult extends NormalizeSummary {
  rows: SpanRow[];
}

export interface NormalizeOptions {
  pricer?: Pricer | null;
  /** Receiver clock in ns (tests pass a fixed one). */
  nowNs?: bigint;
  limits?: Limits;
  /** Applied to each accepted row before the sink sees it (privacy/redactor.ts). */
  redactor?: RowRedactor | null;
}

/** Rewrites a normalized row in place (PII redaction) before it leaves normalization. */
export interface RowRedactor {
  redactRow(row: SpanRow): void;
}

/**
 * Receives each accepted span in order. The row object is reused for the next span: read it
 * (or copyRow it) before returning.
 */
export type SpanSink = (row: Readonly<SpanRow>) => void;

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const ZERO32 = '0'.repeat(32);
const ZERO16 = '0'.repeat(16);
export const MAX_FUTURE_NS = 86_400n * 1_000_000_000n;
const MAX_MESSAGES = 5;
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

class Rejection extends Error {
  constructor(
    readonly reason: RejectReason,
    message: string
  ) {
    super(message);
  }
}

/** A span row with every field at its empty value (the start of every normalized row). */
export const EMPTY_ROW: Readonly<SpanRow> = {
  traceId: '',
  spanId: '',
  parentSpanId: '',
  traceState: '',
  name: '',
  kind: 'unspecified',
  service: '',
  scopeName: '',
  scopeVersion: '',
  startNs: 0n,
  endNs: 0n,
  durationNs: 0n,
  statusCode: 0,
  statusMessage: '',
  spanKind: 'span',
  provider: null,
  requestModel: null,
  responseModel: null,
  operation: null,
  inputTokens: null,
  outputTokens: null,
  cacheReadTokens: null,
  cacheWriteTokens: null,
  reasoningTokens: null,
  costMicros: null,
  costSource: null,
  priceKey: null,
  sessionId: null,
  userId: null,
  agentName: null,
  toolName: null,
  finishReasons: [],
  inputContent: null,
  outputContent: null,
  inputContentKey: null,
  outputContentKey: null,
  attributes: '{}',
  resourceAttributes: '{}',
  events: '[]',
  links: '[]',
  truncated: false,
};

// ---- attribute keys -----------------------------------------------------------------------

interface KeyInfo {
  /** Cleaned and cut key ('' = skip the attribute). */
  key: string;
  /** `"key":` as JSON. */
  json: string;
  /** Slot for LLM extraction, or -1. */
  slot: number;
  indexed: boolean;
  /** Keys the fast path leaves to the general one: integer-like keys (objects order them first) and our own flags. */
  special: boolean;
  /** Number of the span that last had this key: a second sighting in the same span is a duplicate. */
  stamp: number;
}

// Attribute keys repeat across spans; their cleaning, JSON form and slot are looked up once.
const KEY_CACHE_MAX = 20_000;
const keyCache = new Map<string, KeyInfo>();
/** By cleaned key: raw keys that clean to the same key share one KeyInfo (and stamp). */
const keyInfos = new Map<string, KeyInfo>();
let keyCacheLimits: Limits | null = null;
let spanStamp = 0;

/** Called before each span, never within one (a KeyInfo must not change under a span's scan). */
function prepareKeyCache(limits: Limits): void {
  if (keyCacheLimits !== limits || keyCache.size >= KEY_CACHE_MAX) {
    keyCache.clear();
    keyInfos.clear();
    keyCacheLimits = limits;
  }
  spanStamp = (spanStamp + 1) | 0;
}

const INTEGER_LIKE = /^(0|[1-9][0-9]{0,9})$/;

function learnKey(raw: string, limits: Limits): KeyInfo {
  const key = cut(cleanString(raw), limits.maxKeyLength);
  let info = keyInfos.get(key);
  if (info === undefined) {
    info = {
      key,
      json: `${JSON.stringify(key)}:`,
      slot: KEY_SLOTS.get(key) ?? -1,
      indexed: isIndexedKey(key),
      special:
        (INTEGER_LIKE.test(key) && Number(key) < 4294967295) || key === TRUNCATED_ATTR || key === `${TRUNCATED_ATTR}_keys`,
      stamp: 0,
    };
    keyInfos.set(key, info);
  }
  keyCache.set(raw, info);
  return info;
}

// Characters JSON.stringify escapes in a well-formed string (cleanString made it so). Most
// values have none, and a regex scan is ~3x faster than JSON.stringify's copy.
const NEEDS_ESCAPE = /["\\\x00-\x1f]/;
function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

function intToJson(v: bigint): number | string {
  return v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : v.toString();
}

// ---- per-span normalization ------------------------------------------------------------------

interface ScopeContext {
  resourceJson: string;
  service: string;
  scopeName: string;
  scopeVersion: string;
}

class Normalizer {
  readonly row: SpanRow = { ...EMPTY_ROW };
  private readonly budget: Budget;
  private readonly view: AttrView & { slots: Array<Json | undefined> };
  private readonly touched: number[] = [];
  private readonly priceInput: PriceInput = {
    provider: null,
    model: null,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
  };
  private readonly startMax: bigint;
  private readonly endMax: bigint;

  constructor(
    private readonly limits: Limits,
    private readonly pricer: Pricer | null,
    nowNs: bigint
  ) {
    this.budget = new Budget(limits);
    this.view = { slots: new Array<Json | undefined>(LLM_KEYS.length).fill(undefined), indexedKeys: [], indexedValues: [] };
    this.startMax = nowNs + MAX_FUTURE_NS;
    this.endMax = nowNs + 2n * MAX_FUTURE_NS;
  }

  private checkIds(s: OtlpSpan): void {
    const row = this.row;
    const traceId = s.traceId.toLowerCase();
    const spanId = s.spanId.toLowerCase();
    let parentSpanId = s.parentSpanId.toLowerCase();
    if (!HEX32.test(traceId) || traceId === ZERO32) {
      throw new Rejection('invalid_trace_id', `invalid traceId "${cut(s.traceId, 40)}" (need 32 hex characters, not all zero)`);
    }
    if (!HEX16.test(spanId) || spanId === ZERO16) {
      throw new Rejection('invalid_span_id', `invalid spanId "${cut(s.spanId, 40)}" (need 16 hex characters, not all zero)`);
    }
    if (parentSpanId === ZERO16) {
      parentSpanId = '';
    }
    if (parentSpanId !== '' && !HEX16.test(parentSpanId)) {
      throw new Rejection(
        'invalid_parent_span_id',
        `invalid parentSpanId "${cut(s.parentSpanId, 40)}" (need 16 hex characters or empty)`
      );
    }
    row.traceId = traceId;
    row.spanId = spanId;
    row.parentSpanId = parentSpanId;
  }

  private checkTimes(s: OtlpSpan): void {
    if (s.startTimeUnixNano <= 0n) {
      throw new Rejection('invalid_start_time', 'startTimeUnixNano missing or before 1970');
    }
    if (s.startTimeUnixNano > this.startMax) {
      throw new Rejection('future_timestamp', 'startTimeUnixNano more than 1 day in the future');
    }
    if (s.endTimeUnixNano <= 0n) {
      throw new Rejection('invalid_end_time', 'endTimeUnixNano missing (span not ended)');
    }
    if (s.endTimeUnixNano < s.startTimeUnixNano) {
      throw new Rejection('invalid_end_time', 'endTimeUnixNano before startTimeUnixNano');
    }
    if (s.endTimeUnixNano > this.endMax) {
      throw new Rejection('future_timestamp', 'endTimeUnixNano more than 2 days in the future');
    }
  }

  private resetView(): void {
    const slots = this.view.slots;
    const touched = this.touched;
    for (let i = 0; i < touched.length; i++) {
      slots[touched[i]!] = undefined;
    }
    touched.length = 0;
    this.view.indexedKeys.length = 0;
    this.view.indexedValues.length = 0;
  }

  /**
   * Span attributes -> JSON object text (without the closing brace), filling the view on the
   * way. Returns null when the general path must handle the list (duplicate or special keys).
   */
  private scanAttributes(kvs: readonly OtlpKeyValue[]): string | null {
    const b = this.budget;
    const limits = this.limits;
    const slots = this.view.slots;
    prepareKeyCache(limits);
    const stamp = spanStamp;
    let text = '{';
    let n = 0;
    for (let i = 0; i < kvs.length; i++) {
      const kv = kvs[i]!;
      const info = keyCache.get(kv.key) ?? learnKey(kv.key, limits);
      const key = info.key;
      if (key === '') {
        continue;
      }
      if (info.special || info.stamp === stamp) {
        return null;
      }
      info.stamp = stamp;
      if (n >= limits.maxAttributes) {
        b.flag('(attribute count)');
        continue;
      }
      n++;
      const v = kv.value;
      let json: Json;
      let vt: string;
      switch (v.kind) {
        case 'string':
          json = limitString(v.value, key, b);
          vt = quote(json);
          break;
        case 'int': {
          const x = intToJson(v.value);
          json = x;
          vt = typeof x === 'number' ? String(x) : `"${x}"`;
          break;
        }
        case 'double':
          if (Number.isFinite(v.value)) {
            json = v.value;
            vt = String(v.value);
          } else {
            json = String(v.value);
            vt = `"${json}"`;
          }
          break;
        case 'bool':
          json = v.value;
          vt = v.value ? 'true' : 'false';
          break;
        case 'empty':
          json = null;
          vt = 'null';
          break;
        default:
          json = anyValueToJson(v, key, b);
          vt = JSON.stringify(json);
      }
      if (info.slot >= 0) {
        slots[info.slot] = json;
        this.touched.push(info.slot);
      }
      if (info.indexed) {
        this.view.indexedKeys.push(key);
        this.view.indexedValues.push(json);
      }
      text = n === 1 ? text + info.json + vt : text + ',' + info.json + vt;
    }
    return text;
  }

  /** Normalizes one span into this.row; throws Rejection for an invalid span. */
  normalize(s: OtlpSpan, ctx: ScopeContext): void {
    this.checkIds(s);
    this.checkTimes(s);
    const limits = this.limits;
    const b = this.budget;
    const row = this.row;
    b.reset();
    this.resetView();

    let attrsText = this.scanAttributes(s.attributes);
    let attrsObj: Record<string, Json> | null = null;
    let view: AttrView = this.view;
    if (attrsText === null) {
      // General path: start the budget over and build the attribute object.
      b.reset();
      this.resetView();
      attrsObj = attributesToObject(s.attributes, b);
      view = viewOfAttrs(attrsObj);
    }

    let eventsJson = '[]';
    let events: SpanEventLite[] = NO_EVENTS;
    if (s.events.length > 0) {
      const evs = s.events.slice(0, limits.maxEvents).map((e) => ({
        timeNs: e.timeUnixNano.toString(),
        name: cut(cleanString(e.name), limits.maxNameLength),
        attributes: attributesToObject(e.attributes, b, `event:${e.name}`),
      }));
      if (s.events.length > limits.maxEvents) {
        b.flag('(event count)');
      }
      events = evs;
      eventsJson = JSON.stringify(evs);
    }
    let linksJson = '[]';
    if (s.links.length > 0) {
      const links = s.links.slice(0, limits.maxLinks).map((l) => ({
        traceId: cut(l.traceId.toLowerCase(), 32),
        spanId: cut(l.spanId.toLowerCase(), 16),
        traceState: cut(cleanString(l.traceState), 512),
        attributes: attributesToObject(l.attributes, b, 'link'),
      }));
      if (s.links.length > limits.maxLinks) {
        b.flag('(link count)');
      }
      linksJson = JSON.stringify(links);
    }

    const llm = extractLlmView(view, events);
    let input = llm.input;
    let output = llm.output;
    if (input !== null && input.length > limits.maxContentLength) {
      b.flag('(content)');
      input = cut(input, limits.maxContentLength);
    }
    if (output !== null && output.length > limits.maxContentLength) {
      b.flag('(content)');
      output = cut(output, limits.maxContentLength);
    }

    let costMicros: number | null = null;
    let costSource: CostSource | null = null;
    let priceKey: string | null = null;
    const model = llm.responseModel ?? llm.requestModel;
    const hasTokens = llm.inputTokens !== null || llm.outputTokens !== null;
    // A failed call that reports no usage (a 429, a timeout, a refused key) is not billed by
    // providers: no cost rather than "unpriced", which would flag a price missing from the table.
    const failedWithoutUsage = !hasTokens && s.status.code === 2;
    const isLlmUsage = (hasTokens || model !== null) && !failedWithoutUsage;
    if (llm.providedCostMicros !== null) {
      costMicros = llm.providedCostMicros;
      costSource = 'provided';
    } else if (isLlmUsage) {
      costSource = 'unknown';
      if (this.pricer && (llm.inputTokens !== null || llm.outputTokens !== null)) {
        const p = this.priceInput;
        p.provider = llm.provider;
        p.model = model;
        p.inputTokens = llm.inputTokens ?? 0;
        p.outputTokens = llm.outputTokens ?? 0;
        p.cacheReadTokens = llm.cacheReadTokens ?? 0;
        p.cacheWriteTokens = llm.cacheWriteTokens ?? 0;
        p.reasoningTokens = llm.reasoningTokens ?? 0;
        const r = this.pricer.price(p);
        if (r.costMicros !== null && Number.isFinite(r.costMicros)) {
          costMicros = Math.round(r.costMicros);
          costSource = 'computed';
          priceKey = r.priceKey;
        }
      }
    }

    let attributes: string;
    if (attrsObj !== null) {
      if (b.truncated) {
        attrsObj[TRUNCATED_ATTR] = true;
        attrsObj[`${TRUNCATED_ATTR}_keys`] = [...b.truncatedKeys];
      }
      attributes = JSON.stringify(attrsObj);
    } else {
      attrsText ??= '{';
      if (b.truncated) {
        attrsText += `${attrsText === '{' ? '' : ','}"${TRUNCATED_ATTR}":true,"${TRUNCATED_ATTR}_keys":${JSON.stringify([...b.truncatedKeys])}`;
      }
      attributes = attrsText + '}';
    }

    const status = s.status.code === 1 || s.status.code === 2 ? s.status.code : 0;
    row.traceState = s.traceState === '' ? '' : cut(cleanString(s.traceState), 512);
    row.name = cut(cleanString(s.name), limits.maxNameLength);
    row.kind = SPAN_KINDS[s.kind] ?? 'unspecified';
    row.service = ctx.service;
    row.scopeName = ctx.scopeName;
    row.scopeVersion = ctx.scopeVersion;
    row.startNs = s.startTimeUnixNano;
    row.endNs = s.endTimeUnixNano;
    row.durationNs = s.endTimeUnixNano - s.startTimeUnixNano;
    row.statusCode = status;
    row.statusMessage = s.status.message === '' ? '' : cut(cleanString(s.status.message), 4096);
    row.spanKind = llm.spanKind satisfies LlmSpanKind;
    row.provider = llm.provider;
    row.requestModel = llm.requestModel;
    row.responseModel = llm.responseModel;
    row.operation = llm.operation;
    row.inputTokens = llm.inputTokens;
    row.outputTokens = llm.outputTokens;
    row.cacheReadTokens = llm.cacheReadTokens;
    row.cacheWriteTokens = llm.cacheWriteTokens;
    row.reasoningTokens = llm.reasoningTokens;
    row.costMicros = costMicros;
    row.costSource = costSource;
    row.priceKey = priceKey;
    row.sessionId = llm.sessionId;
    row.userId = llm.userId;
    row.agentName = llm.agentName;
    row.toolName = llm.toolName;
    row.finishReasons = llm.finishReasons;
    row.inputContent = input;
    row.outputContent = output;
    // Only while the content is the attribute's value unchanged (not cut to the content limit).
    row.inputContentKey = input === llm.input ? llm.inputKey : null;
    row.outputContentKey = output === llm.output ? llm.outputKey : null;
    row.attributes = attributes;
    row.resourceAttributes = ctx.resourceJson;
    row.events = eventsJson;
    row.links = linksJson;
    row.truncated = b.truncated;
  }
}

const NO_EVENTS: SpanEventLite[] = [];

function serviceOf(resource: Record<string, Json>): string {
  const s = resource['service.name'];
  return typeof s === 'string' && s.trim() !== '' ? s.trim() : 'unknown_service';
}

/**
 * Normalizes a request fed resource by resource, scope by scope, span by span (the order of
 * the OTLP structure), handing each accepted span to `sink` and counting the rejected ones.
 * Implements the protobuf decoder's TraceRequestVisitor, so spans can be normalized as they
 * are decoded.
 */
export class SpanStream {
  private readonly n: Normalizer;
  private readonly limits: Limits;
  private readonly redactor: RowRedactor | null;
  private ctx: ScopeContext = { resourceJson: '{}', service: 'unknown_service', scopeName: '', scopeVersion: '' };
  private resourceJson = '{}';
  private service = 'unknown_service';
  private ri = -1;
  private si = -1;
  private readonly messages: string[] = [];
  private readonly rejectedByReason: Partial<Record<RejectReason, number>> = {};
  private rejected = 0;
  private accepted = 0;

  constructor(
    opts: NormalizeOptions,
    private readonly sink: SpanSink
  ) {
    this.limits = opts.limits ?? DEFAULT_LIMITS;
    this.redactor = opts.redactor ?? null;
    this.n = new Normalizer(this.limits, opts.pricer ?? null, opts.nowNs ?? BigInt(Date.now()) * 1_000_000n);
  }

  resource(resource: { attributes: OtlpKeyValue[] }, index: number): void {
    const attrs = attributesToObject(resource.attributes, new Budget(this.limits));
    this.resourceJson = JSON.stringify(attrs);
    this.service = cut(serviceOf(attrs), 512);
    this.ri = index;
  }

  scope(scope: { name: string; version: string }, index: number): void {
    this.ctx = {
      resourceJson: this.resourceJson,
      service: this.service,
      scopeName: cut(cleanString(scope.name), 512),
      scopeVersion: cut(cleanString(scope.version), 128),
    };
    this.si = index;
  }

  span(span: OtlpSpan, index: number): void {
    try {
      this.n.normalize(span, this.ctx);
    } catch (e) {
      if (!(e instanceof Rejection)) {
        throw e;
      }
      this.rejected++;
      this.rejectedByReason[e.reason] = (this.rejectedByReason[e.reason] ?? 0) + 1;
      if (this.messages.length < MAX_MESSAGES) {
        this.messages.push(`resourceSpans[${this.ri}].scopeSpans[${this.si}].spans[${index}]: ${e.message}`);
      }
      return;
    }
    this.accepted++;
    // Before the sink: nothing unredacted reaches a storage batch, the metrics or the drift scan.
    this.redactor?.redactRow(this.n.row);
    this.sink(this.n.row);
  }

  summary(): NormalizeSummary {
    const { rejected, messages } = this;
    let errorMessage = '';
    if (rejected > 0) {
      errorMessage = `${rejected} span(s) rejected: ${messages.join('; ')}${rejected > messages.length ? '; ...' : ''}`;
    }
    return { accepted: this.accepted, rejected, rejectedByReason: this.rejectedByReason, errorMessage };
  }
}

/**
 * Normalizes every span of the request, handing each accepted one to `sink` (in order) and
 * counting the rejected ones.
 */
export function normalizeRequestTo(req: ExportTraceServiceRequest, opts: NormalizeOptions, sink: SpanSink): NormalizeSummary {
  const steps = normalizeRequestSteps(req, opts, sink);
  for (;;) {
    const s = steps.next();
    if (s.done) {
      return s.value;
    }
  }
}

/** normalizeRequestTo one span at a time: each step normalizes a span (callers may pause between). */
export function* normalizeRequestSteps(req: ExportTraceServiceRequest, opts: NormalizeOptions, sink: SpanSink): Generator<void, NormalizeSummary, void> {
  const stream = new SpanStream(opts, sink);
  const rss = req.resourceSpans;
  for (let ri = 0; ri < rss.length; ri++) {
    const rs = rss[ri]!;
    stream.resource(rs.resource, ri);
    for (let si = 0; si < rs.scopeSpans.length; si++) {
      const ss = rs.scopeSpans[si]!;
      stream.scope(ss.scope, si);
      const spans = ss.spans;
      for (let pi = 0; pi < spans.length; pi++) {
        stream.span(spans[pi]!, pi);
        yield;
      }
    }
  }
  return stream.summary();
}

/** Normalizes the request into rows (a fresh object per accepted span). */
export function normalizeRequest(req: ExportTraceServiceRequest, opts: NormalizeOptions = {}): NormalizeResult {
  const rows: SpanRow[] = [];
  const summary = normalizeRequestTo(req, opts, (r) => rows.push(copyRow(r)));
  return { rows, ...summary };
}
