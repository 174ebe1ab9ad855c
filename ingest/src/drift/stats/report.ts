// Column and dataset drift: Evidently-style automatic test choice, per-column overrides,
// multiple-testing correction for p-value tests, and the dataset drift share.
//
// Automatic choice (Evidently legacy _get_default_stattest; n = reference rows, distinct counted
// over reference ∪ current, missing values ignored):
//   n <= 1000: numeric > 5 distinct -> KS; numeric 3-5 or categorical > 2 -> chi-square;
//              <= 2 distinct -> two-proportion z-test
//   n >  1000: numeric > 5 distinct -> normed Wasserstein; everything else -> Jensen-Shannon

import { z } from 'zod';

import { binCategorical, binNumericSorted, type BinnedCounts, type Category } from './binning.js';
import { adjustPValues, type Correction } from './correction.js';
import { ks2samp } from './ks.js';
import { countDistinctUnionSorted, sortedFinite } from './sorting.js';
import { P_VALUE_TESTS, STAT_TEST_NAMES, type StatTestName, type TestResult } from './types.js';
import {
  chiSquareHomogeneityTest,
  chiSquareTest,
  hellingerTest,
  jensenShannonTest,
  psiTest,
  wassersteinNormedSorted,
  zTestFromCounts,
} from './univariate.js';

/** Evidently's default thresholds: p-value level for KS/chi-square/z, distance level otherwise. */
export const DEFAULT_THRESHOLDS: Readonly<Record<StatTestName, number>> = {
  ks: 0.05,
  chisquare: 0.05,
  z: 0.05,
  wasserstein: 0.1,
  jensenshannon: 0.1,
  psi: 0.1,
  hellinger: 0.1,
};

/** Reference size above which distances replace hypothesis tests. */
export const SMALL_REFERENCE_MAX_ROWS = 1000;

export type ColumnKind = 'numeric' | 'categorical';

export type ColumnInput =
  | { name: string; kind: 'numeric'; reference: ArrayLike<number>; current: ArrayLike<number> }
  | { name: string; kind: 'categorical'; reference: readonly Category[]; current: readonly Category[] };

const testName = z.enum(STAT_TEST_NAMES);

export const columnDriftOptionsSchema = z
  .object({
    /** Force a test instead of the automatic choice. */
    test: testName.optional(),
    /** Threshold for the chosen test (p-value level or distance level). */
    threshold: z.number().positive().finite().optional(),
  })
  .strict();
export type ColumnDriftOptions = z.input<typeof columnDriftOptionsSchema>;

export const driftReportOptionsSchema = z
  .object({
    /** Dataset drift when the share of drifted columns is >= this. */
    driftShare: z.number().gt(0).lte(1).default(0.5),
    /** Correction of p-values across the p-value tests of one report. */
    correction: z.enum(['none', 'bonferroni', 'fdr_bh']).default('none'),
    /** Test for every column without an own override (default: automatic choice). */
    test: testName.optional(),
    /** Threshold for every column without an own override (default: the test's default). */
    threshold: z.number().positive().finite().optional(),
    /** Per-column overrides by column name. */
    columns: z.record(z.string(), columnDriftOptionsSchema).default({}),
    ksMethod: z.enum(['auto', 'exact', 'asymp']).default('auto'),
    /**
     * 'evidently': goodness of fit of current to reference shares (Evidently; over-flags unless the
     * reference is much larger than the window); 'homogeneity': two-sample 2 x k contingency test.
     */
    chiSquare: z.enum(['evidently', 'homogeneity']).default('evidently'),
    /** Logarithm base for Jensen-Shannon (default e, as Evidently; NannyML uses 2). */
    jsBase: z.number().gt(1).finite().optional(),
    /** Return the per-bin shares of each column (for distribution views). */
    includeDistribution: z.boolean().default(false),
  })
  .strict();
export type DriftReportOptions = z.input<typeof driftReportOptionsSchema>;
type ParsedOptions = z.output<typeof driftReportOptionsSchema>;

