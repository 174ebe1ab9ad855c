// Univariate drift tests and distances on counts, shares or samples. Definitions follow scipy
// (chisquare, wasserstein_distance, jensenshannon) and Evidently's legacy stattests (thresholds,
// expected counts, z-test, normed Wasserstein, PSI, Hellinger).

import { fillEmptyShares, toShares } from './binning.js';
import { chiSquareSf, normalSf } from './special.js';
import { sortedFinite } from './sorting.js';
import type { TestResult } from './types.js';

// ---------------------------------------------------------------------------------------------
// Chi-square

/** scipy.stats.chisquare(observed, expected): sum (o - e)^2 / e with k - 1 - ddof degrees of freedom. */
export function chiSquareGoodnessOfFit(
  observed: ArrayLike<number>,
  expected?: ArrayLike<number>,
  ddof = 0
): { statistic: number; pValue: number; df: number } {
  const k = observed.length;
  if (k === 0) {throw new RangeError('chisquare: no categories');}
  let total = 0;
  for (let i = 0; i < k; i++) {total += observed[i]!;}
  if (expected && expected.length !== k) {throw new RangeError('chisquare: observed and expected differ in length');}
  let stat = 0;
  for (let i = 0; i < k; i++) {
    const e = expected ? expected[i]! : total / k;
    const d = observed[i]! - e;
    // A category never seen in the reference has e = 0: infinite statistic (scipy gives inf, p 0).
    stat += e === 0 ? (d === 0 ? NaN : Infinity) : (d * d) / e;
  }
  const df = k - 1 - ddof;
  // scipy returns NaN for df = 0; one category cannot show a change in mix, so report p = 1.
  const pValue = df > 0 ? chiSquareSf(stat, df) : Number.isNaN(stat) ? NaN : 1;
  return { statistic: stat, pValue, df };
}

export interface ChiSquareResult extends TestResult {
  test: 'chisquare';
  pValue: number;
  df: number;
}

/**
 * Evidently's chi-square drift test on per-category counts (same category order in both):
 * expected = reference counts * n_current / n_reference; drift when p < threshold (0.05).
 */
export function chiSquareTest(
  referenceCounts: ArrayLike<number>,
  currentCounts: ArrayLike<number>,
  options: { threshold?: number } = {}
): ChiSquareResult {
  const k = referenceCounts.length;
  if (currentCounts.length !== k) {throw new RangeError('chisquare: count vectors differ in length');}
  let nRef = 0;
  let nCur = 0;
  for (let i = 0; i < k; i++) {
    nRef += referenceCounts[i]!;
    nCur += currentCounts[i]!;
  }
  if (nRef <= 0 || nCur <= 0) {throw new RangeError('chisquare: empty sample');}
  const kNorm = nCur / nRef;
  const expected = new Float64Array(k);
  for (let i = 0; i < k; i++) {expected[i] = referenceCounts[i]! * kNorm;}
  const r = chiSquareGoodnessOfFit(currentCounts, expected);
  const threshold = options.threshold ?? 0.05;
  return {
    test: 'chisquare',
    statistic: r.statistic,
    pValue: r.pValue,
    df: r.df,
    threshold,
    drift: r.pValue < threshold,
  };
}

/**
 * Pearson chi-square test of homogeneity on the 2 x k table (reference, current) x categories
 * (scipy.stats.chi2_contingency(..., correction=False)). Unlike Evidently's form it treats both
 * samples as random, so it keeps its nominal false-positive rate when the reference is not much
 * larger than the current window. Categories empty in both samples are ignored.
 */
export function chiSquareHomogeneityTest(
  referenceCounts: ArrayLike<number>,
  currentCounts: ArrayLike<number>,
  options: { threshold?: number } = {}
): ChiSquareResult {
  const k = referenceCounts.length;
  if (currentCounts.length !== k) {throw new RangeError('chisquare: count vectors differ in length');}
  let nRef = 0;
  let nCur = 0;
  for (let i = 0; i < k; i++) {
    nRef += referenceCounts[i]!;
    nCur += currentCounts[i]!;
  }
  if (nRef <= 0 || nCur <= 0) {throw new RangeError('chisquare: empty sample');}
  const n = nRef + nCur;
  let stat = 0;
  let used = 0;
  for (let i = 0; i < k; i++) {
    const col = referenceCounts[i]! + currentCounts[i]!;
    if (col === 0) {continue;}
    used++;
    const eRef = (nRef * col) / n;
    const eCur = (nCur * col) / n;
    stat += (referenceCounts[i]! - eRef) ** 2 / eRef + (currentCounts[i]! - eCur) ** 2 / eCur;
  }
  const df = used - 1;
  const pValue = df > 0 ? chiSquareSf(stat, df) : 1;
  const threshold = options.threshold ?? 0.05;
  return { test: 'chisquare', statistic: stat, pValue, df, threshold, drift: pValue < threshold };
}

