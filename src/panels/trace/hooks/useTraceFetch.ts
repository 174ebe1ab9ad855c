import { useEffect, useState } from 'react';
import {
  CoreApp,
  LoadingState,
  type DataFrame,
  type DataQueryRequest,
  type DataQueryResponse,
  type TimeRange,
} from '@grafana/data';
import type { DataSourceRef } from '@grafana/schema';
import { getDataSourceSrv } from '@grafana/runtime';

import { traceByIdQuery, type TraceByIdQuery } from '../data/explore';
import { findTraceFrames } from '../data/traceTree';

export type TraceFetchState =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'done'; frame: DataFrame }
  | { status: 'error'; message: string };

function errorText(e: unknown): string {
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

/**
 * Loads one trace through the panel's data source when the panel's own data does not hold
 * it: a click on a list row opens the trace without a second query on the dashboard.
 */
export function useTraceFetch(
  traceId: string | undefined,
  datasource: DataSourceRef | undefined,
  range: TimeRange,
  attempt = 0
): TraceFetchState {
  // The answer is stored with the request it answers: a new request reads as loading
  // until its own answer arrives, without resetting state inside the effect. A trace by id
  // does not depend on the time range, so a dashboard refresh does not reload (and reset)
  // the open trace.
  const key = traceId && datasource ? `${traceId}|${datasource.uid}|${attempt}` : undefined;
  const [answer, setAnswer] = useState<{ key: string; state: TraceFetchState } | undefined>();

  useEffect(() => {
    if (!key || !traceId || !datasource) {
      return;
    }
    let cancelled = false;
    let unsubscribe: (() => void) | undefined;
    const request: DataQueryRequest<TraceByIdQuery> = {
      requestId: `pyflare-trace-${traceId}`,
      app: CoreApp.Dashboard,
      interval: '1s',
      intervalMs: 1000,
      maxDataPoints: 1000,
      range: { from: range.from, to: range.to, raw: range.raw },
      scopedVars: {},
      targets: [traceByIdQuery(traceId, datasource)],
      timezone: 'browser',
      startTime: Date.now(),
    };
    const finish = (state: TraceFetchState) => {
      if (!cancelled) {
        setAnswer({ key, state });
      }
    };
    const onResponse = (res: DataQueryResponse) => {
      const frame = findTraceFrames(res.data as DataFrame[]).get(traceId);
      const err = res.errors?.[0];
      if (frame) {
        finish({ status: 'done', frame });
      } else if (err) {
        finish({ status: 'error', message: err.message ?? 'The trace query failed.' });
      } else if (res.state !== LoadingState.Loading && res.state !== LoadingState.Streaming) {
        finish({ status: 'error', message: `Trace ${traceId} was not found.` });
      }
    };
    const onError = (e: unknown) => finish({ status: 'error', message: errorText(e) });
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
    // The key holds everything the answer depends on; the range goes along as context only.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  if (!traceId) {
    return { status: 'idle' };
  }
  if (!datasource) {
    return { status: 'error', message: 'The panel does not know which data source its traces came from.' };
  }
  return answer && answer.key === key ? answer.state : { status: 'loading' };
}
