import { z } from 'zod';

/** Catalog resources the Go backend forwards to the service's /api/v1/catalog/*. */
export type CatalogKind = 'services' | 'models' | 'attribute-keys' | 'attribute-values';

const catalogSchema = z.object({ values: z.array(z.string()).max(100_000) });

type GetResource = (path: string, params?: Record<string, string>) => Promise<unknown>;

/**
 * Reads one catalog list. A catalog is a convenience for pickers, so failures (service
 * down, old backend) yield an empty list instead of breaking the editor.
 */
export async function readCatalog(get: GetResource, kind: CatalogKind, key?: string): Promise<string[]> {
  try {
    const raw = await get(`catalog/${kind}`, key !== undefined ? { key } : undefined);
    const parsed = catalogSchema.safeParse(raw);
    return parsed.success ? parsed.data.values : [];
  } catch {
    return [];
  }
}
