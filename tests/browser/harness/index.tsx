// Browser harness: renders the real PyFlare panels with real @grafana/ui theming, on frames
// decoded by @grafana/data exactly as Grafana decodes a data source response.
import React from 'react';
import { createRoot } from 'react-dom/client';
import { css } from '@emotion/css';
import {
  applyFieldOverrides,
  createTheme,
  dataFrameFromJSON,
  type DataFrameJSON,
  type DataSourceInstanceSettings,
  type DataSourceSettings,
  type GrafanaTheme2,
  type ScopedVars,
  patchArrayVectorProrotypeMethods,
} from '@grafana/data';
import { GlobalStyles, ThemeContext } from '@grafana/ui';

import { ConfigEditor } from '../../../src/datasource/components/ConfigEditor';
import { QueryEditor } from '../../../src/datasource/components/QueryEditor';
import { DataSource } from '../../../src/datasource/datasource';
import type { PyflareOptions, PyflareQuery, PyflareSecureOptions } from '../../../src/datasource/types';
import { DriftPanel } from '../../../src/panels/drift/components/DriftPanel';
import { defaultDriftOptions } from '../../../src/panels/drift/types';
import { TracePanel } from '../../../src/panels/trace/components/TracePanel';
import { defaultTraceOptions } from '../../../src/panels/trace/types';
import { panelProps } from '../../../src/shared/panelProps';

// Grafana's runtime patches Array.prototype.get at boot (DataFrameView relies on it); @grafana/data
// is marked side-effect free, so a bundle drops that module unless the patch is called explicitly.
patchArrayVectorProrotypeMethods();

/** What a test case file (cases/<name>.json) holds. */
export interface HarnessCase {
  /** `editors` renders the data source's config editor and one query editor per query type. */
  panel: 'trace' | 'drift' | 'editors';
  theme: 'light' | 'dark';
  title: string;
  frames: DataFrameJSON[];
  options?: Record<string, unknown>;
  width: number;
  height: number;
}

/**
 * The part of Grafana's template service a data link needs: the `${__value.raw}` macro,
 * which Grafana resolves from the clicked cell in `__dataContext`, and plain scoped variables.
 */
function replaceScopedVariables(text: string, scopedVars?: ScopedVars): string {
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

const PANEL_HEADER = 32;
const PANEL_PADDING = 8;

function PanelChrome({ theme, c, children }: { theme: GrafanaTheme2; c: HarnessCase; children: React.ReactNode }) {
  // Looks like a Grafana dashboard panel, so screenshots show the panel in context.
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
  const c = (await res.json()) as HarnessCase;
  const theme = createTheme({ colors: { mode: c.theme } });
  if (c.panel === 'editors') {
    renderEditors(theme);
    document.body.dataset.harness = 'ready';
    return;
  }
  // Grafana runs field overrides before a panel sees the data; that is what resolves data links.
  const series = applyFieldOverrides({
    data: c.frames.map((f) => dataFrameFromJSON(f)),
    fieldConfig: { defaults: {}, overrides: [] },
    replaceVariables: replaceScopedVariables,
    theme,
    timeZone: 'utc',
  });
  const innerWidth = c.width - 2 * PANEL_PADDING - 2;
  const innerHeight = c.height - PANEL_HEADER - PANEL_PADDING - 2;
  const panel =
    c.panel === 'trace' ? (
      <TracePanel
        {...panelProps({ ...defaultTraceOptions, ...c.options }, series, { width: innerWidth, height: innerHeight })}
      />
    ) : (
      <DriftPanel
        {...panelProps({ ...defaultDriftOptions, ...c.options }, series, { width: innerWidth, height: innerHeight })}
      />
    );
  const page = css({ padding: 16 });
  createRoot(document.getElementById('root')!).render(
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      <div className={page}>
        <PanelChrome theme={theme} c={c}>
          {panel}
        </PanelChrome>
      </div>
    </ThemeContext.Provider>
  );
  document.body.dataset.harness = 'ready';
}

function renderEditors(theme: GrafanaTheme2) {
  const ds = new DataSource({
    id: 1,
    uid: 'pyflare',
    type: 'pyflare-observability-datasource',
    name: 'PyFlare',
    access: 'proxy',
    readOnly: false,
    jsonData: {},
    meta: { id: 'pyflare-observability-datasource' },
  } as unknown as DataSourceInstanceSettings<PyflareOptions>);
  // No Grafana backend here: pickers get a fixed catalog.
  ds.getCatalog = async (kind) => (kind === 'services' ? ['checkout-agent', 'search-api'] : ['gpt-4o', 'gpt-4o-mini']);
  const queries: PyflareQuery[] = [
    {
      refId: 'A',
      queryType: 'traces',
      pluginVersion: '1',
      search: 'status:error duration:>2s',
      serviceName: 'checkout-agent',
      limit: 100,
    },
    { refId: 'B', queryType: 'trace', pluginVersion: '1', traceId: '5b8efff798038103d269b633813fc60c' },
    {
      refId: 'C',
      queryType: 'metrics',
      pluginVersion: '1',
      metric: 'latency_ms',
      aggregation: 'p95',
      groupBy: ['model'],
    },
    { refId: 'D', queryType: 'costs', pluginVersion: '1', view: 'forecast', groupBy: 'service' },
    { refId: 'E', queryType: 'drift', pluginVersion: '1', modelId: 'fraud', driftType: 'feature', threshold: 0.2 },
    { refId: 'F', queryType: 'alerts', pluginVersion: '1', state: 'active' },
  ];
  const box = css({ padding: 16, display: 'flex', flexDirection: 'column', gap: 12, width: 1100 });
  const row = css({
    padding: 8,
    background: theme.colors.background.primary,
    border: `1px solid ${theme.colors.border.weak}`,
  });
  const settings = {
    id: 1,
    uid: 'pyflare',
    orgId: 1,
    name: 'PyFlare',
    type: 'pyflare-observability-datasource',
    typeName: 'PyFlare',
    typeLogoUrl: '',
    access: 'proxy',
    url: '',
    user: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    readOnly: false,
    withCredentials: false,
    jsonData: { url: 'http://pyflare:8780', timeoutSeconds: 30, tlsAuthWithCACert: true },
    secureJsonFields: { apiToken: true },
  } as unknown as DataSourceSettings<PyflareOptions, PyflareSecureOptions>;
  createRoot(document.getElementById('root')!).render(
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      <div className={box}>
        {queries.map((q) => (
          <div key={q.refId} className={row} data-testid="harness-query-editor">
            <QueryEditor query={q} datasource={ds} onChange={() => {}} onRunQuery={() => {}} />
          </div>
        ))}
        <div className={row} data-testid="harness-config-editor">
          <ConfigEditor options={settings} onOptionsChange={() => {}} />
        </div>
      </div>
    </ThemeContext.Provider>
  );
}

main().catch((e: unknown) => {
  console.error(e);
  document.body.dataset.harness = 'failed';
});
