// The read side of DuckDB storage beyond single lookups: trace search and stats, the aggregate
// engine behind metrics and costs, and budgets. Functions take a SqlReader so duckdb.ts only
// delegates to them.
import type { DuckDBValue } from '@duckdb/node-api';
import { ROLLUP_LEVELS, ROLLUP_VALUES, setToList, TRACE_ROLLUP, type RollupLevel } from './rollups.js';
import { attrPath, compileSearch, lit, Params, rollupCanFilter, tracePrefilter } from './searchSql.js';
import type {
  AggFn,
  AggregateQuery,
  AggregateResult,
  AggregateRow,
  BudgetRecord,
  Measure,
  TraceSearch,
  TraceStats,
  TraceSummary,
  WaterfallSpan,
} from './types.js';

export interface SqlReader {
  rows(sql: string, values?: DuckDBValue[]): Promise<Array<Record<string, unknown>>>;
}

const COARSEST = ROLLUP_LEVELS[0]!;
const FINEST = ROLLUP_LEVELS[ROLLUP_LEVELS.length - 1]!;
const MINUTE_NS = 60_000_000_000n;
export const MS_NS = 1_000_000n;
/** Longest trace the search looks around the range for (see lookaroundNs). */
const MAX_LOOKAROUND_NS = 24n * 3_600_000_000_000n;

// Result values of either engine as JS values.
export const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
export const big = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(String(v ?? 0)));
export const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

// ---------------------------------------------------------------------------------------------
// Trace search
//
// A trace is a candidate when the start times of its spans overlap [from, to]. Searches whose
// terms the trace rollup can answer (all but name/free text and attributes) run on it; the
// others group the spans themselves. Both read the spans of candidates within `lookaround`
// of the range.

/**
 * How far outside [from, to] the rows of matching traces are read: the longest root span
 * started within a day of the range (from the hourly rollup) plus a minute, capped at 24 h.
 * Traces whose spans all start within their root span (+1 min) are therefore summarized exactly.
 */
async function lookaroundNs(db: SqlReader, fromNs: bigint, toNs: bigint): Promise<bigint> {
  const day = 86_400_000n;
  const fromMs = fromNs / MS_NS - day;
  const toMs = toNs / MS_NS + day;
  const r = await db.rows(
    `SELECT max(dur_max) AS m FROM ${COARSEST.table} WHERE is_root AND bucket_ms >= ${lit(fromMs)} AND bucket_ms <= ${lit(toMs)}`
  );
  return lookaroundFromLongestRoot(r[0]?.m);
}

/** The lookaround for the longest root span found near the range (null: none): plus a minute, at most 24 h. */
export function lookaroundFromLongestRoot(longestNs: unknown): bigint {
  const m = longestNs === null || longestNs === undefined ? 0n : big(longestNs);
  const l = m + MINUTE_NS;
  return l > MAX_LOOKAROUND_NS ? MAX_LOOKAROUND_NS : l;
}

function sortSql(sortBy: TraceSearch['sortBy']): string {
  return sortBy === 'time' ? 'start_ns' : sortBy === 'duration' ? '(end_ns - start_ns)' : 'coalesce(cost_micros, -1)';
}

type Window = Omit<TraceSearch, 'limit' | 'sortBy' | 'after'>;

