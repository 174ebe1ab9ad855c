// Sorting and order-statistic helpers on typed arrays.

/** Ascending Float64Array copy of the finite values (NaN and +-Infinity dropped). */
export function sortedFinite(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) {out[k++] = v === 0 ? 0 : v;} // fold -0 into 0 so ties sort together
  }
  const r = k === n ? out : out.slice(0, k);
  return r.sort();
}

/** Number of distinct values in an ascending array. */
export function countDistinctSorted(a: Float64Array): number {
  if (a.length === 0) {return 0;}
  let c = 1;
  for (let i = 1; i < a.length; i++) {if (a[i] !== a[i - 1]) {c++;}}
  return c;
}

/** Number of distinct values in the union of two ascending arrays. */
export function countDistinctUnionSorted(a: Float64Array, b: Float64Array): number {
  let i = 0;
  let j = 0;
  let c = 0;
  const n1 = a.length;
  const n2 = b.length;
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    c++;
    while (i < n1 && a[i] === v) {i++;}
    while (j < n2 && b[j] === v) {j++;}
  }
  return c;
}

/** Index of the first element > v in an ascending array (numpy searchsorted side='right'). */
export function upperBound(a: Float64Array, v: number, lo = 0, hi = a.length): number {
  let l = lo;
  let h = hi;
  while (l < h) {
    const mid = (l + h) >>> 1;
    if (a[mid]! <= v) {l = mid + 1;}
    else {h = mid;}
  }
  return l;
}

/** Index of the first element >= v in an ascending array (numpy searchsorted side='left'). */
export function lowerBound(a: Float64Array, v: number, lo = 0, hi = a.length): number {
  let l = lo;
  let h = hi;
  while (l < h) {
    const mid = (l + h) >>> 1;
    if (a[mid]! < v) {l = mid + 1;}
    else {h = mid;}
  }
  return l;
}

/** k-th smallest (0-based) of a[0..n) by quickselect; reorders `a` in place. */
export function selectKth(a: Float64Array, k: number, n = a.length): number {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    // Median-of-three pivot keeps adversarial (sorted) inputs linear in practice.
    const mid = (lo + hi) >>> 1;
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) {i++;}
      while (a[j]! > pivot) {j--;}
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) {hi = j;}
    else if (k >= i) {lo = i;}
    else {return a[k]!;}
  }
  return a[k]!;
}

/** Median as numpy computes it (mean of the two middle values for even n); reorders `a`. */
export function medianInPlace(a: Float64Array, n = a.length): number {
  if (n === 0) {return NaN;}
  const hi = selectKth(a, n >> 1, n);
  if (n % 2 === 1) {return hi;}
  // The lower middle is the largest value left of the upper middle after partitioning.
  let lo = -Infinity;
  for (let i = 0; i < n >> 1; i++) {if (a[i]! > lo) {lo = a[i]!;}}
  return (lo + hi) / 2;
}
