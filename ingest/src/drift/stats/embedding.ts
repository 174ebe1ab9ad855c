// Embedding drift between a reference and a current window of vectors:
// - distance between the mean vectors (Evidently "distance": euclidean, threshold 0.2; cosine);
// - MMD with an RBF kernel, gamma = 1 / median(cross distance)^2 (Evidently's and alibi-detect's
//   median heuristic: median of the reference-sample x current-sample euclidean distances,
//   squared), unbiased MMD^2 and a seeded permutation p-value (alibi-detect: 100 permutations);
// - domain classifier (Evidently "model", the default): L2 logistic regression trained by averaged
//   SGD on standardized features, k-fold cross-validated ROC AUC; drift when AUC > 0.55.
// Both windows are capped by seeded sampling so that 10k x 384 windows stay well under 2 s.

import { z } from 'zod';

import { Rng, sampleIndices } from './random.js';
import { medianInPlace } from './sorting.js';
import type { EmbeddingMatrix } from './types.js';

export type EmbeddingMethod = 'model' | 'mmd' | 'distance';

export interface EmbeddingTestResult {
  test: 'distance' | 'mmd' | 'model';
  statistic: number;
  pValue?: number;
  drift: boolean;
  threshold: number;
}

export const embeddingDriftOptionsSchema = z
  .object({
    /** Seed for sampling, permutations and folds. */
    seed: z.number().int().nonnegative().default(0),
    /** Which method decides `drift` (Evidently's default is the domain classifier). */
    method: z.enum(['model', 'mmd', 'distance']).default('model'),
    distance: z
      .object({
        metric: z.enum(['euclidean', 'cosine']).default('euclidean'),
        threshold: z.number().positive().default(0.2),
      })
      .strict()
      .default({ metric: 'euclidean', threshold: 0.2 }),
    /** false skips MMD (unless it is the deciding method). */
    mmd: z
      .union([
        z.literal(false),
        z
          .object({
            maxSamples: z.number().int().min(2).max(5000).default(1000),
            permutations: z.number().int().min(0).max(10000).default(100),
            /** Drift when the permutation p-value < alpha. */
            alpha: z.number().gt(0).lt(1).default(0.05),
            /** Used instead when permutations = 0: drift when MMD^2 > threshold (Evidently). */
            threshold: z.number().positive().default(0.015),
          })
          .strict(),
      ])
      .default({ maxSamples: 1000, permutations: 100, alpha: 0.05, threshold: 0.015 }),
    /** false skips the classifier (unless it is the deciding method). */
    model: z
      .union([
        z.literal(false),
        z
          .object({
            maxSamples: z.number().int().min(10).max(100000).default(5000),
            folds: z.number().int().min(2).max(20).default(5),
            epochs: z.number().int().min(1).max(100).default(5),
            l2: z.number().nonnegative().default(1e-4),
            threshold: z.number().gt(0).lt(1).default(0.55),
          })
          .strict(),
      ])
      .default({ maxSamples: 5000, folds: 5, epochs: 5, l2: 1e-4, threshold: 0.55 }),
  })
  .strict();
export type EmbeddingDriftOptions = z.input<typeof embeddingDriftOptionsSchema>;

export interface EmbeddingDriftResult {
  drift: boolean;
  method: EmbeddingMethod;
  /** Result of the deciding method. */
  decision: EmbeddingTestResult;
  distance: MeanDistanceResult;
  mmd?: MmdResult;
  model?: ClassifierResult;
  referenceRows: number;
  currentRows: number;
}

function checkMatrix(m: EmbeddingMatrix, what: string): void {
  if (!Number.isInteger(m.rows) || !Number.isInteger(m.dim) || m.rows < 1 || m.dim < 1) {
    throw new RangeError(`${what}: rows and dim must be positive integers`);
  }
  if (m.data.length < m.rows * m.dim) {throw new RangeError(`${what}: data shorter than rows * dim`);}
}

// ---------------------------------------------------------------------------------------------
// Distance between means

export interface MeanDistanceResult extends EmbeddingTestResult {
  test: 'distance';
  metric: 'euclidean' | 'cosine';
}

