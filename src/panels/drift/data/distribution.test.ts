import {
  binLabel,
  findDistribution,
  formatPValue,
  formatShare,
  formatStat,
  isDrift,
  largestShift,
  orderBins,
  shareAxisMax,
  shareTicks,
  testName,
  verdictText,
} from './distribution';
import type { DistributionBin, FeatureDistribution } from './tables';

const bins: DistributionBin[] = [
  { label: '[0, 30)', lower: 0, upper: 30, reference: 0.04, current: 0.22 },
  { label: '[30, 60)', lower: 30, upper: 60, reference: 0.3, current: 0.18 },
];

describe('distribution helpers', () => {
  it('formats shares, p-values and statistics', () => {
    expect(formatShare(0.1234)).toBe('12.3%');
    expect(formatShare(0.0004)).toBe('0.04%');
    expect(formatShare(0)).toBe('0.0%');
    expect(formatPValue(0.00002)).toBe('< 0.0001');
    expect(formatPValue(0.0345)).toBe('0.035');
    expect(formatPValue(undefined)).toBe('–');
    expect(formatStat(0.123456)).toBe('0.1235');
    expect(formatStat(1234567)).toBe('1.23e+6');
    expect(formatStat(3650)).toBe('3650');
  });

  it('explains the verdict for p-value tests and distances', () => {
    expect(verdictText({ test: 'ks', statistic: 0.3, pValue: 0.003, threshold: 0.05 })).toBe('p 0.003 ≤ 0.05');
    expect(verdictText({ test: 'ks', statistic: 0.1, pValue: 0.4, threshold: 0.05 })).toBe('p 0.4 > 0.05');
    expect(verdictText({ test: 'wasserstein', statistic: 0.31, threshold: 0.1, drift: true })).toBe('0.31 ≥ 0.1');
    expect(verdictText({ test: 'psi', statistic: 0.05 })).toBe('');
    expect(isDrift({ test: 'chisquare', pValue: 0.01, threshold: 0.05 })).toBe(true);
    expect(isDrift({ test: 'psi', statistic: 0.05, threshold: 0.1 })).toBe(false);
    expect(isDrift({ test: 'psi', statistic: 0.05, threshold: 0.1, drift: true })).toBe(true);
    expect(isDrift({ test: 'psi' })).toBeUndefined();
    expect(testName('ks')).toBe('Kolmogorov–Smirnov');
    expect(testName('custom')).toBe('custom');
  });

  it('scales the share axis to a round value above the largest share', () => {
    expect(shareAxisMax(bins)).toBe(0.4);
    expect(shareTicks(0.4)).toEqual([0, 0.1, 0.2, 0.3, 0.4]);
    expect(shareAxisMax([])).toBe(0.1);
    expect(shareTicks(0.05)).toEqual([0, 0.02, 0.04]);
  });

  it('labels bins and finds the largest shift', () => {
    expect(binLabel(bins[0]!)).toBe('0 – 30');
    expect(binLabel({ label: 'card', reference: 0, current: 0 })).toBe('card');
    expect(largestShift(bins)).toEqual({ bin: bins[0], delta: 0.22 - 0.04 });
    expect(largestShift([])).toBeUndefined();
  });

  it('orders categories by reference share with catch-all bins last, numeric bins as they come', () => {
    const cat = (label: string, reference: number, current = 0) => ({ label, reference, current });
    const bins2 = [cat('(missing)', 0.5), cat('b', 0.1, 0.3), cat('a', 0.2), cat('c', 0.1, 0.4)];
    expect(orderBins({ bins: bins2, numeric: false }).map((b) => b.label)).toEqual(['a', 'c', 'b', '(missing)']);
    expect(orderBins({ bins, numeric: true })).toBe(bins);
  });

  it('finds a feature’s distribution, model and drift type permitting', () => {
    const d = (feature: string, model?: string) => ({ feature, model, bins, numeric: true }) as FeatureDistribution;
    const all = [d('age', 'a'), d('age', 'b')];
    expect(findDistribution(all, { feature: 'age', model: 'b' })).toBe(all[1]);
    expect(findDistribution(all, { feature: 'age' })).toBe(all[0]);
    expect(findDistribution(all, { feature: 'x' })).toBeUndefined();
  });
});
