// What Grafana provides around a panel, for the browser harness pages: the runtime patches,
// a PyFlare data source backed by the real service (proxied at /service/), field overrides with
// data-link variables, and panel chrome so screenshots show the panel in context.
import React from 'react';
import { css } from '@emotion/css';
import {
  applyFieldOverrides,
  createTheme,
  dataFrameFromJSON,
  dateTime,
  patchArrayVectorProrotypeMethods,
  type DataFrame,
  type DataFrameJSON,
  type DataQueryRequest,
  type DataQueryResponse,
  type GrafanaTheme2,
  type ScopedVars,
  type TimeRange,
} from '@grafana/data';
import { setDataSourceSrv, type DataSourceSrv } from '@grafana/runtime';
import { GlobalStyles, ThemeContext } from '@grafana/ui';
import { Observable } from 'rxjs';

// Grafana's runtime patches Array.prototype.get at boot (DataFrameView relies on it); @grafana/data
// is marked side-effect free, so a bundle drops that module unless the patch is called explicitly.
patchArrayVectorProrotypeMethods();

export const DATASOURCE = { type: 'pyflare-observability-datasource', uid: 'pyflare' };

/** What every panel case file (cases/<name>.json) holds. */
export interface PanelCase {
  theme: 'light' | 'dark';
  title: string;
  frames: DataFrameJSON[];
  options?: Record<string, unknown>;
  width: number;
  height: number;
  range: { from: number; to: number };
}

/**
 * The part of Grafana's template service a data link needs: the `${__value.raw}` macro,
 * which Grafana resolves from the clicked cell in `__dataContext`, and plain scoped variables.
 */
export function replaceScopedVariables(text: string, scopedVars?: ScopedVars): string {
  return text.replace(/\$\{([\w.]+)(?::\w+)?\}/g, (whole, ref: string) => {
    const [name = '', ...rest] = ref.split('.');
    if (name === '__value') {
      const ctx = scopedVars?.__dataContext?.value as { field?: { values: unknown[] }; rowIndex?: number } | undefined;
      const raw = ctx?.field && ctx.rowIndex !== undefined ? ctx.field.values[ctx.rowIndex] : undefined;
      return raw === undefined || raw === null ? whole : String(raw);
    }
    let v: unknown = scopedVars?.[name]?.value;
    for (const key of rest) {
      v = v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
    }
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

/** Registers the PyFlare data source with @grafana/runtime, so a panel can run its own queries. */
export function installServiceDataSource(): void {
  setDataSourceSrv({
    get: async (ref?: string | { uid?: string } | null) => {
      const uid = typeof ref === 'string' ? ref : ref?.uid;
      if (uid !== DATASOURCE.uid) {
        throw new Error(`Data source ${uid} was not found`);
      }
      return { ...DATASOURCE, name: 'PyFlare', query: serviceQuery };
    },
  } as unknown as DataSourceSrv);
}

const PANEL_HEADER = 32;
const PANEL_PADDING = 8;

/** The frames, time range and inner size a panel gets from Grafana for this case. */
export function panelInput(c: PanelCase, theme: GrafanaTheme2): { series: DataFrame[]; timeRange: TimeRange; width: number; height: number } {
  // Grafana runs field overrides before a panel sees the data; that is what resolves data links.
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
  return { series, timeRange, width: c.width - 2 * PANEL_PADDING - 2, height: c.height - PANEL_HEADER - PANEL_PADDING - 2 };
}

/** The page around a panel: theme, global styles and a dashboard-like panel box. */
export function PanelPage({ theme, c, children }: { theme: GrafanaTheme2; c: PanelCase; children: React.ReactNode }) {
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
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      <div className={css({ padding: 16 })}>
        <div className={box} data-testid="harness-panel">
          <div className={header}>{c.title}</div>
          <div className={body}>{children}</div>
        </div>
      </div>
    </ThemeContext.Provider>
  );
}

export async function loadCase<T>(name: string | null): Promise<T> {
  const res = await fetch(`cases/${name}.json`);
  if (!res.ok) {
    throw new Error(`case ${name}: HTTP ${res.status}`);
  }
  return (await res.json()) as T;
}

export function caseTheme(c: { theme: 'light' | 'dark' }): GrafanaTheme2 {
  const theme = createTheme({ colors: { mode: c.theme } });
  document.body.style.background = theme.colors.background.canvas;
  document.body.style.color = theme.colors.text.primary;
  return theme;
}

/** Runs a page's main and tells the test through `body[data-harness]` when it is ready or failed. */
export function boot(main: () => Promise<void>): void {
  main().then(
    () => {
      document.body.dataset.harness = 'ready';
    },
    (e: unknown) => {
      console.error(e);
      document.body.dataset.harness = 'failed';
    }
  );
}
