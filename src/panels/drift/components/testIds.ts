/** data-testid values of the drift panel, shared by the unit and browser tests. */
export const testIds = {
  panel: 'pyflare-drift-panel',
  card: 'pyflare-drift-card',
  value: 'pyflare-drift-value',
  status: 'pyflare-drift-status',
  sparkline: 'pyflare-drift-sparkline',
  gauge: 'pyflare-drift-gauge',
  alert: 'pyflare-drift-alert',
  empty: 'pyflare-drift-empty',
} as const;
