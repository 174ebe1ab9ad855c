import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Rng } from './random.js';
import { columnDrift, datasetDrift, DEFAULT_THRESHOLDS, selectStatTest, type ColumnInput } from './report.js';

const normal = (rng: Rng, n: number, mu = 0, sd = 1) => Float64Array.from({ length: n }, () => mu + sd * rng.normal());
const cats = (rng: Rng, n: number, weights: number[], labels = ['a', 'b', 'c', 'd', 'e']) =>
  Array.from({ length: n }, () => {
    let u = rng.uniform() * weights.reduce((x, y) => x + y, 0);
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i]!;
      if (u < 0) {return labels[i]!;}
    }
    return labels[weights.length - 1]!;
  });

test("automatic test choice follows Evidently's table", () => {
  assert.equal(selectStatTest('numeric', 1000, 6), 'ks');
  assert.equal(selectStatTest('numeric', 1000, 5), 'chisquare');
  assert.equal(selectStatTest('numeric', 1000, 3), 'chisquare');
  assert.equal(selectStatTest('numeric', 1000, 2), 'z');
  assert.equal(selectStatTest('categorical', 500, 3), 'chisquare');
  assert.equal(selectStatTest('categorical', 500, 2), 'z');
  assert.equal(selectStatTest('numeric', 1001, 6), 'wasserstein');
  assert.equal(selectStatTest('numeric', 1001, 5), 'jensenshannon');
  assert.equal(selectStatTest('categorical', 5000, 40), 'jensenshannon');
  assert.equal(selectStatTest('categorical', 5000, 2), 'jensenshannon');
});

test('distinct values are counted over reference ∪ current', () => {
  // 3 distinct in reference, 6 in the union -> KS, not chi-square
  const r = columnDrift({ name: 'x', kind: 'numeric', reference: [1, 2, 3, 1], current: [4, 5, 6] });
  assert.equal(r.distinct, 6);
  assert.equal(r.test, 'ks');
  assert.equal(r.autoSelected, true);
  assert.equal(r.threshold, 0.05);
});

test('small reference: KS on shifted numeric data drifts, chi-square and z on categories', () => {
  const rng = new Rng(3);
  const ks = columnDrift({ name: 'x', kind: 'numeric', reference: normal(rng, 500), current: normal(rng, 400, 1) });
  assert.equal(ks.test, 'ks');
  assert.ok(ks.pValue! < 1e-10);
  assert.equal(ks.drift, true);
  const chi = columnDrift({
    name: 'c',
    kind: 'categorical',
    reference: cats(rng, 800, [1, 1, 1]),
    current: cats(rng, 800, [1, 1, 3]),
  });
  assert.equal(chi.test, 'chisquare');
  assert.equal(chi.drift, true);
  const z = columnDrift({
    name: 'b',
    kind: 'categorical',
    reference: cats(rng, 300, [1, 1]),
    current: cats(rng, 300, [1, 1]),
  });
  assert.equal(z.test, 'z');
  assert.ok(z.pValue! > 0.001);
});

test('large reference: normed Wasserstein and Jensen-Shannon', () => {
  const rng = new Rng(4);
  const w = columnDrift({ name: 'x', kind: 'numeric', reference: normal(rng, 5000), current: normal(rng, 5000, 0.3) });
  assert.equal(w.test, 'wasserstein');
  assert.ok(w.statistic > 0.2 && w.statistic < 0.4, String(w.statistic));
  assert.equal(w.drift, true);
  assert.equal(w.pValue, undefined);
  const same = columnDrift({ name: 'x', kind: 'numeric', reference: normal(rng, 5000), current: normal(rng, 5000) });
  assert.equal(same.drift, false);
  const js = columnDrift({
    name: 'c',
    kind: 'categorical',
    reference: cats(rng, 5000, [5, 3, 2]),
    current: cats(rng, 5000, [5, 3, 2]),
  });
  assert.equal(js.test, 'jensenshannon');
  assert.equal(js.drift, false);
});

test('per-column and global overrides of test and threshold', () => {
  const rng = new Rng(5);
  const col: ColumnInput = {
    name: 'x',
    kind: 'numeric',
    reference: normal(rng, 3000),
    current: normal(rng, 3000, 0.05),
  };
  const psi = columnDrift(col, { columns: { x: { test: 'psi', threshold: 0.2 } } });
  assert.equal(psi.test, 'psi');
  assert.equal(psi.threshold, 0.2);
  assert.equal(psi.autoSelected, false);
  const ks = columnDrift(col, { test: 'ks', threshold: 0.01 });
  assert.equal(ks.test, 'ks');
  assert.equal(ks.threshold, 0.01);
  assert.equal(ks.drift, ks.pValue! <= 0.01);
  const hel = columnDrift(col, { test: 'hellinger', includeDistribution: true });
  assert.equal(hel.threshold, DEFAULT_THRESHOLDS.hellinger);
  assert.ok(hel.distribution?.edges && hel.distribution.edges.length === hel.distribution.reference.length + 1);
});

