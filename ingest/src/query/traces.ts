// Trace search on top of storage: the query fields folded into the search AST, keyset
// pagination with an opaque cursor, stats, and the per-trace timeline.
import { createHash } from 'node:crypto';
import { nsToMs } from '../frames/frame.js';
import { andAll, parseSearch, termExpr, type SearchExpr, type Term } from '../search/parser.js';
import { INT64_MAX, MAX_EPOCH_MS, traceSortKey, type SpanRow, type Storage, type TraceSearch, type TraceStats, type TraceSummary } from '../storage/types.js';
import { QueryError } from './errors.js';

const MS = 1_000_000n;

/** The trace-search fields of a traces query (query model) or of GET /api/v1/traces. */
export interface TraceSearchFields {
  search?: string;
  serviceName?: string;
  modelId?: string;
  status: 'all' | 'ok' | 'error';
  minDurationMs?: number;
  maxDurationMs?: number;
  sortBy: TraceSearch['sortBy'];
  limit: number;
}

const msToNs = (ms: number): bigint => BigInt(Math.round(ms * 1000)) * 1000n;

/** The search string and the separate query fields as one AST (all ANDed). */
export function searchExprOf(q: Omit<TraceSearchFields, 'sortBy' | 'limit'>): SearchExpr | null {
  const extra: Term[] = [];
  if (q.serviceName) {
    extra.push({ kind: 'match', field: 'service', value: q.serviceName });
  }
  if (q.modelId) {
    extra.push({ kind: 'match', field: 'model', value: q.modelId });
  }
  if (q.status !== 'all') {
    extra.push({ kind: 'status', value: q.status });
  }
  if (q.minDurationMs !== undefined) {
    extra.push({ kind: 'duration', cmp: '>=', ns: msToNs(q.minDurationMs) });
  }
  if (q.maxDurationMs !== undefined) {
    extra.push({ kind: 'duration', cmp: '<=', ns: msToNs(q.maxDurationMs) });
  }
  return andAll([parseSearch(q.search ?? ''), ...extra.map(termExpr)]);
}

export function traceSearchFrom(q: TraceSearchFields, range: { from: number; to: number }): TraceSearch {
  return {
    fromNs: BigInt(Math.floor(range.from)) * MS,
    toNs: BigInt(Math.floor(range.to)) * MS + (MS - 1n),
    where: searchExprOf(q),
    sortBy: q.sortBy,
    limit: q.limit,
  };
}

// ---------------------------------------------------------------------------------------------
// Cursor: base64url JSON of the position, the pinned time range and a fingerprint of the
// search, so the next page is the same query even when "now" has moved on.

interface CursorBody {
  v: 1;
  from: number;
  to: number;
  sort: TraceSearch['sortBy'];
  key: string;
  id: string;
  fp: string;
}

