// A panel's own query through its data source (a drill-down: open a trace, load a feature's
// distribution) without a second query on the dashboard. Works with any data source API shape
// (Observable or Promise) and never calls back after it was cancelled.
import { CoreApp, type DataQueryRequest, type DataQueryResponse, type TimeRange } from '@grafana/data';
import type { DataQuery, DataSourceRef } from '@grafana/schema';
import { getDataSourceSrv } from '@grafana/runtime';

/** The message of whatever a data source threw or emitted (Error, FetchError, string). */
export function errorText(e: unknown): string {
  if (e instanceof Error) {
    return e.message;
  }
  if (e && typeof e === 'object') {
    const o = e as { message?: unknown; data?: { message?: unknown } };
    const m = o.data?.message ?? o.message;
    if (typeof m === 'string') {
      return m;
    }
  }
  return String(e);
}

export function panelQueryRequest<T extends DataQuery>(
  requestId: string,
  target: T,
  range: TimeRange,
  intervalMs: number
): DataQueryRequest<T> {
  return {
    requestId,
    app: CoreApp.Dashboard,
    interval: intervalMs >= 60_000 ? `${intervalMs / 60_000}m` : `${intervalMs / 1000}s`,
    intervalMs,
    maxDataPoints: 1000,
    range: { from: range.from, to: range.to, raw: range.raw },
    scopedVars: {},
    targets: [target],
    timezone: 'browser',
    startTime: Date.now(),
  };
}

/** Runs the request; returns the cancel function (for a React effect's cleanup). */
export function runPanelQuery<T extends DataQuery>(
  datasource: DataSourceRef,
  request: DataQueryRequest<T>,
  on: { response(res: DataQueryResponse): void; error(message: string): void }
): () => void {
  let cancelled = false;
  let unsubscribe: (() => void) | undefined;
  const onResponse = (res: DataQueryResponse) => {
    if (!cancelled) {
      on.response(res);
    }
  };
  const onError = (e: unknown) => {
    if (!cancelled) {
      on.error(errorText(e));
    }
  };
  Promise.resolve()
    .then(() => getDataSourceSrv().get(datasource))
    .then((ds) => {
      if (cancelled) {
        return;
      }
      const result = ds.query(request as never);
      if ('subscribe' in result) {
        const sub = result.subscribe({ next: onResponse, error: onError });
        unsubscribe = () => sub.unsubscribe();
      } else {
        result.then(onResponse, onError);
      }
    })
    .catch(onError);
  return () => {
    cancelled = true;
    unsubscribe?.();
  };
}
