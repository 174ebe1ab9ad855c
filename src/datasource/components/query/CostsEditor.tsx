import React, { useMemo } from 'react';
import { Combobox, InlineField, InlineFieldRow } from '@grafana/ui';
import { COST_VIEWS, RESULT_FORMATS } from '@pyflare/query-model';

import { COST_VIEW_LABELS } from '../../labels';
import { selectors } from '../../selectors';
import { catalogOptions } from './catalogOptions';
import { EnumRadio, NumberInput } from './fields';
import { BudgetPicker } from './pickers';
import { SearchInput } from './SearchInput';
import { FORMAT_LABELS, dimensionOptions } from './MetricsEditor';
import type { TypeEditorProps } from './types';

const ids = selectors.query.costs;
const LABEL_WIDTH = 14;

export function CostsEditor({ query, onChange, catalog, budgets }: TypeEditorProps<'costs'>) {
  const view = query.view ?? 'summary';
  const groupByOptions = useMemo(
    () => catalogOptions(catalog, 'attribute-keys', { extra: dimensionOptions, prefix: 'attr.' }),
    [catalog]
  );
  return (
    <>
      <InlineFieldRow>
        <InlineField label="View" labelWidth={LABEL_WIDTH}>
          <EnumRadio
            testId={ids.view}
            ariaLabel="Cost view"
            values={COST_VIEWS}
            labels={COST_VIEW_LABELS}
            value={view}
            onChange={(v) => onChange({ ...query, view: v })}
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
        {view !== 'summary' && view !== 'budgets' && view !== 'breaches' && (
          <InlineField label="Group by" labelWidth={LABEL_WIDTH}>
            <Combobox<string>
              id="pyflare-costs-group-by"
              data-testid={ids.groupBy}
              width={24}
              createCustomValue
              options={groupByOptions}
              value={query.groupBy ?? 'model'}
              onChange={(o) => onChange({ ...query, groupBy: o.value })}
            />
          </InlineField>
        )}
        {(view === 'budgets' || view === 'breaches') && (
          <BudgetPicker
            id="pyflare-costs-budget"
            testId={ids.budget}
            labelWidth={LABEL_WIDTH}
            tooltip="Only this budget (id or name)"
            budgets={budgets}
            value={query.budget}
            onChange={(budget) => onChange({ ...query, budget })}
          />
        )}
        {view === 'forecast' && (
          <InlineField label="Horizon (days)" labelWidth={16}>
            <NumberInput
              testId={ids.horizonDays}
              ariaLabel="Forecast horizon in days"
              width={10}
              min={1}
              max={90}
              placeholder="7"
              value={query.horizonDays}
              onCommit={(horizonDays) => onChange({ ...query, horizonDays })}
            />
          </InlineField>
        )}
      </InlineFieldRow>
      <InlineFieldRow>
        <InlineField label="Filter" labelWidth={LABEL_WIDTH} grow>
          <SearchInput
            id="pyflare-costs-filter"
            testId={ids.filter}
            ariaLabel="Filter"
            placeholder="service:checkout provider:openai"
            value={query.filter}
            onCommit={(filter) => onChange({ ...query, filter })}
          />
        </InlineField>
      </InlineFieldRow>
    </>
  );
}
