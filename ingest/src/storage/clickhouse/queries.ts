// Trace search, trace stats and the aggregate engine on ClickHouse, with the results of the
// DuckDB versions (storage/queries.ts): the same candidate window, the same plan of rollup and
// raw parts (planAggregate), exact interpolated percentiles (quantileExactInclusive is
// quantile_cont's linear interpolation, R type 7).
//
// ClickHouse resolves an alias before a column of the same name, so aggregate aliases here
// never reuse a column name (t_start, not start_ns).
import {
  aggregateResult,
  big,
  isQuantile,
  LLM_KINDS,
  lookaroundFromLongestRoot,
  MS_NS,
  num,
  planAggregate,
  RAW_VALUE,
  str,
  traceStatsOf,
  type Part,
} from '../queries.js';
import { lit } from '../searchSql.js';
import type { AggregateQuery, AggregateResult, AggregateRow, Measure, TraceSearch, TraceStats, TraceSummary, WaterfallSpan } from '../types.js';
import { attrText, CHParams, compileSearchCH, tracePrefilterCH } from './searchSql.js';

export interface CHReader {
  rows(sql: string, params?: Record<string, string | number>): Promise<Array<Record<string, unknown>>>;
  /** Fully qualified name of a table (database.name). */
  t(name: string): string;
}

type Window = Omit<TraceSearch, 'limit' | 'sortBy' | 'after'>;

/** As in DuckDB: the longest root span within a day of the range (hourly rollup) plus a minute, at most 24 h. */
async function lookaroundNs(db: CHReader, fromNs: bigint, toNs: bigint): Promise<bigint> {
  const day = 86_400_000n;
  const r = await db.rows(
    `SELECT maxOrNull(dur_max) AS m FROM ${db.t('rollup_1h')} WHERE is_root AND bucket_ms >= ${lit(fromNs / MS_NS - day)} AND bucket_ms <= ${lit(toNs / MS_NS + day)}`
  );
  return lookaroundFromLongestRoot(r[0]?.m);
}

/** Candidate traces: trace_id, t_start, t_end, t_cost (+ extra) grouped from the spans. */
async function candidatesSql(db: CHReader, q: Window, p: CHParams, extra = ''): Promise<string> {
  const around = await lookaroundNs(db, q.fromNs, q.toNs);
  const lo = q.fromNs - around;
  const hi = q.toNs + around;
  const from = p.int(q.fromNs);
  const to = p.int(q.toNs);
  const filter = compileSearchCH(q.where, 'trace', p);
  const window = `start_ns >= ${lit(lo)} AND start_ns <= ${lit(hi)}`;
  const pre = tracePrefilterCH(q.where, p);
  const spans = db.t('spans');
  return `SELECT trace_id, min(start_ns) AS t_start, max(end_ns) AS t_end, if(count(cost_micros) > 0, sum(cost_micros), NULL) AS t_cost${extra}
    FROM ${spans}
    WHERE ${window}${pre ? ` AND trace_id IN (SELECT trace_id FROM ${spans} WHERE ${window} AND ${pre})` : ''}
    GROUP BY trace_id
    HAVING min(start_ns) <= ${to} AND max(start_ns) >= ${from} AND ${filter}`;
}

function sortSql(sortBy: TraceSearch['sortBy']): string {
  return sortBy === 'time' ? 't_start' : sortBy === 'duration' ? '(t_end - t_start)' : 'coalesce(t_cost, -1)';
}

