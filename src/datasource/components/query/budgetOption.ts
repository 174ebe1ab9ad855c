import { useEffect, useState } from 'react';
import type { ComboboxOption } from '@grafana/ui';

import type { BudgetLoader } from './types';

type Budget = Awaited<ReturnType<BudgetLoader>>[number];

/** Budgets as picker options (name shown, id saved), filtered by what the user typed. */
export function budgetOptions(load: BudgetLoader): (input: string) => Promise<Array<ComboboxOption<string>>> {
  return async (input: string) => {
    const needle = input.trim().toLowerCase();
    return (await load())
      .map((b) => ({ value: b.id, label: b.name, description: b.id }))
      .filter((o) => needle === '' || `${o.label} ${o.value}`.toLowerCase().includes(needle));
  };
}

/**
 * The Combobox value of a saved budget (an id or a name): shown by the budget's name once the
 * budgets are loaded, as written before that or when no budget matches (a variable, a budget
 * deleted since).
 */
export function useBudgetValue(load: BudgetLoader, budget: string | undefined): ComboboxOption<string> | string | null {
  const [known, setKnown] = useState<Budget[]>([]);
  useEffect(() => {
    if (!budget) {
      return;
    }
    let live = true;
    load()
      .then((b) => live && setKnown(b))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [load, budget]);
  if (!budget) {
    return null;
  }
  const match = known.find((b) => b.id === budget) ?? known.find((b) => b.name === budget);
  return match ? { value: budget, label: match.name, description: match.id } : budget;
}
