import React, { useCallback, useEffect, useMemo } from 'react';
import type { AnnotationQuery, QueryEditorProps } from '@grafana/data';
import { Combobox, InlineField, InlineFieldRow, type ComboboxOption } from '@grafana/ui';
import { DRIFT_TYPES, QUERY_MODEL_VERSION } from '@pyflare/query-model';

import type { DataSource } from '../datasource';
import { DRIFT_TYPE_LABELS } from '../labels';
import { migratePyflareQuery } from '../query';
import { selectors } from '../selectors';
import type { PyflareOptions, PyflareQuery } from '../types';
import { EnumRadio, enumOptions } from './query/fields';
import { AlertStatePicker, BudgetPicker, DriftModelPicker } from './query/pickers';

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
          <AlertStatePicker
            testId={ids.state}
            labelWidth={LABEL_WIDTH}
            value={query.state}
            onChange={(state) => onChange({ ...query, state })}
          />
        </InlineFieldRow>
      )}
      {query.queryType === 'alerts' && (
        // Model and drift type share a row under the state, so the labels line up at any width.
        <InlineFieldRow>
          <DriftModelPicker
            id="pyflare-annotation-model"
            testId={ids.model}
            labelWidth={LABEL_WIDTH}
            options={modelOptions}
            value={query.modelId}
            onChange={(modelId) => onChange({ ...query, modelId: modelId || undefined })}
          />
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
          <BudgetPicker
            id="pyflare-annotation-budget"
            testId={ids.budget}
            labelWidth={LABEL_WIDTH}
            tooltip="Marks when a budget reached its alert threshold (warning) and its amount (exceeded)"
            budgets={budgets}
            value={query.budget}
            onChange={(budget) => onChange({ ...query, budget })}
          />
        </InlineFieldRow>
      )}
    </div>
  );
}
