// Public surface of the drift statistics (pure functions, no I/O). The drift engine builds its
// windows, calls datasetDrift / columnDrift / embeddingDrift, and stores the results.

export * from './types.js';
export { erf, erfc, normalCdf, normalSf, logGamma, regularizedGamma, chiSquareSf, chiSquareCdf } from './special.js';
export { kolmogorovSf, kolmogorovCdf, kolmogorovN, kolmogorovNSf, kolmogorovNCdf, smirnovSf } from './kolmogorov.js';
export {
  KS_MAX_AUTO_N,
  ks2samp,
  ks2SampPValue,
  ksStatisticSorted,
  ksProbOutsideSquare,
  ksProbOutsideBand,
  type KsResult,
  type Ks2SampOptions,
  type Ks2SampPValue,
} from './ks.js';
export {
  MAX_DISTINCT_FOR_VALUE_BINS,
  sturgesBinCount,
  sturgesBinEdges,
  histogramSorted,
  binNumericSorted,
  binCategorical,
  toShares,
  fillEmptyShares,
  type BinnedCounts,
  type Category,
} from './binning.js';
export {
  chiSquareGoodnessOfFit,
  chiSquareTest,
  chiSquareHomogeneityTest,
  twoProportionZTest,
  zTestFromCounts,
  wassersteinDistance,
  wassersteinSorted,
  wassersteinNormed,
  wassersteinNormedSorted,
  stdPopulation,
  jensenShannonDistance,
  jensenShannonTest,
  populationStabilityIndex,
  psiTest,
  hellingerDistance,
  hellingerTest,
  type ChiSquareResult,
  type ZTestResult,
  type WassersteinResult,
  type DistanceResult,
} from './univariate.js';
export { bonferroni, benjaminiHochberg, adjustPValues, type Correction } from './correction.js';
export {
  DEFAULT_THRESHOLDS,
  SMALL_REFERENCE_MAX_ROWS,
  selectStatTest,
  columnDrift,
  datasetDrift,
  columnDriftOptionsSchema,
  driftReportOptionsSchema,
  type ColumnKind,
  type ColumnInput,
  type ColumnDriftOptions,
  type DriftReportOptions,
  type ColumnDriftResult,
  type ColumnDistribution,
  type DatasetDriftResult,
} from './report.js';
export {
  embeddingDrift,
  embeddingDriftOptionsSchema,
  meanEmbeddingDistance,
  mmdTest,
  domainClassifierTest,
  rocAuc,
  meanVector,
  pairwiseSquaredDistances,
  type EmbeddingMethod,
  type EmbeddingTestResult,
  type EmbeddingDriftOptions,
  type EmbeddingDriftResult,
  type MeanDistanceResult,
  type MmdResult,
  type ClassifierResult,
} from './embedding.js';
export { Rng, sampleIndices } from './random.js';