// ---------------------------------------------------------------------------------------------
// Two-proportion z-test

export interface ZTestResult extends TestResult {
  test: 'z';
  pValue: number;
}

/**
 * Two-proportion z-test with pooled variance: z = (p1 - p2) / sqrt(P(1-P)(1/n1 + 1/n2)),
 * p = 2 (1 - Phi(|z|)) (computed as 2 Phi(-|z|) to keep small p-values exact). Drift when
 * p < threshold (0.05). When both proportions are 0 or both are 1 the samples are identical: p = 1.
 */
export function twoProportionZTest(
  successes1: number,
  n1: number,
  successes2: number,
  n2: number,
  options: { threshold?: number } = {}
): ZTestResult {
  if (!(n1 > 0 && n2 > 0)) {throw new RangeError('z-test: empty sample');}
  const threshold = options.threshold ?? 0.05;
  const p1 = successes1 / n1;
  const p2 = successes2 / n2;
  const P = (p1 * n1 + p2 * n2) / (n1 + n2);
  const se = Math.sqrt(P * (1 - P) * (1 / n1 + 1 / n2));
  if (se === 0) {return { test: 'z', statistic: 0, pValue: 1, threshold, drift: false };}
  const z = (p1 - p2) / se;
  const pValue = Math.min(1, 2 * normalSf(Math.abs(z)));
  return { test: 'z', statistic: z, pValue, threshold, drift: pValue < threshold };
}

/**
 * Evidently's z-test on a binary column given per-value counts (values in ascending order, as
 * from binNumericSorted/binCategorical): "success" = any value other than the first.
 */
export function zTestFromCounts(
  referenceCounts: ArrayLike<number>,
  currentCounts: ArrayLike<number>,
  options: { threshold?: number } = {}
): ZTestResult {
  let n1 = 0;
  let n2 = 0;
  for (let i = 0; i < referenceCounts.length; i++) {n1 += referenceCounts[i]!;}
  for (let i = 0; i < currentCounts.length; i++) {n2 += currentCounts[i]!;}
  return twoProportionZTest(n1 - (referenceCounts[0] ?? 0), n1, n2 - (currentCounts[0] ?? 0), n2, options);
}

// ---------------------------------------------------------------------------------------------
// Wasserstein

/** First Wasserstein distance between two ascending samples: integral of |F_u - F_v|. */
export function wassersteinSorted(u: Float64Array, v: Float64Array): number {
  const nu = u.length;
  const nv = v.length;
  if (nu === 0 || nv === 0) {throw new RangeError('wasserstein: empty sample');}
  let i = 0;
  let j = 0;
  let sum = 0;
  let x = Math.min(u[0]!, v[0]!);
  // Walk the pooled values; between consecutive pooled values both CDFs are constant.
  while (i < nu || j < nv) {
    while (i < nu && u[i]! <= x) {i++;}
    while (j < nv && v[j]! <= x) {j++;}
    if (i >= nu && j >= nv) {break;}
    const next = j >= nv || (i < nu && u[i]! < v[j]!) ? u[i]! : v[j]!;
    sum += Math.abs(i / nu - j / nv) * (next - x);
    x = next;
  }
  return sum;
}

/** scipy.stats.wasserstein_distance(u, v) for unweighted samples (non-finite values dropped). */
export function wassersteinDistance(u: ArrayLike<number>, v: ArrayLike<number>): number {
  return wassersteinSorted(sortedFinite(u), sortedFinite(v));
}

/** Population standard deviation (ddof = 0), two-pass like numpy.std. */
export function stdPopulation(x: ArrayLike<number>): number {
  const n = x.length;
  if (n === 0) {return NaN;}
  let s = 0;
  for (let i = 0; i < n; i++) {s += x[i]!;}
  const mean = s / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - mean;
    ss += d * d;
  }
  return Math.sqrt(ss / n);
}

export interface WassersteinResult extends TestResult {
  test: 'wasserstein';
  /** Un-normed W1 distance. */
  distance: number;
}

/**
 * Evidently's normed Wasserstein: W1(ref, cur) / max(std(ref, ddof=0), 0.001); drift when
 * >= threshold (0.1). Inputs must be ascending and finite.
 */