/** Evidently's automatic test for a column. */
export function selectStatTest(kind: ColumnKind, referenceRows: number, distinct: number): StatTestName {
  if (referenceRows <= SMALL_REFERENCE_MAX_ROWS) {
    if (kind === 'numeric' && distinct > 5) {return 'ks';}
    return distinct > 2 ? 'chisquare' : 'z';
  }
  return kind === 'numeric' && distinct > 5 ? 'wasserstein' : 'jensenshannon';
}

export interface ColumnDistribution {
  /** Numeric Sturges bins: edges (k + 1); per-value bins: the values. */
  edges: number[] | null;
  values: Array<number | string> | null;
  reference: number[];
  current: number[];
}

export interface ColumnDriftResult extends TestResult {
  column: string;
  kind: ColumnKind;
  /** True when the test came from the automatic choice. */
  autoSelected: boolean;
  /** Non-missing values in each sample. */
  referenceCount: number;
  currentCount: number;
  /** Distinct non-missing values over reference ∪ current. */
  distinct: number;
  /** p-value after the report's correction (p-value tests only). */
  adjustedPValue?: number;
  /** Set when the column could not be tested (then drift is false and it is not counted). */
  skipped?: 'empty_reference' | 'empty_current' | 'test_not_applicable';
  distribution?: ColumnDistribution;
}

export interface DatasetDriftResult {
  columns: ColumnDriftResult[];
  /** Columns tested (not skipped). */
  evaluatedCount: number;
  driftedCount: number;
  /** driftedCount / evaluatedCount (0 when nothing was evaluated). */
  driftedShare: number;
  /** Threshold on driftedShare. */
  driftShare: number;
  datasetDrift: boolean;
  correction: Correction;
}

const NUMERIC_ONLY: ReadonlySet<StatTestName> = new Set<StatTestName>(['ks', 'wasserstein']);

function distribution(b: BinnedCounts): ColumnDistribution {
  const share = (c: Float64Array) => {
    let t = 0;
    for (const v of c) {t += v;}
    return Array.from(c, (v) => (t > 0 ? v / t : 0));
  };
  return {
    edges: b.edges ? Array.from(b.edges) : null,
    values: b.values,
    reference: share(b.reference),
    current: share(b.current),
  };
}

/** Drift of one column (no correction). Options are validated. */
export function columnDrift(column: ColumnInput, options: DriftReportOptions = {}): ColumnDriftResult {
  return columnDriftParsed(column, driftReportOptionsSchema.parse(options));
}

