import { useMemo } from 'react';
import type { DataFrame } from '@grafana/data';

import { autoView, availableViews, filterDriftTypes, readDriftData, type DriftData } from '../data/driftData';
import type { DriftPanelOptions, DriftView } from '../types';

export interface DriftModel {
  /** Everything read from the frames, before the drift type filter. */
  all: DriftData;
  /** After the drift type filter. */
  data: DriftData;
  views: DriftView[];
  auto: DriftView;
}

/** The panel's frames read once per data change; the drift type filter once per option change. */
export function useDriftModel(
  series: DataFrame[],
  options: Pick<DriftPanelOptions, 'driftTypes'>,
  canFetchDistribution: boolean
): DriftModel {
  const all = useMemo(() => readDriftData(series), [series]);
  // driftTypes may be unset on panels saved before the option existed.
  const driftTypes = options.driftTypes;
  const data = useMemo(() => filterDriftTypes(all, Array.isArray(driftTypes) ? driftTypes : []), [all, driftTypes]);
  const views = useMemo(() => availableViews(data, canFetchDistribution), [data, canFetchDistribution]);
  return { all, data, views, auto: autoView(data) };
}
