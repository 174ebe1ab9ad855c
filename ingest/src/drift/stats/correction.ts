// Multiple-testing corrections across features for p-value tests.

export type Correction = 'none' | 'bonferroni' | 'fdr_bh';

/** Bonferroni-adjusted p-values: min(1, p * m). */
export function bonferroni(pValues: ArrayLike<number>): Float64Array {
  const m = pValues.length;
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) {out[i] = Math.min(1, pValues[i]! * m);}
  return out;
}

/**
 * Benjamini-Hochberg adjusted p-values (statsmodels multipletests 'fdr_bh'):
 * q_(i) = min_{j >= i} min(1, m p_(j) / j) over ascending p. Rejecting q <= alpha controls the
 * false discovery rate at alpha for independent or positively dependent tests.
 */
export function benjaminiHochberg(pValues: ArrayLike<number>): Float64Array {
  const m = pValues.length;
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => pValues[a]! - pValues[b]!);
  const out = new Float64Array(m);
  let running = 1;
  for (let r = m - 1; r >= 0; r--) {
    const i = order[r]!;
    const q = Math.min(1, (pValues[i]! * m) / (r + 1));
    if (q < running) {running = q;}
    out[i] = running;
  }
  return out;
}

/** Adjusted p-values for the chosen correction ('none' returns a copy). */
export function adjustPValues(pValues: ArrayLike<number>, correction: Correction): Float64Array {
  if (correction === 'bonferroni') {return bonferroni(pValues);}
  if (correction === 'fdr_bh') {return benjaminiHochberg(pValues);}
  return Float64Array.from(pValues as ArrayLike<number>);
}
