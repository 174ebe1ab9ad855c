import type { PanelModel } from '@grafana/data';
import { z } from 'zod';

/** Drift types the panel knows by name, in display order; other driftType labels are still shown. */
export const KNOWN_DRIFT_TYPES = ['feature', 'prediction', 'embedding', 'concept', 'llm'] as const;

/** `auto` picks from the data: distribution frames -> distribution, only per-feature series -> heatmap, else overview. */
export const DRIFT_MODES = ['auto', 'overview', 'heatmap', 'distribution'] as const;
export type DriftMode = (typeof DRIFT_MODES)[number];
export type DriftView = Exclude<DriftMode, 'auto'>;

/** Heatmap row order: latest drift (worst first), peak drift in the range, or feature name. */
export const HEATMAP_SORTS = ['current', 'peak', 'name'] as const;
export type HeatmapSort = (typeof HEATMAP_SORTS)[number];

export interface DriftThresholds {
  /**
   * `data`: every series is judged against its own drift threshold from the data source
   * (frame meta `threshold`, which the engine's alerts use too; scores of different tests
   * have different scales), with the warning at `warningRatio` of it. `fixed`: the `warning`
   * and `critical` scores below for every series. Series without a threshold of their own
   * use the fixed values in both modes.
   */
  source: 'data' | 'fixed';
  /** Share of a series' own threshold at which it turns yellow (data mode). */
  warningRatio: number;
  /** Score at which a series turns yellow (fixed mode; PSI convention 0.1 = moderate shift). */
  warning: number;
  /** Score at which a series counts as drifted (fixed mode; PSI convention 0.2 = major shift). */
  critical: number;
}

export interface DriftPanelOptions {
  mode: DriftMode;
  /** Only these drift types; empty shows all. */
  driftTypes: string[];
  /** Threshold zones on gauges, lines on sparklines, marks on the heatmap legend. */
  showThreshold: boolean;
  /** Alert indicators on gauges and heatmap rows, and the alert summary in the toolbar. */
  alertOnDrift: boolean;
  thresholds: DriftThresholds;
  showSparkline: boolean;
  heatmapSort: HeatmapSort;
  /**
   * Dashboard variable (name without `$`) set to the feature clicked in the heatmap, so other
   * panels can follow; '' = none. The click always opens the feature's distribution too.
   */
  featureVariable: string;
}

export const defaultDriftOptions: DriftPanelOptions = {
  mode: 'auto',
  driftTypes: [],
  showThreshold: true,
  alertOnDrift: true,
  thresholds: { source: 'data', warningRatio: 0.8, warning: 0.1, critical: 0.2 },
  showSparkline: true,
  heatmapSort: 'current',
  featureVariable: '',
};

// Values saved by hand-written dashboard JSON (strings for booleans and numbers) are read as such.
const bool = (fallback: boolean) =>
  z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean()).catch(fallback);
const num = (fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number().min(min).max(max))
    .catch(fallback);

const d = defaultDriftOptions;

const thresholdsSchema = z
  .object({
    source: z.enum(['data', 'fixed']).catch(d.thresholds.source),
    warningRatio: num(d.thresholds.warningRatio, 0, 1),
    warning: num(d.thresholds.warning, 0),
    critical: num(d.thresholds.critical, 0),
  })
  .catch(d.thresholds);

const optionsSchema = z.object({
  mode: z.enum(DRIFT_MODES).catch(d.mode),
  driftTypes: z
    .preprocess(
      (v) =>
        typeof v === 'string'
          ? v
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : v,
      z.array(z.string())
    )
    .catch(d.driftTypes),
  showThreshold: bool(d.showThreshold),
  alertOnDrift: bool(d.alertOnDrift),
  thresholds: z.preprocess((v) => (v && typeof v === 'object' ? v : {}), thresholdsSchema),
  showSparkline: bool(d.showSparkline),
  heatmapSort: z.enum(HEATMAP_SORTS).catch(d.heatmapSort),
  featureVariable: z
    .preprocess((v) => (typeof v === 'string' ? v.trim().replace(/^\$\{?|\}$/g, '') : v), z.string().max(200))
    .catch(d.featureVariable),
});

/** Keys of earlier option shapes (see migrateDriftOptions). */
const LEGACY_KEYS = ['threshold', 'warningThreshold', 'criticalThreshold', 'viewMode'];

/** Whether saved options need migrating whatever the saved pluginVersion says (hand-written JSON). */
export function needsDriftMigration(panel: PanelModel): boolean {
  const o: unknown = panel.options;
  return (
    !panel.pluginVersion ||
    (!!o && typeof o === 'object' && LEGACY_KEYS.some((k) => k in (o as Record<string, unknown>)))
  );
}

/**
 * Options of any earlier version to the current shape. Grafana calls this when the saved
 * `pluginVersion` differs from the installed one (and when needsDriftMigration says so):
 * - PyFlare's original drift panel: one absolute `threshold` (the drift line), `driftTypes`
 *   possibly a comma-separated string with 'all' meaning no filter, `viewMode`
 *   ('gauge' | 'heatmap');
 * - this panel's 0.1 development shape: `warningThreshold` / `criticalThreshold` (absolute);
 * - the current shape (idempotent). Unknown keys are dropped, bad values become defaults.
 */
export function migrateDriftOptions(panel: PanelModel<Partial<DriftPanelOptions>>): DriftPanelOptions {
  const raw: Record<string, unknown> = { ...(panel.options ?? {}) };
  const legacyCritical = raw.criticalThreshold ?? raw.threshold;
  if (!raw.thresholds && (legacyCritical !== undefined || raw.warningThreshold !== undefined)) {
    // Old panels drew one absolute line for every series: keep it.
    const critical = num(d.thresholds.critical, 0).parse(legacyCritical);
    raw.thresholds = {
      source: 'fixed',
      critical,
      warning: raw.warningThreshold ?? (legacyCritical !== undefined ? critical / 2 : d.thresholds.warning),
    };
  }
  if (raw.mode === undefined && typeof raw.viewMode === 'string') {
    raw.mode = raw.viewMode === 'heatmap' ? 'heatmap' : raw.viewMode === 'gauge' ? 'overview' : undefined;
  }
  const o = optionsSchema.parse(raw);
  o.driftTypes = o.driftTypes.filter((t) => t !== 'all');
  // A warning above the drift line would never show; keep them ordered.
  if (o.thresholds.warning > o.thresholds.critical) {
    o.thresholds = { ...o.thresholds, warning: o.thresholds.critical };
  }
  return o;
}
