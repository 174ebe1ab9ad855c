import {
  CustomVariableSupport,
  FieldType,
  createDataFrame,
  type DataQueryRequest,
  type DataQueryResponse,
  type MetricFindValue,
  type ScopedVars,
  type TimeRange,
} from '@grafana/data';
import {
  migrateVariableQuery,
  normalizeVariableQuery,
  variableQueryProblem,
  type VariableQuery,
} from '@pyflare/query-model';
import { from, map, type Observable } from 'rxjs';

import { readCatalog, readDriftFeatures, readDriftModels, type CatalogRange, type GetResource } from './catalog';
import { VariableQueryEditor } from './components/VariableQueryEditor';
import type { DataSource } from './datasource';
import { expandValues, type Replace } from './interpolate';
import type { PyflareOptions, PyflareQuery, PyflareVariableQuery } from './types';

/** At most this many values of a multi-value variable are looked up for chained variables. */
const MAX_PARENT_VALUES = 20;

export interface FindOptions {
  range?: TimeRange;
  scopedVars?: ScopedVars;
}

function catalogRange(q: VariableQuery, range?: TimeRange): CatalogRange | undefined {
  return q.timeScoped && range ? { from: range.from.valueOf(), to: range.to.valueOf() } : undefined;
}

/**
 * The values a variable query lists, sorted and without duplicates. `modelId` and
 * `attributeKey` may use other variables; for a multi-value parent the lists of each of its
 * values are merged.
 */
export async function findVariableValues(
  get: GetResource,
  raw: unknown,
  replace: Replace,
  options: FindOptions = {}
): Promise<string[]> {
  // Saved variable queries go through the same migration as in the editor.
  const q = normalizeVariableQuery(migrateVariableQuery(raw) ?? raw);
  if (!q) {
    throw new Error(
      'Unknown PyFlare variable query: use services, models, drift-models, attribute-keys, features(<model>) or attribute-values(<key>)'
    );
  }
  if (variableQueryProblem(q)) {
    return [];
  }
  const range = catalogRange(q, options.range);
  const parents = (v: string | undefined) =>
    expandValues(v ?? '', replace, options.scopedVars)
      .map((x) => x.trim())
      .filter((x) => x !== '')
      .slice(0, MAX_PARENT_VALUES);
  let lists: string[][];
  switch (q.kind) {
    case 'services':
    case 'models':
    case 'attribute-keys':
      lists = [await readCatalog(get, q.kind, undefined, range)];
      break;
    case 'attribute-values':
      lists = await Promise.all(parents(q.attributeKey).map((k) => readCatalog(get, 'attribute-values', k, range)));
      break;
    case 'drift-models':
      lists = [await readDriftModels(get, range)];
      break;
    case 'features':
      lists = await Promise.all(parents(q.modelId).map((m) => readDriftFeatures(get, m, range)));
      break;
  }
  return [...new Set(lists.flat())].sort((a, b) => a.localeCompare(b));
}

export function toMetricFindValues(values: string[]): MetricFindValue[] {
  return values.map((v) => ({ text: v, value: v }));
}

/**
 * Query variables of a PyFlare data source: a custom editor (VariableQueryEditor) and the
 * look-ups of findVariableValues, answered as one frame of `text` / `value` fields.
 */
export class PyflareVariableSupport extends CustomVariableSupport<
  DataSource,
  PyflareVariableQuery,
  PyflareQuery,
  PyflareOptions
> {
  editor = VariableQueryEditor;

  constructor(private readonly datasource: DataSource) {
    super();
  }

  query(request: DataQueryRequest<PyflareVariableQuery>): Observable<DataQueryResponse> {
    const target = request.targets[0];
    return from(
      this.datasource.findVariableValues(target, { range: request.range, scopedVars: request.scopedVars })
    ).pipe(
      map((values) => ({
        data: [
          createDataFrame({
            refId: target?.refId,
            fields: [
              { name: 'text', type: FieldType.string, values },
              { name: 'value', type: FieldType.string, values },
            ],
          }),
        ],
      }))
    );
  }
}
