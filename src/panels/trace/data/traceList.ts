import { DataFrameView, type DataFrame } from '@grafana/data';
import { z } from 'zod';

import { asJson, asNumber, asString, asTimeMs, hasFields, pyflareFrameKind } from './frames';

/** One span of a trace list row's mini waterfall. */
export interface MiniSpan {
  spanID: string;
  parentSpanID: string;
  offsetMs: number;
  durationMs: number;
  spanKind: string;
  status: string;
  depth: number;
}

export interface TraceListRow {
  /** Row of the source frame, to resolve the traceID field's data links. */
  rowIndex: number;
  traceID: string;
  startTime: number;
  rootName: string;
  serviceName: string;
  models: string[];
  durationMs: number;
  status: 'ok' | 'error';
  spanCount: number;
  errorCount: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  costUsd: number;
  /** The raw waterfall cell: decoded with readWaterfall only for rows on screen. */
  waterfallCell: unknown;
}

interface TraceListFrameRow {
  traceID?: unknown;
  startTime?: unknown;
  rootName?: unknown;
  serviceName?: unknown;
  models?: unknown;
  durationMs?: unknown;
  status?: unknown;
  spanCount?: unknown;
  errorCount?: unknown;
  inputTokens?: unknown;
  outputTokens?: unknown;
  totalTokens?: unknown;
  costUsd?: unknown;
  waterfall?: unknown;
}

/** The trace list frame of a `traces` query, if the data has one. */
export function findTraceListFrame(series: DataFrame[]): DataFrame | undefined {
  return (
    series.find((f) => pyflareFrameKind(f) === 'trace-list') ??
    series.find((f) => pyflareFrameKind(f) === undefined && hasFields(f, ['traceID', 'rootName', 'durationMs']))
  );
}

const miniSpanSchema = z.object({
  spanID: z.string(),
  parentSpanID: z.string().nullish(),
  offsetMs: z.number(),
  durationMs: z.number().min(0),
  spanKind: z.string().nullish(),
  status: z.string().nullish(),
});

/** Decodes the waterfall cell; invalid entries are dropped, depth is derived from the parents. */
export function readWaterfall(cell: unknown): MiniSpan[] {
  const raw = asJson(cell);
  if (!Array.isArray(raw)) {
    return [];
  }
  const spans: MiniSpan[] = [];
  for (const item of raw) {
    const p = miniSpanSchema.safeParse(item);
    if (p.success) {
      spans.push({
        spanID: p.data.spanID,
        parentSpanID: p.data.parentSpanID ?? '',
        offsetMs: Math.max(0, p.data.offsetMs),
        durationMs: p.data.durationMs,
        spanKind: p.data.spanKind ?? 'span',
        status: p.data.status ?? 'ok',
        depth: 0,
      });
    }
  }
  const byId = new Map(spans.map((s) => [s.spanID, s]));
  for (const s of spans) {
    let depth = 0;
    let parent = byId.get(s.parentSpanID);
    const seen = new Set<string>([s.spanID]);
    while (parent && !seen.has(parent.spanID)) {
      seen.add(parent.spanID);
      depth++;
      parent = byId.get(parent.parentSpanID);
    }
    s.depth = depth;
  }
  return spans;
}

function splitModels(v: unknown): string[] {
  return asString(v)
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);
}

/** Rows of a trace list frame, in frame order. */
export function readTraceList(frame: DataFrame): TraceListRow[] {
  const view = new DataFrameView<TraceListFrameRow>(frame);
  const rows: TraceListRow[] = [];
  for (let i = 0; i < view.length; i++) {
    const r = view.get(i);
    const inputTokens = asNumber(r.inputTokens);
    const outputTokens = asNumber(r.outputTokens);
    const errorCount = asNumber(r.errorCount);
    rows.push({
      rowIndex: i,
      traceID: asString(r.traceID),
      startTime: asTimeMs(r.startTime),
      rootName: asString(r.rootName),
      serviceName: asString(r.serviceName),
      models: splitModels(r.models),
      durationMs: asNumber(r.durationMs),
      status: asString(r.status) === 'error' || errorCount > 0 ? 'error' : 'ok',
      spanCount: asNumber(r.spanCount),
      errorCount,
      inputTokens,
      outputTokens,
      totalTokens:
        r.totalTokens === undefined || r.totalTokens === null ? inputTokens + outputTokens : asNumber(r.totalTokens),
      costUsd: asNumber(r.costUsd),
      waterfallCell: r.waterfall,
    });
  }
  return rows;
}

export type TraceSortKey =
  | 'startTime'
  | 'rootName'
  | 'serviceName'
  | 'models'
  | 'durationMs'
  | 'status'
  | 'spanCount'
  | 'totalTokens'
  | 'costUsd';
export type SortDirection = 'asc' | 'desc';
export interface TraceSort {
  key: TraceSortKey;
  direction: SortDirection;
}

function sortValue(row: TraceListRow, key: TraceSortKey): string | number {
  switch (key) {
    case 'models':
      return row.models.join(',');
    case 'status':
      // Errors sort "above" ok when descending.
      return row.status === 'error' ? 1 : 0;
    default:
      return row[key];
  }
}

/** A sorted copy; ties keep frame order so the service's own order survives. */
export function sortTraceRows(rows: TraceListRow[], sort: TraceSort): TraceListRow[] {
  const dir = sort.direction === 'asc' ? 1 : -1;
  return rows
    .map((row, i) => ({ row, i }))
    .sort((a, b) => {
      const va = sortValue(a.row, sort.key);
      const vb = sortValue(b.row, sort.key);
      const c = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb));
      return c !== 0 ? c * dir : a.i - b.i;
    })
    .map((x) => x.row);
}

export interface TraceHighlights {
  error: boolean;
  slow: boolean;
  expensive: boolean;
}

/** Which highlights a row gets; a threshold of 0 turns its highlight off. */
export function traceHighlights(
  row: TraceListRow,
  thresholds: { slowThresholdMs: number; expensiveThresholdUsd: number }
): TraceHighlights {
  return {
    error: row.status === 'error',
    slow: thresholds.slowThresholdMs > 0 && row.durationMs >= thresholds.slowThresholdMs,
    expensive: thresholds.expensiveThresholdUsd > 0 && row.costUsd >= thresholds.expensiveThresholdUsd,
  };
}
