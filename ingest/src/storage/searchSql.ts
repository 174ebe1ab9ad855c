// Compiles the search AST (src/search/parser.ts) to DuckDB SQL with every user value bound as a
// parameter. Three targets:
//   trace  - a HAVING condition over the spans of one trace (GROUP BY trace_id): span-level
//            terms hold when ANY span matches (bool_or); status/duration/cost/tokens are
//            trace totals (any error, extent, sum of costs, sum of input+output tokens).
//   span   - a WHERE condition on single spans (metrics and cost filters): every term is
//            evaluated on the span itself.
//   rollup - a WHERE condition on the time rollup tables; only service, provider, model,
//            operation and kind can be answered there (RollupUnsupported otherwise).
//   traceRollup - a HAVING condition over the partial rows of one trace in trace_rollup:
//            like `trace`, for every term but name and attributes (RollupUnsupported).
import type { DuckDBValue } from '@duckdb/node-api';
import type { Cmp, SearchExpr, StringField, Term } from '../search/parser.js';
import { setMember } from './rollups.js';

export class Params {
  readonly values: DuckDBValue[] = [];
  add(v: DuckDBValue): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

/** An integer computed by the server (never user text), inlined so the planner sees a constant. */
export function lit(n: number | bigint): string {
  if (typeof n === 'number' && !Number.isSafeInteger(n)) {
    throw new Error(`not an integer literal: ${n}`);
  }
  return String(n);
}

export class RollupUnsupported extends Error {
  constructor(what: string) {
    super(`the rollup cannot answer ${what}`);
    this.name = 'RollupUnsupported';
  }
}

export type SearchTarget = 'trace' | 'span' | 'rollup' | 'traceRollup';

/** LIKE pattern for a `*`/`?` glob, escaped with backslash. */
export function globToLike(glob: string): string {
  return glob.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%').replace(/\?/g, '_');
}

export const isGlob = (v: string): boolean => /[*?]/.test(v);

/** RE2 pattern for a `*`/`?` glob over one member of a \x01-separated set string. */
export function globToRegex(glob: string): string {
  return glob.replace(/[\\^$.|+()[\]{}]/g, (c) => `\\${c}`).replace(/\*/g, '[^\u0001]*').replace(/\?/g, '[^\u0001]');
}

/**
 * JSON Pointer (RFC 6901) selecting one flat attribute key. Not a `$."key"` path: there `*`
 * is a wildcard (attr.* matched every value) and quoting rules vary; a pointer takes any key
 * literally once `~` and `/` are escaped.
 */
export function attrPath(key: string): string {
  return `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/**
 * What counts as a number in an attribute compared with < > <= >=: decimal or exponent notation
 * and nothing else (no spaces, `_`, NaN or Infinity), on both backends; their own casts differ.
 */
export const ATTR_NUMBER_RE = '^[-+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+)?$';
const attrNumberSql = (ex: string) => `CASE WHEN regexp_matches(${ex}, '${ATTR_NUMBER_RE}') THEN TRY_CAST(${ex} AS DOUBLE) END`;

/** Span column of each string field (model and name are special cases); ClickHouse's compiler uses these too. */
export const SPAN_COLUMN: Record<Exclude<StringField, 'model' | 'name'>, string> = {
  service: 'service',
  provider: 'provider',
  operation: 'operation',
  kind: 'span_kind',
  agent: 'agent_name',
  tool: 'tool_name',
  user: 'user_id',
  session: 'session_id',
};
export const ROLLUP_FIELDS = new Set<StringField>(['service', 'provider', 'operation', 'kind', 'model']);
/** Fields stored lower-case by normalization: compare lower-cased. */
export const LOWER_FIELDS = new Set<StringField>(['provider', 'kind']);

function cmpSql(c: Cmp): string {
  return c;
}

function matchSql(column: string, value: string, p: Params): string {
  return isGlob(value) ? `${column} ILIKE ${p.add(globToLike(value))} ESCAPE '\\'` : `${column} = ${p.add(value)}`;
}

/** Condition on one span row (raw table) or one rollup row; may be NULL for NULL columns. */
function rowTermSql(t: Term, target: 'span' | 'rollup', p: Params): string {
  if (target === 'rollup') {
    if (t.kind !== 'match' || !ROLLUP_FIELDS.has(t.field)) {
      throw new RollupUnsupported(t.kind === 'match' ? t.field : t.kind);
    }
  }
  switch (t.kind) {
    case 'match': {
      const v = LOWER_FIELDS.has(t.field) ? t.value.toLowerCase() : t.value;
      if (t.field === 'model') {
        // Case-insensitive on either model; '' is "no model" in the rollup.
        const pat = p.add(globToLike(v));
        const one = (c: string) => (target === 'rollup' ? `(${c} <> '' AND ${c} ILIKE ${pat} ESCAPE '\\')` : `${c} ILIKE ${pat} ESCAPE '\\'`);
        return `(${one('request_model')} OR ${one('response_model')})`;
      }
      if (t.field === 'name') {
        return `name ILIKE ${p.add(`%${globToLike(v)}%`)} ESCAPE '\\'`;
      }
      return matchSql(SPAN_COLUMN[t.field], v, p);
    }
    case 'attr': {
      const ex = `json_extract_string(attributes, ${p.add(attrPath(t.key))})`;
      if (t.cmp === '=') {
        return matchSql(ex, t.value, p);
      }
      // Bound as text and cast: an integral JS number would bind as BIGINT and overflow (1e20).
      return `${attrNumberSql(ex)} ${cmpSql(t.cmp)} CAST(${p.add(String(t.number ?? Number(t.value)))} AS DOUBLE)`;
    }
    case 'status':
      return t.value === 'error' ? 'status_code = 2' : 'status_code <> 2';
    case 'duration':
      return `duration_ns ${cmpSql(t.cmp)} ${p.add(t.ns)}`;
    case 'cost':
      return `cost_micros ${cmpSql(t.cmp)} ${p.add(t.micros)}`;
    case 'tokens':
      return `(coalesce(input_tokens, 0) + coalesce(output_tokens, 0)) ${cmpSql(t.cmp)} ${p.add(t.value)}`;
  }
}

/** trace_rollup list column of each span-level field. */
const TRACE_LIST: Partial<Record<StringField, string>> = {
  service: 'services',
  provider: 'providers',
  model: 'models',
  operation: 'operations',
  kind: 'kinds',
  agent: 'agents',
  tool: 'tools',
  user: 'users',
  session: 'sessions',
};

function traceRollupTermSql(t: Term, p: Params): string {
  switch (t.kind) {
    case 'status':
      return t.value === 'error' ? 'sum(err_n) > 0' : 'sum(err_n) = 0';
    case 'duration':
      return `(max(max_end_ns) - min(min_start_ns)) ${cmpSql(t.cmp)} ${p.add(t.ns)}`;
    case 'cost':
      return `sum(cost_sum) ${cmpSql(t.cmp)} ${p.add(t.micros)}`;
    case 'tokens':
      return `(sum(in_sum) + sum(out_sum)) ${cmpSql(t.cmp)} ${p.add(t.value)}`;
    case 'attr':
      throw new RollupUnsupported('attributes');
    case 'match': {
      const col = TRACE_LIST[t.field];
      if (!col) {
        throw new RollupUnsupported(t.field);
      }
      const v = setMember(LOWER_FIELDS.has(t.field) ? t.value.toLowerCase() : t.value);
      // Set strings are \x01a\x01b\x01. Models are stored lower-cased and match
      // case-insensitively (like the span search); globs always do, never across members.
      const cond = isGlob(v)
        ? `regexp_matches(${col}, ${p.add(`\u0001${globToRegex(v)}\u0001`)}, 'i')`
        : `contains(${col}, ${p.add(`\u0001${t.field === 'model' ? v.toLowerCase() : v}\u0001`)})`;
      return `coalesce(bool_or(${cond}), false)`;
    }
  }
}

function traceTermSql(t: Term, p: Params): string {
  switch (t.kind) {
    case 'status':
      return t.value === 'error' ? 'count(*) FILTER (WHERE status_code = 2) > 0' : 'count(*) FILTER (WHERE status_code = 2) = 0';
    case 'duration':
      return `(max(end_ns) - min(start_ns)) ${cmpSql(t.cmp)} ${p.add(t.ns)}`;
    case 'cost':
      return `coalesce(sum(cost_micros), 0) ${cmpSql(t.cmp)} ${p.add(t.micros)}`;
    case 'tokens':
      return `(coalesce(sum(input_tokens), 0) + coalesce(sum(output_tokens), 0)) ${cmpSql(t.cmp)} ${p.add(t.value)}`;
    default:
      // Span-level: some span of the trace matches.
      return `coalesce(bool_or(${rowTermSql(t, 'span', p)}), false)`;
  }
}

/** SQL boolean for the expression; 'true' for null (no filter). Never NULL-valued. */
export function compileSearch(e: SearchExpr | null, target: SearchTarget, p: Params): string {
  if (e === null) {
    return 'true';
  }
  switch (e.type) {
    case 'and':
      return `(${e.items.map((x) => compileSearch(x, target, p)).join(' AND ')})`;
    case 'or':
      return `(${e.items.map((x) => compileSearch(x, target, p)).join(' OR ')})`;
    case 'not':
      return `(NOT ${compileSearch(e.item, target, p)})`;
    case 'term':
      // coalesce: a NULL column must not turn NOT x into "unknown".
      return target === 'trace'
        ? traceTermSql(e.term, p)
        : target === 'traceRollup'
          ? traceRollupTermSql(e.term, p)
          : `coalesce(${rowTermSql(e.term, target, p)}, false)`;
  }
}

/**
 * A row-level condition that every matching trace must have on at least one of its rows
 * (spans or trace_rollup partials): a positive span-level term, or status:error, at the top
 * level of the search's AND. Used to narrow the traces before grouping; null when none.
 */
export function tracePrefilter(e: SearchExpr | null, target: 'traceRollup' | 'span', p: Params): string | null {
  const items = e === null ? [] : e.type === 'and' ? e.items : [e];
  for (const x of items) {
    if (x.type !== 'term') {
      continue;
    }
    const t = x.term;
    if (t.kind === 'status' && t.value === 'error') {
      return target === 'span' ? 'status_code = 2' : 'err_n > 0';
    }
    if (t.kind === 'match' || (t.kind === 'attr' && target === 'span')) {
      if (target === 'span') {
        return `coalesce(${rowTermSql(t, 'span', p)}, false)`;
      }
      try {
        // bool_or(cond) over the partials -> cond on one partial.
        return traceRollupTermSql(t, p).replace(/^coalesce\(bool_or\((.*)\), false\)$/s, '$1');
      } catch (err) {
        if (err instanceof RollupUnsupported) {
          continue;
        }
        throw err;
      }
    }
  }
  return null;
}

/** Whether the time rollup (or, with target traceRollup, the trace rollup) can evaluate the expression. */
export function rollupCanFilter(e: SearchExpr | null, target: 'rollup' | 'traceRollup' = 'rollup'): boolean {
  try {
    compileSearch(e, target, new Params());
    return true;
  } catch (err) {
    if (err instanceof RollupUnsupported) {
      return false;
    }
    throw err;
  }
}
