/** data-testid values of the trace panel, shared by the unit and browser tests. */
export const testIds = {
  panel: 'pyflare-trace-panel',
  list: 'pyflare-trace-list',
  row: 'pyflare-trace-row',
  footer: 'pyflare-trace-list-footer',
  empty: 'pyflare-trace-empty',
  missingTrace: 'pyflare-trace-missing',
  detail: 'pyflare-trace-detail',
  back: 'pyflare-trace-back',
  ruler: 'pyflare-trace-ruler',
  spanRow: 'pyflare-span-row',
  spanToggle: 'pyflare-span-toggle',
  spanDetails: 'pyflare-span-details',
} as const;
