import type { ComboboxOption } from '@grafana/ui';

import type { CatalogKind } from '../../catalog';
import type { CatalogLoader } from './types';

/**
 * An async options source for a Combobox: loads a catalog list and filters it by what the
 * user typed. `extra` options (template variables, fixed dimensions) come first.
 */
export function catalogOptions(
  load: CatalogLoader,
  kind: CatalogKind,
  opts: { extra?: Array<ComboboxOption<string>>; prefix?: string; key?: string } = {}
): (input: string) => Promise<Array<ComboboxOption<string>>> {
  return async (input: string) => {
    const values = await load(kind, opts.key);
    const needle = input.trim().toLowerCase();
    const fromCatalog = values.map((v) => ({ value: `${opts.prefix ?? ''}${v}`, label: `${opts.prefix ?? ''}${v}` }));
    const all = [...(opts.extra ?? []), ...fromCatalog];
    const seen = new Set<string>();
    return all.filter((o) => {
      if (seen.has(o.value)) {
        return false;
      }
      seen.add(o.value);
      return needle === '' || o.value.toLowerCase().includes(needle) || (o.label ?? '').toLowerCase().includes(needle);
    });
  };
}

/** The options whose value contains what the user typed (case-insensitive), each value once. */
export function matchingOptions(options: Array<ComboboxOption<string>>, input: string): Array<ComboboxOption<string>> {
  const needle = input.trim().toLowerCase();
  const seen = new Set<string>();
  return options.filter((o) => {
    if (seen.has(o.value)) {
      return false;
    }
    seen.add(o.value);
    return needle === '' || o.value.toLowerCase().includes(needle);
  });
}
