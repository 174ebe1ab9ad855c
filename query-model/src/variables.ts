import { z } from 'zod';

import { QUERY_MODEL_VERSION } from './query';

/**
 * What a PyFlare query variable lists. Each kind reads one service resource through the Go
 * backend's allow-list (see docs/contracts.md, "Template variables").
 */
export const VARIABLE_KINDS = [
  'services',
  'models',
  'drift-models',
  'features',
  'attribute-keys',
  'attribute-values',
] as const;
export type VariableKind = (typeof VARIABLE_KINDS)[number];

const text = z.string().max(1024);
export const DEFAULT_VARIABLE_REF_ID = 'PyflareVariableQuery';

/** The saved query of a dashboard variable of type "Query" on a PyFlare data source. */
export const variableQuerySchema = z.object({
  refId: z.string().min(1).max(128).default(DEFAULT_VARIABLE_REF_ID),
  /** Query model version that wrote it (the same QUERY_MODEL_VERSION as panel queries). */
  pluginVersion: z.string().max(32).optional(),
  kind: z.enum(VARIABLE_KINDS).default('services'),
  /** features: the ML model whose features to list (may be a template variable). */
  modelId: text.optional(),
  /**
   * attribute-values: the attribute key whose values to list (may be a template variable).
   * Not `key`: Grafana uses that name on its own queries.
   */
  attributeKey: text.optional(),
  /** Only values seen in the dashboard's time range (default), or everything the service knows. */
  timeScoped: z.boolean().default(true),
});
export type VariableQueryInput = z.input<typeof variableQuerySchema>;
export type VariableQuery = z.output<typeof variableQuerySchema>;

/** Whether a variable query can run: features need a model, attribute values a key. */
export function variableQueryProblem(q: VariableQueryInput): string | null {
  if (q.kind === 'features' && !(q.modelId ?? '').trim()) {
    return 'features: choose the model whose features to list';
  }
  if (q.kind === 'attribute-values' && !(q.attributeKey ?? '').trim()) {
    return 'attribute values: choose the attribute key';
  }
  return null;
}

/**
 * The short text form of a variable query, for provisioning and for Grafana's legacy
 * `metricFindQuery`: `services`, `models`, `drift-models`, `attribute-keys`,
 * `features(<modelId>)`, `attribute-values(<key>)`. An `all:` prefix lists values of every
 * time (not only the dashboard's range). Returns null for anything else.
 */
export function parseVariableQueryText(input: string): VariableQuery | null {
  let s = input.trim();
  let timeScoped = true;
  if (s.startsWith('all:')) {
    timeScoped = false;
    s = s.slice(4).trim();
  }
  const m = /^([a-z-]+)(?:\((.*)\))?$/.exec(s);
  if (!m) {
    return null;
  }
  const kind = m[1] as VariableKind;
  const arg = m[2]?.trim();
  if (!(VARIABLE_KINDS as readonly string[]).includes(kind)) {
    return null;
  }
  const withArg = kind === 'features' || kind === 'attribute-values';
  if (withArg !== (arg !== undefined && arg !== '')) {
    return null;
  }
  return {
    refId: DEFAULT_VARIABLE_REF_ID,
    kind,
    timeScoped,
    ...(kind === 'features' ? { modelId: arg } : {}),
    ...(kind === 'attribute-values' ? { attributeKey: arg } : {}),
  };
}

/**
 * A stored variable query in any form (the object, the short text form, or nothing) as a
 * valid VariableQuery; null when it cannot be read.
 */
export function normalizeVariableQuery(raw: unknown): VariableQuery | null {
  if (raw === undefined || raw === null || raw === '') {
    return variableQuerySchema.parse({});
  }
  if (typeof raw === 'string') {
    return parseVariableQueryText(raw);
  }
  if (typeof raw === 'object' && typeof (raw as { query?: unknown }).query === 'string' && !('kind' in raw)) {
    // Grafana's standard variable query shape: { refId, query: "<text form>" }.
    return parseVariableQueryText((raw as { query: string }).query);
  }
  const parsed = variableQuerySchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

/**
 * Brings a stored variable query (the short text form, Grafana's `{query: "<text>"}`, or an
 * object written without a version) to the current object form with `pluginVersion`. Pure:
 * a query already at the current version is returned as it is (same object), one of a newer
 * version is left alone, and null means the query cannot be read (the caller keeps it).
 */
export function migrateVariableQuery(raw: unknown): VariableQueryInput | null {
  if (raw !== null && typeof raw === 'object' && 'kind' in raw) {
    const version = (raw as { pluginVersion?: unknown }).pluginVersion;
    if (version === QUERY_MODEL_VERSION) {
      return raw as VariableQueryInput;
    }
    if (typeof version === 'string' && version !== '' && version !== '0') {
      // A newer version than we know: leave it alone rather than guess.
      return raw as VariableQueryInput;
    }
  }
  const q = normalizeVariableQuery(raw);
  if (!q) {
    return null;
  }
  const fromObject = raw !== null && typeof raw === 'object' ? (raw as { refId?: unknown }) : {};
  return {
    ...q,
    refId: typeof fromObject.refId === 'string' && fromObject.refId !== '' ? fromObject.refId : q.refId,
    pluginVersion: QUERY_MODEL_VERSION,
  };
}

/** Whether a stored variable query is older than the current model (and so gets rewritten). */
export function variableQueryNeedsMigration(raw: unknown): boolean {
  const migrated = migrateVariableQuery(raw);
  return migrated !== null && migrated !== raw;
}
