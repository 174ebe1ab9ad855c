import { DataFrameView, type DataFrame } from '@grafana/data';
import { z } from 'zod';

import { asJson, asNumber, asString, asTimeMs, hasFields, pyflareFrameKind } from './frames';

export interface KeyValue {
  key: string;
  value: unknown;
}

export interface SpanEvent {
  timestamp: number;
  name: string;
  fields: KeyValue[];
}

export interface TraceSpan {
  traceID: string;
  spanID: string;
  parentSpanID: string;
  operationName: string;
  serviceName: string;
  startMs: number;
  durationMs: number;
  endMs: number;
  /** Start relative to the trace's start. */
  offsetMs: number;
  depth: number;
  children: TraceSpan[];
  /** Time not covered by any child span. */
  selfMs: number;
  onCriticalPath: boolean;
  kind: string;
  statusCode: number;
  statusMessage: string;
  isError: boolean;
  spanKind: string;
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  costUsd: number;
  input: string;
  output: string;
  tags: KeyValue[];
  serviceTags: KeyValue[];
  logs: SpanEvent[];
}

export interface TraceTree {
  traceID: string;
  startMs: number;
  endMs: number;
  durationMs: number;
  roots: TraceSpan[];
  /** Every span, depth-first in start order: the waterfall's row order. */
  spans: TraceSpan[];
  byId: Map<string, TraceSpan>;
  totals: {
    spans: number;
    errors: number;
    inputTokens: number;
    outputTokens: number;
    costUsd: number;
    services: string[];
    models: string[];
  };
}

/** OTLP status code of an error span (0 unset, 1 ok, 2 error). */
export const STATUS_ERROR = 2;

export function isTraceFrame(frame: DataFrame): boolean {
  const kind = pyflareFrameKind(frame);
  if (kind !== undefined) {
    return kind === 'trace';
  }
  return (
    frame.meta?.preferredVisualisationType === 'trace' &&
    hasFields(frame, ['traceID', 'spanID', 'parentSpanID', 'startTime', 'duration'])
  );
}

/** Trace frames in the data, by trace id (one trace per frame, as the service returns them). */
export function findTraceFrames(series: DataFrame[]): Map<string, DataFrame> {
  const out = new Map<string, DataFrame>();
  for (const frame of series) {
    if (!isTraceFrame(frame) || frame.length === 0) {
      continue;
    }
    const traceField = frame.fields.find((f) => f.name === 'traceID');
    const id = asString(traceField?.values[0]);
    if (id && !out.has(id)) {
      out.set(id, frame);
    }
  }
  return out;
}

const keyValueSchema = z.object({ key: z.string(), value: z.unknown() });
const eventSchema = z.object({
  timestamp: z.number(),
  name: z.string().nullish(),
  fields: z.array(keyValueSchema).nullish(),
});

function readKeyValues(cell: unknown): KeyValue[] {
  const raw = asJson(cell);
  if (!Array.isArray(raw)) {
    return [];
  }
  return raw.flatMap((item) => {
    const p = keyValueSchema.safeParse(item);
    return p.success ? [{ key: p.data.key, value: p.data.value }] : [];
  });
}

function readEvents(cell: unknown): SpanEvent[] {
  const raw = asJson(cell);
  if (!Array.isArray(raw)) {
    return [];
  }
  return raw.flatMap((item) => {
    const p = eventSchema.safeParse(item);
    return p.success ? [{ timestamp: p.data.timestamp, name: p.data.name ?? '', fields: p.data.fields ?? [] }] : [];
  });
}

interface TraceFrameRow {
  traceID?: unknown;
  spanID?: unknown;
  parentSpanID?: unknown;
  operationName?: unknown;
  serviceName?: unknown;
  serviceTags?: unknown;
  startTime?: unknown;
  duration?: unknown;
  tags?: unknown;
  logs?: unknown;
  kind?: unknown;
  statusCode?: unknown;
  statusMessage?: unknown;
  spanKind?: unknown;
  provider?: unknown;
  model?: unknown;
  inputTokens?: unknown;
  outputTokens?: unknown;
  cacheReadTokens?: unknown;
  cacheWriteTokens?: unknown;
  reasoningTokens?: unknown;
  costUsd?: unknown;
  input?: unknown;
  output?: unknown;
}

/** Length of the union of intervals, clipped to [from, to]. */
function coveredMs(intervals: Array<[number, number]>, from: number, to: number): number {
  const clipped = intervals
    .map(([a, b]): [number, number] => [Math.max(a, from), Math.min(b, to)])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let cur: [number, number] | undefined;
  for (const [a, b] of clipped) {
    if (!cur || a > cur[1]) {
      total += cur ? cur[1] - cur[0] : 0;
      cur = [a, b];
    } else {
      cur[1] = Math.max(cur[1], b);
    }
  }
  total += cur ? cur[1] - cur[0] : 0;
  return total;
}

/**
 * Marks the critical path: walking back from the end of a span, the child that finished
 * last is what the span waited for; then the child that finished last before that one
 * started, and so on, recursively.
 */
