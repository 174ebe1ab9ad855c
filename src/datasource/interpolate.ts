import type { AdHocVariableFilter, ScopedVars } from '@grafana/data';
import { isSearchKey, joinSearch, quoteSearchValue, searchTerm, searchValueList } from '@pyflare/query-model';

import type { PyflareQuery } from './types';

/** Grafana's format callback: gets a variable's value, a list for multi-value variables. */
export type VariableFormat = (value: string | string[]) => string;
/** The shape of TemplateSrv.replace this module needs. */
export type Replace = (target: string, scopedVars?: ScopedVars, format?: VariableFormat) => string;

/** Fields that identify the query itself (or are Grafana's) and are never interpolated. */
const NOT_INTERPOLATED = new Set(['refId', 'queryType', 'pluginVersion', 'key', 'datasource']);

/** Fields written in the search language, per query type. */
const SEARCH_FIELDS: Partial<Record<PyflareQuery['queryType'], string>> = {
  traces: 'search',
  metrics: 'filter',
  costs: 'filter',
};

// A variable reference, optionally wrapped in double quotes ("$model" is the same value quoted).
const VARIABLE_REF = /"(\$\{[^}]*\}|\$[A-Za-z_]\w*|\[\[[^\]]*\]\])"|\$\{[^}]*\}|\$[A-Za-z_]\w*|\[\[[^\]]*\]\]/g;

/**
 * Interpolates a search-language string. A single value goes in as written (so a variable
 * may hold a whole expression, and `"$v"` quotes it); several values become a value list,
 * each quoted when needed: `model:$model` -> `model:(gpt-4o OR "my model")`.
 */
export function interpolateSearch(text: string, replace: Replace, scopedVars?: ScopedVars): string {
  if (!text.includes('$') && !text.includes('[[')) {
    return text;
  }
  return text.replace(VARIABLE_REF, (match: string, quotedRef: string | undefined) => {
    const ref = quotedRef ?? match;
    const quoted = quotedRef !== undefined;
    const out = replace(ref, scopedVars, (value) => {
      if (Array.isArray(value) && value.length !== 1) {
        return searchValueList(value);
      }
      const single = Array.isArray(value) ? value[0]! : value;
      return quoted ? quoteSearchValue(single) : single;
    });
    // An unknown variable is left as written, quotes included.
    return out === ref && quoted ? match : out;
  });
}

const MARK = '\u0000';
const MAX_EXPANSIONS = 100;

/**
 * Every value a field takes: one string per combination of the values of the multi-value
 * variables in it (`$svc-prod` with svc = a, b -> [`a-prod`, `b-prod`]).
 */
export function expandValues(text: string, replace: Replace, scopedVars?: ScopedVars): string[] {
  const lists: string[][] = [];
  const out = replace(text, scopedVars, (value) => {
    if (Array.isArray(value) && value.length !== 1) {
      lists.push(value);
      return `${MARK}${lists.length - 1}${MARK}`;
    }
    return Array.isArray(value) ? value[0]! : value;
  });
  if (lists.length === 0) {
    return [out];
  }
  let results = [out];
  for (let i = 0; i < lists.length; i++) {
    const mark = `${MARK}${i}${MARK}`;
    results = results.flatMap((r) => lists[i]!.map((v) => r.split(mark).join(v))).slice(0, MAX_EXPANSIONS);
  }
  return [...new Set(results)];
}

/** Ad hoc filter operators the search language can express. */
export const AD_HOC_OPERATORS = ['=', '!=', '=|', '!=|', '<', '>'] as const;

/**
 * One ad hoc filter as a search term: `=` `key:value`, `!=` `-key:value`, `=|` / `!=|` a
 * value list, `<` `>` a numeric comparison. Unknown keys are span attributes (`attr.`).
 * Returns null for what the language cannot express (regex operators, odd keys).
 */
