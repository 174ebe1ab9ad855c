// Drill-down from a heatmap cell: the distribution query the panel runs through its own data
// source, and the dashboard variable it may set.
import type { PanelData } from '@grafana/data';
import type { DataQuery, DataSourceRef } from '@grafana/schema';
import { DRIFT_TYPES, QUERY_MODEL_VERSION } from '@pyflare/query-model';

export interface DrillTarget {
  feature: string;
  model?: string;
  driftType: string;
  service?: string;
}

/** A 'drift' query of view 'distribution' (query model @pyflare/query-model). */
export interface DriftDistributionQuery extends DataQuery {
  queryType: 'drift';
  view: 'distribution';
  modelId: string;
  driftType: (typeof DRIFT_TYPES)[number];
  feature: string;
  service?: string;
  pluginVersion: string;
}

export function distributionQuery(t: DrillTarget, datasource?: DataSourceRef): DriftDistributionQuery {
  const known = (DRIFT_TYPES as readonly string[]).includes(t.driftType);
  return {
    refId: 'drift-distribution',
    queryType: 'drift',
    view: 'distribution',
    modelId: t.model ?? '',
    driftType: known ? (t.driftType as DriftDistributionQuery['driftType']) : 'all',
    feature: t.feature,
    ...(t.service ? { service: t.service } : {}),
    pluginVersion: QUERY_MODEL_VERSION,
    ...(datasource ? { datasource } : {}),
  };
}

/**
 * The data source that answered the panel's drift query (`refId` when known): that query's
 * own data source (mixed panels), else the panel's. Grafana's pseudo data sources
 * (-- Mixed --, -- Dashboard --) cannot run a query, so they count as none.
 */
export function driftDataSource(data: PanelData, refId?: string): DataSourceRef | undefined {
  const targets = data.request?.targets ?? [];
  const own = refId ? targets.find((t) => t.refId === refId)?.datasource : undefined;
  const ref = own ?? targets.find((t) => t.datasource)?.datasource;
  if (ref?.uid && !/^-- .* --$/.test(ref.uid)) {
    return { type: ref.type, uid: ref.uid };
  }
  return undefined;
}

/** The URL query update that sets dashboard variable `name` to the feature. */
export function featureVariableUpdate(name: string, feature: string): Record<string, string> | undefined {
  const n = name.trim().replace(/^\$\{?|\}$/g, '');
  return /^[\w-]+$/.test(n) ? { [`var-${n}`]: feature } : undefined;
}
