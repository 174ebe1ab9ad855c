import React, { useMemo } from 'react';
import { Combobox, InlineField, type ComboboxOption } from '@grafana/ui';
import { ALERT_STATES } from '@pyflare/query-model';

import { ALERT_STATE_LABELS } from '../../labels';
import { budgetOptions, useBudgetValue } from './budgetOption';
import { EnumRadio } from './fields';
import type { BudgetLoader } from './types';

type AlertState = (typeof ALERT_STATES)[number];

interface PickerProps {
  /** The Combobox's element id. */
  id: string;
  /** Its data-testid (from selectors.ts). */
  testId: string;
  labelWidth: number;
}

export interface BudgetPickerProps extends PickerProps {
  tooltip: string;
  budgets: BudgetLoader;
  /** The saved budget: an id or a name (or a template variable); none for all budgets. */
  value: string | undefined;
  /** The picked budget's id, or undefined when cleared. */
  onChange: (budget: string | undefined) => void;
}

/** The "Budget" field: one budget (shown by name, saved by id; custom values allowed) or all. */
export function BudgetPicker({ id, testId, labelWidth, tooltip, budgets, value, onChange }: BudgetPickerProps) {
  const options = useMemo(() => budgetOptions(budgets), [budgets]);
  const shown = useBudgetValue(budgets, value);
  return (
    <InlineField label="Budget" labelWidth={labelWidth} tooltip={tooltip}>
      <Combobox<string>
        id={id}
        data-testid={testId}
        width={32}
        placeholder="All budgets"
        isClearable
        createCustomValue
        options={options}
        value={shown}
        onChange={(o) => onChange(o?.value || undefined)}
      />
    </InlineField>
  );
}

export interface DriftModelPickerProps extends PickerProps {
  options: (input: string) => Promise<Array<ComboboxOption<string>>>;
  /** The saved model id (or a template variable); empty for all models. */
  value: string | undefined;
  /** The picked model id, or undefined when cleared. */
  onChange: (modelId: string | undefined) => void;
}

/** The "Model" field of drift queries and drift alerts: one model (custom values allowed) or all. */
export function DriftModelPicker({ id, testId, labelWidth, options, value, onChange }: DriftModelPickerProps) {
  return (
    <InlineField label="Model" labelWidth={labelWidth}>
      <Combobox<string>
        id={id}
        data-testid={testId}
        width={24}
        placeholder="All models"
        isClearable
        createCustomValue
        options={options}
        value={value || null}
        onChange={(o) => onChange(o?.value)}
      />
    </InlineField>
  );
}

export interface AlertStatePickerProps {
  testId: string;
  labelWidth: number;
  /** The saved state; none shows as active. */
  value: AlertState | undefined;
  onChange: (state: AlertState) => void;
}

/** The "State" field of drift alert queries and annotations. */
export function AlertStatePicker({ testId, labelWidth, value, onChange }: AlertStatePickerProps) {
  return (
    <InlineField label="State" labelWidth={labelWidth}>
      <EnumRadio
        testId={testId}
        ariaLabel="Alert state"
        values={ALERT_STATES}
        labels={ALERT_STATE_LABELS}
        value={value ?? 'active'}
        onChange={onChange}
      />
    </InlineField>
  );
}
