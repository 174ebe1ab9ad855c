import { CoreApp, type DataSourceInstanceSettings, type ScopedVars } from '@grafana/data';
import { DataSourceWithBackend, getTemplateSrv } from '@grafana/runtime';

import { type CatalogKind, readCatalog } from './catalog';
import { defaultQuery, interpolateQuery, isRunnable, migratePyflareQuery, queryDisplayText } from './query';
import type { PyflareOptions, PyflareQuery } from './types';

/** How long picker values are reused before the catalog is asked again. */
const CATALOG_TTL_MS = 60_000;

export class DataSource extends DataSourceWithBackend<PyflareQuery, PyflareOptions> {
  constructor(instanceSettings: DataSourceInstanceSettings<PyflareOptions>) {
    super(instanceSettings);
  }

  getDefaultQuery(_: CoreApp): Partial<PyflareQuery> {
    return defaultQuery();
  }

  /** Old dashboards' queries are migrated here too, so they run even if no editor ever opened them. */
  applyTemplateVariables(query: PyflareQuery, scopedVars: ScopedVars): PyflareQuery {
    const templateSrv = getTemplateSrv();
    return interpolateQuery(query, (v, vars) => templateSrv.replace(v, vars), scopedVars);
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

  private catalogCache = new Map<string, { at: number; values: Promise<string[]> }>();

  /**
   * Values for the editors' pickers (services, models, attribute keys), via the backend's
   * resource API. Cached briefly: every picker asks on open and on each keypress.
   */
  getCatalog(kind: CatalogKind, key?: string): Promise<string[]> {
    const cacheKey = `${kind}\u0000${key ?? ''}`;
    const now = Date.now();
    const hit = this.catalogCache.get(cacheKey);
    if (hit && now - hit.at < CATALOG_TTL_MS) {
      return hit.values;
    }
    const values = readCatalog((path, params) => this.getResource(path, params), kind, key);
    this.catalogCache.set(cacheKey, { at: now, values });
    return values;
  }
}