/** Candidate traces (trace_id, start_ns, end_ns, cost_micros, plus `extra`) as SQL. */
async function candidatesSql(db: SqlReader, q: Window, p: Params, extra: { rollup: string; raw: string }): Promise<{ sql: string; lo: bigint; hi: bigint }> {
  const around = await lookaroundNs(db, q.fromNs, q.toNs);
  const lo = q.fromNs - around;
  const hi = q.toNs + around;
  const from = p.add(q.fromNs);
  const to = p.add(q.toNs);
  if (rollupCanFilter(q.where, 'traceRollup')) {
    const filter = compileSearch(q.where, 'traceRollup', p);
    const window = `max_start_ns >= ${lit(lo)} AND min_start_ns <= ${lit(hi)}`;
    const pre = tracePrefilter(q.where, 'traceRollup', p);
    return {
      lo,
      hi,
      sql: `SELECT trace_id, min(min_start_ns) AS start_ns, max(max_end_ns) AS end_ns,
          CASE WHEN sum(cost_n) > 0 THEN sum(cost_sum) END AS cost_micros${extra.rollup}
        FROM ${TRACE_ROLLUP}
        WHERE ${window}${pre ? ` AND trace_id IN (SELECT trace_id FROM ${TRACE_ROLLUP} WHERE ${window} AND ${pre})` : ''}
        GROUP BY trace_id
        HAVING min(min_start_ns) <= ${to} AND max(max_start_ns) >= ${from} AND ${filter}`,
    };
  }
  const filter = compileSearch(q.where, 'trace', p);
  const window = `start_ns >= ${lit(lo)} AND start_ns <= ${lit(hi)}`;
  const pre = tracePrefilter(q.where, 'span', p);
  return {
    lo,
    hi,
    sql: `SELECT trace_id, min(start_ns) AS start_ns, max(end_ns) AS end_ns, sum(cost_micros) AS cost_micros${extra.raw}
      FROM spans
      WHERE ${window}${pre ? ` AND trace_id IN (SELECT trace_id FROM spans WHERE ${window} AND ${pre})` : ''}
      GROUP BY trace_id
      HAVING min(start_ns) <= ${to} AND max(start_ns) >= ${from} AND ${filter}`,
  };
}

export async function searchTraces(db: SqlReader, q: TraceSearch): Promise<TraceSummary[]> {
  const p = new Params();
  const { sql: cand } = await candidatesSql(db, q, p, { rollup: '', raw: '' });
  const key = sortSql(q.sortBy);
  let after = '';
  if (q.after) {
    const k = p.add(q.after.key);
    const id = p.add(q.after.traceId);
    after = `WHERE (${key} < ${k} OR (${key} = ${k} AND trace_id < ${id}))`;
  }
  const limit = Math.max(1, Math.min(10_000, Math.floor(q.limit)));
  const page = await db.rows(`SELECT * FROM (${cand}) ${after} ORDER BY ${key} DESC, trace_id DESC LIMIT ${lit(limit)}`, p.values);
  if (page.length === 0) {
    return [];
  }
  // The page's details: names, models and counts from the trace rollup, the first 50 spans from
  // the spans. Every row of a page trace starts within [earliest start, latest end] of the page,
  // which keeps both reads to the row groups of that time.
  const lo2 = page.reduce((m, r) => (big(r.start_ns) < m ? big(r.start_ns) : m), big(page[0]!.start_ns));
  const hi2 = page.reduce((m, r) => (big(r.end_ns) > m ? big(r.end_ns) : m), big(page[0]!.end_ns));
  const idParams = new Params();
  const list = page.map((r) => idParams.add(str(r.trace_id))).join(', ');
  const details = await db.rows(
    `SELECT trace_id,
       coalesce(arg_min(root_name, root_start_ns), arg_min(first_name, first_start_ns)) AS root_name,
       coalesce(arg_min(root_service, root_start_ns), arg_min(first_service, first_start_ns)) AS root_service,
       list_sort(list_distinct(flatten(list(${setToList('shown_models')})))) AS models,
       sum(span_n) AS span_count, sum(err_n) AS error_count, sum(in_sum) AS input_tokens, sum(out_sum) AS output_tokens
     FROM ${TRACE_ROLLUP}
     WHERE max_start_ns >= ${lit(lo2)} AND min_start_ns <= ${lit(hi2)} AND trace_id IN (${list})
     GROUP BY trace_id`,
    idParams.values
  );
  const spans = await db.rows(
    `SELECT trace_id, list(struct_pack(s := span_id, p := parent_span_id, st := start_ns, d := duration_ns, k := span_kind, c := status_code)
             ORDER BY start_ns, span_id)[1:50] AS waterfall
     FROM spans WHERE start_ns >= ${lit(lo2)} AND start_ns <= ${lit(hi2)} AND trace_id IN (${list})
     GROUP BY trace_id`,
    idParams.values
  );
  const detail = new Map(details.map((d) => [str(d.trace_id), d]));
  const wf = new Map(spans.map((w) => [str(w.trace_id), w.waterfall]));
  return page.map((r) => {
    const id = str(r.trace_id);
    const d = detail.get(id) ?? {};
    return {
      traceId: id,
      startNs: big(r.start_ns),
      endNs: big(r.end_ns),
      rootName: str(d.root_name),
      rootService: str(d.root_service),
      models: Array.isArray(d.models) ? d.models.filter((m) => m !== null).map(String) : [],
      spanCount: Number(d.span_count ?? 0),
      errorCount: Number(d.error_count ?? 0),
      inputTokens: Number(d.input_tokens ?? 0),
      outputTokens: Number(d.output_tokens ?? 0),
      costMicros: num(r.cost_micros),
      waterfall: (Array.isArray(wf.get(id)) ? (wf.get(id) as Array<Record<string, unknown>>) : []).map(
        (w): WaterfallSpan => ({
          spanId: str(w.s),
          parentSpanId: str(w.p),
          startNs: big(w.st),
          durationNs: big(w.d),
          spanKind: str(w.k),
          statusCode: Number(w.c),
        })
      ),
    };
  });
}

