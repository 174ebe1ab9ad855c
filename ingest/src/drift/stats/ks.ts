// Two-sample Kolmogorov-Smirnov test, two-sided, matching scipy.stats.ks_2samp (1.17):
// method 'auto' is exact when max(n1, n2) <= 10000, else asymptotic; the exact p-value counts
// lattice paths (Hodges 1958; Viehmann 2021 recursion for 1 - p); the asymptotic one is
// kstwo.sf(D, round(n1 n2 / (n1 + n2))). An exact computation that fails falls back to asymp.

import { kolmogorovNSf } from './kolmogorov.js';
import { roundHalfEven } from './special.js';
import { sortedFinite } from './sorting.js';
import type { KsMethod, TestResult } from './types.js';

/** 'auto' switches to the asymptotic distribution above this sample size (scipy MAX_AUTO_N). */
export const KS_MAX_AUTO_N = 10000;

/** P(D_{n,n} >= h/n) for two samples of equal size n (Hodges' closed form, Horner-style). */
export function ksProbOutsideSquare(n: number, h: number): number {
  // 2 * sum_k (-1)^k binom(2n, n - (k+1)h) / binom(2n, n), each ratio a product of h factors.
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    const kh = k * h;
    for (let j = 0; j < h; j++) {p1 = ((n - kh - j) * p1) / (n + kh + j + 1);}
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/**
 * Share of monotone lattice paths from (0,0) to (m,n) that leave the band |x/m - y/n| < h/lcm(m,n),
 * i.e. P(D >= h/lcm) under H0. Column-by-column recursion on the complementary share (Viehmann),
 * which keeps every value in [0, 1]: no overflow and no big binomials.
 */
export function ksProbOutsideBand(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  for (let j = minj; j < maxj; j++) {A[j] = 0;}
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) {return 1;}
    let val = minj === 0 ? 0 : 1;
    const shift = minj - lastminj;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + shift]! * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) {A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));}
  }
  return A[maxj - minj - 1]!;
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) {[x, y] = [y, x % y];}
  return x;
}

export interface Ks2SampPValue {
  /** D as scipy reports it: snapped to h/lcm(n1, n2) when the exact method ran. */
  statistic: number;
  pValue: number;
  method: 'exact' | 'asymp';
}

/** p-value of the two-sided two-sample KS statistic d for sample sizes n1, n2 (scipy semantics). */
export function ks2SampPValue(d: number, n1: number, n2: number, method: KsMethod = 'auto'): Ks2SampPValue {
  if (!(n1 > 0 && n2 > 0) || !Number.isInteger(n1) || !Number.isInteger(n2)) {
    throw new RangeError('ks2samp: sample sizes must be positive integers');
  }
  const g = gcd(n1, n2);
  const n1g = n1 / g;
  const n2g = n2 / g;
  let mode: 'exact' | 'asymp';
  if (method === 'auto') {mode = Math.max(n1, n2) <= KS_MAX_AUTO_N ? 'exact' : 'asymp';}
  else if (method === 'exact') {mode = n1g >= 2147483647 / n2g ? 'asymp' : 'exact';}
  else {mode = 'asymp';}
  let stat = d;
  if (mode === 'exact') {
    const lcm = n1g * n2;
    const h = roundHalfEven(d * lcm);
    stat = h / lcm;
    if (h === 0) {return { statistic: stat, pValue: 1, method: 'exact' };}
    const p = n1 === n2 ? ksProbOutsideSquare(n1, h) : ksProbOutsideBand(n1, n2, g, h);
    if (p >= 0 && p <= 1) {return { statistic: stat, pValue: p, method: 'exact' };}
    mode = 'asymp'; // rounding pushed the exact value out of [0, 1]; scipy falls back too
  }
  const big = Math.max(n1, n2);
  const small = Math.min(n1, n2);
  const en = (big * small) / (big + small);
  const p = kolmogorovNSf(roundHalfEven(en), stat);
  return { statistic: stat, pValue: Math.min(1, Math.max(0, p)), method: 'asymp' };
}

/**
 * Largest |F1 - F2| of the empirical CDFs of two ascending samples. F differences are formed the
 * way scipy forms them (count/n1 - count/n2), so D is bit-identical.
 */
export function ksStatisticSorted(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let maxS = 0;
  let minS = 0;
  while (i < n1 || j < n2) {
    // Next distinct value of the pooled sample; step past every copy in both samples.
    const v = j >= n2 || (i < n1 && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    while (i < n1 && a[i]! <= v) {i++;}
    while (j < n2 && b[j]! <= v) {j++;}
    const diff = i / n1 - j / n2;
    if (diff > maxS) {maxS = diff;}
    if (diff < minS) {minS = diff;}
  }
  return -minS > maxS ? -minS : maxS;
}

export interface Ks2SampOptions {
  method?: KsMethod;
  /** Drift when p <= alpha (Evidently's KS convention). Default 0.05. */
  threshold?: number;
}

export interface KsResult extends TestResult {
  test: 'ks';
  pValue: number;
  method: 'exact' | 'asymp';
}

/**
 * Two-sided two-sample KS test (scipy.stats.ks_2samp). Non-finite values are dropped (Evidently
 * drops NaN and infinities before testing). Pass `sorted: true` only if both inputs are already
 * ascending and finite.
 */
export function ks2samp(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  options: Ks2SampOptions & { sorted?: boolean } = {}
): KsResult {
  const a = options.sorted && reference instanceof Float64Array ? reference : sortedFinite(reference);
  const b = options.sorted && current instanceof Float64Array ? current : sortedFinite(current);
  if (a.length === 0 || b.length === 0) {throw new RangeError('ks2samp: both samples need at least one finite value');}
  const threshold = options.threshold ?? 0.05;
  const d = ksStatisticSorted(a, b);
  const r = ks2SampPValue(d, a.length, b.length, options.method ?? 'auto');
  return {
    test: 'ks',
    statistic: r.statistic,
    pValue: r.pValue,
    method: r.method,
    threshold,
    drift: r.pValue <= threshold,
  };
}