export function meanVector(m: EmbeddingMatrix): Float64Array {
  const { data, rows, dim } = m;
  const mean = new Float64Array(dim);
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    for (let k = 0; k < dim; k++) {mean[k] = mean[k]! + data[o + k]!;}
  }
  for (let k = 0; k < dim; k++) {mean[k] = mean[k]! / rows;}
  return mean;
}

/** Distance between the mean embeddings; drift when > threshold (0.2), as Evidently. */
export function meanEmbeddingDistance(
  reference: EmbeddingMatrix,
  current: EmbeddingMatrix,
  options: { metric?: 'euclidean' | 'cosine'; threshold?: number } = {}
): MeanDistanceResult {
  checkMatrix(reference, 'reference');
  checkMatrix(current, 'current');
  if (reference.dim !== current.dim) {throw new RangeError('embedding dimensions differ');}
  const metric = options.metric ?? 'euclidean';
  const threshold = options.threshold ?? 0.2;
  const a = meanVector(reference);
  const b = meanVector(current);
  let statistic: number;
  if (metric === 'euclidean') {
    let s = 0;
    for (let k = 0; k < a.length; k++) {s += (a[k]! - b[k]!) ** 2;}
    statistic = Math.sqrt(s);
  } else {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let k = 0; k < a.length; k++) {
      ab += a[k]! * b[k]!;
      aa += a[k]! * a[k]!;
      bb += b[k]! * b[k]!;
    }
    // scipy.spatial.distance.cosine: 1 - u.v / (|u| |v|), clipped to [0, 2].
    statistic = Math.min(2, Math.max(0, 1 - ab / Math.sqrt(aa * bb)));
  }
  return { test: 'distance', metric, statistic, threshold, drift: statistic > threshold };
}

// ---------------------------------------------------------------------------------------------
// Pooled sampled matrix and pairwise squared distances

/** Rows `idx` of m, as a Float64Array (row-major). */
function gatherRows(m: EmbeddingMatrix, idx: Uint32Array, out: Float64Array, offsetRows: number): void {
  const d = m.dim;
  for (let t = 0; t < idx.length; t++) {
    const src = idx[t]! * d;
    const dst = (offsetRows + t) * d;
    for (let k = 0; k < d; k++) {out[dst + k] = m.data[src + k]!;}
  }
}

/**
 * Squared euclidean distances of the rows of Z in the upper triangle (j > i) of an N x N array, via |a|^2 + |b|^2 - 2 a.b with
 * four rows per pass (each loaded row j feeds four dot products); V8 does not vectorize, so this
 * register blocking is what keeps the 2000 x 2000 x 384 case near 0.3 s.
 */
export function pairwiseSquaredDistances(Z: Float64Array, N: number, d: number): Float64Array {
  const norms = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    let s = 0;
    const o = i * d;
    for (let k = 0; k < d; k++) {s += Z[o + k]! * Z[o + k]!;}
    norms[i] = s;
  }
  const D = new Float64Array(N * N);
  const full = N - (N % 4);
  for (let i0 = 0; i0 < full; i0 += 4) {
    const o0 = i0 * d;
    const o1 = o0 + d;
    const o2 = o1 + d;
    const o3 = o2 + d;
    const r0 = i0 * N;
    for (let j = i0; j < N; j++) {
      const oj = j * d;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k < d; k++) {
        const z = Z[oj + k]!;
        s0 += Z[o0 + k]! * z;
        s1 += Z[o1 + k]! * z;
        s2 += Z[o2 + k]! * z;
        s3 += Z[o3 + k]! * z;
      }
      D[r0 + j] = s0;
      D[r0 + N + j] = s1;
      D[r0 + 2 * N + j] = s2;
      D[r0 + 3 * N + j] = s3;
    }
  }
  for (let i = full; i < N; i++) {
    const oi = i * d;
    for (let j = i; j < N; j++) {
      const oj = j * d;
      let s = 0;
      for (let k = 0; k < d; k++) {s += Z[oi + k]! * Z[oj + k]!;}
      D[i * N + j] = s;
    }
  }
  // Dot products -> squared distances; only the upper triangle (j > i) is meaningful, which is
  // all the MMD needs (mirroring it costs as much as the kernel: column writes miss the cache).
  for (let i = 0; i < N; i++) {
    const ni = norms[i]!;
    const o = i * N;
    for (let j = i + 1; j < N; j++) {D[o + j] = Math.max(0, ni + norms[j]! - 2 * D[o + j]!);}
  }
  return D;
}

