// Trace panel harness: the real panel with real @grafana/ui theming, on frames decoded by
// @grafana/data as Grafana decodes a data source response. The panel's data source is
// backed by the real PyFlare service (proxied at /service/), so a click on a trace the
// panel's data does not hold runs a real trace query.
import React from 'react';
import { createRoot } from 'react-dom/client';
import type { DataQueryRequest } from '@grafana/data';

import { TracePanel } from '../../../src/panels/trace/components/TracePanel';
import { defaultTraceOptions } from '../../../src/panels/trace/types';
import { panelProps } from '../../../src/shared/panelProps';
import { boot, caseTheme, DATASOURCE, installServiceDataSource, loadCase, PanelPage, panelInput, type PanelCase } from './grafana';

export type TraceHarnessCase = PanelCase;

installServiceDataSource();

boot(async () => {
  const c = await loadCase<TraceHarnessCase>(new URLSearchParams(window.location.search).get('case'));
  const theme = caseTheme(c);
  const { series, timeRange, width, height } = panelInput(c, theme);
  const props = panelProps({ ...defaultTraceOptions, ...c.options }, series, { width, height, timeRange });
  props.data = {
    ...props.data,
    timeRange,
    request: { targets: series.map((f) => ({ refId: f.refId ?? 'A', datasource: DATASOURCE })) } as DataQueryRequest,
  };
  createRoot(document.getElementById('root')!).render(
    <PanelPage theme={theme} c={c}>
      <TracePanel {...props} />
    </PanelPage>
  );
});
