/** data-testid values of the drift panel, shared by the unit and browser tests. */
export const testIds = {
  panel: 'pyflare-drift-panel',
  toolbar: 'pyflare-drift-toolbar',
  viewSwitch: 'pyflare-drift-view-switch',
  alert: 'pyflare-drift-alert',
  empty: 'pyflare-drift-empty',
  error: 'pyflare-drift-error',
  // overview
  overview: 'pyflare-drift-overview',
  card: 'pyflare-drift-card',
  value: 'pyflare-drift-value',
  status: 'pyflare-drift-status',
  sparkline: 'pyflare-drift-sparkline',
  gauge: 'pyflare-drift-gauge',
  cardAlert: 'pyflare-drift-card-alert',
  // heatmap
  heatmap: 'pyflare-drift-heatmap',
  heatmapCanvas: 'pyflare-drift-heatmap-canvas',
  heatmapRow: 'pyflare-drift-heatmap-row',
  heatmapSort: 'pyflare-drift-heatmap-sort',
  heatmapTooltip: 'pyflare-drift-heatmap-tooltip',
  legend: 'pyflare-drift-legend',
  // distribution
  distribution: 'pyflare-drift-distribution',
  distributionChart: 'pyflare-drift-distribution-chart',
  distributionStats: 'pyflare-drift-distribution-stats',
  distributionBin: 'pyflare-drift-distribution-bin',
  distributionTooltip: 'pyflare-drift-distribution-tooltip',
  featurePicker: 'pyflare-drift-feature-picker',
  back: 'pyflare-drift-back',
} as const;
