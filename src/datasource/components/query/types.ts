import type { QueryType } from '@pyflare/query-model';

import type { CatalogKind, FeatureDriftType } from '../../catalog';
import type { PyflareQueryOf } from '../../types';

export type CatalogLoader = (kind: CatalogKind, key?: string) => Promise<string[]>;
export type BudgetLoader = () => Promise<Array<{ id: string; name: string }>>;
/** ML models of the drift engine. */
export type DriftModelLoader = () => Promise<string[]>;
/** Features with drift results of one model (may be a template variable) and drift type. */
export type DriftFeatureLoader = (modelId: string, driftType: FeatureDriftType) => Promise<string[]>;

/** Where the editors' pickers get their options (the service, through the backend's resources). */
export interface EditorLoaders {
  catalog: CatalogLoader;
  /** Cost budgets (id, name) for the budget pickers. */
  budgets: BudgetLoader;
  driftModels: DriftModelLoader;
  driftFeatures: DriftFeatureLoader;
}

/** Props of the editor of one query type. `onChange` updates the query and runs it. */
export interface TypeEditorProps<T extends QueryType> extends EditorLoaders {
  query: PyflareQueryOf<T>;
  onChange: (query: PyflareQueryOf<T>) => void;
}
