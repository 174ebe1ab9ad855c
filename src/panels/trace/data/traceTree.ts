import { DataFrameView, type DataFrame } from '@grafana/data';
import { z } from 'zod';

import { computeCriticalPath, type CriticalPath } from './criticalPath';
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
  /** Spans below this one (all levels): shown on a collapsed row. */
  descendantCount: number;
  /** Error spans below this one: a collapsed row still shows that something failed inside. */
  descendantErrors: number;
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
  /** Segments of each span on the critical path, absolute ms. */
  criticalPath: CriticalPath;
  maxDepth: number;
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
      descendantCount: 0,
      descendantErrors: 0,
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
  // Depth-first with an explicit stack: agent loops can nest deeper than the call stack allows.
  const walk = (root: TraceSpan) => {
    const stack: Array<{ span: TraceSpan; depth: number }> = [{ span: root, depth: 0 }];
    while (stack.length > 0) {
      const { span: s, depth } = stack.pop()!;
      if (visited.has(s.spanID)) {
        continue;
      }
      visited.add(s.spanID);
      s.depth = depth;
      s.offsetMs = s.startMs - startMs;
      s.children = s.children.filter((c) => !visited.has(c.spanID)).sort(byStart);
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
      for (let i = s.children.length - 1; i >= 0; i--) {
        stack.push({ span: s.children[i]!, depth: depth + 1 });
      }
    }
  };
  roots.sort(byStart);
  for (const r of roots) {
    walk(r);
  }
  // Parent cycles leave spans unreachable from any root: show them as roots rather than lose them.
  for (const s of [...byId.values()].sort(byStart)) {
    if (!visited.has(s.spanID)) {
      const parent = byId.get(s.parentSpanID);
      if (parent) {
        parent.children = parent.children.filter((c) => c !== s);
      }
      roots.push(s);
      walk(s);
    }
  }
  // Children come after their parent in `ordered`: one backwards pass sums the subtrees.
  for (let i = ordered.length - 1; i >= 0; i--) {
    const s = ordered[i]!;
    let count = 0;
    let errors = 0;
    for (const c of s.children) {
      count += 1 + c.descendantCount;
      errors += (c.isError ? 1 : 0) + c.descendantErrors;
    }
    s.descendantCount = count;
    s.descendantErrors = errors;
  }
  const criticalPath = computeCriticalPath(roots);
  for (const id of criticalPath.keys()) {
    const span = byId.get(id);
    if (span) {
      span.onCriticalPath = true;
    }
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
    criticalPath,
    maxDepth: all.reduce((m, s) => Math.max(m, s.depth), 0),
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

/**
 * The waterfall's rows: all spans except descendants of collapsed ones. `tree.spans` is in
 * depth-first order, so a collapsed span's subtree is the next `descendantCount` entries.
 */
export function visibleSpans(tree: TraceTree, collapsed: ReadonlySet<string>): TraceSpan[] {
  if (collapsed.size === 0) {
    return tree.spans;
  }
  const out: TraceSpan[] = [];
  const spans = tree.spans;
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i]!;
    out.push(s);
    if (collapsed.has(s.spanID)) {
      i += s.descendantCount;
    }
  }
  return out;
}

/** Spans that have children: "collapse all" collapses every one of them. */
export function parentSpanIds(tree: TraceTree): Set<string> {
  return new Set(tree.spans.filter((s) => s.children.length > 0).map((s) => s.spanID));
}

/** Ids of a span's ancestors, nearest first: expanded to reveal a search match. */
export function ancestorIds(tree: TraceTree, spanID: string): string[] {
  const out: string[] = [];
  let cur = tree.byId.get(spanID);
  // Depth, not just parentSpanID: a span re-rooted out of a parent cycle still names its old parent.
  while (cur && cur.depth > 0) {
    const parent = tree.byId.get(cur.parentSpanID);
    if (!parent || parent.depth !== cur.depth - 1) {
      break;
    }
    out.push(parent.spanID);
    cur = parent;
  }
  return out;
}
