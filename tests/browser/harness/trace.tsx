// Trace panel harness: the real panel with real @grafana/ui theming, on frames decoded by
// @grafana/data as Grafana decodes a data source response. The panel's data source is
// backed by the real PyFlare service (proxied at /service/), so a click on a trace the
// panel's data does not hold runs a real trace query.
import React from 'react';
import { createRoot } from 'react-dom/client';
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
  type ScopedVars,
} from '@grafana/data';
import { setDataSourceSrv, type DataSourceSrv } from '@grafana/runtime';
import { GlobalStyles, ThemeContext } from '@grafana/ui';
import { Observable } from 'rxjs';

import { TracePanel } from '../../../src/panels/trace/components/TracePanel';
import { defaultTraceOptions } from '../../../src/panels/trace/types';
import { panelProps } from '../../../src/shared/panelProps';

// Grafana's runtime patches Array.prototype.get at boot (DataFrameView relies on it).
patchArrayVectorProrotypeMethods();

/** What a test case file (cases/<name>.json) holds. */
export interface TraceHarnessCase {
  theme: 'light' | 'dark';
  title: string;
  frames: DataFrameJSON[];
  options?: Record<string, unknown>;
  width: number;
  height: number;
  range: { from: number; to: number };
}

export const DATASOURCE = { type: 'pyflare-observability-datasource', uid: 'pyflare' };

/** The `${__value.raw}` macro of data links and plain scoped variables. */
function replaceScopedVariables(text: string, scopedVars?: ScopedVars): string {
  return text.replace(/\$\{([\w.]+)(?::\w+)?\}/g, (whole, ref: string) => {
    const [name = ''] = ref.split('.');
    if (name === '__value') {
      const ctx = scopedVars?.__dataContext?.value as { field?: { values: unknown[] }; rowIndex?: number } | undefined;
      const raw = ctx?.field && ctx.rowIndex !== undefined ? ctx.field.values[ctx.rowIndex] : undefined;
      return raw === undefined || raw === null ? whole : String(raw);
    }
    const v: unknown = scopedVars?.[name]?.value;
    return v === undefined || v === null ? whole : String(v);
  });
}

interface ServiceAnswer {
  results?: Record<string, { status?: number; frames?: DataFrameJSON[]; error?: string }>;
}

/**
 * What Grafana's backend and the Go data source do for a query: forward each target with the
 * request's time range to the service's POST /api/v1/query and decode the frames.
 */
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

const PANEL_HEADER = 32;
const PANEL_PADDING = 8;

function PanelChrome({ theme, c, children }: { theme: GrafanaTheme2; c: TraceHarnessCase; children: React.ReactNode }) {
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

async function main() {
  const name = new URLSearchParams(window.location.search).get('case');
  const res = await fetch(`cases/${name}.json`);
  if (!res.ok) {
    throw new Error(`case ${name}: HTTP ${res.status}`);
  }
  const c = (await res.json()) as TraceHarnessCase;
  const theme = createTheme({ colors: { mode: c.theme } });
  document.body.style.background = theme.colors.background.canvas;
  // Grafana runs field overrides before a panel sees the data; that resolves data links.
  const series = applyFieldOverrides({
    data: c.frames.map((f) => dataFrameFromJSON(f)),
    fieldConfig: { defaults: {}, overrides: [] },
    replaceVariables: replaceScopedVariables,
    theme,
    timeZone: 'utc',
  });
  const timeRange = {
    from: dateTime(c.range.from),
    to: dateTime(c.range.to),
    raw: { from: dateTime(c.range.from), to: dateTime(c.range.to) },
  };
  const props = panelProps({ ...defaultTraceOptions, ...c.options }, series, {
    width: c.width - 2 * PANEL_PADDING - 2,
    height: c.height - PANEL_HEADER - PANEL_PADDING - 2,
    timeRange,
  });
  props.data = {
    ...props.data,
    timeRange,
    request: { targets: series.map((f) => ({ refId: f.refId ?? 'A', datasource: DATASOURCE })) } as DataQueryRequest,
  };
  createRoot(document.getElementById('root')!).render(
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      <div className={css({ padding: 16 })}>
        <PanelChrome theme={theme} c={c}>
          <TracePanel {...props} />
        </PanelChrome>
      </div>
    </ThemeContext.Provider>
  );
  document.body.dataset.harness = 'ready';
}

main().catch((e: unknown) => {
  console.error(e);
  document.body.dataset.harness = 'failed';
});