export async function searchTraces(db: CHReader, q: TraceSearch): Promise<TraceSummary[]> {
  const p = new CHParams();
  const cand = await candidatesSql(db, q, p);
  const key = sortSql(q.sortBy);
  let after = '';
  if (q.after) {
    const k = p.int(q.after.key);
    const id = p.str(q.after.traceId);
    after = `WHERE (${key} < ${k} OR (${key} = ${k} AND trace_id < ${id}))`;
  }
  const limit = Math.max(1, Math.min(10_000, Math.floor(q.limit)));
  const page = await db.rows(`SELECT trace_id, t_start, t_end, t_cost FROM (${cand}) ${after} ORDER BY ${key} DESC, trace_id DESC LIMIT ${lit(limit)}`, p.values);
  if (page.length === 0) {
    return [];
  }
  // Every span of a page trace starts within [earliest start, latest end] of the page.
  const lo2 = page.reduce((m, r) => (big(r.t_start) < m ? big(r.t_start) : m), big(page[0]!.t_start));
  const hi2 = page.reduce((m, r) => (big(r.t_end) > m ? big(r.t_end) : m), big(page[0]!.t_end));
  const ids = new CHParams();
  const list = page.map((r) => ids.str(str(r.trace_id))).join(', ');
  const details = await db.rows(
    `SELECT trace_id,
       if(countIf(parent_span_id = '') > 0, argMinIf(name, (start_ns, span_id), parent_span_id = ''), argMin(name, (start_ns, span_id))) AS root_name,
       if(countIf(parent_span_id = '') > 0, argMinIf(service, (start_ns, span_id), parent_span_id = ''), argMin(service, (start_ns, span_id))) AS root_service,
       arraySort(groupUniqArray(coalesce(response_model, request_model))) AS shown_models,
       count() AS span_count, countIf(status_code = 2) AS error_count,
       sum(coalesce(input_tokens, 0)) AS in_tokens, sum(coalesce(output_tokens, 0)) AS out_tokens,
       arraySlice(arraySort(w -> (w.3, w.1), groupArray((span_id, parent_span_id, start_ns, duration_ns, span_kind, status_code))), 1, 50) AS waterfall
     FROM ${db.t('spans')}
     WHERE start_ns >= ${lit(lo2)} AND start_ns <= ${lit(hi2)} AND trace_id IN (${list})
     GROUP BY trace_id`,
    ids.values
  );
  const detail = new Map(details.map((d) => [str(d.trace_id), d]));
  return page.map((r) => {
    const id = str(r.trace_id);
    const d = detail.get(id) ?? {};
    const wf = Array.isArray(d.waterfall) ? (d.waterfall as unknown[][]) : [];
    return {
      traceId: id,
      startNs: big(r.t_start),
      endNs: big(r.t_end),
      rootName: str(d.root_name),
      rootService: str(d.root_service),
      models: Array.isArray(d.shown_models) ? d.shown_models.map(String) : [],
      spanCount: Number(d.span_count ?? 0),
      errorCount: Number(d.error_count ?? 0),
      inputTokens: Number(d.in_tokens ?? 0),
      outputTokens: Number(d.out_tokens ?? 0),
      costMicros: num(r.t_cost),
      waterfall: wf.map(
        (w): WaterfallSpan => ({
          spanId: str(w[0]),
          parentSpanId: str(w[1]),
          startNs: big(w[2]),
          durationNs: big(w[3]),
          spanKind: str(w[4]),
          statusCode: Number(w[5]),
        })
      ),
    };
  });
}

export async function traceStats(db: CHReader, q: Window): Promise<TraceStats> {
  const p = new CHParams();
  const cand = await candidatesSql(
    db,
    q,
    p,
    `, count() AS t_spans, countIf(status_code = 2) AS t_errors, sum(coalesce(input_tokens, 0)) AS t_in, sum(coalesce(output_tokens, 0)) AS t_out`
  );
  const rows = await db.rows(
    `SELECT count() AS traces, countIf(t_errors > 0) AS error_traces, sum(t_spans) AS spans,
       avgOrNull(ms) AS avg_ms, quantilesExactInclusive(0.5, 0.9, 0.95, 0.99)(ms) AS qs, maxOrNull(ms) AS max_ms,
       sum(t_in) AS input_tokens, sum(t_out) AS output_tokens, sum(coalesce(t_cost, 0)) AS cost_micros
     FROM (SELECT *, (t_end - t_start) / 1e6 AS ms FROM (${cand}))`,
    p.values
  );
  return traceStatsOf(rows[0] ?? {});
}

// ---------------------------------------------------------------------------------------------
// Aggregate engine


const RAW_DIM: Record<string, string> = {
  service: 'service',
  provider: "coalesce(provider, '')",
  model: "if(coalesce(response_model, '') <> '', assumeNotNull(response_model), coalesce(request_model, ''))",
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
  model: "if(response_model <> '', response_model, request_model)",
  operation: 'operation',
  span_kind: 'span_kind',
};


