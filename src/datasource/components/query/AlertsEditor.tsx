import React, { useMemo } from 'react';
import { Combobox, InlineField, InlineFieldRow } from '@grafana/ui';
import { ALERT_STATES } from '@pyflare/query-model';

import { ALERT_STATE_LABELS } from '../../labels';
import { selectors } from '../../selectors';
import { driftModelOptions } from './DriftEditor';
import { EnumRadio } from './fields';
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
      <InlineField label="State" labelWidth={14}>
        <EnumRadio
          testId={ids.state}
          ariaLabel="Alert state"
          values={ALERT_STATES}
          labels={ALERT_STATE_LABELS}
          value={query.state ?? 'active'}
          onChange={(state) => onChange({ ...query, state })}
        />
      </InlineField>
      <InlineField label="Model" labelWidth={10}>
        <Combobox<string>
          id="pyflare-alerts-model"
          data-testid={ids.modelId}
          width={24}
          placeholder="All models"
          isClearable
          createCustomValue
          options={modelOptions}
          value={query.modelId ?? null}
          onChange={(o) => onChange({ ...query, modelId: o?.value || undefined })}
        />
      </InlineField>
    </InlineFieldRow>
  );
}
