import { useEffect, useState } from 'react';
import { LoadingState, type DataFrame, type TimeRange } from '@grafana/data';
import type { DataSourceRef } from '@grafana/schema';

import { panelQueryRequest, runPanelQuery } from '../../../shared/panelQuery';
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
    const finish = (state: DistributionState) => setAnswer({ key, state });
    const request = panelQueryRequest(
      `pyflare-drift-distribution-${target.feature}`,
      distributionQuery(target, datasource),
      range,
      60_000
    );
    return runPanelQuery(datasource, request, {
      response: (res) => {
        const found = findDistribution(readDriftData(res.data as DataFrame[]).distributions, target);
        const err = res.errors?.[0];
        if (found && found.bins.length) {
          finish({ status: 'done', distribution: found, fetched: true });
        } else if (err) {
          finish({ status: 'error', message: err.message ?? 'The distribution query failed.' });
        } else if (res.state !== LoadingState.Loading && res.state !== LoadingState.Streaming) {
          finish({ status: 'missing', message: `No distribution of ${target.feature} in this time range.` });
        }
      },
      error: (message) => finish({ status: 'error', message }),
    });
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
