import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import {
  chiSquareGoodnessOfFit,
  chiSquareHomogeneityTest,
  chiSquareTest,
  hellingerDistance,
  hellingerTest,
  jensenShannonDistance,
  jensenShannonTest,
  populationStabilityIndex,
  psiTest,
  stdPopulation,
  twoProportionZTest,
  wassersteinDistance,
  wassersteinNormed,
  zTestFromCounts,
} from './univariate.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const close = (a: number, b: number, tol = 1e-9) => assert.ok(rel(a, b) <= tol, `${a} vs ${b}`);

test('drift.md vector: wasserstein_distance([0,1,3], [5,6,8]) = 5', () => {
  assert.equal(wassersteinDistance([0, 1, 3], [5, 6, 8]), 5);
  // Evidently normed: 5 / std([0,1,3]) = 5 / sqrt(14/9)
  const r = wassersteinNormed([0, 1, 3], [5, 6, 8]);
  close(r.statistic, 5 / Math.sqrt(14 / 9), 1e-15);
  assert.equal(r.distance, 5);
  assert.equal(r.drift, true);
  assert.equal(r.threshold, 0.1);
  // constant reference: the norm is floored at 0.001
  close(wassersteinNormed([2, 2, 2], [2, 2, 2.001]).statistic, 0.001 / 3 / 0.001, 1e-9);
});

test('drift.md vectors: Jensen-Shannon distance, natural log and base 2', () => {
  close(jensenShannonDistance([1, 0], [0.5, 0.5]), 0.464501404022459);
  close(jensenShannonDistance([0.1, 0.4, 0.5], [0.3, 0.3, 0.4]), 0.18035965602712561);
  close(jensenShannonDistance([0.1, 0.4, 0.5], [0.3, 0.3, 0.4], 2), 0.21663402449519667);
  // counts are normalized like scipy does
  close(jensenShannonDistance([2, 0], [1, 1]), 0.464501404022459);
  const t = jensenShannonTest(Float64Array.of(10, 0), Float64Array.of(5, 5));
  assert.equal(t.test, 'jensenshannon');
  assert.equal(t.drift, true);
});

test('drift.md vectors: chisquare uniform and with expected counts', () => {
  const a = chiSquareGoodnessOfFit([16, 18, 16, 14, 12, 12]);
  close(a.statistic, 2);
  close(a.pValue, 0.8491450360846096);
  const b = chiSquareGoodnessOfFit([30, 30, 40], [50, 30, 20]);
  close(b.statistic, 28);
  close(b.pValue, 8.31528719103568e-7);
  // Evidently form: expected = reference counts * n_cur / n_ref (here n_cur = n_ref)
  const t = chiSquareTest([50, 30, 20], [30, 30, 40]);
  close(t.statistic, 28);
  close(t.pValue, 8.31528719103568e-7);
  assert.equal(t.df, 2);
  assert.equal(t.drift, true);
  // scaled reference: same shares, 10x the rows -> same expected counts
  close(chiSquareTest([500, 300, 200], [30, 30, 40]).statistic, 28);
});

test('chi-square: a category missing from the reference is infinite drift; one category is p = 1', () => {
  const t = chiSquareTest([10, 0], [5, 5]);
  assert.equal(t.statistic, Infinity);
  assert.equal(t.pValue, 0);
  assert.equal(t.drift, true);
  const one = chiSquareTest([10], [7]);
  assert.equal(one.pValue, 1);
  assert.equal(one.drift, false);
});

test('chi-square homogeneity matches scipy chi2_contingency(correction=False)', () => {
  const r = chiSquareHomogeneityTest([10, 20, 30], [20, 10, 30]);
  close(r.statistic, 6.666666666666667, 1e-15);
  close(r.pValue, 0.035673993347252395, 1e-13);
  assert.equal(r.df, 2);
  assert.equal(r.drift, true);
  // a category empty in both samples does not count as a degree of freedom
  assert.equal(chiSquareHomogeneityTest([10, 20, 30, 0], [20, 10, 30, 0]).df, 2);
});