// ---------------------------------------------------------------------------------------------
// MMD

export interface MmdResult extends EmbeddingTestResult {
  test: 'mmd';
  /** Unbiased MMD^2 estimate (can be slightly negative); `statistic` is max(0, this) as Evidently. */
  mmd2Unbiased: number;
  gamma: number;
  permutations: number;
  referenceSampled: number;
  currentSampled: number;
}

function mmd2FromSums(sxx: number, syy: number, sxy: number, m: number, n: number): number {
  // Diagonal terms K(x, x) = 1 are excluded from the within-sample means.
  return (sxx - m) / (m * (m - 1)) + (syy - n) / (n * (n - 1)) - (2 * sxy) / (m * n);
}

/**
 * MMD^2 (unbiased) with an RBF kernel exp(-gamma |x - y|^2) and a permutation p-value
 * (share of label permutations whose MMD^2 >= the observed one, as alibi-detect).
 */
export function mmdTest(
  reference: EmbeddingMatrix,
  current: EmbeddingMatrix,
  options: { maxSamples?: number; permutations?: number; alpha?: number; threshold?: number; seed?: number } = {}
): MmdResult {
  checkMatrix(reference, 'reference');
  checkMatrix(current, 'current');
  if (reference.dim !== current.dim) {throw new RangeError('embedding dimensions differ');}
  const cap = options.maxSamples ?? 1000;
  const permutations = options.permutations ?? 100;
  const alpha = options.alpha ?? 0.05;
  const rng = new Rng(options.seed ?? 0);
  const d = reference.dim;
  const ri = sampleIndices(reference.rows, cap, rng);
  const ci = sampleIndices(current.rows, cap, rng);
  const m = ri.length;
  const n = ci.length;
  if (m < 2 || n < 2) {throw new RangeError('mmd: each window needs at least 2 rows');}
  const N = m + n;
  const Z = new Float64Array(N * d);
  gatherRows(reference, ri, Z, 0);
  gatherRows(current, ci, Z, m);
  const D = pairwiseSquaredDistances(Z, N, d);

  // Median heuristic on the cross distances.
  const cross = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const o = i * N + m;
    for (let j = 0; j < n; j++) {cross[i * n + j] = Math.sqrt(D[o + j]!);}
  }
  const med = medianInPlace(cross);
  const gamma = med > 0 ? 1 / (med * med) : 1;

  // Kernel in place of the distances (upper triangle); row sums of the full symmetric kernel.
  const K = D;
  const rowSum = new Float64Array(N).fill(1); // K(x, x) = 1
  let total = N;
  for (let i = 0; i < N; i++) {
    const o = i * N;
    let s = 0;
    for (let j = i + 1; j < N; j++) {
      const k = Math.exp(-gamma * K[o + j]!);
      K[o + j] = k;
      s += k;
      rowSum[j] = rowSum[j]! + k;
    }
    rowSum[i] = rowSum[i]! + s;
    total += 2 * s;
  }
  // Sum of K over X x X for a sorted index set X, using symmetry.
  const blockSum = (X: Uint32Array): number => {
    let s = 0;
    for (let t = 0; t < X.length; t++) {
      const o = X[t]! * N;
      for (let u = t + 1; u < X.length; u++) {s += K[o + X[u]!]!;}
    }
    return 2 * s + X.length;
  };
  const mmdFor = (X: Uint32Array): number => {
    const sxx = blockSum(X);
    let sxAll = 0;
    for (let t = 0; t < X.length; t++) {sxAll += rowSum[X[t]!]!;}
    const sxy = sxAll - sxx;
    const syy = total - sxx - 2 * sxy;
    return mmd2FromSums(sxx, syy, sxy, m, n);
  };
  const first = new Uint32Array(m);
  for (let i = 0; i < m; i++) {first[i] = i;}
  const observed = mmdFor(first);

  const statistic = Math.max(0, observed);
  if (permutations === 0) {
    const threshold = options.threshold ?? 0.015;
    return {
      test: 'mmd',
      statistic,
      mmd2Unbiased: observed,
      gamma,
      permutations: 0,
      referenceSampled: m,
      currentSampled: n,
      threshold,
      drift: observed > threshold,
    };
  }
  const pool = new Uint32Array(N);
  for (let i = 0; i < N; i++) {pool[i] = i;}
  let atLeast = 0;
  for (let p = 0; p < permutations; p++) {
    // Random m-subset of the pooled rows as the permuted "reference".
    for (let i = 0; i < m; i++) {
      const j = i + rng.int(N - i);
      const t = pool[i]!;
      pool[i] = pool[j]!;
      pool[j] = t;
    }
    const X = pool.slice(0, m).sort();
    if (mmdFor(X) >= observed) {atLeast++;}
  }
  const pValue = atLeast / permutations;
  return {
    test: 'mmd',
    statistic,
    pValue,
    mmd2Unbiased: observed,
    gamma,
    permutations,
    referenceSampled: m,
    currentSampled: n,
    threshold: alpha,
    drift: pValue < alpha,
  };
}