export async function traceStats(db: SqlReader, q: Window): Promise<TraceStats> {
  const p = new Params();
  const { sql: cand } = await candidatesSql(db, q, p, {
    rollup: `, sum(span_n) AS spans, sum(err_n) AS errors, sum(in_sum) AS input_tokens, sum(out_sum) AS output_tokens`,
    raw: `, count(*) AS spans, count(*) FILTER (WHERE status_code = 2) AS errors, coalesce(sum(input_tokens), 0) AS input_tokens,
       coalesce(sum(output_tokens), 0) AS output_tokens`,
  });
  const rows = await db.rows(
    `WITH cand AS (${cand}), d AS (SELECT *, (end_ns - start_ns)::DOUBLE / 1e6 AS ms FROM cand)
     SELECT count(*) AS traces, count(*) FILTER (WHERE errors > 0) AS error_traces, coalesce(sum(spans), 0) AS spans,
       avg(ms) AS avg_ms, quantile_cont(ms, [0.5, 0.9, 0.95, 0.99]) AS qs, max(ms) AS max_ms,
       coalesce(sum(input_tokens), 0) AS input_tokens, coalesce(sum(output_tokens), 0) AS output_tokens,
       coalesce(sum(cost_micros), 0) AS cost_micros
     FROM d`,
    p.values
  );
  return traceStatsOf(rows[0] ?? {});
}

/** TraceStats from the one row of either engine's stats query (qs: p50, p90, p95, p99). */
export function traceStatsOf(r: Record<string, unknown>): TraceStats {
  const traces = Number(r.traces ?? 0);
  // Without traces, quantiles are NULL on DuckDB and 0 on ClickHouse: none either way.
  const qs = traces > 0 && Array.isArray(r.qs) ? r.qs.map((x) => num(x)) : [null, null, null, null];
  return {
    traceCount: traces,
    errorTraceCount: Number(r.error_traces ?? 0),
    spanCount: Number(r.spans ?? 0),
    durationMs: { avg: num(r.avg_ms), p50: qs[0] ?? null, p90: qs[1] ?? null, p95: qs[2] ?? null, p99: qs[3] ?? null, max: num(r.max_ms) },
    inputTokens: Number(r.input_tokens ?? 0),
    outputTokens: Number(r.output_tokens ?? 0),
    costMicros: Number(r.cost_micros ?? 0),
  };
}

