import type { PanelModel } from '@grafana/data';

import { defaultTraceOptions, migrateTraceOptions, type TracePanelOptions } from './types';

const panel = (options: Record<string, unknown>, pluginVersion?: string) =>
  ({ id: 1, options, fieldConfig: { defaults: {}, overrides: [] }, pluginVersion }) as unknown as PanelModel<
    Partial<TracePanelOptions>
  >;

describe('migrateTraceOptions', () => {
  it('fills every option of a panel saved by PyFlare’s original plugin', () => {
    expect(migrateTraceOptions(panel({ showServiceColumn: false, maxTraces: 20 }))).toEqual({
      ...defaultTraceOptions,
      showServiceColumn: false,
      maxTraces: 20,
    });
  });

  it('reads values saved as strings and drops unknown keys', () => {
    expect(
      migrateTraceOptions(panel({ showStatusColumn: 'false', maxTraces: '50', slowThreshold: '1500', colour: 'red' }))
    ).toEqual({ ...defaultTraceOptions, showStatusColumn: false, maxTraces: 50, slowThresholdMs: 1500 });
  });

  it('replaces out-of-range values by defaults', () => {
    const o = migrateTraceOptions(
      panel({ maxTraces: 0, expensiveThresholdUsd: -1, showCostColumn: 'yes', colorBy: 'rainbow' })
    );
    expect(o.colorBy).toBe('spanKind');
    expect(o.maxTraces).toBe(defaultTraceOptions.maxTraces);
    expect(o.expensiveThresholdUsd).toBe(defaultTraceOptions.expensiveThresholdUsd);
    expect(o.showCostColumn).toBe(true);
  });

  it('keeps current options as they are', () => {
    const current: TracePanelOptions = {
      ...defaultTraceOptions,
      maxTraces: 7,
      showModelColumn: false,
      colorBy: 'service',
      showCriticalPath: false,
      showWaterfallColumn: false,
    };
    expect(migrateTraceOptions(panel({ ...current }, '0.1.0'))).toEqual(current);
  });
});
