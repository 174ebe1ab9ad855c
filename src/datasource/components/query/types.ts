import type { QueryType } from '@pyflare/query-model';

import type { CatalogKind } from '../../catalog';
import type { PyflareQueryOf } from '../../types';

export type CatalogLoader = (kind: CatalogKind, key?: string) => Promise<string[]>;
export type BudgetLoader = () => Promise<Array<{ id: string; name: string }>>;

/** Props of the editor of one query type. `onChange` updates the query and runs it. */
export interface TypeEditorProps<T extends QueryType> {
  query: PyflareQueryOf<T>;
  onChange: (query: PyflareQueryOf<T>) => void;
  catalog: CatalogLoader;
  /** Cost budgets (id, name) for the budget pickers. */
  budgets: BudgetLoader;
}
