import { PanelPlugin } from '@grafana/data';

import { TracePanel } from './components/TracePanel';
import { defaultTraceOptions, MAX_TRACES_LIMIT, migrateTraceOptions, type TracePanelOptions } from './types';

export const plugin = new PanelPlugin<TracePanelOptions>(TracePanel)
  .setMigrationHandler(migrateTraceOptions)
  .setPanelOptions((builder) => {
    const columns = ['Columns'];
    const highlight = ['Highlighting'];
    return builder
      .addBooleanSwitch({
        path: 'showServiceColumn',
        name: 'Service',
        description: 'Service of the root span',
        category: columns,
        defaultValue: defaultTraceOptions.showServiceColumn,
      })
      .addBooleanSwitch({
        path: 'showModelColumn',
        name: 'Model',
        description: 'Models called in the trace',
        category: columns,
        defaultValue: defaultTraceOptions.showModelColumn,
      })
      .addBooleanSwitch({
        path: 'showDurationColumn',
        name: 'Duration',
        category: columns,
        defaultValue: defaultTraceOptions.showDurationColumn,
      })
      .addBooleanSwitch({
        path: 'showStatusColumn',
        name: 'Status',
        category: columns,
        defaultValue: defaultTraceOptions.showStatusColumn,
      })
      .addBooleanSwitch({
        path: 'showTokensColumn',
        name: 'Tokens',
        description: 'Input plus output tokens of all LLM calls',
        category: columns,
        defaultValue: defaultTraceOptions.showTokensColumn,
      })
      .addBooleanSwitch({
        path: 'showCostColumn',
        name: 'Cost',
        category: columns,
        defaultValue: defaultTraceOptions.showCostColumn,
      })
      .addNumberInput({
        path: 'maxTraces',
        name: 'Max traces',
        description: 'Rows shown at most (after sorting)',
        category: columns,
        defaultValue: defaultTraceOptions.maxTraces,
        settings: { min: 1, max: MAX_TRACES_LIMIT, integer: true },
      })
      .addNumberInput({
        path: 'slowThresholdMs',
        name: 'Slow trace threshold (ms)',
        description: 'Traces at least this slow are highlighted; 0 turns it off',
        category: highlight,
        defaultValue: defaultTraceOptions.slowThresholdMs,
        settings: { min: 0 },
      })
      .addNumberInput({
        path: 'expensiveThresholdUsd',
        name: 'Expensive trace threshold (USD)',
        description: 'Traces costing at least this much are highlighted; 0 turns it off',
        category: highlight,
        defaultValue: defaultTraceOptions.expensiveThresholdUsd,
        settings: { min: 0, step: 0.01 },
      });
  });
