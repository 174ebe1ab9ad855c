// Editors harness: the data source's config editor and one query editor per query type, with
// real @grafana/ui theming, as Grafana's data source settings page and panel editor show them;
// or (view "variable" / "annotation") the query variable and annotation editors in their states.
import React from 'react';
import { createRoot } from 'react-dom/client';
import { css } from '@emotion/css';
import type { DataSourceInstanceSettings, DataSourceSettings, GrafanaTheme2 } from '@grafana/data';
import { GlobalStyles, ThemeContext } from '@grafana/ui';

import { AnnotationQueryEditor } from '../../../src/datasource/components/AnnotationQueryEditor';
import { ConfigEditor } from '../../../src/datasource/components/ConfigEditor';
import { QueryEditor } from '../../../src/datasource/components/QueryEditor';
import { VariableQueryEditor } from '../../../src/datasource/components/VariableQueryEditor';
import { DataSource } from '../../../src/datasource/datasource';
import type {
  PyflareOptions,
  PyflareQuery,
  PyflareSecureOptions,
  PyflareVariableQuery,
} from '../../../src/datasource/types';
import { boot, caseTheme, loadCase } from './grafana';

/** What the case file (cases/<name>.json) holds. */
export interface EditorsCase {
  theme: 'light' | 'dark';
  /** What to render: the query and config editors (default), the variable or the annotation editor. */
  view?: 'editors' | 'variable' | 'annotation';
}

boot(async () => {
  const c = await loadCase<EditorsCase>(new URLSearchParams(window.location.search).get('case'));
  const theme = caseTheme(c);
  const ds = fixedDataSource();
  if (c.view === 'variable') {
    renderVariableEditors(theme, ds);
  } else if (c.view === 'annotation') {
    renderAnnotationEditors(theme, ds);
  } else {
    renderEditors(theme, ds);
  }
});

/** A data source whose pickers answer from a fixed catalog (no Grafana backend here). */
function fixedDataSource(): DataSource {
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
  ds.getCatalog = async (kind) => {
    switch (kind) {
      case 'services':
        return ['checkout-agent', 'search-api'];
      case 'attribute-keys':
        return ['user.tier', 'gen_ai.provider.name'];
      default:
        return ['gpt-4o', 'gpt-4o-mini'];
    }
  };
  ds.getDriftModels = async () => ['churn', 'fraud'];
  ds.getDriftFeatures = async (modelId) => (modelId === 'fraud' ? ['age', 'amount', 'merchant_category'] : []);
  ds.getBudgets = async () => [
    { id: 'b-llm-daily', name: 'LLM spend (daily)' },
    { id: 'b-search-monthly', name: 'search-api (monthly)' },
  ];
  // The dashboard's template variables, offered by the variable editor's pickers.
  ds.variableNames = () => ['model', 'env'];
  return ds;
}

/** One framed editor, with a caption saying which state it shows. */
function Framed({
  theme,
  caption,
  testId,
  children,
}: React.PropsWithChildren<{ theme: GrafanaTheme2; caption: string; testId: string }>) {
  const frame = css({
    padding: 8,
    background: theme.colors.background.primary,
    border: `1px solid ${theme.colors.border.weak}`,
  });
  const title = css({
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    marginBottom: 8,
  });
  return (
    <div className={frame} data-testid={testId}>
      <div className={title}>{caption}</div>
      {children}
    </div>
  );
}

function page(theme: GrafanaTheme2, width: number, children: React.ReactNode) {
  const box = css({ padding: 16, display: 'flex', flexDirection: 'column', gap: 12, width });
  createRoot(document.getElementById('root')!).render(
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      <div className={box} data-testid="harness-page">
        {children}
      </div>
    </ThemeContext.Provider>
  );
}

/** The query variable editor as the variable settings page shows it, one per state. */
function renderVariableEditors(theme: GrafanaTheme2, ds: DataSource) {
  const v = '1';
  const cases: Array<[string, PyflareVariableQuery]> = [
    [
      'Features of a chained model variable',
      { refId: 'V1', kind: 'features', modelId: '$model', timeScoped: true, pluginVersion: v },
    ],
    [
      'Attribute values, every time',
      { refId: 'V2', kind: 'attribute-values', attributeKey: 'user.tier', timeScoped: false, pluginVersion: v },
    ],
    ['Services (saved in the short text form)', { refId: 'V3', query: 'services' } as unknown as PyflareVariableQuery],
    ['Features, model not chosen yet', { refId: 'V4', kind: 'features', timeScoped: true, pluginVersion: v }],
  ];
  page(
    theme,
    820,
    cases.map(([caption, q]) => (
      <Framed key={q.refId} theme={theme} caption={caption} testId="harness-variable-editor">
        <VariableQueryEditor query={q} datasource={ds} onChange={() => {}} onRunQuery={() => {}} />
      </Framed>
    ))
  );
}

/** The annotation editor as the dashboard's annotation settings show it: both sources. */
function renderAnnotationEditors(theme: GrafanaTheme2, ds: DataSource) {
  const v = '1';
  const cases: Array<[string, PyflareQuery]> = [
    [
      'Drift alerts of one model and drift type',
      { refId: 'Anno', queryType: 'alerts', state: 'active', modelId: 'fraud', driftType: 'feature', pluginVersion: v },
    ],
    [
      'Budget breaches of one budget',
      { refId: 'Anno', queryType: 'costs', view: 'breaches', budget: 'b-llm-daily', pluginVersion: v },
    ],
    ['Budget breaches, every budget', { refId: 'Anno', queryType: 'costs', view: 'breaches', pluginVersion: v }],
  ];
  page(
    theme,
    820,
    cases.map(([caption, q], i) => (
      <Framed key={i} theme={theme} caption={caption} testId="harness-annotation-editor">
        <AnnotationQueryEditor query={q} datasource={ds} onChange={() => {}} onRunQuery={() => {}} />
      </Framed>
    ))
  );
}

function renderEditors(theme: GrafanaTheme2, ds: DataSource) {
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
    {
      refId: 'E',
      queryType: 'drift',
      pluginVersion: '1',
      modelId: 'fraud',
      driftType: 'feature',
      feature: 'amount',
      threshold: 0.2,
    },
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
