import React, { useMemo } from 'react';
import { Combobox, InlineField, InlineFieldRow, MultiCombobox, type ComboboxOption } from '@grafana/ui';
import { AGGREGATIONS, DIMENSIONS, METRICS, RESULT_FORMATS } from '@pyflare/query-model';

import { AGGREGATION_LABELS, DIMENSION_LABELS, METRIC_LABELS } from '../../labels';
import { selectors } from '../../selectors';
import { catalogOptions } from './catalogOptions';
import { EnumRadio, enumOptions } from './fields';
import { SearchInput } from './SearchInput';
import type { TypeEditorProps } from './types';

const ids = selectors.query.metrics;
const LABEL_WIDTH = 14;

export const FORMAT_LABELS: Record<(typeof RESULT_FORMATS)[number], string> = {
  time_series: 'Time series',
  table: 'Table',
};

/** Fixed dimensions, then `attr.<key>` for every attribute key the service has seen. */
export const dimensionOptions: Array<ComboboxOption<string>> = DIMENSIONS.map((d) => ({
  value: d,
  label: DIMENSION_LABELS[d],
}));

export function MetricsEditor({ query, onChange, catalog }: TypeEditorProps<'metrics'>) {
  const groupByOptions = useMemo(
    () => catalogOptions(catalog, 'attribute-keys', { extra: dimensionOptions, prefix: 'attr.' }),
    [catalog]
  );
  return (
    <>
      <InlineFieldRow>
        <InlineField label="Metric" labelWidth={LABEL_WIDTH}>
          <Combobox
            id="pyflare-metrics-metric"
            data-testid={ids.metric}
            width={24}
            options={enumOptions(METRICS, METRIC_LABELS)}
            value={query.metric ?? 'request_count'}
            onChange={(o) => onChange({ ...query, metric: o.value })}
          />
        </InlineField>
        <InlineField label="Aggregation" labelWidth={14}>
          <Combobox
            id="pyflare-metrics-aggregation"
            data-testid={ids.aggregation}
            width={16}
            options={enumOptions(AGGREGATIONS, AGGREGATION_LABELS)}
            value={query.aggregation ?? 'sum'}
            onChange={(o) => onChange({ ...query, aggregation: o.value })}
          />
        </InlineField>
        <InlineField label="Format" labelWidth={10}>
          <EnumRadio
            testId={ids.format}
            ariaLabel="Format"
            values={RESULT_FORMATS}
            labels={FORMAT_LABELS}
            value={query.format ?? 'time_series'}
            onChange={(format) => onChange({ ...query, format })}
          />
        </InlineField>
      </InlineFieldRow>
      <InlineFieldRow>
        <InlineField
          label="Group by"
          labelWidth={LABEL_WIDTH}
          tooltip="Up to 4 dimensions; attr.<key> groups by any span attribute"
        >
          <MultiCombobox<string>
            id="pyflare-metrics-group-by"
            data-testid={ids.groupBy}
            width="auto"
            minWidth={24}
            maxWidth={60}
            createCustomValue
            placeholder="No grouping"
            options={groupByOptions}
            value={query.groupBy ?? []}
            onChange={(opts) => onChange({ ...query, groupBy: opts.map((o) => o.value).slice(0, 4) })}
          />
        </InlineField>
      </InlineFieldRow>
      <InlineFieldRow>
        <InlineField
          label="Filter"
          labelWidth={LABEL_WIDTH}
          grow
          tooltip="Same language as trace search, e.g. service:checkout model:gpt-4o*"
        >
          <SearchInput
            id="pyflare-metrics-filter"
            testId={ids.filter}
            ariaLabel="Filter"
            placeholder="service:checkout model:gpt-4o*"
            value={query.filter}
            onCommit={(filter) => onChange({ ...query, filter })}
          />
        </InlineField>
      </InlineFieldRow>
    </>
  );
}
