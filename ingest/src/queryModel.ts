// The shared query model. It is published as TypeScript without "type": "module", so under
// Node's ESM loader (tsx) its named exports are only reachable through the default export;
// in the esbuild bundle they are plain named exports. This shim works in both.
import * as ns from '@pyflare/query-model';

type QueryModel = typeof ns;
const qm: QueryModel = (Reflect.get(ns, 'default') as QueryModel | undefined) ?? ns;

export const { pyflareQuerySchema, queryRequestSchema, migrateQuery, describeIssues, tracesQuerySchema, QUERY_MODEL_VERSION } = qm;
export type {
  FrameFieldType,
  FrameJSON,
  PyflareQuery,
  QueryResultJSON,
  QueryResponseJSON,
  TraceQuery,
  TracesQuery,
  SavedQuery,
} from '@pyflare/query-model';
