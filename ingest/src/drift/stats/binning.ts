// Binning shared by the distribution distances (PSI, Jensen-Shannon, Hellinger), following
// Evidently's get_binned_data: numeric columns with more than 20 distinct reference values get
// numpy.histogram_bin_edges(reference ∪ current, bins='sturges'); everything else gets one bin
// per value seen in either sample.

import { countDistinctSorted, lowerBound, upperBound } from './sorting.js';

/** Evidently bins a numeric column only when the reference has more distinct values than this. */
export const MAX_DISTINCT_FOR_VALUE_BINS = 20;

/**
 * Number of Sturges bins numpy picks for n values spanning [min, max]: ceil(range / width) with
 * width = ptp / (log2(n) + 1), reproduced with the same floating-point steps (so a power-of-two n
 * can land one above log2(n) + 1, as in numpy); 1 when all values are equal.
 */
export function sturgesBinCount(n: number, min: number, max: number): number {
  if (n <= 0) {return 1;}
  const ptp = max - min;
  const width = ptp / (Math.log2(n) + 1);
  if (!width) {return 1;}
  return Math.ceil(ptp / width);
}

/**
 * numpy.histogram_bin_edges(x, bins='sturges') for float data given its size and range:
 * np.linspace(first, last, k + 1), with an empty range widened to [v - 0.5, v + 0.5].
 */
export function sturgesBinEdges(n: number, min: number, max: number): Float64Array {
  let first = min;
  let last = max;
  const ptp = max - min;
  const width = n > 0 ? ptp / (Math.log2(n) + 1) : 0;
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  const k = width ? Math.ceil((last - first) / width) : 1;
  const edges = new Float64Array(k + 1);
  const step = (last - first) / k;
  for (let i = 0; i < k; i++) {edges[i] = i * step + first;}
  edges[k] = last;
  return edges;
}

/**
 * numpy.histogram(sorted, edges) counts: bin i holds edges[i] <= x < edges[i+1], the last bin is
 * closed on the right; values outside [edges[0], edges[k]] are not counted.
 */
export function histogramSorted(sorted: Float64Array, edges: Float64Array): Float64Array {
  const k = edges.length - 1;
  const counts = new Float64Array(k);
  let prev = lowerBound(sorted, edges[0]!);
  for (let i = 0; i < k; i++) {
    const next = i === k - 1 ? upperBound(sorted, edges[k]!, prev) : lowerBound(sorted, edges[i + 1]!, prev);
    counts[i] = next - prev;
    prev = next;
  }
  return counts;
}

/** Per-bin counts of reference and current on a common set of bins. */
export interface BinnedCounts {
  reference: Float64Array;
  current: Float64Array;
  /** Bin edges (numeric Sturges bins) or null when there is one bin per value. */
  edges: Float64Array | null;
  /** Value of each bin when binned per value (numbers or category strings), in ascending order. */
  values: Array<number | string> | null;
}

/** Common bins for two ascending finite numeric samples (Evidently's get_binned_data rule). */
export function binNumericSorted(ref: Float64Array, cur: Float64Array): BinnedCounts {
  if (ref.length === 0 && cur.length === 0) {throw new RangeError('binning: both samples are empty');}
  if (countDistinctSorted(ref) > MAX_DISTINCT_FOR_VALUE_BINS) {
    const min = Math.min(ref[0]!, cur.length ? cur[0]! : Infinity);
    const max = Math.max(ref[ref.length - 1]!, cur.length ? cur[cur.length - 1]! : -Infinity);
    const edges = sturgesBinEdges(ref.length + cur.length, min, max);
    return { reference: histogramSorted(ref, edges), current: histogramSorted(cur, edges), edges, values: null };
  }
  // One bin per value of the union, via a merge of the two sorted samples.
  const values: number[] = [];
  const rc: number[] = [];
  const cc: number[] = [];
  let i = 0;
  let j = 0;
  while (i < ref.length || j < cur.length) {
    const v = j >= cur.length || (i < ref.length && ref[i]! <= cur[j]!) ? ref[i]! : cur[j]!;
    const i0 = i;
    const j0 = j;
    while (i < ref.length && ref[i] === v) {i++;}
    while (j < cur.length && cur[j] === v) {j++;}
    values.push(v);
    rc.push(i - i0);
    cc.push(j - j0);
  }
  return { reference: Float64Array.from(rc), current: Float64Array.from(cc), edges: null, values };
}

/** Category value; null/undefined are missing and ignored. */
export type Category = string | null | undefined;

/** Counts per category over the union of both samples, categories in ascending order. */
export function binCategorical(ref: readonly Category[], cur: readonly Category[]): BinnedCounts {
  const index = new Map<string, number>();
  const rc: number[] = [];
  const cc: number[] = [];
  const add = (values: readonly Category[], mine: number[], other: number[]) => {
    for (const v of values) {
      if (v === null || v === undefined) {continue;}
      let k = index.get(v);
      if (k === undefined) {
        k = rc.length;
        index.set(v, k);
        mine.push(0);
        other.push(0);
      }
      mine[k]!++;
    }
  };
  add(ref, rc, cc);
  add(cur, cc, rc);
  const keys = [...index.keys()].sort();
  const reference = new Float64Array(keys.length);
  const current = new Float64Array(keys.length);
  keys.forEach((key, i) => {
    const k = index.get(key)!;
    reference[i] = rc[k]!;
    current[i] = cc[k]!;
  });
  return { reference, current, edges: null, values: keys };
}

/** counts / total. */
export function toShares(counts: Float64Array): Float64Array {
  let total = 0;
  for (let i = 0; i < counts.length; i++) {total += counts[i]!;}
  const out = new Float64Array(counts.length);
  if (total > 0) {for (let i = 0; i < counts.length; i++) {out[i] = counts[i]! / total;}}
  return out;
}

/**
 * Evidently's empty-bin rule (feel_zeroes): zero shares become 0.0001, or the smallest non-zero
 * share / 1e6 when that share is itself <= 0.0001, so log ratios stay finite.
 */
export function fillEmptyShares(shares: Float64Array): Float64Array {
  let minNonZero = Infinity;
  for (let i = 0; i < shares.length; i++) {
    const s = shares[i]!;
    if (s !== 0 && s < minNonZero) {minNonZero = s;}
  }
  const fill = minNonZero <= 0.0001 ? minNonZero / 1e6 : 0.0001;
  const out = Float64Array.from(shares);
  for (let i = 0; i < out.length; i++) {if (out[i] === 0) {out[i] = fill;}}
  return out;
}