// ---------------------------------------------------------------------------------------------
// Domain classifier

export interface ClassifierResult extends EmbeddingTestResult {
  test: 'model';
  /** ROC AUC of each held-out fold; `statistic` is their mean. */
  foldAuc: number[];
  referenceSampled: number;
  currentSampled: number;
}

/** ROC AUC of scores for binary labels (1 = positive), ties counted one half (Mann-Whitney). */
export function rocAuc(scores: Float64Array, labels: Uint8Array): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0;
  let nPos = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) {j++;}
    const avgRank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) {
      if (labels[order[t]!] === 1) {
        rankSumPos += avgRank;
        nPos++;
      }
    }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) {return NaN;}
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * Domain classifier: can a linear model tell reference rows (label 1) from current rows (label 0)?
 * Stratified k-fold cross-validation; each fold trains L2 logistic regression by averaged SGD
 * (normalized step 1/d on standardized features, decaying per epoch) and scores the held-out fold.
 */
export function domainClassifierTest(
  reference: EmbeddingMatrix,
  current: EmbeddingMatrix,
  options: { maxSamples?: number; folds?: number; epochs?: number; l2?: number; threshold?: number; seed?: number } = {}
): ClassifierResult {
  checkMatrix(reference, 'reference');
  checkMatrix(current, 'current');
  if (reference.dim !== current.dim) {throw new RangeError('embedding dimensions differ');}
  const cap = options.maxSamples ?? 5000;
  const folds = options.folds ?? 5;
  const epochs = options.epochs ?? 5;
  const l2 = options.l2 ?? 1e-4;
  const threshold = options.threshold ?? 0.55;
  const rng = new Rng((options.seed ?? 0) + 0x51ed);
  const d = reference.dim;
  const ri = sampleIndices(reference.rows, cap, rng);
  const ci = sampleIndices(current.rows, cap, rng);
  const m = ri.length;
  const n = ci.length;
  if (m < folds || n < folds) {throw new RangeError(`classifier: each window needs at least ${folds} rows`);}
  const N = m + n;
  const X = new Float64Array(N * d);
  gatherRows(reference, ri, X, 0);
  gatherRows(current, ci, X, m);
  const y = new Uint8Array(N);
  y.fill(1, 0, m);

  // Standardize with pooled statistics (label-free, so no label leakage into held-out folds).
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (let i = 0; i < N; i++) {
    const o = i * d;
    for (let k = 0; k < d; k++) {mean[k] = mean[k]! + X[o + k]!;}
  }
  for (let k = 0; k < d; k++) {mean[k] = mean[k]! / N;}
  for (let i = 0; i < N; i++) {
    const o = i * d;
    for (let k = 0; k < d; k++) {
      const v = X[o + k]! - mean[k]!;
      X[o + k] = v;
      sd[k] = sd[k]! + v * v;
    }
  }
  for (let k = 0; k < d; k++) {sd[k] = Math.sqrt(sd[k]! / N) || 1;}
  for (let i = 0; i < N; i++) {
    const o = i * d;
    for (let k = 0; k < d; k++) {X[o + k] = X[o + k]! / sd[k]!;}
  }

  // Stratified folds: shuffle each class, deal round-robin.
  const fold = new Uint8Array(N);
  const refOrder = rng.shuffle(Uint32Array.from({ length: m }, (_, i) => i));
  const curOrder = rng.shuffle(Uint32Array.from({ length: n }, (_, i) => m + i));
  refOrder.forEach((row, t) => (fold[row] = t % folds));
  curOrder.forEach((row, t) => (fold[row] = t % folds));

  const w = new Float64Array(d);
  const wAvg = new Float64Array(d);
  const foldAuc: number[] = [];
  for (let f = 0; f < folds; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < N; i++) {(fold[i] === f ? test : train).push(i);}
    const trainIdx = Uint32Array.from(train);
    w.fill(0);
    wAvg.fill(0);
    let b = 0;
    let bAvg = 0;
    const eta0 = 1 / d; // |x|^2 ~ d for standardized rows: normalized step
    for (let e = 0; e < epochs; e++) {
      rng.shuffle(trainIdx);
      const eta = eta0 / (1 + e);
      const shrink = 1 - eta * l2;
      for (let t = 0; t < trainIdx.length; t++) {
        const i = trainIdx[t]!;
        const o = i * d;
        let zdot = b;
        for (let k = 0; k < d; k++) {zdot += w[k]! * X[o + k]!;}
        const p = zdot >= 0 ? 1 / (1 + Math.exp(-zdot)) : Math.exp(zdot) / (1 + Math.exp(zdot));
        const g = eta * (p - y[i]!);
        for (let k = 0; k < d; k++) {w[k] = w[k]! * shrink - g * X[o + k]!;}
        b -= g;
      }
      // Average the per-epoch end points (cheap Polyak averaging: steadier than the last iterate).
      for (let k = 0; k < d; k++) {wAvg[k] = wAvg[k]! + (w[k]! - wAvg[k]!) / (e + 1);}
      bAvg += (b - bAvg) / (e + 1);
    }
    const scores = new Float64Array(test.length);
    const labels = new Uint8Array(test.length);
    test.forEach((i, t) => {
      const o = i * d;
      let s = bAvg;
      for (let k = 0; k < d; k++) {s += wAvg[k]! * X[o + k]!;}
      scores[t] = s;
      labels[t] = y[i]!;
    });
    foldAuc.push(rocAuc(scores, labels));
  }
  const auc = foldAuc.reduce((a, v) => a + v, 0) / folds;
  return {
    test: 'model',
    statistic: auc,
    foldAuc,
    threshold,
    drift: auc > threshold,
    referenceSampled: m,
    currentSampled: n,
  };
}