// ---------------------------------------------------------------------------------------------
// Aggregate engine (metrics and costs)

export const LLM_KINDS = `('llm', 'embedding', 'reranker')`;

/** Raw span expression of each rollup value (must match rollups.ts). */
export const RAW_VALUE: Record<string, string> = Object.fromEntries(ROLLUP_VALUES.map((v) => [v.prefix, v.sql]));

const RAW_DIM: Record<string, string> = {
  service: 'service',
  provider: "coalesce(provider, '')",
  model: "CASE WHEN coalesce(response_model, '') <> '' THEN response_model ELSE coalesce(request_model, '') END",
  operation: "coalesce(operation, '')",
  span_kind: 'span_kind',
  user: "coalesce(user_id, '')",
  session: "coalesce(session_id, '')",
  agent: "coalesce(agent_name, '')",
  tool: "coalesce(tool_name, '')",
};
const ROLLUP_DIM: Record<string, string> = {
  service: 'service',
  provider: 'provider',
  model: "CASE WHEN response_model <> '' THEN response_model ELSE request_model END",
  operation: 'operation',
  span_kind: 'span_kind',
};

export function isQuantile(fn: AggFn): fn is { quantile: number } {
  return typeof fn === 'object';
}

export type Part = { source: 'raw'; fromNs: bigint; toNs: bigint } | { source: 'rollup'; level: RollupLevel; fromNs: bigint; toNs: bigint };

const aligned = (ns: bigint, ms: number) => ns % (BigInt(ms) * MS_NS) === 0n;
const ceilTo = (ns: bigint, ms: number) => {
  const u = BigInt(ms) * MS_NS;
  return ((ns + u - 1n) / u) * u;
};
const floorTo = (ns: bigint, ms: number) => {
  const u = BigInt(ms) * MS_NS;
  return (ns / u) * u;
};

/** Which source answers which part of the range: the coarsest rollup that fits, raw for the rest. */
export function planAggregate(q: AggregateQuery): Part[] {
  const raw: Part[] = [{ source: 'raw', fromNs: q.fromNs, toNs: q.toNs }];
  const needsRaw =
    q.measures.some((m) => 'fn' in m && isQuantile(m.fn)) ||
    q.groupBy.some((g) => !(g in ROLLUP_DIM)) ||
    !rollupCanFilter(q.filter) ||
    (q.stepMs !== undefined && q.stepMs % FINEST.ms !== 0);
  if (needsRaw) {
    return raw;
  }
  if (q.stepMs !== undefined) {
    // Step buckets must be whole rollup buckets, and so must the range (aligned to the step).
    const level = ROLLUP_LEVELS.find((l) => q.stepMs! % l.ms === 0 && aligned(q.fromNs, l.ms) && aligned(q.toNs, l.ms));
    return level ? [{ source: 'rollup', level, fromNs: q.fromNs, toNs: q.toNs }] : raw;
  }
  // No step: whole coarse buckets in the middle, finer ones towards the edges, raw at the very edges.
  const parts: Part[] = [];
  const split = (fromNs: bigint, toNs: bigint, li: number): void => {
    if (fromNs >= toNs) {
      return;
    }
    const level = ROLLUP_LEVELS[li];
    if (!level) {
      parts.push({ source: 'raw', fromNs, toNs });
      return;
    }
    const a = ceilTo(fromNs, level.ms);
    const b = floorTo(toNs, level.ms);
    if (a >= b) {
      split(fromNs, toNs, li + 1);
      return;
    }
    split(fromNs, a, li + 1);
    parts.push({ source: 'rollup', level, fromNs: a, toNs: b });
    split(b, toNs, li + 1);
  };
  split(q.fromNs, q.toNs, 0);
  return parts;
}

interface MeasureSql {
  /** Partial aggregates (multi-part queries) and how they combine. */
  partials: string[];
  final: string;
  /** The value in one step (single-part queries). */
  direct: string;
}

