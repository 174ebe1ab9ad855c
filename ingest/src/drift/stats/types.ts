// Shared result and option types of the drift statistics.

/** Names of the univariate drift tests and distances. */
export const STAT_TEST_NAMES = ['ks', 'chisquare', 'z', 'wasserstein', 'jensenshannon', 'psi', 'hellinger'] as const;
export type StatTestName = (typeof STAT_TEST_NAMES)[number];

/** Tests whose statistic is a p-value (drift when p is small); the others are distances. */
export const P_VALUE_TESTS: ReadonlySet<StatTestName> = new Set<StatTestName>(['ks', 'chisquare', 'z']);

export type KsMethod = 'auto' | 'exact' | 'asymp';

/**
 * Outcome of one test on one column. For p-value tests `pValue` is set and `drift` compares it
 * with `threshold` (KS: p <= threshold, chi-square and z: p < threshold, as Evidently does); for
 * distances `drift` is statistic >= threshold.
 */
export interface TestResult {
  test: StatTestName;
  statistic: number;
  pValue?: number;
  drift: boolean;
  threshold: number;
}

/** Row-major matrix of embeddings: row i is data[i*dim .. (i+1)*dim). */
export interface EmbeddingMatrix {
  data: Float32Array | Float64Array;
  rows: number;
  dim: number;
}