function markCriticalPath(span: TraceSpan, until: number) {
  span.onCriticalPath = true;
  let cursor = Math.min(until, span.endMs);
  const byEnd = [...span.children].sort((a, b) => b.endMs - a.endMs || b.startMs - a.startMs);
  for (const child of byEnd) {
    if (child.startMs < cursor) {
      markCriticalPath(child, Math.min(child.endMs, cursor));
      cursor = child.startMs;
    }
  }
}

/** Builds the span tree of one trace frame. Spans whose parent is missing become roots. */
export function buildTraceTree(frame: DataFrame): TraceTree {
  const view = new DataFrameView<TraceFrameRow>(frame);
  const spans: TraceSpan[] = [];
  for (let i = 0; i < view.length; i++) {
    const r = view.get(i);
    const startMs = asTimeMs(r.startTime);
    const durationMs = Math.max(0, asNumber(r.duration));
    const statusCode = asNumber(r.statusCode);
    spans.push({
      traceID: asString(r.traceID),
      spanID: asString(r.spanID),
      parentSpanID: asString(r.parentSpanID),
      operationName: asString(r.operationName),
      serviceName: asString(r.serviceName),
      startMs,
      durationMs,
      endMs: startMs + durationMs,
      offsetMs: 0,
      depth: 0,
      children: [],
      selfMs: durationMs,
      onCriticalPath: false,
      kind: asString(r.kind),
      statusCode,
      statusMessage: asString(r.statusMessage),
      isError: statusCode === STATUS_ERROR,
      spanKind: asString(r.spanKind) || 'span',
      provider: asString(r.provider),
      model: asString(r.model),
      inputTokens: asNumber(r.inputTokens),
      outputTokens: asNumber(r.outputTokens),
      cacheReadTokens: asNumber(r.cacheReadTokens),
      cacheWriteTokens: asNumber(r.cacheWriteTokens),
      reasoningTokens: asNumber(r.reasoningTokens),
      costUsd: asNumber(r.costUsd),
      input: asString(r.input),
      output: asString(r.output),
      tags: readKeyValues(r.tags),
      serviceTags: readKeyValues(r.serviceTags),
      logs: readEvents(r.logs),
    });
  }

  const byId = new Map<string, TraceSpan>();
  for (const s of spans) {
    if (!byId.has(s.spanID)) {
      byId.set(s.spanID, s);
    }
  }
  const roots: TraceSpan[] = [];
  for (const s of byId.values()) {
    const parent = s.parentSpanID && s.parentSpanID !== s.spanID ? byId.get(s.parentSpanID) : undefined;
    if (parent) {
      parent.children.push(s);
    } else {
      roots.push(s);
    }
  }
  const byStart = (a: TraceSpan, b: TraceSpan) => a.startMs - b.startMs || a.spanID.localeCompare(b.spanID);

  // reduce, not Math.min(...spread): traces can have more spans than the call stack has room for.
  const startMs = spans.length ? spans.reduce((m, s) => Math.min(m, s.startMs), Infinity) : 0;
  const endMs = spans.length ? spans.reduce((m, s) => Math.max(m, s.endMs), -Infinity) : 0;

  const ordered: TraceSpan[] = [];
  const visited = new Set<string>();
  const walk = (s: TraceSpan, depth: number) => {
    if (visited.has(s.spanID)) {
      return;
    }
    visited.add(s.spanID);
    s.depth = depth;
    s.offsetMs = s.startMs - startMs;
    s.children.sort(byStart);
    s.selfMs = Math.max(
      0,
      s.durationMs -
        coveredMs(
          s.children.map((c) => [c.startMs, c.endMs]),
          s.startMs,
          s.endMs
        )
    );
    ordered.push(s);
    for (const c of s.children) {
      walk(c, depth + 1);
    }
  };
  roots.sort(byStart);
  for (const r of roots) {
    walk(r, 0);
  }
  // Parent cycles leave spans unreachable from any root: show them as roots rather than lose them.
  for (const s of [...byId.values()].sort(byStart)) {
    if (!visited.has(s.spanID)) {
      const parent = byId.get(s.parentSpanID);
      if (parent) {
        parent.children = parent.children.filter((c) => c !== s);
      }
      roots.push(s);
      walk(s, 0);
    }
  }
  for (const r of roots) {
    markCriticalPath(r, r.endMs);
  }

  const all = ordered;
  return {
    traceID: all[0]?.traceID ?? '',
    startMs,
    endMs,
    durationMs: endMs - startMs,
    roots,
    spans: all,
    byId,
    totals: {
      spans: all.length,
      errors: all.filter((s) => s.isError).length,
      inputTokens: all.reduce((n, s) => n + s.inputTokens, 0),
      outputTokens: all.reduce((n, s) => n + s.outputTokens, 0),
      costUsd: all.reduce((n, s) => n + s.costUsd, 0),
      services: [...new Set(all.map((s) => s.serviceName).filter(Boolean))],
      models: [...new Set(all.map((s) => s.model).filter(Boolean))],
    },
  };
}

/** The waterfall's rows: all spans except descendants of collapsed ones. */
export function visibleSpans(tree: TraceTree, collapsed: ReadonlySet<string>): TraceSpan[] {
  const out: TraceSpan[] = [];
  const push = (s: TraceSpan) => {
    out.push(s);
    if (!collapsed.has(s.spanID)) {
      s.children.forEach(push);
    }
  };
  tree.roots.forEach(push);
  return out;
}