function fingerprint(q: TraceSearchFields): string {
  const parts = [q.search ?? '', q.serviceName ?? '', q.modelId ?? '', q.status, q.minDurationMs ?? '', q.maxDurationMs ?? '', q.sortBy];
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

export function encodeCursor(q: TraceSearchFields, range: { from: number; to: number }, last: TraceSummary): string {
  const body: CursorBody = {
    v: 1,
    from: range.from,
    to: range.to,
    sort: q.sortBy,
    key: traceSortKey(last, q.sortBy).toString(),
    id: last.traceId,
    fp: fingerprint(q),
  };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

export function decodeCursor(cursor: string, q: TraceSearchFields): { range: { from: number; to: number }; after: TraceSearch['after'] } {
  let body: CursorBody;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorBody;
  } catch {
    throw new QueryError('cursor', 'not a cursor returned by this API');
  }
  if (
    body?.v !== 1 ||
    typeof body.from !== 'number' ||
    typeof body.to !== 'number' ||
    typeof body.id !== 'string' ||
    !/^[0-9a-f]{32}$/.test(body.id) ||
    typeof body.key !== 'string' ||
    !/^-?\d{1,30}$/.test(body.key) ||
    // A cursor is handed back as is: its range and key must be what this API can issue.
    !Number.isSafeInteger(body.from) ||
    !Number.isSafeInteger(body.to) ||
    body.from < 0 ||
    body.from > body.to ||
    body.to > MAX_EPOCH_MS ||
    BigInt(body.key) > INT64_MAX ||
    BigInt(body.key) < -INT64_MAX
  ) {
    throw new QueryError('cursor', 'not a cursor returned by this API');
  }
  if (body.fp !== fingerprint(q)) {
    throw new QueryError('cursor', 'belongs to a different search (same search, filters and sort needed)');
  }
  return { range: { from: body.from, to: body.to }, after: { key: BigInt(body.key), traceId: body.id } };
}

export interface TracePage {
  traces: TraceSummary[];
  /** Cursor of the next page; null on the last page. */
  nextCursor: string | null;
  range: { from: number; to: number };
}

export async function searchTracePage(
  storage: Storage,
  q: TraceSearchFields,
  range: { from: number; to: number },
  cursor?: string
): Promise<TracePage> {
  let r = range;
  let after: TraceSearch['after'];
  if (cursor) {
    ({ range: r, after } = decodeCursor(cursor, q));
  }
  const search = { ...traceSearchFrom(q, r), after };
  // One extra row tells whether there is a next page.
  const rows = await storage.searchTraces({ ...search, limit: q.limit + 1 });
  const traces = rows.slice(0, q.limit);
  const more = rows.length > q.limit;
  return { traces, nextCursor: more ? encodeCursor(q, r, traces[traces.length - 1]!) : null, range: r };
}

export async function traceStatsOf(storage: Storage, q: Omit<TraceSearchFields, 'sortBy' | 'limit'>, range: { from: number; to: number }): Promise<TraceStats> {
  const s = traceSearchFrom({ ...q, sortBy: 'time', limit: 1 }, range);
  return storage.traceStats({ fromNs: s.fromNs, toNs: s.toNs, where: s.where });
}

// ---------------------------------------------------------------------------------------------
// Timeline

export interface TimelineSpan {
  spanId: string;
  parentSpanId: string;
  name: string;
  serviceName: string;
  spanKind: string;
  model: string | null;
  depth: number;
  offsetMs: number;
  durationMs: number;
  /** Time not covered by any child span (ms). */
  selfTimeMs: number;
  status: 'ok' | 'error';
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: number | null;
}

export interface TraceTimeline {
  traceId: string;
  startTimeMs: number;
  durationMs: number;
  spanCount: number;
  errorCount: number;
  costUsd: number | null;
  inputTokens: number;
  outputTokens: number;
  /** Depth-first (parents before children, siblings by start time); orphans are roots. */
  spans: TimelineSpan[];
  /** Span ids from the root to the span that ends last, following the child ending last each time. */
  criticalPath: string[];
}

const nsMs = (ns: bigint): number => Number(ns) / 1e6;

export function timelineOf(traceId: string, spans: SpanRow[]): TraceTimeline {
  const start = spans.reduce((m, s) => (s.startNs < m ? s.startNs : m), spans[0]!.startNs);
  const end = spans.reduce((m, s) => (s.endNs > m ? s.endNs : m), spans[0]!.endNs);
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, SpanRow[]>();
  const roots: SpanRow[] = [];
  for (const s of spans) {
    if (s.parentSpanId === '' || !ids.has(s.parentSpanId) || s.parentSpanId === s.spanId) {
      roots.push(s);
    } else {
      const list = children.get(s.parentSpanId) ?? [];
      list.push(s);
      children.set(s.parentSpanId, list);
    }
  }
  const byStart = (a: SpanRow, b: SpanRow) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : a.spanId.localeCompare(b.spanId));
  roots.sort(byStart);
  for (const l of children.values()) {
    l.sort(byStart);
  }
  const selfNs = (s: SpanRow): bigint => {
    // Union of the children's intervals clipped to the span.
    let covered = 0n;
    let curS = -1n;
    let curE = -1n;
    const iv = (children.get(s.spanId) ?? [])
      .map((c) => [c.startNs < s.startNs ? s.startNs : c.startNs, c.endNs > s.endNs ? s.endNs : c.endNs] as const)
      .filter(([a, b]) => b > a)
      .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    for (const [a, b] of iv) {
      if (a > curE) {
        covered += curE - curS;
        curS = a;
        curE = b;
      } else if (b > curE) {
        curE = b;
      }
    }
    covered += curE - curS;
    return s.durationNs - covered;
  };
  const out: TimelineSpan[] = [];
  const seen = new Set<string>();
  const visit = (s: SpanRow, depth: number) => {
    if (seen.has(s.spanId)) {
      return;
    }
    seen.add(s.spanId);
    out.push({
      spanId: s.spanId,
      parentSpanId: s.parentSpanId,
      name: s.name,
      serviceName: s.service,
      spanKind: s.spanKind,
      model: s.responseModel ?? s.requestModel,
      depth,
      offsetMs: nsMs(s.startNs - start),
      durationMs: nsMs(s.durationNs),
      selfTimeMs: nsMs(selfNs(s)),
      status: s.statusCode === 2 ? 'error' : 'ok',
      inputTokens: s.inputTokens,
      outputTokens: s.outputTokens,
      costUsd: s.costMicros === null ? null : s.costMicros / 1e6,
    });
    for (const c of children.get(s.spanId) ?? []) {
      visit(c, depth + 1);
    }
  };
  for (const r of roots) {
    visit(r, 0);
  }
  // Spans in a parent cycle are never reached from a root: list them flat.
  for (const s of [...spans].sort(byStart)) {
    visit(s, 0);
  }
  const critical: string[] = [];
  let cur: SpanRow | undefined = [...roots].sort((a, b) => (a.endNs > b.endNs ? -1 : a.endNs < b.endNs ? 1 : 0))[0];
  const guard = new Set<string>();
  while (cur && !guard.has(cur.spanId)) {
    guard.add(cur.spanId);
    critical.push(cur.spanId);
    const kids: SpanRow[] = children.get(cur.spanId) ?? [];
    cur = kids.reduce<SpanRow | undefined>((m, k) => (m === undefined || k.endNs > m.endNs ? k : m), undefined);
  }
  const costs = spans.filter((s) => s.costMicros !== null);
  return {
    traceId,
    startTimeMs: nsToMs(start),
    durationMs: nsMs(end - start),
    spanCount: spans.length,
    errorCount: spans.filter((s) => s.statusCode === 2).length,
    costUsd: costs.length ? costs.reduce((a, s) => a + s.costMicros!, 0) / 1e6 : null,
    inputTokens: spans.reduce((a, s) => a + (s.inputTokens ?? 0), 0),
    outputTokens: spans.reduce((a, s) => a + (s.outputTokens ?? 0), 0),
    spans: out,
    criticalPath: critical,
  };
}
