import React, { useMemo } from 'react';
import { css } from '@emotion/css';
import type { AppRootProps, GrafanaTheme2 } from '@grafana/data';
import { getDataSourceSrv, PluginPage } from '@grafana/runtime';
import { Icon, LinkButton, Stack, TextLink, useStyles2, type IconName } from '@grafana/ui';

import { grafanaUrl } from '../../shared/urls';
import { DATASOURCE_ID, DEFAULT_OTLP_GRPC_PORT, DEFAULT_OTLP_HTTP_PORT, DEFAULT_SERVICE_URL } from '../../constants';

export const testIds = {
  app: 'pyflare-app-root',
  datasources: 'pyflare-app-datasources',
};

interface Card {
  icon: IconName;
  title: string;
  text: string;
  action?: React.ReactNode;
}

/** Explore with a traces query of the given data source (Explore's URL schema version 1). */
export function exploreTracesUrl(uid: string): string {
  const panes = {
    pyflare: {
      datasource: uid,
      queries: [{ refId: 'A', datasource: { type: DATASOURCE_ID, uid }, queryType: 'traces' }],
      range: { from: 'now-1h', to: 'now' },
    },
  };
  return grafanaUrl(`/explore?schemaVersion=1&panes=${encodeURIComponent(JSON.stringify(panes))}`);
}

/** Data source instances of our type, if Grafana's data source service is available. */
function usePyflareDataSources() {
  return useMemo(() => {
    try {
      return getDataSourceSrv().getList({ type: DATASOURCE_ID });
    } catch {
      return [];
    }
  }, []);
}

/** The app's landing page: what the suite contains and how to get data into it. */
export function App(_props: AppRootProps) {
  const styles = useStyles2(getStyles);
  const dataSources = usePyflareDataSources();
  const first = dataSources[0];

  const cards: Card[] = [
    {
      icon: 'database',
      title: 'PyFlare data source',
      text: 'Queries the PyFlare service: trace search and single traces, request/error/latency/token/cost metrics, cost breakdowns and forecasts, drift scores and alerts. Runs in Grafana’s backend, so alert rules work.',
      action: first ? (
        <Stack gap={1}>
          <LinkButton size="sm" href={grafanaUrl(`/connections/datasources/edit/${first.uid}`)} variant="secondary">
            Settings
          </LinkButton>
          <LinkButton size="sm" icon="compass" href={exploreTracesUrl(first.uid)}>
            Explore traces
          </LinkButton>
        </Stack>
      ) : (
        <LinkButton size="sm" icon="plus" href={grafanaUrl(`/connections/datasources/${DATASOURCE_ID}`)}>
          Add data source
        </LinkButton>
      ),
    },
    {
      icon: 'gf-traces',
      title: 'Trace panel',
      text: 'LLM and agent traces with tokens, cost and a mini waterfall per row; errors, slow and expensive traces stand out. Click a trace for the span waterfall with critical path and prompt, completion and token details.',
    },
    {
      icon: 'chart-line',
      title: 'Drift panel',
      text: 'Feature, prediction, embedding, concept and LLM drift scores with warning and drift thresholds, status and a sparkline per series.',
    },
    {
      icon: 'bell',
      title: 'Alerting',
      text: 'Alert on latency, error rate, daily cost or drift with Grafana-managed rules on PyFlare metrics, costs and drift queries.',
      action: (
        <LinkButton size="sm" variant="secondary" href={grafanaUrl('/alerting/new')}>
          New alert rule
        </LinkButton>
      ),
    },
  ];

  return (
    <PluginPage>
      <div className={styles.page} data-testid={testIds.app}>
        <p className={styles.lead}>
          PyFlare brings LLM and ML observability into Grafana: OpenTelemetry traces of LLM calls, agents and tools with
          token counts and cost, plus drift monitoring for models, all queried, visualised and alerted on here.
        </p>

        <div className={styles.cards}>
          {cards.map((c) => (
            <section key={c.title} className={styles.card}>
              <h3 className={styles.cardTitle}>
                <Icon name={c.icon} size="lg" /> {c.title}
              </h3>
              <p className={styles.cardText}>{c.text}</p>
              {c.action && <div className={styles.cardAction}>{c.action}</div>}
            </section>
          ))}
        </div>

        <h3>Get started</h3>
        <ol className={styles.steps}>
          <li>
            Run the PyFlare service (REST API on {DEFAULT_SERVICE_URL.replace('http://', '')} by default) with an API
            key in <code>PYFLARE_API_KEY</code>.
          </li>
          <li>
            Point your OpenTelemetry exporters at it: OTLP/HTTP on port {DEFAULT_OTLP_HTTP_PORT}, OTLP/gRPC on port{' '}
            {DEFAULT_OTLP_GRPC_PORT}, with the header <code>Authorization: Bearer &lt;key&gt;</code>. Spans following
            the{' '}
            <TextLink href="https://opentelemetry.io/docs/specs/semconv/gen-ai/" external inline>
              GenAI semantic conventions
            </TextLink>{' '}
            get tokens, model and cost.
          </li>
          <li>
            Add a PyFlare data source with the service URL and a key that has the read scope, then Save &amp; test.
          </li>
          <li>
            Open the{' '}
            <a className={styles.link} href={grafanaUrl('/dashboards?tag=pyflare')}>
              PyFlare dashboards
            </a>{' '}
            or add the PyFlare Traces and PyFlare Drift panels to your own.
          </li>
        </ol>

        <div data-testid={testIds.datasources} className={styles.muted}>
          {dataSources.length === 0
            ? 'No PyFlare data source is configured yet.'
            : `Configured data sources: ${dataSources.map((d) => d.name).join(', ')}`}
        </div>
      </div>
    </PluginPage>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  page: css({
    maxWidth: 1100,
  }),
  lead: css({
    fontSize: theme.typography.h5.fontSize,
    color: theme.colors.text.secondary,
    marginBottom: theme.spacing(3),
  }),
  cards: css({
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fill, minmax(240px, 1fr))',
    gap: theme.spacing(2),
    marginBottom: theme.spacing(4),
  }),
  card: css({
    display: 'flex',
    flexDirection: 'column',
    padding: theme.spacing(2),
    borderRadius: theme.shape.radius.default,
    border: `1px solid ${theme.colors.border.weak}`,
    background: theme.colors.background.secondary,
  }),
  cardTitle: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    fontSize: theme.typography.h4.fontSize,
  }),
  cardText: css({
    color: theme.colors.text.secondary,
    flex: 1,
  }),
  cardAction: css({
    marginTop: theme.spacing(1),
  }),
  steps: css({
    paddingLeft: theme.spacing(3),
    li: { marginBottom: theme.spacing(1) },
  }),
  // Plain anchors for Grafana-internal links: TextLink would need a router context around the page.
  link: css({
    color: theme.colors.text.link,
    '&:hover': { textDecoration: 'underline' },
  }),
  muted: css({
    marginTop: theme.spacing(2),
    color: theme.colors.text.secondary,
  }),
});
