// Drift panel harness: the real panel with real @grafana/ui theming, on frames decoded by
// @grafana/data as Grafana decodes a data source response. The panel's data source is backed
// by the real PyFlare service (proxied at /service/), so a heatmap click on a feature whose
// distribution the panel's data does not hold runs a real distribution query.
// `window.pyflareDriftBench` renders the panel repeatedly for bench/drift-panel.bench.ts.
import React from 'react';
import { flushSync } from 'react-dom';
import { createRoot, type Root } from 'react-dom/client';
import { css } from '@emotion/css';
import {
  applyFieldOverrides,
  createTheme,
  dataFrameFromJSON,
  dateTime,
  patchArrayVectorProrotypeMethods,
  type DataFrameJSON,
  type DataQueryRequest,
  type DataQueryResponse,
  type GrafanaTheme2,
} from '@grafana/data';
import { setDataSourceSrv, type DataSourceSrv } from '@grafana/runtime';
import { GlobalStyles, ThemeContext } from '@grafana/ui';
import { Observable } from 'rxjs';

import { DriftPanel } from '../../../src/panels/drift/components/DriftPanel';
import { defaultDriftOptions } from '../../../src/panels/drift/types';
import { panelProps } from '../../../src/shared/panelProps';

// Grafana's runtime patches Array.prototype.get at boot (DataFrameView relies on it).
patchArrayVectorProrotypeMethods();

/** What a test case file (cases/<name>.json) holds. */
export interface DriftHarnessCase {
  theme: 'light' | 'dark';
  title: string;
  frames: DataFrameJSON[];
  options?: Record<string, unknown>;
  width: number;
  height: number;
  range: { from: number; to: number };
  /** The panel's queries ran against the PyFlare data source (so it can run its own). */
  withDataSource?: boolean;
  /** A query error the panel's data carries. */
  error?: string;
}

export const DATASOURCE = { type: 'pyflare-observability-datasource', uid: 'pyflare' };

interface ServiceAnswer {
  results?: Record<string, { status?: number; frames?: DataFrameJSON[]; error?: string }>;
}

/** What Grafana's backend and the Go data source do: forward each target to POST /api/v1/query, decode the frames. */
function serviceQuery(req: DataQueryRequest): Observable<DataQueryResponse> {
  return new Observable((subscriber) => {
    const body = {
      queries: req.targets.map(({ datasource: _ds, ...query }) => ({
        refId: query.refId,
        timeRange: { from: req.range.from.valueOf(), to: req.range.to.valueOf() },
        intervalMs: req.intervalMs,
        maxDataPoints: req.maxDataPoints ?? 1000,
        query,
      })),
    };
    fetch('service/api/v1/query', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
      .then(async (res) => {
        const json = (await res.json()) as ServiceAnswer;
        const results = Object.entries(json.results ?? {});
        subscriber.next({
          data: results.flatMap(([, r]) => (r.frames ?? []).map((f) => dataFrameFromJSON(f))),
          errors: results
            .filter(([, r]) => r.error)
            .map(([refId, r]) => ({ refId, message: r.error, status: r.status })),
          state: 'Done',
        } as DataQueryResponse);
        subscriber.complete();
      })
      .catch((e: unknown) => subscriber.error(e));
  });
}

setDataSourceSrv({
  get: async (ref?: string | { uid?: string } | null) => {
    const uid = typeof ref === 'string' ? ref : ref?.uid;
    if (uid !== DATASOURCE.uid) {
      throw new Error(`Data source ${uid} was not found`);
    }
    return { ...DATASOURCE, name: 'PyFlare', query: serviceQuery };
  },
} as unknown as DataSourceSrv);

// Grafana installs its own PanelDataErrorView at boot (setPanelDataErrorView is internal to
// @grafana/runtime); here the runtime's default ("Unable to render data: <message>.") shows.

const PANEL_HEADER = 32;
const PANEL_PADDING = 8;

function PanelChrome({ theme, c, children }: { theme: GrafanaTheme2; c: DriftHarnessCase; children: React.ReactNode }) {
  const box = css({
    width: c.width,
    height: c.height,
    background: theme.colors.background.primary,
    border: `1px solid ${theme.components.panel.borderColor}`,
    borderRadius: theme.shape.radius.default,
    display: 'flex',
    flexDirection: 'column',
    overflow: 'hidden',
  });
  const header = css({
    height: PANEL_HEADER,
    padding: theme.spacing(0, 1),
    display: 'flex',
    alignItems: 'center',
    fontWeight: theme.typography.fontWeightMedium,
    color: theme.colors.text.primary,
  });
  const body = css({ padding: PANEL_PADDING, paddingTop: 0, flex: 1, minHeight: 0 });
  return (
    <div className={box} data-testid="harness-panel">
      <div className={header}>{c.title}</div>
      <div className={body}>{children}</div>
    </div>
  );
}

function panelElement(c: DriftHarnessCase, theme: GrafanaTheme2): React.ReactElement {
  // Grafana runs field overrides before a panel sees the data.
  const series = applyFieldOverrides({
    data: c.frames.map((f) => dataFrameFromJSON(f)),
    fieldConfig: { defaults: {}, overrides: [] },
    replaceVariables: (s) => s,
    theme,
    timeZone: 'utc',
  });
  const timeRange = {
    from: dateTime(c.range.from),
    to: dateTime(c.range.to),
    raw: { from: dateTime(c.range.from), to: dateTime(c.range.to) },
  };
  const props = panelProps({ ...defaultDriftOptions, ...c.options }, series, {
    width: c.width - 2 * PANEL_PADDING - 2,
    height: c.height - PANEL_HEADER - PANEL_PADDING - 2,
    timeRange,
  });
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
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      <div className={css({ padding: 16 })}>
        <PanelChrome theme={theme} c={c}>
          <DriftPanel {...props} />
        </PanelChrome>
      </div>
    </ThemeContext.Provider>
  );
}

async function loadCase(name: string | null): Promise<DriftHarnessCase> {
  const res = await fetch(`cases/${name}.json`);
  if (!res.ok) {
    throw new Error(`case ${name}: HTTP ${res.status}`);
  }
  return (await res.json()) as DriftHarnessCase;
}

function prepareDocument(theme: GrafanaTheme2) {
  document.body.style.background = theme.colors.background.canvas;
  document.body.style.color = theme.colors.text.primary;
}

async function main() {
  const name = new URLSearchParams(window.location.search).get('case');
  if (!name) {
    // Benchmark page: nothing to show until the bench calls pyflareDriftBench.
    document.body.dataset.harness = 'ready';
    return;
  }
  const c = await loadCase(name);
  const theme = createTheme({ colors: { mode: c.theme } });
  prepareDocument(theme);
  createRoot(document.getElementById('root')!).render(panelElement(c, theme));
  document.body.dataset.harness = 'ready';
}

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
  const c = await loadCase(caseName);
  const theme = createTheme({ colors: { mode: c.theme } });
  prepareDocument(theme);
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

main().catch((e: unknown) => {
  console.error(e);
  document.body.dataset.harness = 'failed';
});