function columnDriftParsed(column: ColumnInput, opts: ParsedOptions): ColumnDriftResult {
  const own = opts.columns[column.name] ?? {};
  const forced = own.test ?? opts.test;
  if (column.kind === 'numeric') {
    const sr = sortedFinite(column.reference);
    const sc = sortedFinite(column.current);
    let values: BinnedCounts | null = null;
    let bins: BinnedCounts | null = null;
    return finish(
      sr.length,
      sc.length,
      countDistinctUnionSorted(sr, sc),
      sr,
      sc,
      () => (values ??= valueCountsSorted(sr, sc)),
      () => (bins ??= binNumericSorted(sr, sc))
    );
  }
  const counts = binCategorical(column.reference, column.current);
  let refCount = 0;
  let curCount = 0;
  for (const v of counts.reference) {refCount += v;}
  for (const v of counts.current) {curCount += v;}
  return finish(
    refCount,
    curCount,
    counts.values?.length ?? 0,
    null,
    null,
    () => counts,
    () => counts
  );

  // perValueCounts: one bin per value (chi-square, z); binned: Evidently's binning (JS, PSI, Hellinger).
  function finish(
    refCount: number,
    curCount: number,
    distinct: number,
    sortedRef: Float64Array | null,
    sortedCur: Float64Array | null,
    perValueCounts: () => BinnedCounts,
    binned: () => BinnedCounts
  ): ColumnDriftResult {
    const test = forced ?? selectStatTest(column.kind, refCount, distinct);
    const threshold = own.threshold ?? opts.threshold ?? DEFAULT_THRESHOLDS[test];
    const base = {
      column: column.name,
      kind: column.kind,
      autoSelected: forced === undefined,
      referenceCount: refCount,
      currentCount: curCount,
      distinct,
      test,
      threshold,
    };
    const skip = (skipped: NonNullable<ColumnDriftResult['skipped']>): ColumnDriftResult => ({
      ...base,
      statistic: NaN,
      drift: false,
      skipped,
    });
    if (refCount === 0) {return skip('empty_reference');}
    if (curCount === 0) {return skip('empty_current');}
    if (NUMERIC_ONLY.has(test) && column.kind !== 'numeric') {return skip('test_not_applicable');}
    let r: TestResult;
    let dist: BinnedCounts | null = null;
    switch (test) {
      case 'ks':
        r = ks2samp(sortedRef!, sortedCur!, { sorted: true, threshold, method: opts.ksMethod });
        break;
      case 'wasserstein':
        r = wassersteinNormedSorted(sortedRef!, sortedCur!, { threshold });
        break;
      case 'chisquare':
        dist = perValueCounts();
        r =
          opts.chiSquare === 'homogeneity'
            ? chiSquareHomogeneityTest(dist.reference, dist.current, { threshold })
            : chiSquareTest(dist.reference, dist.current, { threshold });
        break;
      case 'z':
        dist = perValueCounts();
        r = zTestFromCounts(dist.reference, dist.current, { threshold });
        break;
      case 'jensenshannon':
        dist = binned();
        r = jensenShannonTest(dist.reference, dist.current, {
          threshold,
          ...(opts.jsBase ? { base: opts.jsBase } : {}),
        });
        break;
      case 'psi':
        dist = binned();
        r = psiTest(dist.reference, dist.current, { threshold });
        break;
      case 'hellinger':
        dist = binned();
        r = hellingerTest(dist.reference, dist.current, { threshold });
        break;
    }
    const out: ColumnDriftResult = { ...base, statistic: r.statistic, drift: r.drift };
    if (r.pValue !== undefined) {
      out.pValue = r.pValue;
      out.adjustedPValue = r.pValue;
    }
    if (opts.includeDistribution) {out.distribution = distribution(dist ?? binned());}
    return out;
  }
}

/** One bin per distinct value of two ascending numeric samples (chi-square / z-test input). */
function valueCountsSorted(ref: Float64Array, cur: Float64Array): BinnedCounts {
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

/** p <= alpha for KS, p < alpha for chi-square and z (Evidently's conventions). */
function pValueDrift(test: StatTestName, p: number, threshold: number): boolean {
  return test === 'ks' ? p <= threshold : p < threshold;
}

/**
 * Drift of every column plus dataset drift (share of drifted columns >= driftShare). With a
 * correction, p-values of the p-value tests are adjusted together and drift is re-decided on the
 * adjusted values; distance tests are unaffected.
 */
export function datasetDrift(columns: readonly ColumnInput[], options: DriftReportOptions = {}): DatasetDriftResult {
  const opts = driftReportOptionsSchema.parse(options);
  const results = columns.map((c) => columnDriftParsed(c, opts));
  if (opts.correction !== 'none') {
    const idx = results.flatMap((r, i) =>
      r.pValue !== undefined && !r.skipped && P_VALUE_TESTS.has(r.test) ? [i] : []
    );
    const adjusted = adjustPValues(
      idx.map((i) => results[i]!.pValue!),
      opts.correction
    );
    idx.forEach((i, k) => {
      const r = results[i]!;
      r.adjustedPValue = adjusted[k]!;
      r.drift = pValueDrift(r.test, r.adjustedPValue, r.threshold);
    });
  }
  const evaluated = results.filter((r) => !r.skipped);
  const drifted = evaluated.filter((r) => r.drift).length;
  const share = evaluated.length ? drifted / evaluated.length : 0;
  return {
    columns: results,
    evaluatedCount: evaluated.length,
    driftedCount: drifted,
    driftedShare: share,
    driftShare: opts.driftShare,
    datasetDrift: evaluated.length > 0 && share >= opts.driftShare,
    correction: opts.correction,
  };
}
