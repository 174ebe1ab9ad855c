import { PanelPlugin, type SelectFieldConfigSettings } from '@grafana/data';

import { DriftPanel } from './components/DriftPanel';
import { defaultDriftOptions, KNOWN_DRIFT_TYPES, migrateDriftOptions, type DriftPanelOptions } from './types';

export const plugin = new PanelPlugin<DriftPanelOptions>(DriftPanel)
  .setMigrationHandler(migrateDriftOptions)
  .setPanelOptions((builder) => {
    const thresholds = ['Thresholds'];
    return (
      builder
        .addNumberInput({
          path: 'warningThreshold',
          name: 'Warning threshold',
          description: 'Score at which a series turns yellow (PSI: 0.1 = moderate shift)',
          category: thresholds,
          defaultValue: defaultDriftOptions.warningThreshold,
          settings: { min: 0, step: 0.01 },
        })
        .addNumberInput({
          path: 'criticalThreshold',
          name: 'Drift threshold',
          description: 'Score at which a series counts as drifted (PSI: 0.2 = major shift)',
          category: thresholds,
          defaultValue: defaultDriftOptions.criticalThreshold,
          settings: { min: 0, step: 0.01 },
        })
        .addBooleanSwitch({
          path: 'showThreshold',
          name: 'Show thresholds',
          description: 'Threshold zones on the gauge and lines on the sparkline',
          category: thresholds,
          defaultValue: defaultDriftOptions.showThreshold,
        })
        .addBooleanSwitch({
          path: 'alertOnDrift',
          name: 'Drift banner',
          description: 'A banner when any series is above the drift threshold',
          category: thresholds,
          defaultValue: defaultDriftOptions.alertOnDrift,
        })
        .addBooleanSwitch({
          path: 'showSparkline',
          name: 'Sparkline',
          defaultValue: defaultDriftOptions.showSparkline,
        })
        // No defaultValue: the builder types a multi-select's default as one option; unset = all types.
        .addMultiSelect<string, SelectFieldConfigSettings<string>>({
          path: 'driftTypes',
          name: 'Drift types',
          description: 'Only these drift types; none selected shows all',
          settings: {
            allowCustomValue: true,
            options: KNOWN_DRIFT_TYPES.map((t) => ({
              value: t,
              label: t === 'llm' ? 'LLM' : t[0]!.toUpperCase() + t.slice(1),
            })),
          },
        })
    );
  });
