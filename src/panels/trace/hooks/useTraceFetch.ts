import { useEffect, useState } from 'react';
import { LoadingState, type DataFrame, type TimeRange } from '@grafana/data';
import type { DataSourceRef } from '@grafana/schema';

import { panelQueryRequest, runPanelQuery } from '../../../shared/panelQuery';
import { traceByIdQuery } from '../data/explore';
import { findTraceFrames } from '../data/traceTree';

export type TraceFetchState =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'done'; frame: DataFrame }
  | { status: 'error'; message: string };

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
    const finish = (state: TraceFetchState) => setAnswer({ key, state });
    return runPanelQuery(
      datasource,
      panelQueryRequest(`pyflare-trace-${traceId}`, traceByIdQuery(traceId, datasource), range, 1000),
      {
        response: (res) => {
          const frame = findTraceFrames(res.data as DataFrame[]).get(traceId);
          const err = res.errors?.[0];
          if (frame) {
            finish({ status: 'done', frame });
          } else if (err) {
            finish({ status: 'error', message: err.message ?? 'The trace query failed.' });
          } else if (res.state !== LoadingState.Loading && res.state !== LoadingState.Streaming) {
            finish({ status: 'error', message: `Trace ${traceId} was not found.` });
          }
        },
        error: (message) => finish({ status: 'error', message }),
      }
    );
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
