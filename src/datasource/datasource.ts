import {
  CoreApp,
  type AdHocVariableFilter,
  type DataSourceGetTagKeysOptions,
  type DataSourceGetTagValuesOptions,
  type DataSourceInstanceSettings,
  type LegacyMetricFindQueryOptions,
  type MetricFindValue,
  type ScopedVars,
  type TestDataSourceResponse,
  type TimeRange,
} from '@grafana/data';
import { DataSourceWithBackend, HealthCheckError, HealthStatus, getTemplateSrv } from '@grafana/runtime';
import { SEARCH_SPAN_KINDS, STRING_FIELDS } from '@pyflare/query-model';

import { annotationSupport } from './annotations';
import { healthSummary, parseHealthDetails } from './health';
import {
  type CatalogKind,
  type CatalogRange,
  type FeatureDriftType,
  readBudgets,
  readCatalog,
  readDriftFeatures,
  readDriftModels,
} from './catalog';
import { expandValues, type Replace } from './interpolate';
import { defaultQuery, interpolateQuery, isRunnable, migratePyflareQuery, queryDisplayText } from './query';
import type { PyflareOptions, PyflareQuery } from './types';
import { PyflareVariableSupport, findVariableValues, toMetricFindValues, type FindOptions } from './variables';

/** How long picker values are reused before the catalog is asked again. */
const CATALOG_TTL_MS = 60_000;

/** At most this many values of a multi-value model variable are asked for their features. */
const MAX_FEATURE_MODELS = 20;

/** Ad hoc filter keys with fixed values, besides span attribute keys. */
const FIXED_TAG_VALUES: Record<string, readonly string[]> = {
  status: ['ok', 'error'],
  kind: SEARCH_SPAN_KINDS,
};
/** Ad hoc filter keys whose values come from a catalog list. */
const CATALOG_TAG_VALUES: Record<string, CatalogKind> = { service: 'services', model: 'models' };

function rangeOf(range?: TimeRange): CatalogRange | undefined {
  return range ? { from: range.from.valueOf(), to: range.to.valueOf() } : undefined;
}

export class DataSource extends DataSourceWithBackend<PyflareQuery, PyflareOptions> {
  constructor(instanceSettings: DataSourceInstanceSettings<PyflareOptions>) {
    super(instanceSettings);
    this.variables = new PyflareVariableSupport(this);
    this.annotations = annotationSupport;
  }

  getDefaultQuery(_: CoreApp): Partial<PyflareQuery> {
    return defaultQuery();
  }

  private replacer(): Replace {
    const templateSrv = getTemplateSrv();
    return (target, scopedVars, format) => templateSrv.replace(target, scopedVars, format);
  }

  /**
   * Interpolates every string field (multi-value variables formatted per field) and adds
   * ad hoc filters to traces, metrics and costs searches. Old dashboards' queries are
   * migrated here too, so they run even if no editor ever opened them.
   */
  applyTemplateVariables(query: PyflareQuery, scopedVars: ScopedVars, filters?: AdHocVariableFilter[]): PyflareQuery {
    return interpolateQuery(query, this.replacer(), scopedVars, filters);
  }

  /**
   * "Save & test": Grafana shows `details.message` under the result, so the backend's
   * JSONDetails (service version, storage engine, data freshness) are summarised there.
   */
  async testDatasource(): Promise<TestDataSourceResponse> {
    const res = await this.callHealthCheck();
    const details = parseHealthDetails(res.details);
    const summary = details ? healthSummary(details) : '';
    const withDetails = summary ? { details: { message: summary } } : {};
    if (res.status === HealthStatus.OK) {
      return { status: 'success', message: res.message, ...withDetails };
    }
    return Promise.reject({
      status: 'error',
      message: res.message,
      ...withDetails,
      error: new HealthCheckError(res.message, { ...res.details, ...(summary ? { message: summary } : {}) }),
    });
  }

  filterQuery(query: PyflareQuery): boolean {
    return isRunnable(query);
  }

  getQueryDisplayText(query: PyflareQuery): string {
    return queryDisplayText(query);
  }

  /** Migrates a saved query; used by the query editor when it loads. */
  migrate(query: PyflareQuery): PyflareQuery {
    return migratePyflareQuery(query);
  }

  private readonly get = (path: string, params?: Record<string, string>) => this.getResource(path, params);

  /** Values of a query variable (the variable editor's query, or its short text form). */
  findVariableValues(query: unknown, options: FindOptions = {}): Promise<string[]> {
    return findVariableValues(this.get, query, this.replacer(), options);
  }

