import type { PanelModel } from '@grafana/data';

import { defaultDriftOptions, migrateDriftOptions, type DriftPanelOptions } from './types';

const panel = (options: Record<string, unknown>) =>
  ({ id: 1, options, fieldConfig: { defaults: {}, overrides: [] } }) as unknown as PanelModel<
    Partial<DriftPanelOptions>
  >;

describe('migrateDriftOptions', () => {
  it('fills defaults', () => {
    expect(migrateDriftOptions(panel({}))).toEqual(defaultDriftOptions);
  });

  it('reads PyFlare’s original options', () => {
    expect(
      migrateDriftOptions(panel({ threshold: 0.3, driftTypes: 'feature, embedding', showThreshold: 'false' }))
    ).toEqual({
      ...defaultDriftOptions,
      criticalThreshold: 0.3,
      driftTypes: ['feature', 'embedding'],
      showThreshold: false,
    });
    expect(migrateDriftOptions(panel({ driftTypes: ['all'] })).driftTypes).toEqual([]);
  });

  it('keeps the warning threshold at or below the critical one', () => {
    const o = migrateDriftOptions(panel({ warningThreshold: 0.5, criticalThreshold: 0.2 }));
    expect(o.warningThreshold).toBe(0.2);
  });

  it('replaces invalid values by defaults', () => {
    const o = migrateDriftOptions(panel({ warningThreshold: -1, driftTypes: 5, alertOnDrift: 'maybe' }));
    expect(o).toEqual(defaultDriftOptions);
  });
});
