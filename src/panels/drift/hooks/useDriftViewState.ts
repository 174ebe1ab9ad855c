import { useCallback, useState } from 'react';

import type { DrillTarget } from '../data/drilldown';
import type { DriftMode, DriftView, HeatmapSort } from '../types';

export interface DriftViewState {
  view: DriftView;
  setView(view: DriftView): void;
  sort: HeatmapSort;
  setSort(sort: HeatmapSort): void;
  /** The feature whose distribution is open (a heatmap click or the feature picker). */
  drill?: DrillTarget;
  openFeature(target: DrillTarget): void;
}

/**
 * Which view the panel shows: the user's pick in the panel (kept until the panel's mode
 * option changes), else the mode option when the data supports it, else what auto picks.
 */
export function useDriftViewState(
  mode: DriftMode,
  defaultSort: HeatmapSort,
  views: readonly DriftView[],
  auto: DriftView
): DriftViewState {
  const [picked, setPicked] = useState<{ mode: DriftMode; view: DriftView }>();
  const [sortPick, setSortPick] = useState<{ base: HeatmapSort; sort: HeatmapSort }>();
  const [drill, setDrill] = useState<DrillTarget>();

  const user = picked && picked.mode === mode ? picked.view : undefined;
  const configured = mode === 'auto' ? auto : mode;
  const view =
    user && (views.includes(user) || (user === 'distribution' && drill))
      ? user
      : views.includes(configured) || views.length === 0
        ? configured
        : views[0]!;

  const setView = useCallback((v: DriftView) => setPicked({ mode, view: v }), [mode]);
  const setSort = useCallback((s: HeatmapSort) => setSortPick({ base: defaultSort, sort: s }), [defaultSort]);
  const openFeature = useCallback(
    (t: DrillTarget) => {
      setDrill(t);
      setPicked({ mode, view: 'distribution' });
    },
    [mode]
  );
  return {
    view,
    setView,
    sort: sortPick && sortPick.base === defaultSort ? sortPick.sort : defaultSort,
    setSort,
    drill,
    openFeature,
  };
}