/** SQL of one measure over one source. */
function measureSql(m: Measure, i: number, source: 'rollup' | 'raw'): MeasureSql {
  const c = (s: string) => `m${i}_${s}`;
  const r = source === 'rollup';
  const count = (rollupCol: string, rawExpr: string): MeasureSql => {
    const e = r ? `sum(${rollupCol})` : rawExpr;
    return { partials: [`${e} AS ${c('n')}`], final: `coalesce(sum(${c('n')}), 0)`, direct: `coalesce(${e}, 0)` };
  };
  switch (m.metric) {
    case 'requests':
      return count('n', 'count(*)');
    case 'errors':
      return count('err_n', 'count(*) FILTER (WHERE status_code = 2)');
    case 'usage':
      return count('usage_n', 'count(cost_source)');
    case 'unpriced':
      return count('unpriced_n', "count(*) FILTER (WHERE cost_source = 'unknown')");
    case 'error_rate': {
      const e = r ? 'sum(err_n)' : 'count(*) FILTER (WHERE status_code = 2)';
      const n = r ? 'sum(n)' : 'count(*)';
      return {
        partials: [`${e} AS ${c('e')}`, `${n} AS ${c('n')}`],
        final: `sum(${c('e')})::DOUBLE / nullif(sum(${c('n')}), 0)`,
        direct: `${e}::DOUBLE / nullif(${n}, 0)`,
      };
    }
  }
  const x = RAW_VALUE[m.metric]!;
  const v = m.metric;
  const fn = m.fn;
  if (isQuantile(fn)) {
    // Raw only (planAggregate): exact quantile_cont over the span values.
    const e = `quantile_cont((${x})::DOUBLE, ${fn.quantile})`;
    return { partials: [`${e} AS ${c('q')}`], final: `any_value(${c('q')})`, direct: e };
  }
  const sum = r ? `sum(${v}_sum)` : `sum(${x})`;
  const cnt = r ? `sum(${v}_n)` : `count(${x})`;
  switch (fn) {
    case 'sum':
      return { partials: [`${sum} AS ${c('s')}`], final: `coalesce(sum(${c('s')}), 0)`, direct: `coalesce(${sum}, 0)` };
    case 'count':
      return { partials: [`${cnt} AS ${c('c')}`], final: `coalesce(sum(${c('c')}), 0)`, direct: `coalesce(${cnt}, 0)` };
    case 'avg':
      return {
        partials: [`${sum} AS ${c('s')}`, `${cnt} AS ${c('c')}`],
        final: `sum(${c('s')})::DOUBLE / nullif(sum(${c('c')}), 0)`,
        direct: `${sum}::DOUBLE / nullif(${cnt}, 0)`,
      };
    case 'min': {
      const e = `min(${r ? `${v}_min` : x})`;
      return { partials: [`${e} AS ${c('mn')}`], final: `min(${c('mn')})`, direct: e };
    }
    case 'max': {
      const e = `max(${r ? `${v}_max` : x})`;
      return { partials: [`${e} AS ${c('mx')}`], final: `max(${c('mx')})`, direct: e };
    }
  }
}

function dimSql(g: string, source: 'rollup' | 'raw', p: Params): string {
  if (source === 'rollup') {
    return ROLLUP_DIM[g]!;
  }
  if (g.startsWith('attr.')) {
    return `coalesce(json_extract_string(attributes, ${p.add(attrPath(g.slice(5)))}), '')`;
  }
  const d = RAW_DIM[g];
  if (!d) {
    throw new Error(`unknown dimension ${g}`);
  }
  return d;
}

