// Statistical behaviour over many deterministic seeds: under the null hypothesis each test flags
// drift at about its nominal rate; clear shifts are always detected. Seeds are fixed, so these
// tests are deterministic; the bands are wide enough (binomial, ~3 sigma) for any correct
// implementation and catch gross errors (wrong tail, wrong variance, off-by-one in p-values).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { domainClassifierTest, mmdTest } from './embedding.js';
import { ks2samp } from './ks.js';
import { Rng } from './random.js';
import { datasetDrift, type ColumnInput } from './report.js';
import { chiSquareHomogeneityTest, chiSquareTest, twoProportionZTest, wassersteinNormed } from './univariate.js';
import type { EmbeddingMatrix } from './types.js';

const SEEDS = 300;
const normal = (rng: Rng, n: number, mu = 0) => Float64Array.from({ length: n }, () => mu + rng.normal());
const binomial = (rng: Rng, n: number, p: number) => {
  let k = 0;
  for (let i = 0; i < n; i++) {if (rng.uniform() < p) {k++;}}
  return k;
};
const multinomial = (rng: Rng, n: number, p: number[]) => {
  const c = new Float64Array(p.length);
  for (let i = 0; i < n; i++) {
    let u = rng.uniform();
    let k = 0;
    while (k < p.length - 1 && u >= p[k]!) {u -= p[k++]!;}
    c[k]!++;
  }
  return c;
};

/** [lo, hi] holding a Binomial(n, p) count with probability > 99.7% (normal approx, +-3 sd). */
function binomialBand(n: number, p: number): [number, number] {
  const sd = Math.sqrt(n * p * (1 - p));
  return [Math.max(0, Math.floor(n * p - 3 * sd)), Math.ceil(n * p + 3 * sd)];
}

test('KS (exact) false-positive rate at alpha 0.05 is nominal over 300 seeds', () => {
  let flagged = 0;
  for (let s = 0; s < SEEDS; s++) {
    const rng = new Rng(1000 + s);
    if (ks2samp(normal(rng, 100), normal(rng, 120)).drift) {flagged++;}
  }
  const [lo, hi] = binomialBand(SEEDS, 0.05);
  console.log(`KS false positives: ${flagged}/${SEEDS} (band ${lo}-${hi})`);
  assert.ok(flagged >= lo && flagged <= hi, `${flagged} outside [${lo}, ${hi}]`);
});

test('KS (asymptotic, n > 10000) false-positive rate is nominal', () => {
  let flagged = 0;
  const n = 100;
  for (let s = 0; s < n; s++) {
    const rng = new Rng(5000 + s);
    const r = ks2samp(normal(rng, 10500), normal(rng, 3000));
    assert.equal(r.method, 'asymp');
    if (r.drift) {flagged++;}
  }
  const [lo, hi] = binomialBand(n, 0.05);
  assert.ok(flagged >= lo && flagged <= hi, `${flagged} outside [${lo}, ${hi}]`);
});

test('KS detects a 1 sd shift in every seed', () => {
  for (let s = 0; s < SEEDS; s++) {
    const rng = new Rng(2000 + s);
    assert.equal(ks2samp(normal(rng, 100), normal(rng, 120, 1)).drift, true, `seed ${s}`);
  }
});

test('two-proportion z-test false-positive rate is nominal; a 0.3 -> 0.5 change is always found', () => {
  let flagged = 0;
  for (let s = 0; s < SEEDS; s++) {
    const rng = new Rng(3000 + s);
    if (twoProportionZTest(binomial(rng, 400, 0.3), 400, binomial(rng, 300, 0.3), 300).drift) {flagged++;}
    assert.equal(twoProportionZTest(binomial(rng, 400, 0.3), 400, binomial(rng, 300, 0.5), 300).drift, true);
  }
  const [lo, hi] = binomialBand(SEEDS, 0.05);
  assert.ok(flagged >= lo && flagged <= hi, `${flagged} outside [${lo}, ${hi}]`);
});

test("chi-square (Evidently's form) is nominal when the reference is much larger than the window", () => {
  // Expected counts treat the reference shares as exact, so the test is only calibrated when
  // n_ref >> n_cur; with equal sizes the null variance doubles and it over-flags (measured below).
  const p = [0.4, 0.3, 0.2, 0.1];
  let flaggedLargeRef = 0;
  let flaggedEqual = 0;
  for (let s = 0; s < SEEDS; s++) {
    const rng = new Rng(4000 + s);
    if (chiSquareTest(multinomial(rng, 20000, p), multinomial(rng, 300, p)).drift) {flaggedLargeRef++;}
    if (chiSquareTest(multinomial(rng, 300, p), multinomial(rng, 300, p)).drift) {flaggedEqual++;}
    assert.equal(chiSquareTest(multinomial(rng, 1000, p), multinomial(rng, 300, [0.25, 0.25, 0.25, 0.25])).drift, true);
  }
  const [lo, hi] = binomialBand(SEEDS, 0.05);
  console.log(
    `chi-square (Evidently) false positives: n_ref=20000 ${flaggedLargeRef}/${SEEDS}; n_ref=n_cur=300 ${flaggedEqual}/${SEEDS}`
  );
  assert.ok(flaggedLargeRef >= lo && flaggedLargeRef <= hi, `${flaggedLargeRef} outside [${lo}, ${hi}]`);
  assert.ok(flaggedEqual > hi, 'equal sizes over-flag (documented Evidently behaviour)');
});

