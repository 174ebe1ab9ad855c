import React, { useCallback, useEffect, useMemo } from 'react';
import type { AnnotationQuery, QueryEditorProps } from '@grafana/data';
import { Combobox, InlineField, InlineFieldRow, type ComboboxOption } from '@grafana/ui';
import { ALERT_STATES, DRIFT_TYPES, QUERY_MODEL_VERSION } from '@pyflare/query-model';

import type { DataSource } from '../datasource';
import { ALERT_STATE_LABELS, DRIFT_TYPE_LABELS } from '../labels';
import { migratePyflareQuery } from '../query';
import { selectors } from '../selectors';
import type { PyflareOptions, PyflareQuery } from '../types';
import { budgetOptions, useBudgetValue } from './query/budgetOption';
import { EnumRadio, enumOptions } from './query/fields';

export type AnnotationEditorProps = QueryEditorProps<DataSource, PyflareQuery, PyflareOptions> & {
  annotation?: AnnotationQuery<PyflareQuery>;
  onAnnotationChange?: (annotation: AnnotationQuery<PyflareQuery>) => void;
};

type Source = 'drift-alerts' | 'budget-breaches';
const SOURCES = ['drift-alerts', 'budget-breaches'] as const;
const SOURCE_LABELS: Record<Source, string> = { 'drift-alerts': 'Drift alerts', 'budget-breaches': 'Budget breaches' };
const ids = selectors.annotation;
const LABEL_WIDTH = 14;
const REF_ID = 'Anno';

function filterByInput(values: Array<ComboboxOption<string>>, input: string): Array<ComboboxOption<string>> {
  const needle = input.trim().toLowerCase();
  return values.filter((o) => needle === '' || `${o.value} ${o.label ?? ''}`.toLowerCase().includes(needle));
}

/**
 * The annotation editor: drift alerts (optionally of one model, drift type and state) or
 * budget breaches (optionally of one budget). Other saved query types are kept as they are.
 */
export function AnnotationQueryEditor({ query: saved, onChange, datasource }: AnnotationEditorProps) {
  const query = useMemo(
    () =>
      migratePyflareQuery(
        !saved
          ? { refId: REF_ID, queryType: 'alerts', state: 'all' }
          : saved.refId
            ? saved
            : { ...saved, refId: REF_ID }
      ),
    [saved]
  );

  // Like panel queries: a target of an older version (or none yet) is rewritten once, so the
  // dashboard saves the current form with its pluginVersion.
  useEffect(() => {
    if (query !== saved) {
      onChange(query);
    }
  }, [saved, query, onChange]);
  const source: Source = query.queryType === 'costs' && query.view === 'breaches' ? 'budget-breaches' : 'drift-alerts';

  const modelOptions = useCallback(
    async (input: string) =>
      filterByInput(
        (await datasource.getDriftModels()).map((m) => ({ value: m, label: m })),
        input
      ),
    [datasource]
  );
  const budgets = useCallback(() => datasource.getBudgets(), [datasource]);
  const budgetPicks = useMemo(() => budgetOptions(budgets), [budgets]);
  const budgetValue = useBudgetValue(budgets, query.queryType === 'costs' ? query.budget : undefined);

  const base = { refId: query.refId || REF_ID, pluginVersion: QUERY_MODEL_VERSION };
  const changeSource = (next: Source) => {
    if (next === source) {
      return;
    }
    onChange(
      next === 'budget-breaches'
        ? { ...base, queryType: 'costs', view: 'breaches' }
        : { ...base, queryType: 'alerts', state: 'all' }
    );
  };

  return (
    <div data-testid={ids.editor}>
      <InlineFieldRow>
        <InlineField label="Show" labelWidth={LABEL_WIDTH}>
          <EnumRadio
            testId={ids.source}
            ariaLabel="Annotation source"
            values={SOURCES}
            labels={SOURCE_LABELS}
            value={source}
            onChange={changeSource}
          />
        </InlineField>
      </InlineFieldRow>
      {query.queryType === 'alerts' && (
        <InlineFieldRow>
          <InlineField label="State" labelWidth={LABEL_WIDTH}>
            <EnumRadio
              testId={ids.state}
              ariaLabel="Alert state"
              values={ALERT_STATES}
              labels={ALERT_STATE_LABELS}
              value={query.state ?? 'active'}
              onChange={(state) => onChange({ ...query, state })}
            />
          </InlineField>
        </InlineFieldRow>
      )}
      {query.queryType === 'alerts' && (
        // Model and drift type share a row under the state, so the labels line up at any width.
        <InlineFieldRow>
          <InlineField label="Model" labelWidth={LABEL_WIDTH}>
            <Combobox<string>
              id="pyflare-annotation-model"
              data-testid={ids.model}
              width={24}
              placeholder="All models"
              isClearable
              createCustomValue
              options={modelOptions}
              value={query.modelId || null}
              onChange={(o) => onChange({ ...query, modelId: o?.value || undefined })}
            />
          </InlineField>
          <InlineField label="Drift type" labelWidth={12}>
            <Combobox
              id="pyflare-annotation-drift-type"
              data-testid={ids.driftType}
              width={18}
              isClearable
              placeholder="All types"
              options={enumOptions(DRIFT_TYPES, DRIFT_TYPE_LABELS)}
              value={query.driftType ?? null}
              onChange={(o) => onChange({ ...query, driftType: o?.value ?? undefined })}
            />
          </InlineField>
        </InlineFieldRow>
      )}
      {query.queryType === 'costs' && (
        <InlineFieldRow>
          <InlineField
            label="Budget"
            labelWidth={LABEL_WIDTH}
            tooltip="Marks when a budget reached its alert threshold (warning) and its amount (exceeded)"
          >
            <Combobox<string>
              id="pyflare-annotation-budget"
              data-testid={ids.budget}
              width={32}
              placeholder="All budgets"
              isClearable
              createCustomValue
              options={budgetPicks}
              value={budgetValue}
              onChange={(o) => onChange({ ...query, budget: o?.value || undefined })}
            />
          </InlineField>
        </InlineFieldRow>
      )}
    </div>
  );
}
