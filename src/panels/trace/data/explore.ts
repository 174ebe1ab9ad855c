import { urlUtil, type DataFrame, type PanelData } from '@grafana/data';
import type { DataQuery, DataSourceRef } from '@grafana/schema';
import { QUERY_MODEL_VERSION } from '@pyflare/query-model';

import { fieldByName } from './frames';

/** The trace query (query model `trace`) that fetches one trace by id. */
export interface TraceByIdQuery extends DataQuery {
  queryType: 'trace';
  traceId: string;
  pluginVersion: string;
}

export function traceByIdQuery(traceId: string, datasource?: DataSourceRef): TraceByIdQuery {
  return { refId: 'trace', queryType: 'trace', traceId, pluginVersion: QUERY_MODEL_VERSION, datasource };
}

/**
 * The data source a frame came from: its query's own data source (mixed panels), else the
 * panel's, else the one the service named in the traceID field's Explore link.
 */
export function frameDataSource(data: PanelData, frame: DataFrame | undefined): DataSourceRef | undefined {
  const targets = data.request?.targets ?? [];
  const target = frame?.refId ? targets.find((t) => t.refId === frame.refId) : undefined;
  const ref = target?.datasource ?? targets.find((t) => t.datasource)?.datasource;
  // Grafana's pseudo data sources (-- Mixed --, -- Dashboard --) cannot run a trace query.
  if (ref?.uid && !/^-- .* --$/.test(ref.uid)) {
    return { type: ref.type, uid: ref.uid };
  }
  const link = frame ? fieldByName(frame, 'traceID')?.config.links?.[0] : undefined;
  const uid = link?.internal?.datasourceUid;
  return uid ? { uid } : undefined;
}

/**
 * An Explore URL that opens the trace in Grafana's trace view (the service's trace frame
 * asks for that visualisation). Relative to Grafana's root: callers add the sub path.
 */
export function exploreTraceUrl(ref: DataSourceRef, traceId: string, range?: { from: number; to: number }): string {
  const pane = {
    datasource: ref.uid,
    queries: [{ ...traceByIdQuery(traceId, ref), refId: 'A' }],
    range: range ? { from: String(range.from), to: String(range.to) } : { from: 'now-1h', to: 'now' },
    compact: false,
  };
  return urlUtil.renderUrl('/explore', { schemaVersion: 1, panes: JSON.stringify({ trace: pane }) });
}
