import React, { useMemo } from 'react';
import { Combobox, InlineField, InlineFieldRow } from '@grafana/ui';
import { TRACE_SORTS, TRACE_STATUSES } from '@pyflare/query-model';

import { TRACE_SORT_LABELS, TRACE_STATUS_LABELS } from '../../labels';
import { selectors } from '../../selectors';
import { catalogOptions } from './catalogOptions';
import { EnumRadio, NumberInput } from './fields';
import { SearchInput } from './SearchInput';
import type { TypeEditorProps } from './types';

const ids = selectors.query.traces;
const LABEL_WIDTH = 14;

export function TracesEditor({ query, onChange, catalog }: TypeEditorProps<'traces'>) {
  const serviceOptions = useMemo(() => catalogOptions(catalog, 'services'), [catalog]);
  const modelOptions = useMemo(() => catalogOptions(catalog, 'models'), [catalog]);
  return (
    <>
      <InlineFieldRow>
        <InlineField
          label="Search"
          labelWidth={LABEL_WIDTH}
          grow
          tooltip="Search language: free text matches span names, plus service:checkout model:gpt-4o* status:error duration:>2s cost:>0.01 attr.user.id:42"
        >
          <SearchInput
            id="pyflare-traces-search"
            testId={ids.search}
            ariaLabel="Search"
            placeholder="service:checkout model:gpt-4o* status:error duration:>2s"
            value={query.search}
            onCommit={(search) => onChange({ ...query, search })}
          />
        </InlineField>
      </InlineFieldRow>
      <InlineFieldRow>
        <InlineField label="Service" labelWidth={LABEL_WIDTH}>
          <Combobox<string>
            id="pyflare-traces-service"
            data-testid={ids.service}
            width={24}
            placeholder="Any service"
            isClearable
            createCustomValue
            value={query.serviceName ?? null}
            options={serviceOptions}
            onChange={(o) => onChange({ ...query, serviceName: o?.value || undefined })}
          />
        </InlineField>
        <InlineField label="Model" labelWidth={10}>
          <Combobox<string>
            id="pyflare-traces-model"
            data-testid={ids.model}
            width={24}
            placeholder="Any model"
            isClearable
            createCustomValue
            value={query.modelId ?? null}
            options={modelOptions}
            onChange={(o) => onChange({ ...query, modelId: o?.value || undefined })}
          />
        </InlineField>
        <InlineField label="Status" labelWidth={10}>
          <EnumRadio
            testId={ids.status}
            ariaLabel="Status"
            values={TRACE_STATUSES}
            labels={TRACE_STATUS_LABELS}
            value={query.status ?? 'all'}
            onChange={(status) => onChange({ ...query, status })}
          />
        </InlineField>
      </InlineFieldRow>
      <InlineFieldRow>
        <InlineField
          label="Duration"
          labelWidth={LABEL_WIDTH}
          tooltip="Bounds of the root span's duration, in milliseconds"
        >
          <NumberInput
            testId={ids.minDuration}
            ariaLabel="Minimum duration (ms)"
            width={12}
            min={0}
            placeholder="min ms"
            value={query.minDurationMs}
            onCommit={(minDurationMs) => onChange({ ...query, minDurationMs })}
          />
        </InlineField>
        <InlineField label="to" labelWidth={5}>
          <NumberInput
            testId={ids.maxDuration}
            ariaLabel="Maximum duration (ms)"
            width={12}
            min={0}
            placeholder="max ms"
            value={query.maxDurationMs}
            onCommit={(maxDurationMs) => onChange({ ...query, maxDurationMs })}
          />
        </InlineField>
        <InlineField label="Sort" labelWidth={8}>
          <EnumRadio
            testId={ids.sortBy}
            ariaLabel="Sort by"
            values={TRACE_SORTS}
            labels={TRACE_SORT_LABELS}
            value={query.sortBy ?? 'time'}
            onChange={(sortBy) => onChange({ ...query, sortBy })}
          />
        </InlineField>
        <InlineField label="Limit" labelWidth={8}>
          <NumberInput
            testId={ids.limit}
            ariaLabel="Limit"
            width={10}
            min={1}
            max={10_000}
            placeholder="100"
            value={query.limit}
            onCommit={(limit) => onChange({ ...query, limit })}
          />
        </InlineField>
      </InlineFieldRow>
    </>
  );
}
