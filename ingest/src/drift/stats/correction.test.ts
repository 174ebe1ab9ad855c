import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { adjustPValues, benjaminiHochberg, bonferroni } from './correction.js';

const approx = (a: ArrayLike<number>, b: number[]) =>
  b.forEach((v, i) => assert.ok(Math.abs(a[i]! - v) < 1e-15, `index ${i}: ${a[i]} vs ${v}`));

test('Bonferroni multiplies by the number of tests, capped at 1', () => {
  approx(bonferroni([0.01, 0.04, 0.03, 0.005]), [0.04, 0.16, 0.12, 0.02]);
  approx(bonferroni([0.5, 0.9]), [1, 1]);
});

test('Benjamini-Hochberg step-up (statsmodels fdr_bh)', () => {
  approx(benjaminiHochberg([0.01, 0.04, 0.03, 0.005]), [0.02, 0.04, 0.04, 0.02]);
  // statsmodels.stats.multitest.multipletests([0.001,0.008,0.039,0.041,0.042,0.06,0.074,0.205], method='fdr_bh')
  approx(
    benjaminiHochberg([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205]),
    [0.008, 0.032, 0.06720000000000001, 0.06720000000000001, 0.06720000000000001, 0.08, 0.08457142857142856, 0.205]
  );
  assert.equal(adjustPValues([0.2], 'none')[0], 0.2);
});

test('adjusted p-values are >= raw and BH <= Bonferroni (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 40 }), (p) => {
      const bh = benjaminiHochberg(p);
      const bf = bonferroni(p);
      p.forEach((v, i) => {
        assert.ok(bh[i]! >= v - 1e-15);
        assert.ok(bh[i]! <= bf[i]! + 1e-15);
        assert.ok(bh[i]! <= 1);
      });
    })
  );
});
