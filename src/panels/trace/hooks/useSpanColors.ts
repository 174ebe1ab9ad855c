import { useMemo } from 'react';
import { useTheme2 } from '@grafana/ui';

import { SPAN_KIND_ORDER, serviceColor, spanKindColor } from '../components/colors';
import type { TraceSpan, TraceTree } from '../data/traceTree';
import type { ColorBy } from './useTraceViewState';

export interface LegendEntry {
  label: string;
  color: string;
}

/** Bar colors of the trace view and the matching legend, by span kind or by service. */
export function useSpanColors(tree: TraceTree, colorBy: ColorBy) {
  const theme = useTheme2();
  return useMemo(() => {
    if (colorBy === 'service') {
      const byService = new Map(tree.totals.services.map((s, i) => [s, serviceColor(theme, i)]));
      const fallback = theme.colors.text.disabled;
      return {
        colorOf: (s: TraceSpan) => byService.get(s.serviceName) ?? fallback,
        labelOf: (s: TraceSpan) => s.serviceName,
        legend: [...byService.entries()].map(([label, color]): LegendEntry => ({ label, color })),
      };
    }
    // Only kinds the trace has, in a fixed order so colors read the same across traces.
    const kinds = new Set(tree.spans.map((s) => s.spanKind));
    const legend: LegendEntry[] = SPAN_KIND_ORDER.filter((k) => kinds.has(k)).map((k) => ({
      label: k === 'span' ? 'other' : k,
      color: spanKindColor(theme, k),
    }));
    return {
      colorOf: (s: TraceSpan) => spanKindColor(theme, s.spanKind),
      labelOf: (s: TraceSpan) => (s.spanKind === 'span' ? 'other' : s.spanKind),
      legend,
    };
  }, [tree, colorBy, theme]);
}