// ---------------------------------------------------------------------------------------------
// Report

/** All embedding drift measures for two windows; `drift` follows options.method ('model'). */
export function embeddingDrift(
  reference: EmbeddingMatrix,
  current: EmbeddingMatrix,
  options: EmbeddingDriftOptions = {}
): EmbeddingDriftResult {
  const o = embeddingDriftOptionsSchema.parse(options);
  checkMatrix(reference, 'reference');
  checkMatrix(current, 'current');
  if (reference.dim !== current.dim) {throw new RangeError('embedding dimensions differ');}
  const distance = meanEmbeddingDistance(reference, current, o.distance);
  const mmdOpts = o.mmd === false ? (o.method === 'mmd' ? {} : null) : o.mmd;
  const modelOpts = o.model === false ? (o.method === 'model' ? {} : null) : o.model;
  const mmd = mmdOpts ? mmdTest(reference, current, { ...mmdOpts, seed: o.seed }) : undefined;
  const model = modelOpts ? domainClassifierTest(reference, current, { ...modelOpts, seed: o.seed }) : undefined;
  const decision = o.method === 'distance' ? distance : o.method === 'mmd' ? mmd! : model!;
  const result: EmbeddingDriftResult = {
    drift: decision.drift,
    method: o.method,
    decision,
    distance,
    referenceRows: reference.rows,
    currentRows: current.rows,
  };
  if (mmd) {result.mmd = mmd;}
  if (model) {result.model = model;}
  return result;
}
