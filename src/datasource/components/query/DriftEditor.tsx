import React, { useMemo } from 'react';
import { Combobox, InlineField, InlineFieldRow, type ComboboxOption } from '@grafana/ui';
import { DRIFT_TYPES, DRIFT_VIEWS, type DriftQuery } from '@pyflare/query-model';

import type { FeatureDriftType } from '../../catalog';
import { DRIFT_TYPE_LABELS, DRIFT_VIEW_LABELS } from '../../labels';
import { selectors } from '../../selectors';
import { matchingOptions } from './catalogOptions';
import { EnumRadio, NumberInput } from './fields';
import { DriftModelPicker } from './pickers';
import type { DriftFeatureLoader, DriftModelLoader, TypeEditorProps } from './types';

const ids = selectors.query.drift;
const LABEL_WIDTH = 14;

/** The scores view's "every feature" value: one series per feature. */
export const ALL_FEATURES = '*';

/** ML models of the drift engine; for LLM drift also the LLM models seen in spans. */
export function driftModelOptions(
  driftModels: DriftModelLoader,
  llmModels: () => Promise<string[]>,
  driftType: DriftQuery['driftType']
): (input: string) => Promise<Array<ComboboxOption<string>>> {
  return async (input) => {
    const [ml, llm] = await Promise.all([driftModels(), driftType === 'llm' ? llmModels() : Promise.resolve([])]);
    return matchingOptions(
      [...ml, ...llm].map((m) => ({ value: m, label: m })),
      input
    );
  };
}

/**
 * The feature picker's options: features with drift results of the chosen model (a template
 * variable works), and in the scores view `*` for one series per feature. Features of
 * `all` drift types are those of feature drift.
 */
export function driftFeatureOptions(
  driftFeatures: DriftFeatureLoader,
  modelId: string,
  driftType: DriftQuery['driftType'],
  view: DriftQuery['view']
): (input: string) => Promise<Array<ComboboxOption<string>>> {
  return async (input) => {
    const type: FeatureDriftType = driftType === 'all' ? 'feature' : driftType;
    const features = modelId.trim() ? await driftFeatures(modelId, type) : [];
    const every: Array<ComboboxOption<string>> =
      view === 'scores' ? [{ value: ALL_FEATURES, label: 'Every feature', description: 'One series per feature' }] : [];
    return matchingOptions([...every, ...features.map((f) => ({ value: f, label: f }))], input);
  };
}

export function DriftEditor({ query, onChange, catalog, driftModels, driftFeatures }: TypeEditorProps<'drift'>) {
  const driftType = query.driftType ?? 'all';
  const view = query.view ?? 'scores';
  const modelId = query.modelId ?? '';
  const modelOptions = useMemo(
    () => driftModelOptions(driftModels, () => catalog('models'), driftType),
    [driftModels, catalog, driftType]
  );
  const featureOptions = useMemo(
    () => driftFeatureOptions(driftFeatures, modelId, driftType, view),
    [driftFeatures, modelId, driftType, view]
  );
  return (
    <>
      <InlineFieldRow>
        <DriftModelPicker
          id="pyflare-drift-model"
          testId={ids.modelId}
          labelWidth={LABEL_WIDTH}
          options={modelOptions}
          value={query.modelId}
          onChange={(modelId) => onChange({ ...query, modelId: modelId ?? '' })}
        />
        <InlineField label="Drift type" labelWidth={12}>
          <EnumRadio
            testId={ids.driftType}
            ariaLabel="Drift type"
            values={DRIFT_TYPES}
            labels={DRIFT_TYPE_LABELS}
            value={driftType}
            onChange={(driftType) => onChange({ ...query, driftType })}
          />
        </InlineField>
      </InlineFieldRow>
      <InlineFieldRow>
        <InlineField label="View" labelWidth={LABEL_WIDTH}>
          <EnumRadio
            testId={ids.view}
            ariaLabel="Drift view"
            values={DRIFT_VIEWS}
            labels={DRIFT_VIEW_LABELS}
            value={view}
            onChange={(view) => onChange({ ...query, view })}
          />
        </InlineField>
        <InlineField
          label="Feature"
          labelWidth={10}
          tooltip={
            view === 'distribution'
              ? 'The feature whose distribution to show'
              : "Empty: each drift type's overall score; a feature: its series; *: one series per feature"
          }
        >
          <Combobox<string>
            id="pyflare-drift-feature"
            data-testid={ids.feature}
            width={24}
            placeholder={view === 'distribution' ? 'Choose a feature' : 'Overall score'}
            isClearable
            createCustomValue
            options={featureOptions}
            value={query.feature || null}
            onChange={(o) => onChange({ ...query, feature: o?.value || undefined })}
          />
        </InlineField>
        <InlineField
          label="Threshold"
          labelWidth={12}
          tooltip="Score above which a series counts as drifted (PSI: 0.2)"
        >
          <NumberInput
            testId={ids.threshold}
            ariaLabel="Threshold"
            width={10}
            min={0}
            step={0.01}
            placeholder="0.2"
            value={query.threshold}
            onCommit={(threshold) => onChange({ ...query, threshold })}
          />
        </InlineField>
      </InlineFieldRow>
    </>
  );
}
