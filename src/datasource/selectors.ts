/** data-testid values of the data source editors, shared by the component tests. */
export const selectors = {
  config: {
    url: 'pyflare-config-url',
    apiToken: 'pyflare-config-api-token',
    timeout: 'pyflare-config-timeout',
    tlsSkipVerify: 'pyflare-config-tls-skip-verify',
    tlsAuthWithCACert: 'pyflare-config-tls-ca',
    tlsCACert: 'pyflare-config-tls-ca-cert',
    tlsAuth: 'pyflare-config-tls-client-auth',
    serverName: 'pyflare-config-tls-server-name',
    tlsClientCert: 'pyflare-config-tls-client-cert',
    tlsClientKey: 'pyflare-config-tls-client-key',
  },
  query: {
    editor: 'pyflare-query-editor',
    queryType: 'pyflare-query-type',
    issues: 'pyflare-query-issues',
    traces: {
      search: 'pyflare-traces-search',
      service: 'pyflare-traces-service',
      model: 'pyflare-traces-model',
      status: 'pyflare-traces-status',
      minDuration: 'pyflare-traces-min-duration',
      maxDuration: 'pyflare-traces-max-duration',
      sortBy: 'pyflare-traces-sort',
      limit: 'pyflare-traces-limit',
    },
    trace: {
      traceId: 'pyflare-trace-id',
    },
    metrics: {
      metric: 'pyflare-metrics-metric',
      aggregation: 'pyflare-metrics-aggregation',
      groupBy: 'pyflare-metrics-group-by',
      filter: 'pyflare-metrics-filter',
      format: 'pyflare-metrics-format',
    },
    costs: {
      view: 'pyflare-costs-view',
      groupBy: 'pyflare-costs-group-by',
      filter: 'pyflare-costs-filter',
      horizonDays: 'pyflare-costs-horizon',
      format: 'pyflare-costs-format',
    },
    drift: {
      modelId: 'pyflare-drift-model',
      driftType: 'pyflare-drift-type',
      view: 'pyflare-drift-view',
      feature: 'pyflare-drift-feature',
      threshold: 'pyflare-drift-threshold',
    },
    alerts: {
      state: 'pyflare-alerts-state',
      modelId: 'pyflare-alerts-model',
    },
  },
} as const;
