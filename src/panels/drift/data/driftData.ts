import type { DataFrame } from '@grafana/data';

import type { DriftView } from '../types';
import { readDriftSeries, type DriftSeries } from './driftSeries';
import {
  frameKind,
  readAlerts,
  readDistribution,
  readFeatureResults,
  type DriftAlert,
  type FeatureDistribution,
  type FeatureResult,
} from './tables';

/** Everything the panel reads from its frames, by kind. */
export interface DriftData {
  series: DriftSeries[];
  features: FeatureResult[];
  distributions: FeatureDistribution[];
  alerts: DriftAlert[];
  /** An alerts frame was present (even empty): alert state is known, not guessed from scores. */
  hasAlertFrame: boolean;
}

export function readDriftData(frames: DataFrame[]): DriftData {
  const scoreFrames: DataFrame[] = [];
  const data: DriftData = { series: [], features: [], distributions: [], alerts: [], hasAlertFrame: false };
  for (const frame of frames) {
    switch (frameKind(frame)) {
      case 'drift-features':
        data.features.push(...readFeatureResults(frame));
        break;
      case 'drift-distribution': {
        const d = readDistribution(frame);
        if (d) {
          data.distributions.push(d);
        }
        break;
      }
      case 'drift-alerts':
        data.alerts.push(...readAlerts(frame));
        data.hasAlertFrame = true;
        break;
      default:
        // 'drift-scores' and any other numeric frame (generic drift series).
        scoreFrames.push(frame);
    }
  }
  data.series = readDriftSeries(scoreFrames);
  return data;
}

export function isEmptyDriftData(d: DriftData): boolean {
  return !d.series.length && !d.features.length && !d.distributions.length && !d.alerts.length;
}

/** Keeps only the wanted drift types (none = all); alerts and distributions of other types go too. */
export function filterDriftTypes(d: DriftData, driftTypes: readonly string[]): DriftData {
  if (!driftTypes.length) {
    return d;
  }
  const wanted = new Set(driftTypes);
  const keep = (t: string | undefined) => t === undefined || wanted.has(t);
  return {
    series: d.series.filter((s) => keep(s.driftType)),
    features: d.features.filter((f) => keep(f.driftType)),
    distributions: d.distributions.filter((x) => keep(x.driftType)),
    alerts: d.alerts.filter((a) => keep(a.driftType)),
    hasAlertFrame: d.hasAlertFrame,
  };
}

/** Series with a feature label: the heatmap's rows. */
export function featureSeries(d: DriftData): DriftSeries[] {
  return d.series.filter((s) => s.feature !== undefined);
}

/** The views the data supports, in switcher order. */
export function availableViews(d: DriftData, canFetchDistribution: boolean): DriftView[] {
  const views: DriftView[] = [];
  if (d.series.length || d.alerts.length) {
    views.push('overview');
  }
  const heatmap = featureSeries(d).length > 0 || d.features.some((f) => f.feature !== '');
  if (heatmap) {
    views.push('heatmap');
  }
  if (d.distributions.length || (heatmap && canFetchDistribution)) {
    views.push('distribution');
  }
  return views;
}

/** What `auto` mode shows for this data. */
export function autoView(d: DriftData): DriftView {
  if (d.distributions.length && !d.series.length) {
    return 'distribution';
  }
  const hasOverall = d.series.some((s) => s.feature === undefined);
  const features = new Set(featureSeries(d).map((s) => s.feature));
  if (!hasOverall && (features.size > 1 || (!d.series.length && d.features.some((f) => f.feature !== '')))) {
    return 'heatmap';
  }
  return 'overview';
}

export interface AlertTarget {
  model?: string;
  driftType: string;
  feature?: string;
  service?: string;
}

/**
 * Active alerts of a target. A target without a feature matches every alert of its drift
 * type (a drift type's gauge shows its features' alerts too).
 */
export function activeAlertsFor(alerts: readonly DriftAlert[], t: AlertTarget): DriftAlert[] {
  return alerts.filter(
    (a) =>
      a.state === 'active' &&
      a.driftType === t.driftType &&
      (t.model === undefined || a.model === '' || a.model === t.model) &&
      (t.service === undefined || a.service === '' || a.service === t.service) &&
      (t.feature === undefined || a.feature === t.feature)
  );
}

/** The 'drift-features' row of a series (same model, drift type and feature). */
export function featureResultFor(
  features: readonly FeatureResult[],
  s: { model?: string; driftType: string; feature?: string }
): FeatureResult | undefined {
  return features.find(
    (f) =>
      f.driftType === s.driftType &&
      f.feature === (s.feature ?? '') &&
      (f.model === undefined || s.model === undefined || f.model === s.model)
  );
}
