import { driftLevel, driftStatus, formatLevel, isPValueTest, pValueOf, resolveThresholds } from './levels';

const data = { source: 'data' as const, warningRatio: 0.8, warning: 0.1, critical: 0.2 };

describe('thresholds and levels', () => {
  it('uses the series’ own threshold in data mode, the fixed ones otherwise', () => {
    expect(resolveThresholds(0.1, data, 'wasserstein')).toEqual({
      warning: 0.1 * 0.8,
      critical: 0.1,
      warningLevel: 0.8,
      scale: 'linear',
      fromData: true,
    });
    expect(resolveThresholds(undefined, data)).toEqual({
      warning: 0.1,
      critical: 0.2,
      warningLevel: 0.5,
      scale: 'linear',
      fromData: false,
    });
    expect(resolveThresholds(0.95, { ...data, source: 'fixed' }, 'ks').fromData).toBe(false);
  });

  it('scales p-value tests by ln p / ln alpha: the line stays at 1, evidence grows past it', () => {
    const ks = resolveThresholds(0.95, data, 'ks');
    expect(ks.scale).toBe('log-p');
    expect(ks.warning).toBeCloseTo(1 - Math.pow(0.05, 0.8));
    expect(driftLevel(0.95, ks)).toBeCloseTo(1);
    expect(driftLevel(1 - 0.05 * 0.05, ks)).toBeCloseTo(2);
    expect(driftLevel(0.5, ks)).toBeCloseTo(Math.log(0.5) / Math.log(0.05));
    expect(driftLevel(1, ks)).toBeCloseTo(Math.log(1e-300) / Math.log(0.05));
    expect(driftLevel(0, ks)).toBe(-0);
    expect(pValueOf(0.97, ks)).toBeCloseTo(0.03);
    expect(pValueOf(0.97, resolveThresholds(0.1, data))).toBeUndefined();
    expect(isPValueTest('chisquare')).toBe(true);
    expect(isPValueTest('psi')).toBe(false);
  });

  it('classifies scores by level, lines included', () => {
    const th = resolveThresholds(0.1, data);
    expect(driftStatus(0.05, th)).toBe('ok');
    expect(driftStatus(0.08, th)).toBe('warning');
    expect(driftStatus(0.1, th)).toBe('critical');
    expect(driftStatus(undefined, th)).toBe('ok');
    expect(driftStatus(Number.NaN, th)).toBe('ok');
    const ks = resolveThresholds(0.95, data, 'ks');
    expect(driftStatus(0.5, ks)).toBe('ok');
    expect(driftStatus(0.92, ks)).toBe('warning');
    expect(driftStatus(0.951, ks)).toBe('critical');
  });

  it('puts linear scores in units of the drift line', () => {
    const th = (critical: number) => ({ critical, scale: 'linear' as const });
    expect(driftLevel(0.3, th(0.1))).toBeCloseTo(3);
    expect(driftLevel(0.3, th(0))).toBe(Number.POSITIVE_INFINITY);
    expect(driftLevel(0, th(0))).toBe(0);
  });

  it('formats levels', () => {
    expect(formatLevel(0.4234)).toBe('0.42×');
    expect(formatLevel(2.34)).toBe('2.3×');
    expect(formatLevel(23)).toBe('>10×');
    expect(formatLevel(Number.POSITIVE_INFINITY)).toBe('>10×');
    expect(formatLevel(Number.NaN)).toBe('–');
  });
});
