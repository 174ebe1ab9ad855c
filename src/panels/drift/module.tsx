import { PanelPlugin, type SelectFieldConfigSettings } from '@grafana/data';

import { DriftPanel } from './components/DriftPanel';
import {
  defaultDriftOptions,
  KNOWN_DRIFT_TYPES,
  migrateDriftOptions,
  needsDriftMigration,
  type DriftPanelOptions,
} from './types';

const d = defaultDriftOptions;

export const plugin = new PanelPlugin<DriftPanelOptions>(DriftPanel)
  .setMigrationHandler(migrateDriftOptions, needsDriftMigration)
  .setPanelOptions((builder) => {
    const thresholds = ['Thresholds'];
    const heatmap = ['Feature heatmap'];
    return (
      builder
        .addRadio({
          path: 'mode',
          name: 'View',
          description:
            'Auto: distribution frames show as distributions, per-feature series as a heatmap, else the overview',
          defaultValue: d.mode,
          settings: {
            options: [
              { value: 'auto', label: 'Auto' },
              { value: 'overview', label: 'Overview' },
              { value: 'heatmap', label: 'Feature heatmap' },
              { value: 'distribution', label: 'Distribution' },
            ],
          },
        })
        // No defaultValue: the builder types a multi-select's default as one option; unset = all types.
        .addMultiSelect<string, SelectFieldConfigSettings<string>>({
          path: 'driftTypes',
          name: 'Drift types',
          description:
            'Only these drift types; none selected shows all. Selected types without data show an empty gauge.',
          settings: {
            allowCustomValue: true,
            options: KNOWN_DRIFT_TYPES.map((t) => ({
              value: t,
              label: t === 'llm' ? 'LLM behaviour' : t[0]!.toUpperCase() + t.slice(1),
            })),
          },
        })
        .addBooleanSwitch({
          path: 'alertOnDrift',
          name: 'Alert indicators',
          description: 'Mark drift types and features with an active drift alert, and count them in the toolbar',
          defaultValue: d.alertOnDrift,
        })
        .addBooleanSwitch({
          path: 'showSparkline',
          name: 'Sparkline',
          description: 'The score trend under each gauge',
          defaultValue: d.showSparkline,
        })
        .addRadio({
          path: 'thresholds.source',
          name: 'Thresholds from',
          description:
            'Data source: each series against its own drift threshold (what its alerts use; tests differ in scale). Fixed: the scores below for every series.',
          category: thresholds,
          defaultValue: d.thresholds.source,
          settings: {
            options: [
              { value: 'data', label: 'Data source' },
              { value: 'fixed', label: 'Fixed' },
            ],
          },
        })
        .addSliderInput({
          path: 'thresholds.warningRatio',
          name: 'Warning at',
          description: 'Share of the drift threshold at which a series turns yellow',
          category: thresholds,
          defaultValue: d.thresholds.warningRatio,
          settings: { min: 0.1, max: 1, step: 0.05 },
          showIf: (o) => o.thresholds?.source !== 'fixed',
        })
        .addNumberInput({
          path: 'thresholds.warning',
          name: 'Warning score',
          description: 'Score at which a series turns yellow (PSI: 0.1 = moderate shift)',
          category: thresholds,
          defaultValue: d.thresholds.warning,
          settings: { min: 0, step: 0.01 },
        })
        .addNumberInput({
          path: 'thresholds.critical',
          name: 'Drift score',
          description:
            'Score at which a series counts as drifted (PSI: 0.2 = major shift); also used for series without a threshold of their own',
          category: thresholds,
          defaultValue: d.thresholds.critical,
          settings: { min: 0, step: 0.01 },
        })
        .addBooleanSwitch({
          path: 'showThreshold',
          name: 'Show thresholds',
          description: 'Threshold zones on gauges, lines on sparklines, marks on the heatmap legend',
          category: thresholds,
          defaultValue: d.showThreshold,
        })
        .addRadio({
          path: 'heatmapSort',
          name: 'Sort features by',
          category: heatmap,
          defaultValue: d.heatmapSort,
          settings: {
            options: [
              { value: 'current', label: 'Current drift' },
              { value: 'peak', label: 'Peak drift' },
              { value: 'name', label: 'Name' },
            ],
          },
        })
        .addTextInput({
          path: 'featureVariable',
          name: 'Feature variable',
          description:
            'A click on a feature opens its distribution in the panel; with a dashboard variable name here it also sets that variable, so other panels follow',
          category: heatmap,
          defaultValue: d.featureVariable,
          settings: { placeholder: 'feature' },
        })
    );
  });
