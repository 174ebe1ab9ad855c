// Shaping of one feature's reference vs current distribution for the distribution view.
import { isPValueTest } from './levels';
import type { DistributionBin, FeatureDistribution } from './tables';

export { isPValueTest };

const TEST_NAMES: Record<string, string> = {
  ks: 'Kolmogorov–Smirnov',
  chisquare: 'Chi-square',
  z: 'Two-proportion z-test',
  wasserstein: 'Wasserstein (normed)',
  jensenshannon: 'Jensen–Shannon distance',
  psi: 'PSI',
  hellinger: 'Hellinger distance',
  drift_share: 'Share of drifted features',
  domain_classifier_auc: 'Domain classifier AUC',
  mmd: 'MMD',
  mean_euclidean_distance: 'Distance between means',
  relative_drop: 'Relative quality drop',
  relative_rise: 'Relative rise',
};

export function testName(test: string | undefined): string {
  return test ? (TEST_NAMES[test] ?? test) : 'Unknown test';
}

/** 0.1234 -> "12.3%", 0.0004 -> "0.04%". */
export function formatShare(v: number): string {
  if (!Number.isFinite(v)) {
    return '–';
  }
  const pct = v * 100;
  return `${pct !== 0 && Math.abs(pct) < 1 ? pct.toPrecision(1) : pct.toFixed(1)}%`;
}

/** p-values: "< 0.0001" when tiny, else 2 significant digits (0.034, 0.41). */
export function formatPValue(p: number | undefined): string {
  if (p === undefined || !Number.isFinite(p)) {
    return '–';
  }
  if (p < 0.0001) {
    return '< 0.0001';
  }
  return String(Number(p.toPrecision(2)));
}

/** Statistics and edges: up to 4 significant digits, no exponent for everyday sizes. */
export function formatStat(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) {
    return '–';
  }
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 0.001 || abs >= 1e6)) {
    return v.toExponential(2);
  }
  return String(Number(v.toPrecision(4)));
}

/** How the verdict was reached, in words: "p 0.003 ≤ 0.05" or "0.31 ≥ 0.1". */
export function verdictText(
  d: Pick<FeatureDistribution, 'test' | 'statistic' | 'pValue' | 'threshold' | 'drift'>
): string {
  if (d.threshold === undefined) {
    return '';
  }
  if (isPValueTest(d.test) && d.pValue !== undefined) {
    const drift = d.drift ?? d.pValue <= d.threshold;
    return `p ${formatPValue(d.pValue)} ${drift ? '≤' : '>'} ${formatStat(d.threshold)}`;
  }
  if (d.statistic !== undefined) {
    const drift = d.drift ?? d.statistic >= d.threshold;
    return `${formatStat(d.statistic)} ${drift ? '≥' : '<'} ${formatStat(d.threshold)}`;
  }
  return '';
}

/** Whether the distribution drifted: the engine's verdict, else from statistic / p-value and threshold. */
export function isDrift(
  d: Pick<FeatureDistribution, 'test' | 'statistic' | 'pValue' | 'threshold' | 'drift'>
): boolean | undefined {
  if (d.drift !== undefined) {
    return d.drift;
  }
  if (d.threshold === undefined) {
    return undefined;
  }
  if (isPValueTest(d.test)) {
    return d.pValue === undefined ? undefined : d.pValue <= d.threshold;
  }
  return d.statistic === undefined ? undefined : d.statistic >= d.threshold;
}

/**
 * Bins in display order: numeric bins as they come (ascending ranges); categories by
 * reference share, then current share, with catch-all bins like "(other)" and "(missing)" last.
 */
export function orderBins(d: Pick<FeatureDistribution, 'bins' | 'numeric'>): DistributionBin[] {
  if (d.numeric) {
    return d.bins;
  }
  const catchAll = (b: DistributionBin) => (b.label.startsWith('(') ? 1 : 0);
  return [...d.bins].sort((a, b) => catchAll(a) - catchAll(b) || b.reference - a.reference || b.current - a.current);
}

/** Top of the share axis: a round value just above the largest share. */
export function shareAxisMax(bins: readonly DistributionBin[]): number {
  const top = bins.reduce((m, b) => Math.max(m, b.reference, b.current), 0);
  if (top <= 0) {
    return 0.1;
  }
  const steps = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1];
  return steps.find((s) => s >= top * 1.05) ?? Math.ceil(top * 10) / 10;
}

/** Ticks of the share axis: 0, and 4 or 5 steps up to max. */
export function shareTicks(max: number): number[] {
  const raw = max / 4;
  const step = [0.005, 0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25].find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = 0; v <= max + 1e-9; v += step) {
    ticks.push(Number(v.toFixed(4)));
  }
  return ticks;
}

/** Label of a bin: its range for numeric bins, its name for categories. */
export function binLabel(b: DistributionBin): string {
  if (b.lower !== undefined && b.upper !== undefined) {
    return `${formatStat(b.lower)} – ${formatStat(b.upper)}`;
  }
  return b.label;
}

/** The largest shift between reference and current (for the view's headline). */
export function largestShift(bins: readonly DistributionBin[]): { bin: DistributionBin; delta: number } | undefined {
  let best: { bin: DistributionBin; delta: number } | undefined;
  for (const bin of bins) {
    const delta = bin.current - bin.reference;
    if (!best || Math.abs(delta) > Math.abs(best.delta)) {
      best = { bin, delta };
    }
  }
  return best;
}

/** Distribution of a feature among those in the data (model and drift type must match when both sides say). */
export function findDistribution(
  all: readonly FeatureDistribution[],
  t: { feature: string; model?: string; driftType?: string }
): FeatureDistribution | undefined {
  return all.find(
    (d) =>
      d.feature === t.feature &&
      (d.model === undefined || t.model === undefined || d.model === t.model) &&
      (d.driftType === undefined || t.driftType === undefined || d.driftType === t.driftType)
  );
}