test('chi-square homogeneity (two-sample) test is nominal for any sizes and detects a mix change', () => {
  const p = [0.4, 0.3, 0.2, 0.1];
  let flagged = 0;
  for (let s = 0; s < SEEDS; s++) {
    const rng = new Rng(4500 + s);
    if (chiSquareHomogeneityTest(multinomial(rng, 300, p), multinomial(rng, 300, p)).drift) {flagged++;}
    assert.equal(
      chiSquareHomogeneityTest(multinomial(rng, 300, p), multinomial(rng, 300, [0.25, 0.25, 0.25, 0.25])).drift,
      true
    );
  }
  const [lo, hi] = binomialBand(SEEDS, 0.05);
  console.log(`chi-square (homogeneity) false positives, n_ref=n_cur=300: ${flagged}/${SEEDS}`);
  assert.ok(flagged >= lo && flagged <= hi, `${flagged} outside [${lo}, ${hi}]`);
});

test('normed Wasserstein: no drift on same-distribution large samples, drift on a 0.3 sd shift', () => {
  for (let s = 0; s < 50; s++) {
    const rng = new Rng(6000 + s);
    const ref = normal(rng, 5000);
    assert.equal(wassersteinNormed(ref, normal(rng, 5000)).drift, false, `seed ${s}`);
    assert.equal(wassersteinNormed(ref, normal(rng, 5000, 0.3)).drift, true, `seed ${s}`);
  }
});

test('Bonferroni keeps the family-wise false-positive rate of 20 null KS features near 5%', () => {
  let anyRaw = 0;
  let anyBonferroni = 0;
  const runs = 100;
  for (let s = 0; s < runs; s++) {
    const rng = new Rng(7000 + s);
    const cols: ColumnInput[] = Array.from({ length: 20 }, (_, i) => ({
      name: `f${i}`,
      kind: 'numeric' as const,
      reference: normal(rng, 150),
      current: normal(rng, 150),
    }));
    if (datasetDrift(cols).driftedCount > 0) {anyRaw++;}
    if (datasetDrift(cols, { correction: 'bonferroni' }).driftedCount > 0) {anyBonferroni++;}
  }
  console.log(`any-feature false alarms over ${runs} runs: raw ${anyRaw}, bonferroni ${anyBonferroni}`);
  assert.ok(anyRaw > 40, String(anyRaw)); // 1 - 0.95^20 ~ 64% before correction
  const [, hi] = binomialBand(runs, 0.05);
  assert.ok(anyBonferroni <= hi, String(anyBonferroni));
});

function gaussian(rng: Rng, rows: number, dim: number, shift = 0): EmbeddingMatrix {
  const data = new Float32Array(rows * dim);
  for (let i = 0; i < data.length; i++) {data[i] = rng.normal() + (i % dim < 2 ? shift : 0);}
  return { data, rows, dim };
}

test('embedding drift: MMD and classifier rarely flag same-distribution windows, always flag shifts', () => {
  const runs = 40;
  let mmdFlags = 0;
  let modelFlags = 0;
  for (let s = 0; s < runs; s++) {
    const rng = new Rng(8000 + s);
    const ref = gaussian(rng, 200, 8);
    const mmd = mmdTest(ref, gaussian(rng, 200, 8), { seed: s, permutations: 100 });
    if (mmd.drift) {mmdFlags++;}
    if (domainClassifierTest(ref, gaussian(rng, 200, 8), { seed: s }).drift) {modelFlags++;}
    const shifted = gaussian(rng, 200, 8, 0.6);
    assert.equal(mmdTest(ref, shifted, { seed: s }).drift, true, `mmd seed ${s}`);
    assert.equal(domainClassifierTest(ref, shifted, { seed: s }).drift, true, `model seed ${s}`);
  }
  console.log(`embedding false positives over ${runs}: mmd ${mmdFlags}, classifier ${modelFlags}`);
  const [, hi] = binomialBand(runs, 0.05);
  assert.ok(mmdFlags <= hi, String(mmdFlags));
  assert.ok(modelFlags <= hi, String(modelFlags));
});
