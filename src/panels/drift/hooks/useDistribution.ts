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

import { readDriftData } from '../data/driftData';
import { distributionQuery, type DrillTarget } from '../data/drilldown';
import { findDistribution } from '../data/distribution';
import type { FeatureDistribution } from '../data/tables';

export type DistributionState =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'done'; distribution: FeatureDistribution; fetched: boolean }
  | { status: 'missing'; message: string }
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
 * The distribution of one feature: from the panel's own frames when they hold it, else one
 * 'drift' query of view 'distribution' through the panel's data source (the drill-down of a
 * heatmap click needs no second query on the dashboard).
 */
export function useDistribution(
  target: DrillTarget | undefined,
  inData: readonly FeatureDistribution[],
  datasource: DataSourceRef | undefined,
  range: TimeRange
): DistributionState {
  const local = target ? findDistribution(inData, target) : undefined;
  const from = range.from.valueOf();
  const to = range.to.valueOf();
  const key =
    target && !local && datasource
      ? JSON.stringify([target.model, target.service, target.driftType, target.feature, datasource.uid, from, to])
      : undefined;
  // The answer is kept with the request it answers: a new request reads as loading until its own answer arrives.
  const [answer, setAnswer] = useState<{ key: string; state: DistributionState }>();

  useEffect(() => {
    if (!key || !target || !datasource) {
      return;
    }
    let cancelled = false;
    let unsubscribe: (() => void) | undefined;
    const request: DataQueryRequest<ReturnType<typeof distributionQuery>> = {
      requestId: `pyflare-drift-distribution-${target.feature}`,
      app: CoreApp.Dashboard,
      interval: '1m',
      intervalMs: 60_000,
      maxDataPoints: 1000,
      range: { from: range.from, to: range.to, raw: range.raw },
      scopedVars: {},
      targets: [distributionQuery(target, datasource)],
      timezone: 'browser',
      startTime: Date.now(),
    };
    const finish = (state: DistributionState) => {
      if (!cancelled) {
        setAnswer({ key, state });
      }
    };
    const onResponse = (res: DataQueryResponse) => {
      const found = findDistribution(readDriftData(res.data as DataFrame[]).distributions, target);
      const err = res.errors?.[0];
      if (found && found.bins.length) {
        finish({ status: 'done', distribution: found, fetched: true });
      } else if (err) {
        finish({ status: 'error', message: err.message ?? 'The distribution query failed.' });
      } else if (res.state !== LoadingState.Loading && res.state !== LoadingState.Streaming) {
        finish({ status: 'missing', message: `No distribution of ${target.feature} in this time range.` });
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
    // The key holds everything the request depends on; range objects change identity on every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  if (!target) {
    return { status: 'idle' };
  }
  if (local) {
    return { status: 'done', distribution: local, fetched: false };
  }
  if (!datasource) {
    return {
      status: 'missing',
      message: `The panel's data has no distribution of ${target.feature}: add a Drift query with view Distribution and feature ${target.feature}.`,
    };
  }
  return answer && answer.key === key ? answer.state : { status: 'loading' };
}
