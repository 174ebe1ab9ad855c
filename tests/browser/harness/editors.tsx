// Editors harness: the data source's config editor and one query editor per query type, with
// real @grafana/ui theming, as Grafana's data source settings page and panel editor show them.
import React from 'react';
import { createRoot } from 'react-dom/client';
import { css } from '@emotion/css';
import type { DataSourceInstanceSettings, DataSourceSettings, GrafanaTheme2 } from '@grafana/data';
import { GlobalStyles, ThemeContext } from '@grafana/ui';

import { ConfigEditor } from '../../../src/datasource/components/ConfigEditor';
import { QueryEditor } from '../../../src/datasource/components/QueryEditor';
import { DataSource } from '../../../src/datasource/datasource';
import type { PyflareOptions, PyflareQuery, PyflareSecureOptions } from '../../../src/datasource/types';
import { boot, caseTheme, loadCase } from './grafana';

/** What the case file (cases/<name>.json) holds. */
export interface EditorsCase {
  theme: 'light' | 'dark';
}

boot(async () => {
  const c = await loadCase<EditorsCase>(new URLSearchParams(window.location.search).get('case'));
  renderEditors(caseTheme(c));
});

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
