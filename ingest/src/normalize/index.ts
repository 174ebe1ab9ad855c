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
import type { ExportTraceServiceRequest, OtlpKeyValue, OtlpSpan } from '../otlp/types.js';
import type { PriceInput, PriceResult } from '../pricing/types.js';
import type { SpanKindName, SpanRow } from '../storage/types.js';
import { SPAN_KINDS } from '../storage/types.js';
import {
  attributesToObject,
  Budget,
  cleanString,
  cut,
  DEFAULT_LIMITS,
  type Json,
  type Limits,
  TRUNCATED_ATTR,
} from './attributes.js';
import { extractLlm, type SpanEventLite } from './llm.js';

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

export interface NormalizeResult {
  rows: SpanRow[];
  rejected: number;
  rejectedByReason: Partial<Record<RejectReason, number>>;
  /** Human-readable summary for partial_success.error_message ('' when nothing was rejected). */
  errorMessage: string;
}

export interface NormalizeOptions {
  pricer?: Pricer | null;
  /** Receiver clock in ns (tests pass a fixed one). */
  nowNs?: bigint;
  limits?: Limits;
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const ZERO32 = '0'.repeat(32);
const ZERO16 = '0'.repeat(16);
export const MAX_FUTURE_NS = 86_400n * 1_000_000_000n;
const MAX_MESSAGES = 5;

class Rejection extends Error {
  constructor(
    readonly reason: RejectReason,
    message: string
  ) {
    super(message);
  }
}

function checkIds(s: OtlpSpan): { traceId: string; spanId: string; parentSpanId: string } {
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
  return { traceId, spanId, parentSpanId };
}

function checkTimes(s: OtlpSpan, nowNs: bigint): void {
  if (s.startTimeUnixNano <= 0n) {
    throw new Rejection('invalid_start_time', 'startTimeUnixNano missing or before 1970');
  }
  if (s.startTimeUnixNano > nowNs + MAX_FUTURE_NS) {
    throw new Rejection('future_timestamp', 'startTimeUnixNano more than 1 day in the future');
  }
  if (s.endTimeUnixNano <= 0n) {
    throw new Rejection('invalid_end_time', 'endTimeUnixNano missing (span not ended)');
  }
  if (s.endTimeUnixNano < s.startTimeUnixNano) {
    throw new Rejection('invalid_end_time', 'endTimeUnixNano before startTimeUnixNano');
  }
  if (s.endTimeUnixNano > nowNs + 2n * MAX_FUTURE_NS) {
    throw new Rejection('future_timestamp', 'endTimeUnixNano more than 2 days in the future');
  }
}

function kindName(k: number): SpanKindName {
  return SPAN_KINDS[k] ?? 'unspecified';
}

function nsJson(ns: bigint): string {
  return ns.toString();
}

function serviceOf(resource: Record<string, Json>): string {
  const s = resource['service.name'];
  return typeof s === 'string' && s.trim() !== '' ? s.trim() : 'unknown_service';
}

function normalizeSpan(
  s: OtlpSpan,
  ctx: { resourceJson: string; service: string; scopeName: string; scopeVersion: string },
  nowNs: bigint,
  limits: Limits,
  pricer: Pricer | null
): SpanRow {
  const ids = checkIds(s);
  checkTimes(s, nowNs);
  const b = new Budget(limits);
  const attrs = attributesToObject(s.attributes, b);
  const events = s.events.slice(0, limits.maxEvents).map((e) => ({
    timeNs: e.timeUnixNano,
    name: cut(cleanString(e.name), limits.maxNameLength),
    attributes: attributesToObject(e.attributes, b, `event:${e.name}`),
  }));
  if (s.events.length > limits.maxEvents) {
    b.flag('(event count)');
  }
  const links = s.links.slice(0, limits.maxLinks).map((l) => ({
    traceId: cut(l.traceId.toLowerCase(), 32),
    spanId: cut(l.spanId.toLowerCase(), 16),
    traceState: cut(cleanString(l.traceState), 512),
    attributes: attributesToObject(l.attributes as OtlpKeyValue[], b, 'link'),
  }));
  if (s.links.length > limits.maxLinks) {
    b.flag('(link count)');
  }

  const llm = extractLlm(attrs, events as SpanEventLite[]);
  const capContent = (v: string | null): string | null => {
    if (v !== null && v.length > limits.maxContentLength) {
      b.flag('(content)');
      return cut(v, limits.maxContentLength);
    }
    return v;
  };
  const input = capContent(llm.input);
  const output = capContent(llm.output);

  let costMicros: number | null = null;
  let costSource: SpanRow['costSource'] = null;
  let priceKey: string | null = null;
  const model = llm.responseModel ?? llm.requestModel;
  const isLlmUsage = llm.inputTokens !== null || llm.outputTokens !== null || model !== null;
  if (llm.providedCostMicros !== null) {
    costMicros = llm.providedCostMicros;
    costSource = 'provided';
  } else if (isLlmUsage) {
    costSource = 'unknown';
    if (pricer && (llm.inputTokens !== null || llm.outputTokens !== null)) {
      const r = pricer.price({
        provider: llm.provider,
        model,
        inputTokens: llm.inputTokens ?? 0,
        outputTokens: llm.outputTokens ?? 0,
        cacheReadTokens: llm.cacheReadTokens ?? 0,
        cacheWriteTokens: llm.cacheWriteTokens ?? 0,
        reasoningTokens: llm.reasoningTokens ?? 0,
      });
      if (r.costMicros !== null && Number.isFinite(r.costMicros)) {
        costMicros = Math.round(r.costMicros);
        costSource = 'computed';
        priceKey = r.priceKey;
      }
    }
  }

  if (b.truncated) {
    attrs[TRUNCATED_ATTR] = true;
    attrs[`${TRUNCATED_ATTR}_keys`] = [...b.truncatedKeys];
  }
  const status = s.status.code === 1 || s.status.code === 2 ? s.status.code : 0;
  return {
    ...ids,
    traceState: cut(cleanString(s.traceState), 512),
    name: cut(cleanString(s.name), limits.maxNameLength),
    kind: kindName(s.kind),
    service: ctx.service,
    scopeName: ctx.scopeName,
    scopeVersion: ctx.scopeVersion,
    startNs: s.startTimeUnixNano,
    endNs: s.endTimeUnixNano,
    durationNs: s.endTimeUnixNano - s.startTimeUnixNano,
    statusCode: status,
    statusMessage: cut(cleanString(s.status.message), 4096),
    spanKind: llm.spanKind,
    provider: llm.provider,
    requestModel: llm.requestModel,
    responseModel: llm.responseModel,
    operation: llm.operation,
    inputTokens: llm.inputTokens,
    outputTokens: llm.outputTokens,
    cacheReadTokens: llm.cacheReadTokens,
    cacheWriteTokens: llm.cacheWriteTokens,
    reasoningTokens: llm.reasoningTokens,
    costMicros,
    costSource,
    priceKey,
    sessionId: llm.sessionId,
    userId: llm.userId,
    agentName: llm.agentName,
    toolName: llm.toolName,
    finishReasons: llm.finishReasons,
    inputContent: input,
    outputContent: output,
    attributes: JSON.stringify(attrs),
    resourceAttributes: ctx.resourceJson,
    events: JSON.stringify(events, (_k, v: unknown) => (typeof v === 'bigint' ? nsJson(v) : v)),
    links: JSON.stringify(links),
    truncated: b.truncated,
  };
}

export function normalizeRequest(req: ExportTraceServiceRequest, opts: NormalizeOptions = {}): NormalizeResult {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const nowNs = opts.nowNs ?? BigInt(Date.now()) * 1_000_000n;
  const pricer = opts.pricer ?? null;
  const rows: SpanRow[] = [];
  const messages: string[] = [];
  const rejectedByReason: Partial<Record<RejectReason, number>> = {};
  let rejected = 0;
  req.resourceSpans.forEach((rs, ri) => {
    const rb = new Budget(limits);
    const resource = attributesToObject(rs.resource.attributes, rb);
    const ctxBase = { resourceJson: JSON.stringify(resource), service: cut(serviceOf(resource), 512) };
    rs.scopeSpans.forEach((ss, si) => {
      const ctx = {
        ...ctxBase,
        scopeName: cut(cleanString(ss.scope.name), 512),
        scopeVersion: cut(cleanString(ss.scope.version), 128),
      };
      ss.spans.forEach((span, pi) => {
        try {
          rows.push(normalizeSpan(span, ctx, nowNs, limits, pricer));
        } catch (e) {
          if (!(e instanceof Rejection)) {
            throw e;
          }
          rejected++;
          rejectedByReason[e.reason] = (rejectedByReason[e.reason] ?? 0) + 1;
          if (messages.length < MAX_MESSAGES) {
            messages.push(`resourceSpans[${ri}].scopeSpans[${si}].spans[${pi}]: ${e.message}`);
          }
        }
      });
    });
  });
  let errorMessage = '';
  if (rejected > 0) {
    errorMessage = `${rejected} span(s) rejected: ${messages.join('; ')}${rejected > messages.length ? '; ...' : ''}`;
  }
  return { rows, rejected, rejectedByReason, errorMessage };
}
