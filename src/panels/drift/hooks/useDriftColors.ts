import { useMemo } from 'react';
import type { GrafanaTheme2 } from '@grafana/data';
import { useTheme2 } from '@grafana/ui';

import { buildLut, heatmapStops, mixColors, type ColorStop } from '../data/colorScale';
import type { DriftStatus } from '../data/levels';

export interface DriftColors {
  /** Shapes (gauge arcs, sparklines, bars). */
  status: Record<DriftStatus, string>;
  /** Text on the panel background (contrast-tuned). */
  statusText: Record<DriftStatus, string>;
  heatmapStops: ColorStop[];
  heatmapLut: string[];
  /** Cells without a score. */
  noData: string;
  reference: string;
  current: string;
}

export function driftColors(theme: GrafanaTheme2, warningLevel: number): DriftColors {
  const viz = (name: string) => theme.visualization.getColorByName(name);
  const bg = theme.colors.background.primary;
  const stops = heatmapStops(
    {
      healthy: mixColors(bg, viz('green'), theme.isDark ? 0.2 : 0.16),
      healthyStrong: mixColors(bg, viz('green'), theme.isDark ? 0.4 : 0.36),
      warning: viz('yellow'),
      mid: viz('orange'),
      drift: viz('red'),
      severe: viz('dark-red'),
    },
    warningLevel
  );
  return {
    status: { ok: theme.colors.success.main, warning: theme.colors.warning.main, critical: theme.colors.error.main },
    statusText: {
      ok: theme.colors.success.text,
      warning: theme.colors.warning.text,
      critical: theme.colors.error.text,
    },
    heatmapStops: stops,
    heatmapLut: buildLut(stops),
    noData: theme.colors.background.secondary,
    reference: viz('blue'),
    current: viz('orange'),
  };
}

/** Theme-aware colors of the panel; the heatmap scale depends on the warning level. */
export function useDriftColors(warningLevel: number): DriftColors {
  const theme = useTheme2();
  return useMemo(() => driftColors(theme, warningLevel), [theme, warningLevel]);
}
