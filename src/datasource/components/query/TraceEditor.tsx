import React from 'react';
import { InlineField, InlineFieldRow } from '@grafana/ui';

import { selectors } from '../../selectors';
import { CommitInput } from './fields';
import type { TypeEditorProps } from './types';

const TRACE_ID = /^[0-9a-fA-F]{32}$/;

/** A trace id, or something a template variable will fill in at query time. */
export function traceIdError(traceId: string | undefined): string | undefined {
  const v = (traceId ?? '').trim();
  if (v === '' || v.includes('$')) {
    return undefined;
  }
  return TRACE_ID.test(v) ? undefined : 'A trace ID is 32 hex characters';
}

export function TraceEditor({ query, onChange }: TypeEditorProps<'trace'>) {
  const error = traceIdError(query.traceId);
  return (
    <InlineFieldRow>
      <InlineField
        label="Trace ID"
        labelWidth={14}
        grow
        invalid={error !== undefined}
        error={error}
        tooltip="32 hex characters, or a template variable such as ${traceId}"
      >
        <CommitInput
          id="pyflare-trace-id"
          testId={selectors.query.trace.traceId}
          placeholder="4bf92f3577b34da6a3ce929d0e0e4736"
          value={query.traceId}
          invalid={error !== undefined}
          onCommit={(traceId) => onChange({ ...query, traceId: traceId.trim() })}
        />
      </InlineField>
    </InlineFieldRow>
  );
}
