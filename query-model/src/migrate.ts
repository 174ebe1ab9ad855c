import { QUERY_MODEL_VERSION, type PyflareQueryInput } from './query';

/**
 * A saved query of any version, including the field names of PyFlare's original
 * frontend-only data source (minDuration, costGroupBy, groupBy: model_id, ...).
 */
export type SavedQuery = { refId: string; queryType?: string; pluginVersion?: string } & Record<string, unknown>;

const LEGACY_GROUP_BY: Record<string, string> = {
  model_id: 'model',
  service_name: 'service',
  user_id: 'user',
  status: 'attr.status',
};
const LEGACY_COST_GROUP_BY: Record<string, string> = {
  model: 'model',
  service: 'service',
  user: 'user',
  feature: 'attr.feature',
};
const LEGACY_METRICS: Record<string, string> = { cost_micros: 'cost_usd' };

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) {
    return v;
  }
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) {
    return Number(v);
  }
  return undefined;
}
function dropUndefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Version 0: queries saved by PyFlare's original data source (no pluginVersion). */
function fromLegacy(q: SavedQuery): PyflareQueryInput {
  const common = { refId: q.refId, hide: typeof q.hide === 'boolean' ? q.hide : undefined };
  switch (q.queryType) {
    case 'metrics': {
      const metric = str(q.metric) ?? 'request_count';
      if (metric === 'drift_score') {
        return dropUndefined({ ...common, queryType: 'drift', modelId: str(q.modelId) ?? '' });
      }
      const groupBy = str(q.groupBy);
      return dropUndefined({
        ...common,
        queryType: 'metrics',
        // Unknown legacy metrics (eval scores) are carried over so validation names them.
        metric: (LEGACY_METRICS[metric] ?? metric) as 'request_count',
        aggregation: (str(q.aggregation) ?? 'sum') as 'sum',
        groupBy: groupBy ? [LEGACY_GROUP_BY[groupBy] ?? groupBy] : [],
        filter: [str(q.serviceName) && `service:${q.serviceName}`, str(q.modelId) && `model:${q.modelId}`]
          .filter(Boolean)
          .join(' '),
      });
    }
    case 'drift':
      return dropUndefined({
        ...common,
        queryType: 'drift',
        modelId: str(q.modelId) ?? '',
        driftType: (str(q.driftType) ?? 'all') as 'all',
        threshold: num(q.threshold),
      });
    case 'costs': {
      const g = str(q.costGroupBy) ?? 'model';
      return dropUndefined({ ...common, queryType: 'costs', view: 'breakdown', groupBy: LEGACY_COST_GROUP_BY[g] ?? g });
    }
    case 'evaluations':
      return dropUndefined({
        ...common,
        queryType: 'metrics',
        metric: `eval_${str(q.evalMetric) ?? 'score'}` as 'request_count',
      });
    case 'traces':
    default: {
      const traceId = str(q.traceId);
      if (traceId) {
        return { ...common, queryType: 'trace', traceId };
      }
      const status = str(q.status);
      return dropUndefined({
        ...common,
        queryType: 'traces',
        serviceName: str(q.serviceName),
        modelId: str(q.modelId),
        status: (status === 'ok' || status === 'error' ? status : 'all') as 'all',
        minDurationMs: num(q.minDuration),
        maxDurationMs: num(q.maxDuration),
        limit: num(q.limit),
      });
    }
  }
}

const LEGACY_ONLY_FIELDS = ['minDuration', 'maxDuration', 'costGroupBy', 'evalMetric'];
const LEGACY_ONLY_METRICS = ['cost_micros', 'drift_score', 'eval_score', 'toxicity_score'];

/**
 * Whether an unversioned query was saved by PyFlare's original data source. Told by shape,
 * not by the missing version alone: hand-written and provisioned queries of the current
 * model often carry no pluginVersion, and must not be rewritten.
 */
export function isLegacyQuery(q: SavedQuery): boolean {
  if (q.pluginVersion === '0') {
    return true;
  }
  if (q.pluginVersion !== undefined && q.pluginVersion !== '') {
    return false;
  }
  return (
    q.queryType === undefined ||
    q.queryType === 'evaluations' ||
    LEGACY_ONLY_FIELDS.some((f) => q[f] !== undefined) ||
    (q.queryType === 'traces' && typeof q.traceId === 'string' && q.traceId !== '') ||
    (q.queryType === 'metrics' && typeof q.groupBy === 'string') ||
    (q.queryType === 'metrics' && LEGACY_ONLY_METRICS.includes(String(q.metric)))
  );
}

/**
 * Brings a saved query to the current model version. Pure: never mutates its input.
 * Queries already at the current version are returned as they are (same object).
 */
export function migrateQuery(q: SavedQuery): PyflareQueryInput {
  if (q.pluginVersion === QUERY_MODEL_VERSION) {
    return q as unknown as PyflareQueryInput;
  }
  if (isLegacyQuery(q)) {
    return { ...fromLegacy(q), pluginVersion: QUERY_MODEL_VERSION };
  }
  if (q.pluginVersion === undefined || q.pluginVersion === '') {
    // A current-model query that was written without a version (provisioning, API).
    return { ...q, pluginVersion: QUERY_MODEL_VERSION } as unknown as PyflareQueryInput;
  }
  // A newer version than we know: leave it alone rather than guess.
  return q as unknown as PyflareQueryInput;
}
