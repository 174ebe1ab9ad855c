import { KNOWN_DRIFT_TYPES, type DriftPanelOptions } from '../types';
import { MAX_LEVEL } from './colorScale';
import { activeAlertsFor, type DriftData } from './driftData';
import { compareSeries, driftTitle, type DriftSeries } from './driftSeries';
import { driftLevel, driftStatus, resolveThresholds, type DriftStatus, type SeriesThresholds } from './levels';
import type { DriftAlert } from './tables';

/** One gauge: a drift type of one model (and service, for LLM behaviour drift). */
export interface GaugeModel {
  key: string;
  driftType: string;
  model?: string;
  service?: string;
  title: string;
  /** The series the gauge and sparkline show: the overall score, else the worst feature. */
  series?: DriftSeries;
  /** Set when `series` is the worst of several per-feature series. */
  worstFeature?: string;
  featureCount: number;
  /** Features at or past their drift line now. */
  driftingFeatures: number;
  thresholds: SeriesThresholds;
  status: DriftStatus;
  /** Active alerts of this drift type (from the alerts frame, or the engine's alertActive flag). */
  alerts: DriftAlert[];
  alertActive: boolean;
}

const groupKey = (s: { model?: string; service?: string; driftType: string }) =>
  JSON.stringify([s.model ?? '', s.service ?? '', s.driftType]);

function latestLevel(s: DriftSeries, th: SeriesThresholds): number {
  return s.latest === undefined ? Number.NEGATIVE_INFINITY : driftLevel(s.latest, th);
}

/**
 * One gauge per (model, service, drift type), in drift type order. Drift types listed in
 * `driftTypes` but absent from the data get an empty gauge (so "no LLM drift data" shows);
 * drift types with only alerts get a gauge that shows the alert.
 */
export function buildOverview(
  data: DriftData,
  options: Pick<DriftPanelOptions, 'thresholds' | 'driftTypes'>
): GaugeModel[] {
  const groups = new Map<string, DriftSeries[]>();
  for (const s of [...data.series].sort(compareSeries)) {
    const k = groupKey(s);
    const g = groups.get(k);
    if (g) {
      g.push(s);
    } else {
      groups.set(k, [s]);
    }
  }
  const gauges: GaugeModel[] = [];
  for (const [key, members] of groups) {
    const first = members[0]!;
    const overall = members.find((s) => s.feature === undefined);
    const perFeature = members.filter((s) => s.feature !== undefined);
    let shown = overall;
    let shownTh = overall ? resolveThresholds(overall.threshold, options.thresholds, overall.latestTest) : undefined;
    let drifting = 0;
    for (const s of perFeature) {
      const th = resolveThresholds(s.threshold, options.thresholds, s.latestTest);
      if (driftStatus(s.latest, th) === 'critical') {
        drifting++;
      }
      if (!overall && (!shown || latestLevel(s, th) > latestLevel(shown, shownTh!))) {
        shown = s;
        shownTh = th;
      }
    }
    const thresholds = shownTh ?? resolveThresholds(undefined, options.thresholds);
    const target = { model: first.model, service: first.service, driftType: first.driftType };
    const alerts = activeAlertsFor(data.alerts, target);
    const status = driftStatus(shown?.latest, thresholds);
    // Frames that say nothing about alerts (no alerts frame, no alertActive flag): a score
    // past the drift line stands in for an alert.
    const alertKnown = data.hasAlertFrame || members.some((s) => s.alertActive !== undefined);
    gauges.push({
      key,
      ...target,
      title: driftTitle(first.driftType),
      series: shown,
      worstFeature: !overall && perFeature.length > 1 ? shown?.feature : undefined,
      featureCount: perFeature.length,
      driftingFeatures: drifting,
      thresholds,
      status,
      alerts,
      alertActive: alertKnown
        ? alerts.length > 0 || members.some((s) => s.alertActive === true)
        : status === 'critical' || drifting > 0,
    });
  }
  // Alerts of drift types without scores in the data still get a gauge.
  for (const a of data.alerts) {
    if (a.state !== 'active') {
      continue;
    }
    const target = { model: a.model || undefined, service: a.service || undefined, driftType: a.driftType };
    const key = groupKey(target);
    if (gauges.some((g) => g.key === key || (g.driftType === a.driftType && (!a.model || g.model === a.model)))) {
      continue;
    }
    const alerts = activeAlertsFor(data.alerts, target);
    gauges.push({
      key,
      ...target,
      title: driftTitle(a.driftType),
      featureCount: 0,
      driftingFeatures: 0,
      thresholds: resolveThresholds(a.threshold, options.thresholds),
      status: 'critical',
      alerts,
      alertActive: true,
    });
  }
  // Wanted drift types without data: an empty gauge per model seen (or one without a model).
  const models = [...new Set(gauges.map((g) => g.model))];
  for (const driftType of options.driftTypes) {
    for (const model of models.length ? models : [undefined]) {
      if (!gauges.some((g) => g.driftType === driftType && g.model === model)) {
        gauges.push({
          key: groupKey({ model, driftType }),
          driftType,
          model,
          title: driftTitle(driftType),
          featureCount: 0,
          driftingFeatures: 0,
          thresholds: resolveThresholds(undefined, options.thresholds),
          status: 'ok',
          alerts: [],
          alertActive: false,
        });
      }
    }
  }
  const order = (t: string) => {
    const i = (KNOWN_DRIFT_TYPES as readonly string[]).indexOf(t);
    return i < 0 ? KNOWN_DRIFT_TYPES.length : i;
  };
  return gauges.sort(
    (a, b) =>
      (a.model ?? '').localeCompare(b.model ?? '') ||
      order(a.driftType) - order(b.driftType) ||
      a.driftType.localeCompare(b.driftType) ||
      (a.service ?? '').localeCompare(b.service ?? '')
  );
}

/** A gauge's value and zones in drift levels: the drift line sits at the top of the arc, the arc ends at MAX_LEVEL. */
export function gaugeLevels(g: Pick<GaugeModel, 'series' | 'thresholds'>): {
  value?: number;
  warning: number;
  critical: number;
  max: number;
} {
  const latest = g.series?.latest;
  return {
    value: latest === undefined ? undefined : driftLevel(latest, g.thresholds),
    warning: g.thresholds.warningLevel,
    critical: 1,
    max: MAX_LEVEL,
  };
}

/** Text of the alert summary: how many drift types have an active alert, and which. */
export function alertSummary(gauges: readonly GaugeModel[]): { count: number; text: string } | undefined {
  const alerting = gauges.filter((g) => g.alertActive);
  if (!alerting.length) {
    return undefined;
  }
  const names = alerting.map((g) => `${g.title}${g.model ? ` (${g.model})` : ''}`);
  const count = alerting.reduce((n, g) => n + Math.max(1, g.alerts.length), 0);
  return {
    count,
    text: `${count} drift alert${count === 1 ? '' : 's'} active: ${names.join(', ')}`,
  };
}
