import { PanelPlugin } from '@grafana/data';

import { TracePanel } from './components/TracePanel';
import { defaultTraceOptions, MAX_TRACES_LIMIT, migrateTraceOptions, type TracePanelOptions } from './types';

export const plugin = new PanelPlugin<TracePanelOptions>(TracePanel)
  .setMigrationHandler(migrateTraceOptions)
  .setPanelOptions((builder) => {
    const columns = ['Columns'];
    const highlight = ['Highlighting'];
    const traceView = ['Trace view'];
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
      .addBooleanSwitch({
        path: 'showSpansColumn',
        name: 'Spans',
        description: 'Number of spans in the trace',
        category: columns,
        defaultValue: defaultTraceOptions.showSpansColumn,
      })
      .addBooleanSwitch({
        path: 'showWaterfallColumn',
        name: 'Mini waterfall',
        description: 'A thumbnail of the trace’s spans in each row',
        category: columns,
        defaultValue: defaultTraceOptions.showWaterfallColumn,
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
      })
      .addRadio({
        path: 'colorBy',
        name: 'Color spans by',
        category: traceView,
        defaultValue: defaultTraceOptions.colorBy,
        settings: {
          options: [
            { value: 'spanKind', label: 'Span kind', description: 'LLM, tool, agent, retriever…' },
            { value: 'service', label: 'Service' },
          ],
        },
      })
      .addBooleanSwitch({
        path: 'showCriticalPath',
        name: 'Highlight critical path',
        description: 'Mark the spans the trace’s end waited for',
        category: traceView,
        defaultValue: defaultTraceOptions.showCriticalPath,
      });
  });
