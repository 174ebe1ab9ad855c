import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  domainClassifierTest,
  embeddingDrift,
  meanEmbeddingDistance,
  mmdTest,
  pairwiseSquaredDistances,
  rocAuc,
} from './embedding.js';
import { Rng } from './random.js';
import type { EmbeddingMatrix } from './types.js';

function gaussian(seed: number, rows: number, dim: number, shift = 0, shiftDims = dim): EmbeddingMatrix {
  const r = new Rng(seed);
  const data = new Float32Array(rows * dim);
  for (let i = 0; i < data.length; i++) {data[i] = r.normal() + (i % dim < shiftDims ? shift : 0);}
  return { data, rows, dim };
}
const rowsOf = (rows: number[][]): EmbeddingMatrix => ({
  data: Float64Array.from(rows.flat()),
  rows: rows.length,
  dim: rows[0]!.length,
});

test('distance between means: euclidean (threshold 0.2) and cosine', () => {
  const a = rowsOf([
    [0, 0],
    [0, 0],
  ]);
  const b = rowsOf([
    [3, 4],
    [3, 4],
  ]);
  const e = meanEmbeddingDistance(a, b);
  assert.equal(e.statistic, 5);
  assert.equal(e.threshold, 0.2);
  assert.equal(e.drift, true);
  const c = meanEmbeddingDistance(rowsOf([[1, 0]]), rowsOf([[0, 2]]), { metric: 'cosine' });
  assert.equal(c.statistic, 1);
  assert.equal(meanEmbeddingDistance(rowsOf([[1, 1]]), rowsOf([[2, 2]]), { metric: 'cosine' }).drift, false);
  assert.throws(() => meanEmbeddingDistance(rowsOf([[1, 1]]), rowsOf([[1, 1, 1]])), RangeError);
});

test('ROC AUC (Mann-Whitney, ties count one half)', () => {
  // sklearn.metrics.roc_auc_score([0,0,1,1], [0.1,0.4,0.35,0.8]) = 0.75
  assert.equal(rocAuc(Float64Array.of(0.1, 0.4, 0.35, 0.8), Uint8Array.of(0, 0, 1, 1)), 0.75);
  assert.equal(rocAuc(Float64Array.of(0.5, 0.5), Uint8Array.of(0, 1)), 0.5);
  assert.equal(rocAuc(Float64Array.of(1, 2, 3), Uint8Array.of(0, 1, 1)), 1);
  assert.ok(Number.isNaN(rocAuc(Float64Array.of(1, 2), Uint8Array.of(1, 1))));
});

test('pairwise squared distances (upper triangle) match the direct formula', () => {
  const r = new Rng(2);
  const N = 9;
  const d = 5;
  const Z = Float64Array.from({ length: N * d }, () => r.normal());
  const D = pairwiseSquaredDistances(Z, N, d);
  for (let i = 0; i < N; i++) {
    for (let j = i + 1; j < N; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) {s += (Z[i * d + k]! - Z[j * d + k]!) ** 2;}
      assert.ok(Math.abs(D[i * N + j]! - s) < 1e-12, `${i},${j}`);
    }
  }
});

