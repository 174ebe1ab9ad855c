// Brute-force references for the storage conformance suite: the aggregate engine and trace
// search computed in TypeScript over the rows a test wrote.
import type { SearchExpr, Term } from '../../search/parser.js';
import { quantileCont } from '../../testing/spans.js';
import type { AggFn, AggregateQuery, Measure, SpanRow } from '../types.js';

const MS = 1_000_000n;


export function label(r: SpanRow, g: string): string {
  switch (g) {
    case 'service':
      return r.service;
    case 'provider':
      return r.provider ?? '';
    case 'model':
      return r.responseModel ? r.responseModel : (r.requestModel ?? '');
    case 'operation':
      return r.operation ?? '';
    case 'span_kind':
      return r.spanKind;
    case 'user':
      return r.userId ?? '';
    case 'session':
      return r.sessionId ?? '';
    case 'agent':
      return r.agentName ?? '';
    case 'tool':
      return r.toolName ?? '';
    default: {
      const v = (JSON.parse(r.attributes) as Record<string, unknown>)[g.slice(5)];
      return v === undefined || v === null ? '' : String(v);
    }
  }
}

const glob = (pat: string, v: string | null) =>
  v !== null && new RegExp(`^${pat.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i').test(v);

const eqOrGlob = (pat: string, v: string | null) => (/[*?]/.test(pat) ? glob(pat, v) : v === pat);

function attrText(r: SpanRow, key: string): string | null {
  const v = (JSON.parse(r.attributes) as Record<string, unknown>)[key];
  return v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v);
}

const cmpNum = (a: number, op: string, b: number) => (op === '>' ? a > b : op === '>=' ? a >= b : op === '<' ? a < b : op === '<=' ? a <= b : a === b);

/** A term on one span (the metrics filter semantics, and "some span matches" for traces). */
export function spanMatches(t: Term, r: SpanRow): boolean {
  switch (t.kind) {
    case 'match':
      switch (t.field) {
        case 'service':
          return eqOrGlob(t.value, r.service);
        case 'kind':
          return eqOrGlob(t.value.toLowerCase(), r.spanKind);
        case 'provider':
          return eqOrGlob(t.value.toLowerCase(), r.provider);
        case 'operation':
          return eqOrGlob(t.value, r.operation);
        case 'agent':
          return eqOrGlob(t.value, r.agentName);
        case 'tool':
          return eqOrGlob(t.value, r.toolName);
        case 'user':
          return eqOrGlob(t.value, r.userId);
        case 'session':
          return eqOrGlob(t.value, r.sessionId);
        case 'model':
          return glob(t.value, r.requestModel) || glob(t.value, r.responseModel);
        case 'name':
          return glob(`*${t.value}*`, r.name);
      }
      break;
    case 'status':
      return (r.statusCode === 2) === (t.value === 'error');
    case 'attr': {
      const v = attrText(r, t.key);
      if (t.cmp === '=') {
        return eqOrGlob(t.value, v);
      }
      const n = v === null ? NaN : Number(v);
      return !Number.isNaN(n) && v !== '' && cmpNum(n, t.cmp, t.number ?? Number(t.value));
    }
    case 'duration':
      return cmpNum(Number(r.durationNs), t.cmp, Number(t.ns));
    case 'cost':
      return r.costMicros !== null && cmpNum(r.costMicros, t.cmp, Number(t.micros));
    case 'tokens':
      return cmpNum((r.inputTokens ?? 0) + (r.outputTokens ?? 0), t.cmp, Number(t.value));
  }
  return false;
}

export function evalExpr(e: SearchExpr | null, leaf: (t: Term) => boolean): boolean {
  if (e === null) {
    return true;
  }
  switch (e.type) {
    case 'and':
      return e.items.every((x) => evalExpr(x, leaf));
    case 'or':
      return e.items.some((x) => evalExpr(x, leaf));
    case 'not':
      return !evalExpr(e.item, leaf);
    case 'term':
      return leaf(e.term);
  }
}

function valueOf(r: SpanRow, m: string): number | null {
  switch (m) {
    case 'dur':
      return Number(r.durationNs);
    case 'in':
      return r.inputTokens;
    case 'out':
      return r.outputTokens;
    case 'cached':
      return r.cacheReadTokens;
    case 'total':
      return r.inputTokens === null && r.outputTokens === null ? null : (r.inputTokens ?? 0) + (r.outputTokens ?? 0);
    case 'cost':
      return r.costMicros;
  }
  throw new Error(m);
}

export function brute(rows: readonly SpanRow[], q: AggregateQuery): Map<string, Array<number | null>> {
  const groups = new Map<string, SpanRow[]>();
  for (const r of rows) {
    if (r.startNs < q.fromNs || r.startNs >= q.toNs) {
      continue;
    }
    if (q.spans === 'llm' && !['llm', 'embedding', 'reranker'].includes(r.spanKind)) {
      continue;
    }
    if (q.spans === 'root' && r.parentSpanId !== '') {
      continue;
    }
    if (!evalExpr(q.filter, (t) => spanMatches(t, r))) {
      continue;
    }
    const b = q.stepMs === undefined ? '' : String(Number(r.startNs / (BigInt(q.stepMs) * MS)) * q.stepMs);
    const key = [b, ...q.groupBy.map((g) => label(r, g))].join('|');
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out = new Map<string, Array<number | null>>();
  for (const [key, rs] of groups) {
    out.set(
      key,
      q.measures.map((m) => {
        switch (m.metric) {
          case 'requests':
            return rs.length;
          case 'errors':
            return rs.filter((r) => r.statusCode === 2).length;
          case 'error_rate':
            return rs.filter((r) => r.statusCode === 2).length / rs.length;
          case 'usage':
            return rs.filter((r) => r.costSource !== null).length;
          case 'unpriced':
            return rs.filter((r) => r.costSource === 'unknown').length;
        }
        const vs = rs.map((r) => valueOf(r, m.metric)).filter((v): v is number => v !== null);
        const fn = m.fn;
        if (typeof fn === 'object') {
          return quantileCont(vs, fn.quantile);
        }
        switch (fn) {
          case 'sum':
            return vs.reduce((a, b) => a + b, 0);
          case 'count':
            return vs.length;
          case 'avg':
            return vs.length ? vs.reduce((a, b) => a + b, 0) / vs.length : null;
          case 'min':
            return vs.length ? Math.min(...vs) : null;
          case 'max':
            return vs.length ? Math.max(...vs) : null;
        }
      })
    );
  }
  return out;
}

export const FNS: AggFn[] = ['sum', 'avg', 'count', 'min', 'max'];
export const VALUE_METRICS = ['dur', 'in', 'out', 'cached', 'total', 'cost'] as const;
export const ALL_ROLLUP_MEASURES: Measure[] = [
  { metric: 'requests' },
  { metric: 'errors' },
  { metric: 'error_rate' },
  { metric: 'usage' },
  { metric: 'unpriced' },
  ...VALUE_METRICS.flatMap((m) => FNS.map((fn): Measure => ({ metric: m, fn }))),
];
export const QUANTILES: Measure[] = VALUE_METRICS.flatMap((m) => [0.5, 0.9, 0.95, 0.99].map((q): Measure => ({ metric: m, fn: { quantile: q } })));


export interface BruteTrace {
  traceId: string;
  spans: SpanRow[];
  start: bigint;
  end: bigint;
  cost: bigint | null;
  tokens: number;
  error: boolean;
}

export function bruteTraces(rows: readonly SpanRow[], fromMs: number, toMs: number, where: SearchExpr | null): BruteTrace[] {
  const by = new Map<string, SpanRow[]>();
  for (const r of rows) {
    by.set(r.traceId, [...(by.get(r.traceId) ?? []), r]);
  }
  const out: BruteTrace[] = [];
  for (const [traceId, spans] of by) {
    const from = BigInt(fromMs) * MS;
    const to = BigInt(toMs) * MS + 999_999n;
    if (!spans.some((s) => s.startNs >= from && s.startNs <= to)) {
      continue;
    }
    const t: BruteTrace = {
      traceId,
      spans,
      start: spans.reduce((m, s) => (s.startNs < m ? s.startNs : m), spans[0]!.startNs),
      end: spans.reduce((m, s) => (s.endNs > m ? s.endNs : m), spans[0]!.endNs),
      cost: spans.some((s) => s.costMicros !== null) ? spans.reduce((a, s) => a + BigInt(s.costMicros ?? 0), 0n) : null,
      tokens: spans.reduce((a, s) => a + (s.inputTokens ?? 0) + (s.outputTokens ?? 0), 0),
      error: spans.some((s) => s.statusCode === 2),
    };
    const cmp = (a: bigint, op: string, b: bigint) => (op === '>' ? a > b : op === '>=' ? a >= b : op === '<' ? a < b : op === '<=' ? a <= b : a === b);
    const ok = evalExpr(where, (term) => {
      switch (term.kind) {
        case 'status':
          return t.error === (term.value === 'error');
        case 'duration':
          return cmp(t.end - t.start, term.cmp, term.ns);
        case 'cost':
          return cmp(t.cost ?? 0n, term.cmp, term.micros);
        case 'tokens':
          return cmp(BigInt(t.tokens), term.cmp, term.value);
        default:
          return spans.some((s) => spanMatches(term, s));
      }
    });
    if (ok) {
      out.push(t);
    }
  }
  return out;
}