test('drift.md vector: PSI(ref [.5,.3,.2], cur [.3,.3,.4]) = 0.2407945608651872', () => {
  close(populationStabilityIndex([0.5, 0.3, 0.2], [0.3, 0.3, 0.4]), 0.2407945608651872);
  const t = psiTest(Float64Array.of(50, 30, 20), Float64Array.of(30, 30, 40));
  close(t.statistic, 0.2407945608651872);
  assert.equal(t.drift, true);
  // empty bins get share 0.0001 instead of blowing up
  const z = psiTest(Float64Array.of(50, 50, 0), Float64Array.of(50, 0, 50));
  assert.ok(Number.isFinite(z.statistic) && z.statistic > 1);
});

test('drift.md vector: z-test 60/100 vs 40/100 -> z -2.8284271247461894, p 0.004677734981047177', () => {
  const r = twoProportionZTest(40, 100, 60, 100);
  close(r.statistic, -2.8284271247461894, 1e-15);
  close(r.pValue, 0.004677734981047177);
  assert.equal(r.drift, true);
  // column form: first value (ascending) is the baseline; 60 of 100 rows hold it in the reference
  const c = zTestFromCounts([60, 40], [40, 60]);
  close(c.statistic, -2.8284271247461894, 1e-15);
  close(c.pValue, 0.004677734981047177);
  // identical constant samples
  const same = twoProportionZTest(0, 10, 0, 20);
  assert.equal(same.pValue, 1);
  assert.equal(same.drift, false);
});

test('Jensen-Shannon distance of nearly equal vectors is 0, not NaN (rounding below zero)', () => {
  // Found by the property below (fast-check seed 110717796): the rounded divergence was -1e-17.
  const q = [0.4985501946384707, 0.4985502106057227];
  const d = jensenShannonDistance([0.5, 0.5], q);
  assert.ok(Number.isFinite(d) && d >= 0 && d < 1e-7, String(d));
  assert.equal(jensenShannonDistance(q, [0.5, 0.5]), d);
});

test('Hellinger distance', () => {
  assert.equal(hellingerDistance([1, 0], [0, 1]), 1);
  assert.equal(hellingerDistance([0.2, 0.8], [0.2, 0.8]), 0);
  close(hellingerDistance([0.5, 0.5], [0.9, 0.1]), Math.sqrt(1 - Math.sqrt(0.45) - Math.sqrt(0.05)), 1e-15);
  const t = hellingerTest(Float64Array.of(5, 5), Float64Array.of(9, 1));
  assert.equal(t.test, 'hellinger');
  assert.equal(t.drift, true);
});

test('stdPopulation is numpy.std (ddof = 0)', () => {
  close(stdPopulation([0, 1, 3]), Math.sqrt(14 / 9), 1e-15);
  assert.equal(stdPopulation([4]), 0);
});

const shares = fc.array(fc.double({ min: 0.001, max: 1, noNaN: true }), { minLength: 2, maxLength: 12 }).map((a) => {
  const s = a.reduce((x, y) => x + y, 0);
  return a.map((v) => v / s);
});

test('distances: symmetry, bounds and identity (property)', () => {
  fc.assert(
    fc.property(shares, shares, (p0, q0) => {
      const k = Math.min(p0.length, q0.length);
      const p = p0.slice(0, k);
      const q = q0.slice(0, k);
      const js = jensenShannonDistance(p, q);
      assert.ok(js >= 0 && js <= Math.sqrt(Math.LN2) + 1e-12);
      assert.ok(Math.abs(js - jensenShannonDistance(q, p)) < 1e-12);
      assert.ok(jensenShannonDistance(p, p) < 1e-7);
      const h = hellingerDistance(p, q);
      assert.ok(h >= 0 && h <= 1);
      assert.ok(Math.abs(h - hellingerDistance(q, p)) < 1e-12);
      assert.ok(populationStabilityIndex(p, q) >= -1e-12);
      assert.ok(Math.abs(populationStabilityIndex(p, q) - populationStabilityIndex(q, p)) < 1e-9);
    })
  );
});

test('Wasserstein: symmetric, zero on itself, |c| for a shift by c (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 50 }),
      fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 50 }),
      fc.double({ min: -100, max: 100, noNaN: true }),
      (a, b, c) => {
        assert.equal(wassersteinDistance(a, a), 0);
        const w = wassersteinDistance(a, b);
        assert.ok(Math.abs(w - wassersteinDistance(b, a)) <= 1e-9 * (1 + w));
        const shifted = a.map((v) => v + c);
        assert.ok(Math.abs(wassersteinDistance(a, shifted) - Math.abs(c)) <= 1e-9 * (1 + Math.abs(c) + 1e3));
      }
    )
  );
});
