import React, { useCallback, useEffect, useMemo } from 'react';
import type { QueryEditorProps } from '@grafana/data';
import { Alert, Combobox, InlineField, InlineFieldRow, InlineSwitch, type ComboboxOption } from '@grafana/ui';
import {
  DEFAULT_VARIABLE_REF_ID,
  QUERY_MODEL_VERSION,
  VARIABLE_KINDS,
  migrateVariableQuery,
  normalizeVariableQuery,
  variableQueryProblem,
  type VariableKind,
  type VariableQuery,
} from '@pyflare/query-model';

import type { DataSource } from '../datasource';
import { selectors } from '../selectors';
import type { PyflareOptions, PyflareQuery, PyflareVariableQuery } from '../types';
import { matchingOptions } from './query/catalogOptions';

export type VariableEditorProps = QueryEditorProps<DataSource, PyflareQuery, PyflareOptions, PyflareVariableQuery>;

const ids = selectors.variable;
const LABEL_WIDTH = 20;

export const VARIABLE_KIND_LABELS: Record<VariableKind, { label: string; description: string }> = {
  services: { label: 'Services', description: 'Service names of traced spans' },
  models: { label: 'LLM models', description: 'Model names of LLM spans' },
  'drift-models': { label: 'ML models (drift)', description: 'Models the drift engine knows' },
  features: { label: 'Features of a model', description: 'Features with drift results of one ML model' },
  'attribute-keys': { label: 'Attribute keys', description: 'Span attribute keys' },
  'attribute-values': { label: 'Attribute values', description: 'Values of one span attribute' },
};

const kindOptions: Array<ComboboxOption<VariableKind>> = VARIABLE_KINDS.map((k) => ({
  value: k,
  label: VARIABLE_KIND_LABELS[k].label,
  description: VARIABLE_KIND_LABELS[k].description,
}));

/** Template variables as options, so a chained variable (features of $model) can be picked. */
function variableOptions(datasource: DataSource): Array<ComboboxOption<string>> {
  return datasource.variableNames().map((n) => ({ value: `$${n}`, label: `$${n}`, description: 'Template variable' }));
}

/** The editor of a query variable: what to list, its parent model or attribute key, and the time scope. */
export function VariableQueryEditor({ query: raw, onChange, datasource }: VariableEditorProps) {
  const query: VariableQuery = useMemo(() => normalizeVariableQuery(raw) ?? normalizeVariableQuery({})!, [raw]);
  const refId = raw?.refId || DEFAULT_VARIABLE_REF_ID;
  const change = (patch: Partial<VariableQuery>) => {
    const next: PyflareVariableQuery = { ...query, ...patch, refId, pluginVersion: QUERY_MODEL_VERSION };
    onChange(next);
  };

  // Like panel queries: an older saved form (text form, unversioned object) is rewritten once,
  // so the dashboard saves the current one.
  useEffect(() => {
    const migrated = migrateVariableQuery(raw);
    if (migrated && migrated !== raw) {
      onChange({ ...migrated, refId: migrated.refId || DEFAULT_VARIABLE_REF_ID });
    }
  }, [raw, onChange]);

  const modelOptions = useCallback(
    async (input: string) => {
      const models = await datasource.getDriftModels();
      return matchingOptions([...variableOptions(datasource), ...models.map((m) => ({ value: m, label: m }))], input);
    },
    [datasource]
  );
  const keyOptions = useCallback(
    async (input: string) => {
      const keys = await datasource.getCatalog('attribute-keys');
      return matchingOptions([...variableOptions(datasource), ...keys.map((k) => ({ value: k, label: k }))], input);
    },
    [datasource]
  );

  const problem = variableQueryProblem(query);

  return (
    <div data-testid={ids.editor}>
      <InlineFieldRow>
        <InlineField label="List" labelWidth={LABEL_WIDTH} tooltip="What the variable's values are">
          <Combobox<VariableKind>
            id="pyflare-variable-kind"
            data-testid={ids.kind}
            width={32}
            options={kindOptions}
            value={query.kind}
            onChange={(o) => change({ kind: o.value })}
          />
        </InlineField>
      </InlineFieldRow>
      {query.kind === 'features' && (
        <InlineFieldRow>
          <InlineField
            label="Model"
            labelWidth={LABEL_WIDTH}
            tooltip="The ML model; another variable such as $model works"
          >
            <Combobox<string>
              id="pyflare-variable-model"
              data-testid={ids.model}
              width={32}
              createCustomValue
              placeholder="Choose a model"
              options={modelOptions}
              value={query.modelId || null}
              onChange={(o) => change({ modelId: o?.value || undefined })}
            />
          </InlineField>
        </InlineFieldRow>
      )}
      {query.kind === 'attribute-values' && (
        <InlineFieldRow>
          <InlineField
            label="Attribute key"
            labelWidth={LABEL_WIDTH}
            tooltip="The span attribute; another variable such as $key works"
          >
            <Combobox<string>
              id="pyflare-variable-attribute-key"
              data-testid={ids.attributeKey}
              width={32}
              createCustomValue
              placeholder="Choose an attribute key"
              options={keyOptions}
              value={query.attributeKey || null}
              onChange={(o) => change({ attributeKey: o?.value || undefined })}
            />
          </InlineField>
        </InlineFieldRow>
      )}
      <InlineFieldRow>
        <InlineField
          label="Only in time range"
          labelWidth={LABEL_WIDTH}
          tooltip="On: values seen in the dashboard's time range (set the variable to refresh on time range change). Off: every value the service knows."
        >
          <InlineSwitch
            id="pyflare-variable-time-scoped"
            data-testid={ids.timeScoped}
            value={query.timeScoped}
            onChange={(e) => change({ timeScoped: e.currentTarget.checked })}
          />
        </InlineField>
      </InlineFieldRow>
      {problem && (
        <Alert data-testid={ids.problem} severity="info" title="" bottomSpacing={0}>
          {problem}
        </Alert>
      )}
    </div>
  );
}