/** SELECT of one part: keys, then per measure the direct values (single) or partials (multi). */
function partSql(q: AggregateQuery, part: Part, p: Params, single: boolean): string {
  const r = part.source === 'rollup';
  const cols: string[] = [];
  if (q.stepMs !== undefined) {
    const step = lit(q.stepMs);
    cols.push(r ? `(bucket_ms // ${step}) * ${step} AS b` : `(start_ns // ${lit(BigInt(q.stepMs) * MS_NS)}) * ${step} AS b`);
  }
  q.groupBy.forEach((g, i) => cols.push(`${dimSql(g, part.source, p)} AS g${i}`));
  q.measures.forEach((m, i) => {
    const s = measureSql(m, i, part.source);
    cols.push(...(single ? [`(${s.direct})::DOUBLE AS v${i}`] : s.partials));
  });
  cols.push(r ? 'sum(n)::DOUBLE AS __n' : 'count(*)::DOUBLE AS __n');
  const where: string[] = r
    ? [`bucket_ms >= ${lit(part.fromNs / MS_NS)}`, `bucket_ms < ${lit(part.toNs / MS_NS)}`]
    : [`start_ns >= ${lit(part.fromNs)}`, `start_ns < ${lit(part.toNs)}`];
  if (q.spans === 'llm') {
    where.push(`span_kind IN ${LLM_KINDS}`);
  } else if (q.spans === 'root') {
    where.push(r ? 'is_root' : "parent_span_id = ''");
  }
  if (q.filter) {
    where.push(compileSearch(q.filter, r ? 'rollup' : 'span', p));
  }
  const hasKeys = q.stepMs !== undefined || q.groupBy.length > 0;
  const table = part.source === 'rollup' ? part.level.table : 'spans';
  // An erasure leaves negative rollup rows: a group whose spans were all erased sums to n = 0
  // and must not show up as a series (or take a top-N slot).
  const having = hasKeys && r ? ' HAVING sum(n) <> 0' : '';
  return `SELECT ${cols.join(', ')} FROM ${table} WHERE ${where.join(' AND ')}${hasKeys ? ` GROUP BY ALL${having}` : ''}`;
}

export async function aggregate(db: SqlReader, q: AggregateQuery): Promise<AggregateResult> {
  const parts = planAggregate(q);
  const p = new Params();
  const keyCols = [...(q.stepMs !== undefined ? ['b'] : []), ...q.groupBy.map((_, i) => `g${i}`)];
  const groupCols = q.groupBy.map((_, i) => `g${i}`);
  let agg: string;
  if (parts.length === 1) {
    agg = partSql(q, parts[0]!, p, true);
  } else {
    const finals = q.measures.map((m, i) => `(${measureSql(m, i, 'raw').final})::DOUBLE AS v${i}`);
    const union = parts.map((part) => partSql(q, part, p, false)).join('\nUNION ALL BY NAME\n');
    agg = `SELECT ${[...keyCols, ...finals, 'sum(__n) AS __n'].join(', ')} FROM (${union})${keyCols.length ? ` GROUP BY ${keyCols.join(', ')}` : ''}`;
  }
  // Time series come back as one row per group with lists of buckets and values: far fewer
  // values to convert than one row per bucket.
  const stepped = q.stepMs !== undefined;
  const vcols = q.measures.map((_, i) => `v${i}`);
  const outer = (from: string) =>
    stepped
      ? `SELECT ${[...groupCols, 'list(b::DOUBLE ORDER BY b) AS b', ...vcols.map((v) => `list(${v} ORDER BY b) AS ${v}`), 'sum(__n) AS __n'].join(', ')}
         FROM ${from}${groupCols.length ? ` GROUP BY ${groupCols.join(', ')}` : ''}`
      : `SELECT * FROM ${from}`;
  let sql: string;
  const limited = groupCols.length > 0 && q.maxGroups !== undefined;
  if (limited) {
    const rank = q.rankBy !== undefined ? `sum(v${lit(q.rankBy)})` : 'sum(__n)';
    sql = `WITH agg AS MATERIALIZED (${agg}),
      groups AS (SELECT ${groupCols.join(', ')}, ${rank} AS __rank FROM agg GROUP BY ALL),
      top AS (SELECT ${groupCols.join(', ')} FROM groups ORDER BY __rank DESC NULLS LAST, ${groupCols.join(', ')} LIMIT ${lit(q.maxGroups!)}),
      kept AS (SELECT agg.* FROM agg SEMI JOIN top USING (${groupCols.join(', ')}))
      SELECT *, (SELECT count(*) FROM groups) AS __groups FROM (${outer('kept')})`;
  } else {
    sql = `WITH agg AS (${agg}) ${outer('agg')}`;
  }
  const rows = await db.rows(sql, p.values);
  const out: AggregateRow[] = [];
  for (const r of rows) {
    const labels = q.groupBy.map((_, i) => str(r[`g${i}`]));
    if (stepped) {
      const bs = (r.b ?? []) as number[];
      const vs = vcols.map((v) => (r[v] ?? []) as Array<number | null>);
      bs.forEach((b, k) => out.push({ bucketMs: Number(b), labels, values: vs.map((x) => num(x[k])) }));
    } else if (keyCols.length > 0 || Number(r.__n ?? 0) > 0) {
      // An aggregate over no rows at all (no GROUP BY) still yields one row; drop it when empty.
      out.push({ bucketMs: null, labels, values: vcols.map((v) => num(r[v])) });
    }
  }
  return aggregateResult(out, parts, groupCols.length, limited ? Number(rows[0]?.__groups ?? 0) : null);
}

