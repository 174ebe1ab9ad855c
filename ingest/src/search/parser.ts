// The search language now lives in the shared query model (query-model/src/search.ts), so
// the data source editor validates with the very parser the service runs. This module keeps
// the service's import path; the exports come through queryModel.ts's loader shim.
import { qm } from '../queryModel.js';

export const {
  SearchError,
  parseSearch,
  tokenize,
  parseDurationNs,
  parseUsdMicros,
  andAll,
  termExpr,
  termsOf,
  formatSearch,
  validateSearch,
  quoteSearchValue,
  searchValueList,
  STRING_FIELDS,
  TRACE_FIELDS,
  FIELDS,
  SEARCH_SPAN_KINDS,
  MAX_SEARCH_DEPTH,
} = qm;
export type { Cmp, SearchExpr, SearchProblem, StringField, Term } from '@pyflare/query-model';
// A class used as a type (catch clauses, `instanceof` narrowing) needs its instance type too,
// under the same name, as a class declaration would give it.
// eslint-disable-next-line no-redeclare
export type SearchError = InstanceType<typeof qm.SearchError>;
