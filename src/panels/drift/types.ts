import type { PanelModel } from '@grafana/data';
import { z } from 'zod';

/** Drift types the panel knows by name; series with other driftType labels are still shown. */
export const KNOWN_DRIFT_TYPES = ['feature', 'prediction', 'embedding', 'concept', 'llm'] as const;

export interface DriftPanelOptions {
  /** Score at which a series turns yellow (PSI convention: 0.1 = moderate shift). */
  warningThreshold: number;
  /** Score at which a series counts as drifted (PSI convention: 0.2 = major shift). */
  criticalThreshold: number;
  showSparkline: boolean;
  /** Draw the threshold zones and lines on gauges and sparklines. */
  showThreshold: boolean;
  /** Only these drift types; empty shows all. */
  driftTypes: string[];
  /** Show a banner when any series is above the critical threshold. */
  alertOnDrift: boolean;
}

export const defaultDriftOptions: DriftPanelOptions = {
  warningThreshold: 0.1,
  criticalThreshold: 0.2,
  showSparkline: true,
  showThreshold: true,
  driftTypes: [],
  alertOnDrift: true,
};

const bool = (fallback: boolean) =>
  z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean()).catch(fallback);
const threshold = (fallback: number) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number().min(0)).catch(fallback);

const optionsSchema = z.object({
  warningThreshold: threshold(defaultDriftOptions.warningThreshold),
  criticalThreshold: threshold(defaultDriftOptions.criticalThreshold),
  showSparkline: bool(defaultDriftOptions.showSparkline),
  showThreshold: bool(defaultDriftOptions.showThreshold),
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
    .catch(defaultDriftOptions.driftTypes),
  alertOnDrift: bool(defaultDriftOptions.alertOnDrift),
});

/**
 * Options of any earlier version to the current shape. PyFlare's original drift panel had
 * one `threshold` (the drift line) and `driftTypes` possibly as a comma-separated string;
 * 'all' in driftTypes meant no filter.
 */
export function migrateDriftOptions(panel: PanelModel<Partial<DriftPanelOptions>>): DriftPanelOptions {
  const raw: Record<string, unknown> = { ...(panel.options ?? {}) };
  if (raw.criticalThreshold === undefined && raw.threshold !== undefined) {
    raw.criticalThreshold = raw.threshold;
  }
  const o = optionsSchema.parse(raw);
  o.driftTypes = o.driftTypes.filter((t) => t !== 'all');
  // A warning above the critical line would never show; keep them ordered.
  if (o.warningThreshold > o.criticalThreshold) {
    o.warningThreshold = o.criticalThreshold;
  }
  return o;
}