test("chiSquare: 'homogeneity' switches chi-square columns to the two-sample test", () => {
  const col: ColumnInput = {
    name: 'c',
    kind: 'categorical',
    reference: ['a', 'a', 'b', 'c'],
    current: ['a', 'b', 'b', 'c'],
  };
  const ev = columnDrift(col);
  const ho = columnDrift(col, { chiSquare: 'homogeneity' });
  assert.equal(ev.test, 'chisquare');
  assert.equal(ho.test, 'chisquare');
  assert.notEqual(ev.statistic, ho.statistic);
  assert.ok(ho.pValue! > ev.pValue!);
});

test('KS on a categorical column is not applicable; empty samples are skipped', () => {
  const r = columnDrift({ name: 'c', kind: 'categorical', reference: ['a'], current: ['b'] }, { test: 'ks' });
  assert.equal(r.skipped, 'test_not_applicable');
  const e = columnDrift({ name: 'x', kind: 'numeric', reference: [NaN, NaN], current: [1, 2] });
  assert.equal(e.skipped, 'empty_reference');
  assert.equal(e.drift, false);
});

test('options are validated with zod', () => {
  const col: ColumnInput = { name: 'x', kind: 'numeric', reference: [1, 2], current: [1, 2] };
  assert.throws(() => columnDrift(col, { threshold: -1 }));
  assert.throws(() => columnDrift(col, { test: 'nope' as 'ks' }));
  assert.throws(() => datasetDrift([col], { driftShare: 0 }));
  assert.throws(() => datasetDrift([col], { unknown: 1 } as never));
});

test('dataset drift: share of drifted columns >= 0.5, skipped columns not counted', () => {
  const rng = new Rng(6);
  const cols: ColumnInput[] = [
    { name: 'a', kind: 'numeric', reference: normal(rng, 300), current: normal(rng, 300, 2) },
    { name: 'b', kind: 'numeric', reference: normal(rng, 300), current: normal(rng, 300, 2) },
    { name: 'c', kind: 'numeric', reference: normal(rng, 300), current: normal(rng, 300) },
    { name: 'd', kind: 'numeric', reference: normal(rng, 300), current: normal(rng, 300) },
    { name: 'e', kind: 'numeric', reference: [], current: [1] },
  ];
  const r = datasetDrift(cols);
  assert.equal(r.evaluatedCount, 4);
  assert.equal(r.driftedCount, 2);
  assert.equal(r.driftedShare, 0.5);
  assert.equal(r.datasetDrift, true);
  assert.equal(datasetDrift(cols, { driftShare: 0.6 }).datasetDrift, false);
  assert.equal(datasetDrift([]).datasetDrift, false);
});

test('Bonferroni and BH corrections re-decide p-value tests only', () => {
  const rng = new Rng(8);
  const cols: ColumnInput[] = Array.from({ length: 10 }, (_, i) => ({
    name: `f${i}`,
    kind: 'numeric' as const,
    reference: normal(rng, 200),
    current: normal(rng, 200, i === 0 ? 0.6 : 0),
  }));
  cols.push({ name: 'big', kind: 'numeric', reference: normal(rng, 2000), current: normal(rng, 2000, 0.5) });
  const none = datasetDrift(cols);
  const bon = datasetDrift(cols, { correction: 'bonferroni' });
  const bh = datasetDrift(cols, { correction: 'fdr_bh' });
  const ksCols = bon.columns.filter((c) => c.test === 'ks');
  assert.equal(ksCols.length, 10);
  for (const c of ksCols) {
    const raw = none.columns.find((x) => x.column === c.column)!;
    assert.equal(c.adjustedPValue, Math.min(1, raw.pValue! * 10));
    assert.equal(c.drift, c.adjustedPValue! <= 0.05);
  }
  assert.equal(bon.columns.find((c) => c.column === 'f0')!.drift, true);
  // the Wasserstein column is untouched by the correction
  const w = bh.columns.find((c) => c.column === 'big')!;
  assert.equal(w.test, 'wasserstein');
  assert.equal(w.adjustedPValue, undefined);
  assert.equal(w.drift, true);
  assert.ok(bh.driftedCount <= none.driftedCount);
  assert.equal(bh.correction, 'fdr_bh');
});