/** The result of an aggregate's rows; `limitedGroups`: the group count before a maxGroups limit. */
export function aggregateResult(out: AggregateRow[], parts: readonly Part[], groupCols: number, limitedGroups: number | null): AggregateResult {
  let groupCount: number;
  if (groupCols === 0) {
    groupCount = out.length ? 1 : 0;
  } else if (limitedGroups !== null) {
    groupCount = limitedGroups;
  } else {
    groupCount = new Set(out.map((r) => r.labels.join('\u0000'))).size;
  }
  const sources = new Set(parts.map((x) => x.source));
  return { rows: out, source: sources.size > 1 ? 'rollup+raw' : parts[0]!.source, groupCount };
}

// ---------------------------------------------------------------------------------------------
// Budgets

export const BUDGETS_DDL = `CREATE TABLE IF NOT EXISTS budgets (
  id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, scope_dimension VARCHAR, scope_value VARCHAR,
  period VARCHAR NOT NULL, amount_micros BIGINT NOT NULL, alert_threshold DOUBLE NOT NULL,
  created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL)`;

const ts = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');
const date = (v: unknown) => (v instanceof Date ? v : new Date(`${String(v).replace(' ', 'T')}Z`));

export async function listBudgets(db: SqlReader): Promise<BudgetRecord[]> {
  const rows = await db.rows('SELECT * FROM budgets ORDER BY created_at, id');
  return rows.map((r) => ({
    id: str(r.id),
    name: str(r.name),
    scope: r.scope_dimension === null || r.scope_dimension === undefined ? null : { dimension: str(r.scope_dimension), value: str(r.scope_value) },
    period: str(r.period) as BudgetRecord['period'],
    amountMicros: big(r.amount_micros),
    alertThreshold: Number(r.alert_threshold),
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  }));
}

/** INSERT OR REPLACE of one budget: statement and parameters (run on the writer). */
export function putBudgetSql(b: BudgetRecord): { sql: string; values: DuckDBValue[] } {
  return {
    sql: `INSERT OR REPLACE INTO budgets VALUES ($1, $2, $3, $4, $5, $6, $7, $8::TIMESTAMP, $9::TIMESTAMP)`,
    values: [
      b.id,
      b.name,
      b.scope?.dimension ?? null,
      b.scope?.value ?? null,
      b.period,
      b.amountMicros,
      b.alertThreshold,
      ts(b.createdAt),
      ts(b.updatedAt),
    ],
  };
}
