import { z } from 'zod';

/** Catalog resources the Go backend forwards to the service's /api/v1/catalog/*. */
export type CatalogKind = 'services' | 'models' | 'attribute-keys' | 'attribute-values';

/** Epoch-ms bounds that scope a look-up to a dashboard's time range. */
export interface CatalogRange {
  from: number;
  to: number;
}

const catalogSchema = z.object({ values: z.array(z.string()).max(100_000) });
const driftModelsSchema = z.object({
  models: z
    .array(
      z.object({
        modelId: z.string(),
        firstMs: z.number().nullable().optional(),
        lastMs: z.number().nullable().optional(),
      })
    )
    .max(100_000),
});
const driftHeatmapSchema = z.object({ features: z.array(z.string()).max(100_000) });
const budgetsSchema = z.object({
  budgets: z.array(z.object({ id: z.string(), name: z.string() })).max(100_000),
});

export type GetResource = (path: string, params?: Record<string, string>) => Promise<unknown>;

function rangeParams(range?: CatalogRange): Record<string, string> {
  return range ? { from: String(Math.floor(range.from)), to: String(Math.ceil(range.to)) } : {};
}

function withParams(params: Record<string, string>): Record<string, string> | undefined {
  return Object.keys(params).length ? params : undefined;
}

/**
 * Reads one catalog list. A catalog is a convenience for pickers, so failures (service
 * down, old backend) yield an empty list instead of breaking the editor.
 */
export async function readCatalog(
  get: GetResource,
  kind: CatalogKind,
  key?: string,
  range?: CatalogRange
): Promise<string[]> {
  try {
    const params = { ...(key !== undefined ? { key } : {}), ...rangeParams(range) };
    const raw = await get(`catalog/${kind}`, withParams(params));
    const parsed = catalogSchema.safeParse(raw);
    return parsed.success ? parsed.data.values : [];
  } catch {
    return [];
  }
}

/**
 * ML models known to the drift engine (`drift/models`). With a range, only models that saw
 * inference records in it, plus configured models that have none yet.
 */
export async function readDriftModels(get: GetResource, range?: CatalogRange): Promise<string[]> {
  try {
    const parsed = driftModelsSchema.safeParse(await get('drift/models'));
    if (!parsed.success) {
      return [];
    }
    return parsed.data.models
      .filter((m) => {
        if (!range || m.firstMs == null || m.lastMs == null) {
          return true;
        }
        return m.firstMs <= range.to && m.lastMs >= range.from;
      })
      .map((m) => m.modelId);
  } catch {
    return [];
  }
}

/** Drift types whose results are per feature (or per metric, for llm); `all` lists feature drift. */
export type FeatureDriftType = 'feature' | 'prediction' | 'embedding' | 'concept' | 'llm';

/**
 * Features of one ML model with drift results (`drift/heatmap` of one drift type, feature
 * drift unless told), sorted.
 */
export async function readDriftFeatures(
  get: GetResource,
  modelId: string,
  range?: CatalogRange,
  driftType: FeatureDriftType = 'feature'
): Promise<string[]> {
  try {
    // Without a range, everything since the epoch (the service defaults to the last 7 days).
    const r = range ?? { from: 0, to: Date.now() };
    const raw = await get('drift/heatmap', { modelId, driftType, ...rangeParams(r) });
    const parsed = driftHeatmapSchema.safeParse(raw);
    return parsed.success ? parsed.data.features.filter((f) => f !== '') : [];
  } catch {
    return [];
  }
}

/** Cost budgets (`costs/budgets`): id and name. */
export async function readBudgets(get: GetResource): Promise<Array<{ id: string; name: string }>> {
  try {
    const parsed = budgetsSchema.safeParse(await get('costs/budgets'));
    return parsed.success ? parsed.data.budgets.map(({ id, name }) => ({ id, name })) : [];
  } catch {
    return [];
  }
}
