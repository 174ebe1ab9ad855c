import React, { useState, type ChangeEvent, type KeyboardEvent } from 'react';
import type { SelectableValue } from '@grafana/data';
import { Input, RadioButtonGroup } from '@grafana/ui';

interface TextInputProps {
  value: string | undefined;
  onCommit: (value: string) => void;
  placeholder?: string;
  width?: number;
  id?: string;
  testId: string;
  invalid?: boolean;
  ariaLabel?: string;
}

/**
 * A text input that keeps what the user types locally and commits on blur or Enter, so
 * queries do not run on every keystroke.
 */
export function CommitInput({ value, onCommit, placeholder, width, id, testId, invalid, ariaLabel }: TextInputProps) {
  const [draft, setDraft] = useState(value ?? '');
  const [lastValue, setLastValue] = useState(value);
  // Follow outside changes (migration, type switch) without an effect.
  if (value !== lastValue) {
    setLastValue(value);
    setDraft(value ?? '');
  }
  const commit = () => {
    if (draft !== (value ?? '')) {
      onCommit(draft);
    }
  };
  return (
    <Input
      id={id}
      data-testid={testId}
      aria-label={ariaLabel}
      width={width}
      placeholder={placeholder}
      value={draft}
      invalid={invalid}
      onChange={(e: ChangeEvent<HTMLInputElement>) => setDraft(e.currentTarget.value)}
      onBlur={commit}
      onKeyDown={(e: KeyboardEvent<HTMLInputElement>) => {
        if (e.key === 'Enter') {
          commit();
        }
      }}
    />
  );
}

interface NumberInputProps {
  value: number | undefined;
  onCommit: (value: number | undefined) => void;
  min?: number;
  max?: number;
  step?: number;
  placeholder?: string;
  width?: number;
  id?: string;
  testId: string;
  ariaLabel?: string;
}

/** A number input committing on blur/Enter; empty means "not set". Out-of-range input is clamped. */
export function NumberInput({
  value,
  onCommit,
  min,
  max,
  step,
  placeholder,
  width,
  id,
  testId,
  ariaLabel,
}: NumberInputProps) {
  const [draft, setDraft] = useState(value === undefined ? '' : String(value));
  const [lastValue, setLastValue] = useState(value);
  if (value !== lastValue) {
    setLastValue(value);
    setDraft(value === undefined ? '' : String(value));
  }
  const commit = () => {
    const trimmed = draft.trim();
    let next: number | undefined = trimmed === '' ? undefined : Number(trimmed);
    if (next !== undefined && !Number.isFinite(next)) {
      next = value;
    }
    if (next !== undefined) {
      next = Math.min(max ?? Infinity, Math.max(min ?? -Infinity, next));
    }
    setDraft(next === undefined ? '' : String(next));
    if (next !== value) {
      onCommit(next);
    }
  };
  return (
    <Input
      id={id}
      data-testid={testId}
      aria-label={ariaLabel}
      type="number"
      width={width}
      min={min}
      max={max}
      step={step}
      placeholder={placeholder}
      value={draft}
      onChange={(e: ChangeEvent<HTMLInputElement>) => setDraft(e.currentTarget.value)}
      onBlur={commit}
      onKeyDown={(e: KeyboardEvent<HTMLInputElement>) => {
        if (e.key === 'Enter') {
          commit();
        }
      }}
    />
  );
}

/** Options of a RadioButtonGroup / Combobox from an enum and its labels. */
export function enumOptions<T extends string>(
  values: readonly T[],
  labels: Record<T, string>
): Array<SelectableValue<T> & { value: T; label: string }> {
  return values.map((value) => ({ value, label: labels[value] }));
}

interface RadioProps<T extends string> {
  values: readonly T[];
  labels: Record<T, string>;
  value: T;
  onChange: (value: T) => void;
  testId: string;
  ariaLabel: string;
}

/** RadioButtonGroup has no data-testid of its own; the wrapper carries it. */
export function EnumRadio<T extends string>({ values, labels, value, onChange, testId, ariaLabel }: RadioProps<T>) {
  return (
    <div data-testid={testId}>
      <RadioButtonGroup<T>
        aria-label={ariaLabel}
        options={enumOptions(values, labels)}
        value={value}
        onChange={onChange}
      />
    </div>
  );
}
