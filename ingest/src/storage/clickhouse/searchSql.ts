// The search AST (src/search/parser.ts) compiled to ClickHouse SQL, with the same meaning as the
// DuckDB compiler (storage/searchSql.ts) for the targets ClickHouse uses:
//   trace  - HAVING over the spans of one trace (span terms: some span matches; status,
//            duration, cost, tokens: trace totals);
//   span   - WHERE on single spans (metrics and cost filters);
//   rollup - WHERE on the time rollups (service, provider, model, operation, kind only).
// Every user value is a typed query parameter ({pN:Type}); nothing is spliced into the SQL.
import type { Cmp, SearchExpr, StringField, Term } from '../../search/parser.js';
import { ATTR_NUMBER_RE, globToLike, isGlob, LOWER_FIELDS, ROLLUP_FIELDS, RollupUnsupported, SPAN_COLUMN } from '../searchSql.js';
import { INT64_MAX } from '../types.js';

export class CHParams {
  readonly values: Record<string, string | number> = {};
  private n = 0;
  str(v: string): string {
    return this.add(v, 'String');
  }
  /** Int64 values travel as decimal text: exact beyond 2^53. Out of range is a bug upstream (ClickHouse would wrap it). */
  int(v: bigint | number): string {
    const b = typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
    if (b > INT64_MAX || b < -INT64_MAX - 1n) {
      throw new RangeError(`Int64 parameter out of range: ${b}`);
    }
    return this.add(b.toString(), 'Int64');
  }
  /** As text too: chdb refuses a JS number beyond 2^53 (1e16). */
  float(v: number): string {
    return this.add(String(v), 'Float64');
  }
  private add(v: string | number, type: string): string {
    const name = `p${this.n++}`;
    this.values[name] = v;
    return `{${name}:${type}}`;
  }
}

export type CHTarget = 'trace' | 'span' | 'rollup';


/**
 * The text of one flat attribute as DuckDB's json_extract_string gives it: strings unquoted,
 * numbers/booleans/arrays/objects as their JSON text, NULL when absent or JSON null.
 */
export function attrText(key: string, p: CHParams, column = 'attributes'): string {
  const k = p.str(key);
  return `multiIf(JSONType(${column}, ${k}) = 'String', JSONExtractString(${column}, ${k}), JSONType(${column}, ${k}) = 'Null', NULL, JSONExtractRaw(${column}, ${k}))`;
}

/** LIKE's default escape in ClickHouse is the backslash, which globToLike uses. */
function matchSql(column: string, value: string, p: CHParams): string {
  return isGlob(value) ? `ilike(${column}, ${p.str(globToLike(value))})` : `${column} = ${p.str(value)}`;
}

function rowTermSql(t: Term, target: 'span' | 'rollup', p: CHParams): string {
  if (target === 'rollup' && (t.kind !== 'match' || !ROLLUP_FIELDS.has(t.field))) {
    throw new RollupUnsupported(t.kind === 'match' ? t.field : t.kind);
  }
  switch (t.kind) {
    case 'match': {
      const v = LOWER_FIELDS.has(t.field) ? t.value.toLowerCase() : t.value;
      if (t.field === 'model') {
        const pat = p.str(globToLike(v));
        const one = (c: string) => (target === 'rollup' ? `(${c} <> '' AND ilike(${c}, ${pat}))` : `ilike(${c}, ${pat})`);
        return `(${one('request_model')} OR ${one('response_model')})`;
      }
      if (t.field === 'name') {
        return `ilike(name, ${p.str(`%${globToLike(v)}%`)})`;
      }
      return matchSql(SPAN_COLUMN[t.field], v, p);
    }
    case 'attr': {
      const ex = attrText(t.key, p);
      if (t.cmp === '=') {
        return matchSql(ex, t.value, p);
      }
      // The pattern as a parameter: ClickHouse string literals drop the backslash of `\.`.
      return `if(match(${ex}, ${p.str(ATTR_NUMBER_RE)}), toFloat64OrNull(${ex}), NULL) ${t.cmp} ${p.float(t.number ?? Number(t.value))}`;
    }
    case 'status':
      return t.value === 'error' ? 'status_code = 2' : 'status_code <> 2';
    case 'duration':
      return `duration_ns ${t.cmp} ${p.int(t.ns)}`;
    case 'cost':
      return `cost_micros ${t.cmp} ${p.int(t.micros)}`;
    case 'tokens':
      return `(coalesce(input_tokens, 0) + coalesce(output_tokens, 0)) ${t.cmp} ${p.int(t.value)}`;
  }
}

function cmp(c: Cmp): string {
  return c;
}

function traceTermSql(t: Term, p: CHParams): string {
  switch (t.kind) {
    case 'status':
      return t.value === 'error' ? 'countIf(status_code = 2) > 0' : 'countIf(status_code = 2) = 0';
    case 'duration':
      return `(max(end_ns) - min(start_ns)) ${cmp(t.cmp)} ${p.int(t.ns)}`;
    case 'cost':
      return `coalesce(sum(cost_micros), 0) ${cmp(t.cmp)} ${p.int(t.micros)}`;
    case 'tokens':
      return `(sum(coalesce(input_tokens, 0)) + sum(coalesce(output_tokens, 0))) ${cmp(t.cmp)} ${p.int(t.value)}`;
    default:
      return `countIf(coalesce(${rowTermSql(t, 'span', p)}, 0)) > 0`;
  }
}

/** SQL boolean (UInt8) for the expression; '1' for null (no filter). Never NULL-valued. */
export function compileSearchCH(e: SearchExpr | null, target: CHTarget, p: CHParams): string {
  if (e === null) {
    return '1';
  }
  switch (e.type) {
    case 'and':
      return `(${e.items.map((x) => compileSearchCH(x, target, p)).join(' AND ')})`;
    case 'or':
      return `(${e.items.map((x) => compileSearchCH(x, target, p)).join(' OR ')})`;
    case 'not':
      return `(NOT ${compileSearchCH(e.item, target, p)})`;
    case 'term':
      return target === 'trace' ? traceTermSql(e.term, p) : `coalesce(${rowTermSql(e.term, target, p)}, 0)`;
  }
}

/** A span condition every matching trace has on some span (top-level positive term), or null. */
export function tracePrefilterCH(e: SearchExpr | null, p: CHParams): string | null {
  const items = e === null ? [] : e.type === 'and' ? e.items : [e];
  for (const x of items) {
    if (x.type !== 'term') {
      continue;
    }
    const t = x.term;
    if (t.kind === 'status' && t.value === 'error') {
      return 'status_code = 2';
    }
    if (t.kind === 'match' || t.kind === 'attr') {
      return `coalesce(${rowTermSql(t, 'span', p)}, 0)`;
    }
  }
  return null;
}