export function adHocTerm(f: AdHocVariableFilter): string | null {
  if (!f.key || !isSearchKey(f.key)) {
    return null;
  }
  const values = f.values?.length ? f.values : [f.value];
  switch (f.operator) {
    case '=':
      return searchTerm(f.key, [f.value]);
    case '!=':
      return searchTerm(f.key, [f.value], 'neq');
    case '=|':
      return searchTerm(f.key, values);
    case '!=|':
      return searchTerm(f.key, values, 'neq');
    case '<':
    case '>':
      return f.value.trim() !== '' && Number.isFinite(Number(f.value))
        ? searchTerm(f.key, [f.value], f.operator)
        : null;
    default:
      return null;
  }
}

type Policy =
  | { kind: 'search' }
  /** A single value; several values mean "all" (the field's empty value). */
  | { kind: 'allWhenMany'; all: string | undefined }
  /** A single value; several values move into the search as `key:(a OR b)`. */
  | { kind: 'foldIntoSearch'; key: string }
  | { kind: 'list'; max: number }
  | { kind: 'first' };

function policyOf(queryType: PyflareQuery['queryType'], field: string): Policy {
  if (SEARCH_FIELDS[queryType] === field) {
    return { kind: 'search' };
  }
  switch (`${queryType}.${field}`) {
    case 'traces.serviceName':
      return { kind: 'foldIntoSearch', key: 'service' };
    case 'traces.modelId':
      return { kind: 'foldIntoSearch', key: 'model' };
    case 'drift.modelId':
      return { kind: 'allWhenMany', all: '' };
    case 'drift.feature':
      // `*` = every feature's series: what several selected features come closest to.
      return { kind: 'allWhenMany', all: '*' };
    case 'drift.service':
    case 'alerts.modelId':
      return { kind: 'allWhenMany', all: undefined };
    case 'metrics.groupBy':
      return { kind: 'list', max: 4 };
    default:
      return { kind: 'first' };
  }
}

/**
 * Interpolates every string (and string-array) field of a query with the dashboard's
 * template variables, formatting multi-value variables the way each field can use them,
 * and applies ad hoc filters to the search of traces, metrics and costs queries.
 * Returns a new object: the saved query is never touched.
 */
export function interpolateFields(
  query: PyflareQuery,
  replace: Replace,
  scopedVars?: ScopedVars,
  filters: AdHocVariableFilter[] = []
): PyflareQuery {
  const out: Record<string, unknown> = {};
  const extraTerms: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (NOT_INTERPOLATED.has(k) || (typeof v !== 'string' && !Array.isArray(v))) {
      out[k] = v;
      continue;
    }
    const policy = policyOf(query.queryType, k);
    if (Array.isArray(v)) {
      const items = v.flatMap((item: unknown) =>
        typeof item === 'string' ? expandValues(item, replace, scopedVars) : [item]
      );
      const unique = [...new Set(items)];
      out[k] = policy.kind === 'list' ? unique.slice(0, policy.max) : unique;
      continue;
    }
    if (policy.kind === 'search') {
      out[k] = interpolateSearch(v, replace, scopedVars);
      continue;
    }
    const values = expandValues(v, replace, scopedVars);
    if (values.length === 1) {
      out[k] = values[0];
    } else if (policy.kind === 'foldIntoSearch') {
      out[k] = undefined;
      extraTerms.push(searchTerm(policy.key, values));
    } else if (policy.kind === 'allWhenMany') {
      out[k] = policy.all;
    } else {
      out[k] = values[0];
    }
  }
  const searchField = SEARCH_FIELDS[query.queryType];
  if (searchField) {
    const adHoc = filters.map(adHocTerm).filter((t): t is string => t !== null);
    const terms = [...extraTerms, ...adHoc];
    if (terms.length) {
      out[searchField] = joinSearch([
        typeof out[searchField] === 'string' ? (out[searchField] as string) : '',
        ...terms,
      ]);
    }
  }
  // Keys set to undefined (folded fields) are dropped, as if never set.
  for (const k of Object.keys(out)) {
    if (out[k] === undefined) {
      delete out[k];
    }
  }
  return out as unknown as PyflareQuery;
}
