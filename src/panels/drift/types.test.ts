import type { PanelModel } from '@grafana/data';

import { defaultDriftOptions, migrateDriftOptions, needsDriftMigration, type DriftPanelOptions } from './types';

const panel = (options: object, pluginVersion?: string) =>
  ({ id: 1, options, pluginVersion, fieldConfig: { defaults: {}, overrides: [] } }) as unknown as PanelModel<
    Partial<DriftPanelOptions>
  >;

describe('migrateDriftOptions', () => {
  it('fills defaults', () => {
    expect(migrateDriftOptions(panel({}))).toEqual(defaultDriftOptions);
  });

  it('is idempotent on current options', () => {
    const current: DriftPanelOptions = {
      ...defaultDriftOptions,
      mode: 'heatmap',
      driftTypes: ['feature'],
      thresholds: { source: 'fixed', warningRatio: 0.7, warning: 0.05, critical: 0.3 },
      heatmapSort: 'peak',
      featureVariable: 'feature',
    };
    expect(migrateDriftOptions(panel(current))).toEqual(current);
  });

  it('reads PyFlare’s original options: one absolute threshold, driftTypes as a string, viewMode', () => {
    expect(
      migrateDriftOptions(
        panel({ threshold: 0.3, driftTypes: 'feature, embedding', showThreshold: 'false', viewMode: 'heatmap' })
      )
    ).toEqual({
      ...defaultDriftOptions,
      mode: 'heatmap',
      thresholds: { ...defaultDriftOptions.thresholds, source: 'fixed', critical: 0.3, warning: 0.15 },
      driftTypes: ['feature', 'embedding'],
      showThreshold: false,
    });
    expect(migrateDriftOptions(panel({ driftTypes: ['all'] })).driftTypes).toEqual([]);
    expect(migrateDriftOptions(panel({ viewMode: 'gauge' })).mode).toBe('overview');
  });

  it('reads the 0.1 development shape (warningThreshold / criticalThreshold)', () => {
    const o = migrateDriftOptions(panel({ warningThreshold: 0.05, criticalThreshold: '0.25' }));
    expect(o.thresholds).toEqual({ source: 'fixed', warningRatio: 0.8, warning: 0.05, critical: 0.25 });
  });

  it('keeps the warning score at or below the drift score', () => {
    const o = migrateDriftOptions(panel({ thresholds: { source: 'fixed', warning: 0.5, critical: 0.2 } }));
    expect(o.thresholds.warning).toBe(0.2);
  });

  it('replaces invalid values by defaults and strips $ from the variable name', () => {
    const o = migrateDriftOptions(
      panel({
        mode: 'pie',
        driftTypes: 5,
        alertOnDrift: 'maybe',
        thresholds: { source: 'x', warningRatio: 3, critical: -1 },
        heatmapSort: 'random',
        featureVariable: '${feature}',
      })
    );
    expect(o).toEqual({ ...defaultDriftOptions, featureVariable: 'feature' });
    expect(migrateDriftOptions(panel({ thresholds: 'nope' })).thresholds).toEqual(defaultDriftOptions.thresholds);
  });
});

describe('needsDriftMigration', () => {
  it('migrates panels without a pluginVersion or with legacy keys', () => {
    expect(needsDriftMigration(panel({}) as PanelModel)).toBe(true);
    expect(needsDriftMigration(panel({ threshold: 0.2 }, '0.1.0') as PanelModel)).toBe(true);
    expect(needsDriftMigration(panel({ mode: 'auto' }, '0.1.0') as PanelModel)).toBe(false);
  });
});
