// Drift panel harness: the real panel with real @grafana/ui theming, on frames decoded by
// @grafana/data as Grafana decodes a data source response. The panel's data source is backed
// by the real PyFlare service (proxied at /service/), so a heatmap click on a feature whose
// distribution the panel's data does not hold runs a real distribution query.
// `window.pyflareDriftBench` renders the panel repeatedly for bench/drift-panel.bench.ts.
import React from 'react';
import { flushSync } from 'react-dom';
import { createRoot, type Root } from 'react-dom/client';
import type { DataQueryRequest, GrafanaTheme2 } from '@grafana/data';

import { DriftPanel } from '../../../src/panels/drift/components/DriftPanel';
import { defaultDriftOptions } from '../../../src/panels/drift/types';
import { panelProps } from '../../../src/shared/panelProps';
import { boot, caseTheme, DATASOURCE, installServiceDataSource, loadCase, PanelPage, panelInput, type PanelCase } from './grafana';

/** What a test case file (cases/<name>.json) holds. */
export interface DriftHarnessCase extends PanelCase {
  /** The panel's queries ran against the PyFlare data source (so it can run its own). */
  withDataSource?: boolean;
  /** A query error the panel's data carries. */
  error?: string;
}

installServiceDataSource();

// Grafana installs its own PanelDataErrorView at boot (setPanelDataErrorView is internal to
// @grafana/runtime); here the runtime's default ("Unable to render data: <message>.") shows.

function panelElement(c: DriftHarnessCase, theme: GrafanaTheme2): React.ReactElement {
  const { series, timeRange, width, height } = panelInput(c, theme);
  const props = panelProps({ ...defaultDriftOptions, ...c.options }, series, { width, height, timeRange });
  props.data = {
    ...props.data,
    timeRange,
    ...(c.error ? { state: 'Error', errors: [{ message: c.error }] } : {}),
    ...(c.withDataSource
      ? {
          request: {
            targets: [...new Set(series.map((f) => f.refId ?? 'A'))].map((refId) => ({
              refId,
              datasource: DATASOURCE,
            })),
          } as DataQueryRequest,
        }
      : {}),
  } as typeof props.data;
  return (
    <PanelPage theme={theme} c={c}>
      <DriftPanel {...props} />
    </PanelPage>
  );
}

boot(async () => {
  const name = new URLSearchParams(window.location.search).get('case');
  if (!name) {
    // Benchmark page: nothing to show until the bench calls pyflareDriftBench.
    return;
  }
  const c = await loadCase<DriftHarnessCase>(name);
  createRoot(document.getElementById('root')!).render(panelElement(c, caseTheme(c)));
});

/**
 * One timed render. decodeMs: Grafana's part (frame JSON decoding, field overrides).
 * renderMs: React render and commit with the canvas painted (synchronous). frameMs: from the
 * render until the browser has laid out and painted the next frame.
 */
export interface DriftBenchSample {
  decodeMs: number;
  renderMs: number;
  frameMs: number;
  cells: number;
  cards: number;
}

declare global {
  interface Window {
    pyflareDriftBench: (caseName: string, runs: number) => Promise<DriftBenchSample[]>;
  }
}

window.pyflareDriftBench = async (caseName, runs) => {
  const c = await loadCase<DriftHarnessCase>(caseName);
  const theme = caseTheme(c);
  const samples: DriftBenchSample[] = [];
  const host = document.getElementById('root')!;
  for (let i = 0; i < runs; i++) {
    // A new element each run: nothing is memoised across runs (frames are decoded anew too,
    // as on every dashboard refresh).
    const root: Root = createRoot(host);
    const t0 = performance.now();
    const element = panelElement(c, theme);
    const t1 = performance.now();
    flushSync(() => root.render(element));
    const renderMs = performance.now() - t1;
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    const frameMs = performance.now() - t1;
    const canvas = host.querySelector('canvas');
    samples.push({
      decodeMs: t1 - t0,
      renderMs,
      frameMs,
      cells: Number(canvas?.dataset.painted ?? 0),
      cards: host.querySelectorAll('[data-testid="pyflare-drift-card"]').length,
    });
    root.unmount();
    await new Promise((r) => setTimeout(r, 30));
  }
  return samples;
};