interface MeasureSql {
  partials: string[];
  final: string;
  direct: string;
}

function measureSql(m: Measure, i: number, source: 'rollup' | 'raw'): MeasureSql {
  const c = (s: string) => `m${i}_${s}`;
  const r = source === 'rollup';
  const count = (rollupCol: string, rawExpr: string): MeasureSql => {
    const e = r ? `sum(${rollupCol})` : rawExpr;
    return { partials: [`${e} AS ${c('n')}`], final: `sum(${c('n')})`, direct: e };
  };
  switch (m.metric) {
    case 'requests':
      return count('n', 'count()');
    case 'errors':
      return count('err_n', 'countIf(status_code = 2)');
    case 'usage':
      return count('usage_n', 'count(cost_source)');
    case 'unpriced':
      return count('unpriced_n', "countIf(cost_source = 'unknown')");
    case 'error_rate': {
      const e = r ? 'sum(err_n)' : 'countIf(status_code = 2)';
      const n = r ? 'sum(n)' : 'count()';
      return {
        partials: [`${e} AS ${c('e')}`, `${n} AS ${c('n')}`],
        final: `sum(${c('e')}) / nullIf(sum(${c('n')}), 0)`,
        direct: `${e} / nullIf(${n}, 0)`,
      };
    }
  }
  const x = RAW_VALUE[m.metric]!;
  const v = m.metric;
  const fn = m.fn;
  if (isQuantile(fn)) {
    // Raw only (planAggregate); quantile_cont's definition.
    const e = `quantileExactInclusiveOrNull(${fn.quantile})(toFloat64(${x}))`;
    return { partials: [`${e} AS ${c('q')}`], final: `any(${c('q')})`, direct: e };
  }
  // Int128: a sum of Int64 values wraps in ClickHouse (durations of spans that start in 1970).
  const sum = r ? `sum(${v}_sum)` : `sum(toInt128(coalesce(${x}, 0)))`;
  const cnt = r ? `sum(${v}_n)` : `count(${x})`;
  switch (fn) {
    case 'sum':
      return { partials: [`${sum} AS ${c('s')}`], final: `sum(${c('s')})`, direct: sum };
    case 'count':
      return { partials: [`${cnt} AS ${c('c')}`], final: `sum(${c('c')})`, direct: cnt };
    case 'avg':
      return {
        partials: [`${sum} AS ${c('s')}`, `${cnt} AS ${c('c')}`],
        final: `sum(${c('s')}) / nullIf(sum(${c('c')}), 0)`,
        direct: `${sum} / nullIf(${cnt}, 0)`,
      };
    case 'min': {
      const e = `minOrNull(${r ? `${v}_min` : x})`;
      return { partials: [`${e} AS ${c('mn')}`], final: `minOrNull(${c('mn')})`, direct: e };
    }
    case 'max': {
      const e = `maxOrNull(${r ? `${v}_max` : x})`;
      return { partials: [`${e} AS ${c('mx')}`], final: `maxOrNull(${c('mx')})`, direct: e };
    }
  }
}

function dimSql(g: string, source: 'rollup' | 'raw', p: CHParams): string {
  if (source === 'rollup') {
    return ROLLUP_DIM[g]!;
  }
  if (g.startsWith('attr.')) {
    return `coalesce(${attrText(g.slice(5), p)}, '')`;
  }
  const d = RAW_DIM[g];
  if (!d) {
    throw new Error(`unknown dimension ${g}`);
  }
  return d;
}

