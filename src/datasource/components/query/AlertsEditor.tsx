import React, { useMemo } from 'react';
import { InlineFieldRow } from '@grafana/ui';

import { selectors } from '../../selectors';
import { driftModelOptions } from './DriftEditor';
import { AlertStatePicker, DriftModelPicker } from './pickers';
import type { TypeEditorProps } from './types';

const ids = selectors.query.alerts;

export function AlertsEditor({ query, onChange, catalog, driftModels }: TypeEditorProps<'alerts'>) {
  // Drift alerts belong to the drift engine's models (LLM models too, once LLM drift ran).
  const modelOptions = useMemo(
    () => driftModelOptions(driftModels, () => catalog('models'), query.driftType ?? 'all'),
    [driftModels, catalog, query.driftType]
  );
  return (
    <InlineFieldRow>
      <AlertStatePicker
        testId={ids.state}
        labelWidth={14}
        value={query.state}
        onChange={(state) => onChange({ ...query, state })}
      />
      <DriftModelPicker
        id="pyflare-alerts-model"
        testId={ids.modelId}
        labelWidth={10}
        options={modelOptions}
        value={query.modelId}
        onChange={(modelId) => onChange({ ...query, modelId: modelId || undefined })}
      />
    </InlineFieldRow>
  );
}
