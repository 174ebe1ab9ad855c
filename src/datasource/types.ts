import type { DataSourceJsonData } from '@grafana/data';
import type { DataQuery } from '@grafana/schema';
import type { PyflareQueryInput, QueryType, VariableQueryInput } from '@pyflare/query-model';

/**
 * A query as Grafana stores it in a dashboard: the query model's input form (defaults
 * may be missing) plus Grafana's own DataQuery fields (datasource, key, ...).
 */
export type PyflareQuery = PyflareQueryInput & DataQuery;

/** Narrows a PyflareQuery to one query type. */
export type PyflareQueryOf<T extends QueryType> = Extract<PyflareQuery, { queryType: T }>;

/** jsonData of a data source instance: what the Go backend's settings loader reads. */
export interface PyflareOptions extends DataSourceJsonData {
  /** Base URL of the PyFlare service, e.g. http://pyflare:8780. */
  url?: string;
  /** Per-request timeout of the backend's calls to the service; 0 or unset = 30 s. */
  timeoutSeconds?: number;
  tlsSkipVerify?: boolean;
  tlsAuthWithCACert?: boolean;
  tlsAuth?: boolean;
  /** Name expected in the service's certificate (SNI); applied whenever set. */
  serverName?: string;
  /** Custom HTTP header names; the value of `httpHeaderName<N>` is `secureJsonData.httpHeaderValue<N>`. */
  [header: `httpHeaderName${number}`]: string | undefined;
}

/** secureJsonData: write-only from the browser; Grafana only reports which keys are set. */
export interface PyflareSecureOptions {
  apiToken?: string;
  tlsCACert?: string;
  tlsClientCert?: string;
  tlsClientKey?: string;
  /** Value of the custom header `jsonData.httpHeaderName<N>`. */
  [header: `httpHeaderValue${number}`]: string | undefined;
}

export const DEFAULT_TIMEOUT_SECONDS = 30;
export const MAX_TIMEOUT_SECONDS = 600;

/** The saved query of a dashboard query variable (see docs/contracts.md, "Template variables"). */
export type PyflareVariableQuery = VariableQueryInput & DataQuery;