export function wassersteinNormedSorted(
  ref: Float64Array,
  cur: Float64Array,
  options: { threshold?: number } = {}
): WassersteinResult {
  const threshold = options.threshold ?? 0.1;
  const distance = wassersteinSorted(ref, cur);
  const norm = Math.max(stdPopulation(ref), 0.001);
  const statistic = distance / norm;
  return { test: 'wasserstein', statistic, distance, threshold, drift: statistic >= threshold };
}

export function wassersteinNormed(
  ref: ArrayLike<number>,
  cur: ArrayLike<number>,
  options: { threshold?: number } = {}
): WassersteinResult {
  return wassersteinNormedSorted(sortedFinite(ref), sortedFinite(cur), options);
}

// ---------------------------------------------------------------------------------------------
// Distribution distances on shares

function relEntr(x: number, y: number): number {
  if (x > 0 && y > 0) {return x * Math.log(x / y);}
  if (x === 0 && y >= 0) {return 0;}
  return Infinity;
}

/**
 * scipy.spatial.distance.jensenshannon(p, q, base): both vectors are normalized to sum 1;
 * sqrt((KL(p||m) + KL(q||m)) / 2) with m = (p + q) / 2, natural log unless `base` is given.
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>, base?: number): number {
  const k = p.length;
  if (q.length !== k) {throw new RangeError('jensenshannon: vectors differ in length');}
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < k; i++) {
    sp += p[i]!;
    sq += q[i]!;
  }
  let left = 0;
  let right = 0;
  for (let i = 0; i < k; i++) {
    const pi = p[i]! / sp;
    const qi = q[i]! / sq;
    const m = (pi + qi) / 2;
    left += relEntr(pi, m);
    right += relEntr(qi, m);
  }
  // The divergence is >= 0, but for nearly equal vectors its rounded sum can be a hair below
  // (-1e-17): the square root of that is NaN, a drift score no chart or alert can use.
  let js = Math.max(0, left + right);
  if (base !== undefined) {js /= Math.log(base);}
  return Math.sqrt(js / 2);
}

/** PSI = sum (r - c) ln(r / c) over bins of two share vectors (no zero handling). */
export function populationStabilityIndex(ref: ArrayLike<number>, cur: ArrayLike<number>): number {
  const k = ref.length;
  if (cur.length !== k) {throw new RangeError('psi: vectors differ in length');}
  let s = 0;
  for (let i = 0; i < k; i++) {
    const r = ref[i]!;
    const c = cur[i]!;
    s += (r - c) * Math.log(r / c);
  }
  return s;
}

/**
 * Hellinger distance between two discrete distributions given as shares:
 * sqrt(1 - clip(sum sqrt(p q), 0, 1)) (Evidently's form; equals the usual
 * sqrt(sum (sqrt p - sqrt q)^2) / sqrt 2 when both sum to 1).
 */
export function hellingerDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  const k = p.length;
  if (q.length !== k) {throw new RangeError('hellinger: vectors differ in length');}
  let bc = 0;
  for (let i = 0; i < k; i++) {bc += Math.sqrt(p[i]! * q[i]!);}
  bc = Math.min(1, Math.max(0, bc));
  return Math.sqrt(1 - bc);
}

export interface DistanceResult extends TestResult {
  test: 'jensenshannon' | 'psi' | 'hellinger';
}

/** Jensen-Shannon drift test on per-bin counts; drift when distance >= threshold (0.1). */
export function jensenShannonTest(
  referenceCounts: Float64Array,
  currentCounts: Float64Array,
  options: { threshold?: number; base?: number } = {}
): DistanceResult {
  const threshold = options.threshold ?? 0.1;
  const statistic = jensenShannonDistance(toShares(referenceCounts), toShares(currentCounts), options.base);
  return { test: 'jensenshannon', statistic, threshold, drift: statistic >= threshold };
}

/** PSI drift test on per-bin counts with Evidently's empty-bin fill; drift when >= threshold (0.1). */
export function psiTest(
  referenceCounts: Float64Array,
  currentCounts: Float64Array,
  options: { threshold?: number } = {}
): DistanceResult {
  const threshold = options.threshold ?? 0.1;
  const statistic = populationStabilityIndex(
    fillEmptyShares(toShares(referenceCounts)),
    fillEmptyShares(toShares(currentCounts))
  );
  return { test: 'psi', statistic, threshold, drift: statistic >= threshold };
}

/** Hellinger drift test on per-bin counts; drift when distance >= threshold (0.1). */
export function hellingerTest(
  referenceCounts: Float64Array,
  currentCounts: Float64Array,
  options: { threshold?: number } = {}
): DistanceResult {
  const threshold = options.threshold ?? 0.1;
  const statistic = hellingerDistance(toShares(referenceCounts), toShares(currentCounts));
  return { test: 'hellinger', statistic, threshold, drift: statistic >= threshold };
}