  /** Grafana's classic variable API, for the short text form (`services`, `features($model)` ...). */
  async metricFindQuery(query: unknown, options?: LegacyMetricFindQueryOptions): Promise<MetricFindValue[]> {
    const values = await this.findVariableValues(query, { range: options?.range, scopedVars: options?.scopedVars });
    return toMetricFindValues(values);
  }

  /** Names of the dashboard's template variables (for the editors' pickers). */
  variableNames(): string[] {
    return getTemplateSrv()
      .getVariables()
      .map((v) => v.name);
  }

  /** Ad hoc filter keys: the search language's string fields, status, and every span attribute key. */
  async getTagKeys(options?: DataSourceGetTagKeysOptions<PyflareQuery>): Promise<MetricFindValue[]> {
    const attrs = await readCatalog(this.get, 'attribute-keys', undefined, rangeOf(options?.timeRange));
    const fixed = [...STRING_FIELDS.filter((f) => f !== 'name'), 'status'];
    return [...new Set([...fixed, ...attrs])].map((k) => ({ text: k, value: k }));
  }

  /** Ad hoc filter values of one key, from the catalog (scoped to the dashboard's time range). */
  async getTagValues(options: DataSourceGetTagValuesOptions<PyflareQuery>): Promise<MetricFindValue[]> {
    const key = options.key.startsWith('attr.') ? options.key.slice(5) : options.key;
    const range = rangeOf(options.timeRange);
    let values: readonly string[];
    if (FIXED_TAG_VALUES[key]) {
      values = FIXED_TAG_VALUES[key]!;
    } else if (CATALOG_TAG_VALUES[key]) {
      values = await readCatalog(this.get, CATALOG_TAG_VALUES[key]!, undefined, range);
    } else if ((STRING_FIELDS as readonly string[]).includes(key)) {
      values = [];
    } else {
      values = await readCatalog(this.get, 'attribute-values', key, range);
    }
    return values.map((v) => ({ text: v, value: v }));
  }

  private catalogCache = new Map<string, { at: number; values: Promise<unknown> }>();

  private cached<T>(cacheKey: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = this.catalogCache.get(cacheKey);
    if (hit && now - hit.at < CATALOG_TTL_MS) {
      return hit.values as Promise<T>;
    }
    const values = load();
    this.catalogCache.set(cacheKey, { at: now, values });
    return values;
  }

  /**
   * Values for the editors' pickers (services, models, attribute keys), via the backend's
   * resource API. Cached briefly: every picker asks on open and on each keypress.
   */
  getCatalog(kind: CatalogKind, key?: string): Promise<string[]> {
    return this.cached(`${kind}\u0000${key ?? ''}`, () => readCatalog(this.get, kind, key));
  }

  /** ML models of the drift engine, for the drift, alerts and annotation pickers. */
  getDriftModels(): Promise<string[]> {
    return this.cached('drift/models', () => readDriftModels(this.get));
  }

  /**
   * Features with drift results of one ML model (drift/heatmap), for the drift editor's
   * feature picker. A model given as a template variable is resolved first; the features of
   * each value of a multi-value variable are merged. Sorted, without duplicates.
   */
  async getDriftFeatures(modelId: string, driftType: FeatureDriftType = 'feature'): Promise<string[]> {
    const models = this.resolveValues(modelId).slice(0, MAX_FEATURE_MODELS);
    const lists = await Promise.all(
      models.map((m) =>
        this.cached(`drift/features\u0000${m}\u0000${driftType}`, () =>
          readDriftFeatures(this.get, m, undefined, driftType)
        )
      )
    );
    return [...new Set(lists.flat())].sort((a, b) => a.localeCompare(b));
  }

  /** The values a (possibly templated) editor field stands for; none while a variable is unknown. */
  private resolveValues(text: string): string[] {
    const trimmed = text.trim();
    if (trimmed === '') {
      return [];
    }
    if (!trimmed.includes('$') && !trimmed.includes('[[')) {
      return [trimmed];
    }
    try {
      return expandValues(trimmed, this.replacer())
        .map((v) => v.trim())
        .filter((v) => v !== '' && !v.includes('$'));
    } catch {
      // No template service (outside a dashboard): nothing to resolve against.
      return [];
    }
  }

  /** Cost budgets (id and name), for the budget pickers. */
  getBudgets(): Promise<Array<{ id: string; name: string }>> {
    return this.cached('costs/budgets', () => readBudgets(this.get));
  }
}