test('unbiased MMD^2 equals the textbook formula with the median-heuristic gamma', () => {
  const x = gaussian(10, 6, 3);
  const y = gaussian(11, 8, 3, 0.5);
  const r = mmdTest(x, y, { permutations: 0 });
  const row = (m: EmbeddingMatrix, i: number) => Array.from(m.data.subarray(i * m.dim, (i + 1) * m.dim));
  const d2 = (a: number[], b: number[]) => a.reduce((s, v, k) => s + (v - b[k]!) ** 2, 0);
  const cross: number[] = [];
  for (let i = 0; i < 6; i++) {for (let j = 0; j < 8; j++) {cross.push(Math.sqrt(d2(row(x, i), row(y, j))));}}
  cross.sort((a, b) => a - b);
  const med = (cross[23]! + cross[24]!) / 2;
  const gamma = 1 / (med * med);
  assert.ok(Math.abs(r.gamma - gamma) / gamma < 1e-12);
  const k = (a: number[], b: number[]) => Math.exp(-gamma * d2(a, b));
  let kxx = 0;
  let kyy = 0;
  let kxy = 0;
  for (let i = 0; i < 6; i++) {for (let j = 0; j < 6; j++) {if (i !== j) {kxx += k(row(x, i), row(x, j));}}}
  for (let i = 0; i < 8; i++) {for (let j = 0; j < 8; j++) {if (i !== j) {kyy += k(row(y, i), row(y, j));}}}
  for (let i = 0; i < 6; i++) {for (let j = 0; j < 8; j++) {kxy += k(row(x, i), row(y, j));}}
  const want = kxx / 30 + kyy / 56 - (2 * kxy) / 48;
  assert.ok(Math.abs(r.mmd2Unbiased - want) < 1e-12, `${r.mmd2Unbiased} vs ${want}`);
  assert.ok(Math.abs(r.statistic - Math.max(0, want)) < 1e-12);
  assert.equal(r.drift, want > 0.015);
});

test('MMD permutation test: no drift on same distribution, drift on a shift, deterministic by seed', () => {
  const ref = gaussian(1, 400, 16);
  const same = mmdTest(ref, gaussian(2, 400, 16), { maxSamples: 200, seed: 1 });
  assert.ok(same.pValue! > 0.05, String(same.pValue));
  assert.equal(same.drift, false);
  assert.equal(same.referenceSampled, 200);
  const shifted = mmdTest(ref, gaussian(3, 400, 16, 0.5, 4), { maxSamples: 200, seed: 1 });
  assert.equal(shifted.pValue, 0);
  assert.equal(shifted.drift, true);
  assert.equal(shifted.threshold, 0.05);
  const again = mmdTest(ref, gaussian(3, 400, 16, 0.5, 4), { maxSamples: 200, seed: 1 });
  assert.deepEqual(again, shifted);
});

test('domain classifier: AUC near 0.5 without drift, high with drift', () => {
  const ref = gaussian(4, 600, 24);
  const same = domainClassifierTest(ref, gaussian(5, 600, 24));
  assert.ok(same.statistic < 0.55, String(same.statistic));
  assert.equal(same.drift, false);
  assert.equal(same.foldAuc.length, 5);
  const shifted = domainClassifierTest(ref, gaussian(6, 600, 24, 0.4, 6));
  // Mahalanobis shift 0.4 * sqrt(6) ~ 0.98: the best possible AUC is Phi(0.98 / sqrt 2) ~ 0.756
  assert.ok(shifted.statistic > 0.68, String(shifted.statistic));
  assert.equal(shifted.drift, true);
});

test('embeddingDrift: decides by the chosen method, validates options', () => {
  const ref = gaussian(7, 300, 8);
  const cur = gaussian(8, 300, 8, 1, 2);
  const r = embeddingDrift(ref, cur, { mmd: { maxSamples: 150, permutations: 50, alpha: 0.05, threshold: 0.015 } });
  assert.equal(r.method, 'model');
  assert.equal(r.decision, r.model);
  assert.equal(r.drift, true);
  assert.ok(r.mmd && r.mmd.drift);
  assert.ok(r.distance.statistic > 0.2);
  const onlyDistance = embeddingDrift(ref, cur, { method: 'distance', mmd: false, model: false });
  assert.equal(onlyDistance.mmd, undefined);
  assert.equal(onlyDistance.model, undefined);
  assert.equal(onlyDistance.decision.test, 'distance');
  // the deciding method runs even when disabled
  assert.ok(embeddingDrift(ref, cur, { method: 'mmd', mmd: false, model: false }).mmd);
  assert.throws(() => embeddingDrift(ref, cur, { seed: -1 }));
  assert.throws(() => embeddingDrift(ref, { data: new Float32Array(3), rows: 2, dim: 8 }), RangeError);
});
