import React, { useMemo } from 'react';
import { Combobox, InlineField, InlineFieldRow } from '@grafana/ui';
import { DRIFT_TYPES, DRIFT_VIEWS } from '@pyflare/query-model';

import { DRIFT_TYPE_LABELS, DRIFT_VIEW_LABELS } from '../../labels';
import { selectors } from '../../selectors';
import { catalogOptions } from './catalogOptions';
import { CommitInput, EnumRadio, NumberInput } from './fields';
import type { TypeEditorProps } from './types';

const ids = selectors.query.drift;
const LABEL_WIDTH = 14;

export function DriftEditor({ query, onChange, catalog }: TypeEditorProps<'drift'>) {
  const modelOptions = useMemo(() => catalogOptions(catalog, 'models'), [catalog]);
  return (
    <>
      <InlineFieldRow>
        <InlineField label="Model" labelWidth={LABEL_WIDTH}>
          <Combobox<string>
            id="pyflare-drift-model"
            data-testid={ids.modelId}
            width={24}
            placeholder="All models"
            isClearable
            createCustomValue
            options={modelOptions}
            value={query.modelId || null}
            onChange={(o) => onChange({ ...query, modelId: o?.value ?? '' })}
          />
        </InlineField>
        <InlineField label="Drift type" labelWidth={12}>
          <EnumRadio
            testId={ids.driftType}
            ariaLabel="Drift type"
            values={DRIFT_TYPES}
            labels={DRIFT_TYPE_LABELS}
            value={query.driftType ?? 'all'}
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
            value={query.view ?? 'scores'}
            onChange={(view) => onChange({ ...query, view })}
          />
        </InlineField>
        <InlineField label="Feature" labelWidth={10}>
          <CommitInput
            testId={ids.feature}
            ariaLabel="Feature"
            width={20}
            placeholder="all features"
            value={query.feature}
            onCommit={(feature) => onChange({ ...query, feature: feature || undefined })}
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
