import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { kolmogorovCdf, kolmogorovNCdf, kolmogorovNSf, kolmogorovSf, smirnovSf } from './kolmogorov.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

test("kstwo.sf matches scipy on every branch of the Simard-L'Ecuyer selection", () => {
  // [n, x, scipy.stats.kstwo.sf(x, n)] (scipy 1.17.1); comments name the branch taken.
  const ref: Array<[number, number, number]> = [
    [5, 0.3, 0.664], // Durbin matrix (n <= 140, n x^2 small)
    [10, 0.2, 0.7487190399999999], // Durbin matrix
    [10, 0.4, 0.05898924519999926], // Pomeranz
    [10, 0.55, 0.0022805103214843725], // x >= 0.5: 2 smirnov
    [100, 0.1, 0.2526927570063874], // Pomeranz
    [100, 0.25, 5.408871776434847e-6], // 2 smirnov (n x^2 > 4)
    [141, 0.05, 0.854845693009663], // n > 140: Durbin (n x^1.5 <= 1.4)
    [141, 0.2, 2.0276784223976912e-5], // n > 140: 2 smirnov
    [500, 0.05, 0.15866260223815387], // Pelz-Good
    [5000, 0.03, 0.00024159234422666817],
    [50000, 0.006, 0.05442749636006261],
    [200000, 0.002, 0.39995085369038097], // n > 100000: Pelz-Good
  ];
  for (const [n, x, want] of ref) {assert.ok(rel(kolmogorovNSf(n, x), want) < 2e-13, `kstwo.sf(${x}, ${n})`);}
  assert.equal(kolmogorovNSf(10, 0), 1);
  assert.equal(kolmogorovNSf(10, 1), 0);
  assert.equal(kolmogorovNSf(10, 0.04), 1); // below 1/(2n)
  assert.ok(Number.isNaN(kolmogorovNSf(2.5, 0.3)));
});

test('kstwo cdf and sf are complementary for n <= 140 and monotone (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 140 }), fc.double({ min: 0.001, max: 0.999, noNaN: true }), (n, x) => {
      const sf = kolmogorovNSf(n, x);
      const cdf = kolmogorovNCdf(n, x);
      assert.ok(sf >= 0 && sf <= 1);
      assert.ok(Math.abs(sf + cdf - 1) < 1e-12);
      assert.ok(kolmogorovNSf(n, Math.min(0.9999, x + 0.01)) <= sf + 1e-12);
    }),
    { numRuns: 200 }
  );
});

test('Kolmogorov limiting distribution (kstwobign)', () => {
  assert.ok(rel(kolmogorovSf(1), 0.26999967167735456) < 1e-15);
  assert.ok(rel(kolmogorovSf(0.5), 0.9639452436648751) < 1e-15);
  assert.ok(rel(kolmogorovCdf(0.3), 9.305801334566636e-6) < 1e-13);
  assert.equal(kolmogorovSf(0), 1);
  assert.equal(kolmogorovCdf(0.02), 0);
  assert.ok(kolmogorovSf(10) < 1e-80);
});

test('one-sided smirnov', () => {
  assert.equal(smirnovSf(1, 0.3), 0.7);
  assert.ok(rel(smirnovSf(10, 0.3), 0.1354635556) < 1e-14);
  assert.ok(rel(smirnovSf(1000, 0.05), 0.006506037390545166) < 2e-13);
  assert.equal(smirnovSf(5, 0), 1);
  assert.equal(smirnovSf(5, 1), 0);
  assert.ok(rel(smirnovSf(5, 0.9), 9.999999999999989e-6) < 1e-12); // x >= 1 - 1/n: (1 - x)^n
});
