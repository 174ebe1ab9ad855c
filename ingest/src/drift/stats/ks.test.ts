import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { kolmogorovNSf } from './kolmogorov.js';
import { ks2samp, ks2SampPValue, ksProbOutsideBand, ksProbOutsideSquare, ksStatisticSorted } from './ks.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const range = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

test('drift.md vector: ks_2samp(1..20, 6..25) -> D 0.25, p 0.571336004933722 (exact)', () => {
  const r = ks2samp(range(1, 20), range(6, 25));
  assert.equal(r.statistic, 0.25);
  assert.equal(r.method, 'exact');
  assert.ok(rel(r.pValue, 0.571336004933722) < 1e-9, String(r.pValue));
  assert.equal(r.drift, false);
  assert.equal(r.threshold, 0.05);
  assert.equal(r.test, 'ks');
});

test('drift.md vector: ks_2samp([1..5], [6..10]) -> D 1, p 0.007936507936507936 (2 / C(10,5))', () => {
  const r = ks2samp([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
  assert.equal(r.statistic, 1);
  assert.ok(rel(r.pValue, 0.007936507936507936) < 1e-9, String(r.pValue));
  assert.equal(r.drift, true);
});

test('unequal sizes use the lattice-path recursion; p = 1 when D rounds to 0', () => {
  // scipy.stats.ks_2samp([1..7], [3..12]) -> D 0.5, p 0.1893767996709173
  const a = range(1, 7);
  const b = range(3, 12);
  const r = ks2samp(a, b);
  assert.ok(Math.abs(r.statistic - 0.5) < 1e-15);
  assert.equal(r.method, 'exact');
  assert.ok(rel(r.pValue, 0.1893767996709173) < 1e-12, String(r.pValue));
  const same = ks2samp([1, 2, 3], [1, 2, 3]);
  assert.equal(same.statistic, 0);
  assert.equal(same.pValue, 1);
});

test('ties are handled like numpy searchsorted(side="right")', () => {
  // scipy: ks_2samp([1,1,2,2,3],[1,2,2,3,3,3]) -> D 0.3 (at 2: 4/5 - 3/6), p 0.8961038961038962
  const r = ks2samp([1, 1, 2, 2, 3], [1, 2, 2, 3, 3, 3]);
  assert.equal(r.statistic, 0.3);
  assert.ok(rel(r.pValue, 0.8961038961038962) < 1e-12, String(r.pValue));
  assert.equal(ksStatisticSorted(Float64Array.of(1, 1, 2), Float64Array.of(1, 1, 2)), 0);
});

test("method selection follows scipy 'auto': exact up to 10000, asymptotic above", () => {
  assert.equal(ks2SampPValue(0.02, 10000, 10000).method, 'exact');
  assert.equal(ks2SampPValue(0.02, 10001, 500).method, 'asymp');
  assert.equal(ks2SampPValue(0.02, 100, 200, 'asymp').method, 'asymp');
  // asymptotic p = kstwo.sf(D, round(n1 n2 / (n1 + n2)))
  const r = ks2SampPValue(0.05, 12000, 9000);
  assert.equal(r.pValue, kolmogorovNSf(Math.round((12000 * 9000) / 21000), 0.05));
  // exact on huge lcm switches to asymp like scipy
  assert.equal(ks2SampPValue(0.01, 99991, 99989, 'exact').method, 'asymp');
});

test('exact fallback: n1 = n2 = 5 with D = 0.2 gives 1.0000000000000002, so scipy switches to asymp', () => {
  assert.ok(ksProbOutsideSquare(5, 1) > 1);
  const r = ks2SampPValue(0.2, 5, 5, 'exact');
  assert.equal(r.method, 'asymp');
  assert.equal(r.pValue, 1);
});

test('square and band recursions agree where both apply (n = m)', () => {
  for (const n of [3, 10, 37]) {
    for (let h = 1; h <= n; h++) {
      const sq = ksProbOutsideSquare(n, h);
      const band = ksProbOutsideBand(n, n, n, h);
      assert.ok(Math.abs(sq - band) < 1e-12, `n=${n} h=${h}: ${sq} vs ${band}`);
    }
  }
});

test('non-finite values are dropped; empty samples are rejected', () => {
  const r = ks2samp([1, 2, NaN, 3, Infinity], [1, 2, 3]);
  assert.equal(r.statistic, 0);
  assert.throws(() => ks2samp([NaN], [1, 2]), RangeError);
});

test('p-value is in [0, 1], symmetric in the samples, and D is in [0, 1] (property)', () => {
  const sample = fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 1, maxLength: 60 });
  fc.assert(
    fc.property(sample, sample, (a, b) => {
      const r1 = ks2samp(a, b);
      const r2 = ks2samp(b, a);
      assert.ok(r1.pValue >= 0 && r1.pValue <= 1);
      assert.ok(r1.statistic >= 0 && r1.statistic <= 1);
      assert.equal(r1.statistic, r2.statistic);
      assert.ok(Math.abs(r1.pValue - r2.pValue) < 1e-12);
    }),
    { numRuns: 300 }
  );
});
