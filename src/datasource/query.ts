import type { AdHocVariableFilter, ScopedVars } from '@grafana/data';
import {
  DEFAULT_QUERY,
  QUERY_MODEL_VERSION,
  migrateQuery,
  type PyflareQueryInput,
  type SavedQuery,
} from '@pyflare/query-model';

import { interpolateFields, type Replace } from './interpolate';
import { QUERY_TYPE_LABELS } from './labels';
import type { PyflareQuery } from './types';

/** Grafana's own fields of a query, which the model does not know about and must survive migration. */
const GRAFANA_KEYS = ['datasource', 'key', 'hide', 'refId'] as const;

export function needsMigration(query: { pluginVersion?: string }): boolean {
  return query.pluginVersion !== QUERY_MODEL_VERSION;
}

/**
 * Brings a saved query (any version, including PyFlare's original data source) to the
 * current model. Pure; returns the same object when nothing changes.
 */
export function migratePyflareQuery(query: PyflareQuery | SavedQuery): PyflareQuery {
  if (!needsMigration(query)) {
    return query as PyflareQuery;
  }
  const saved = query as SavedQuery;
  const migrated: PyflareQueryInput = migrateQuery(saved);
  const out: Record<string, unknown> = { ...migrated };
  for (const k of GRAFANA_KEYS) {
    if (saved[k] !== undefined && out[k] === undefined) {
      out[k] = saved[k];
    }
  }
  return out as unknown as PyflareQuery;
}

/** The query of a new panel or Explore tab. */
export function defaultQuery(): Partial<PyflareQuery> {
  return { ...DEFAULT_QUERY };
}

/**
 * Interpolates every string (and string-array) field of a query with the dashboard's
 * template variables (multi-value variables formatted per field, see interpolate.ts) and
 * applies ad hoc filters. Returns a new object: the saved query is never touched.
 */
export function interpolateQuery(
  query: PyflareQuery,
  replace: Replace,
  scopedVars?: ScopedVars,
  filters?: AdHocVariableFilter[]
): PyflareQuery {
  return interpolateFields(migratePyflareQuery(query), replace, scopedVars, filters);
}

/**
 * Whether a query should be sent at all: hidden queries are skipped, and so are empty ones
 * that could only fail: a trace lookup without an id, a drift distribution without a feature.
 */
export function isRunnable(query: PyflareQuery): boolean {
  if (query.hide) {
    return false;
  }
  const q = migratePyflareQuery(query);
  if (q.queryType === 'trace') {
    return typeof q.traceId === 'string' && q.traceId.trim() !== '';
  }
  if (q.queryType === 'drift' && q.view === 'distribution') {
    return typeof q.feature === 'string' && q.feature.trim() !== '' && q.feature.trim() !== '*';
  }
  return true;
}

/** One line describing a query, for query history and the collapsed query row. */
export function queryDisplayText(query: PyflareQuery): string {
  const q = migratePyflareQuery(query);
  const label = QUERY_TYPE_LABELS[q.queryType].label;
  switch (q.queryType) {
    case 'traces': {
      const parts = [
        q.search,
        q.serviceName && `service:${q.serviceName}`,
        q.modelId && `model:${q.modelId}`,
        q.status && q.status !== 'all' ? `status:${q.status}` : '',
      ].filter(Boolean);
      return parts.length ? `${label}: ${parts.join(' ')}` : label;
    }
    case 'trace':
      return `${label}: ${q.traceId}`;
    case 'metrics':
      return `${label}: ${q.aggregation ?? 'sum'}(${q.metric ?? 'request_count'})${
        q.groupBy?.length ? ` by ${q.groupBy.join(', ')}` : ''
      }`;
    case 'costs':
      return `${label}: ${q.view ?? 'summary'}`;
    case 'drift':
      return `${label}: ${q.driftType ?? 'all'}${q.modelId ? ` of ${q.modelId}` : ''}`;
    case 'alerts':
      return `${label}: ${q.state ?? 'active'}`;
  }
}