function partSql(db: CHReader, q: AggregateQuery, part: Part, p: CHParams, single: boolean): string {
  const r = part.source === 'rollup';
  const cols: string[] = [];
  const keys: string[] = [];
  if (q.stepMs !== undefined) {
    const step = lit(q.stepMs);
    cols.push(r ? `intDiv(bucket_ms, ${step}) * ${step} AS b` : `intDiv(start_ns, ${lit(BigInt(q.stepMs) * MS_NS)}) * ${step} AS b`);
    keys.push('b');
  }
  q.groupBy.forEach((g, i) => {
    cols.push(`${dimSql(g, part.source, p)} AS g${i}`);
    keys.push(`g${i}`);
  });
  q.measures.forEach((m, i) => {
    const s = measureSql(m, i, part.source);
    cols.push(...(single ? [`toFloat64(${s.direct}) AS v${i}`] : s.partials));
  });
  cols.push(r ? 'toFloat64(sum(n)) AS n__' : 'toFloat64(count()) AS n__');
  const where: string[] = r
    ? [`bucket_ms >= ${lit(part.fromNs / MS_NS)}`, `bucket_ms < ${lit(part.toNs / MS_NS)}`]
    : [`start_ns >= ${lit(part.fromNs)}`, `start_ns < ${lit(part.toNs)}`];
  if (q.spans === 'llm') {
    where.push(`span_kind IN ${LLM_KINDS}`);
  } else if (q.spans === 'root') {
    where.push(r ? 'is_root' : "parent_span_id = ''");
  }
  if (q.filter) {
    where.push(compileSearchCH(q.filter, r ? 'rollup' : 'span', p));
  }
  const table = part.source === 'rollup' ? db.t(part.level.table) : db.t('spans');
  return `SELECT ${cols.join(', ')} FROM ${table} WHERE ${where.join(' AND ')}${keys.length ? ` GROUP BY ${keys.join(', ')}` : ''}`;
}

export async function aggregate(db: CHReader, q: AggregateQuery): Promise<AggregateResult> {
  const parts = planAggregate(q);
  const p = new CHParams();
  const keyCols = [...(q.stepMs !== undefined ? ['b'] : []), ...q.groupBy.map((_, i) => `g${i}`)];
  const groupCols = q.groupBy.map((_, i) => `g${i}`);
  const vcols = q.measures.map((_, i) => `v${i}`);
  let agg: string;
  if (parts.length === 1) {
    agg = partSql(db, q, parts[0]!, p, true);
  } else {
    // Every part selects the same columns in the same order, so UNION ALL lines them up.
    const finals = q.measures.map((m, i) => `toFloat64(${measureSql(m, i, 'raw').final}) AS v${i}`);
    const union = parts.map((part) => partSql(db, q, part, p, false)).join('\nUNION ALL\n');
    agg = `SELECT ${[...keyCols, ...finals, 'sum(n__) AS n__'].join(', ')} FROM (${union})${keyCols.length ? ` GROUP BY ${keyCols.join(', ')}` : ''}`;
  }
  const select = `${keyCols.join(', ')}${keyCols.length ? ', ' : ''}${vcols.join(', ')}, n__`;
  let sql: string;
  const limited = groupCols.length > 0 && q.maxGroups !== undefined;
  if (limited) {
    const rank = q.rankBy !== undefined ? `sum(v${lit(q.rankBy)})` : 'sum(n__)';
    const g = groupCols.join(', ');
    sql = `WITH agg AS (${agg})
      SELECT ${select}, (SELECT count() FROM (SELECT ${g} FROM agg GROUP BY ${g})) AS groups__ FROM agg
      WHERE (${g}) IN (SELECT ${g} FROM (SELECT ${g}, ${rank} AS rank__ FROM agg GROUP BY ${g}) ORDER BY rank__ DESC NULLS LAST, ${g} LIMIT ${lit(q.maxGroups!)})`;
  } else {
    sql = `SELECT ${select} FROM (${agg})`;
  }
  const rows = await db.rows(sql, p.values);
  const out: AggregateRow[] = [];
  for (const r of rows) {
    const labels = q.groupBy.map((_, i) => str(r[`g${i}`]));
    if (q.stepMs !== undefined) {
      out.push({ bucketMs: Number(r.b), labels, values: vcols.map((v) => num(r[v])) });
    } else if (keyCols.length > 0 || Number(r.n__ ?? 0) > 0) {
      out.push({ bucketMs: null, labels, values: vcols.map((v) => num(r[v])) });
    }
  }
  // The same row order as DuckDB's: by group, then bucket.
  out.sort((a, b) => {
    const la = a.labels.join('\u0000');
    const lb = b.labels.join('\u0000');
    return la < lb ? -1 : la > lb ? 1 : (a.bucketMs ?? 0) - (b.bucketMs ?? 0);
  });
  return aggregateResult(out, parts, groupCols.length, limited ? Number(rows[0]?.groups__ ?? 0) : null);
}
