// Compares the drift statistics with scipy/numpy on the cases of test/drift-reference/cases.json
// (written by test/drift-reference/compare.py) and reports the largest relative difference per
// group. Regenerate the JSON with `python3 test/drift-reference/compare.py` after changes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { histogramSorted, sturgesBinEdges } from './binning.js';
import { kolmogorovCdf, kolmogorovNCdf, kolmogorovNSf, kolmogorovSf, smirnovSf } from './kolmogorov.js';
import { ks2samp } from './ks.js';
import { sortedFinite } from './sorting.js';
import { chiSquareSf, erf, erfc, normalCdf, normalSf } from './special.js';
import {
  chiSquareHomogeneityTest,
  chiSquareTest,
  jensenShannonDistance,
  psiTest,
  twoProportionZTest,
  wassersteinDistance,
  wassersteinNormed,
} from './univariate.js';
import type { KsMethod } from './types.js';

type Num = number | 'inf' | '-inf' | 'nan';
interface Dataset {
  id: number;
  a: number[];
  b: number[];
}
interface Compact {
  id: number;
  values: number[];
  countsA: number[];
  countsB: number[];
}
interface Cases {
  generator: Record<string, string | number>;
  datasets: Dataset[];
  compactDatasets: Compact[];
  ks: Array<{ dataset: number; method: KsMethod; statistic: Num; pvalue: Num }>;
  ksCompact: Array<{ dataset: number; method: KsMethod; statistic: Num; pvalue: Num }>;
  wasserstein: Array<{ dataset: number; value: Num; normed: Num }>;
  wassersteinCompact: Array<{ dataset: number; value: Num; normed: Num }>;
  binning: Array<{
    dataset: number;
    edges: Num[];
    countsA: number[];
    countsB: number[];
    jensenshannon: Num;
    jensenshannon2: Num;
    psi: Num;
  }>;
  sturges: Array<{ n: number; min: number; max: number; bins: number; edges: Num[] }>;
  chisquare: Array<{
    ref: number[];
    cur: number[];
    statistic: Num;
    pvalue: Num;
    homogeneityStatistic: Num;
    homogeneityPvalue: Num;
  }>;
  jensenshannon: Array<{ p: number[]; q: number[]; natural: Num; base2: Num }>;
  ztest: Array<{ x1: number; n1: number; x2: number; n2: number; z: Num; pvalue: Num; pvalueEvidently: Num }>;
  kstwo: Array<{ n: number; x: number; sf: Num; cdf: Num }>;
  kstwobign: Array<{ x: number; sf: Num; cdf: Num }>;
  smirnov: Array<{ n: number; x: number; sf: Num }>;
  chi2sf: Array<{ x: number; df: number; sf: Num }>;
  ndtr: Array<{ x: number; cdf: Num; sf: Num }>;
  erfc: Array<{ x: number; erfc: Num; erf: Num }>;
}

const here = dirname(fileURLToPath(import.meta.url));
const cases = JSON.parse(readFileSync(join(here, '../../../../test/drift-reference/cases.json'), 'utf8')) as Cases;

const num = (v: Num): number => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v === 'nan' ? NaN : v);

/** Relative difference; exact agreement (incl. inf/nan/0) is 0, a zero expectation uses |a|. */
function relDiff(actual: number, expected: number): number {
  if (Object.is(actual, expected) || actual === expected) {return 0;}
  if (Number.isNaN(actual) && Number.isNaN(expected)) {return 0;}
  if (!Number.isFinite(actual) || !Number.isFinite(expected)) {return Infinity;}
  if (expected === 0) {return Math.abs(actual);}
  return Math.abs(actual - expected) / Math.abs(expected);
}

class Tracker {
  max = 0;
  where = '';
  n = 0;
  constructor(readonly group: string) {}
  add(actual: number, expected: Num, where: string): void {
    const d = relDiff(actual, num(expected));
    this.n++;
    if (d > this.max || Number.isNaN(d)) {
      this.max = d;
      this.where = `${where}: got ${actual}, scipy ${String(expected)}`;
    }
  }
}

const report: Tracker[] = [];
function group(name: string): Tracker {
  const t = new Tracker(name);
  report.push(t);
  return t;
}

const expand = (c: Compact): [Float64Array, Float64Array] => {
  const rep = (counts: number[]) => {
    const out: number[] = [];
    counts.forEach((k, i) => {
      for (let j = 0; j < k; j++) {out.push(c.values[i]!);}
    });
    return Float64Array.from(out);
  };
  return [rep(c.countsA), rep(c.countsB)];
};

// Groups and the tolerance each must meet (relative).
const TOLERANCE = 1e-9;

test('reference: ks_2samp (statistic and p-value, auto/exact/asymp)', () => {
  const stat = group('ks statistic');
  const p = group('ks p-value');
  for (const c of cases.ks) {
    const d = cases.datasets[c.dataset]!;
    const r = ks2samp(d.a, d.b, { method: c.method });
    const where = `dataset ${c.dataset} (${d.a.length} vs ${d.b.length}) ${c.method}`;
    stat.add(r.statistic, c.statistic, where);
    p.add(r.pValue, c.pvalue, where);
  }
  const statL = group('ks statistic (large n)');
  const pL = group('ks p-value (large n)');
  for (const c of cases.ksCompact) {
    const [a, b] = expand(cases.compactDatasets[c.dataset]!);
    const r = ks2samp(a, b, { method: c.method });
    const where = `compact ${c.dataset} (${a.length} vs ${b.length}) ${c.method}`;
    statL.add(r.statistic, c.statistic, where);
    pL.add(r.pValue, c.pvalue, where);
  }
  for (const t of [stat, p, statL, pL]) {assert.ok(t.max <= TOLERANCE, `${t.group}: ${t.max} at ${t.where}`);}
});

test('reference: wasserstein_distance and Evidently normed Wasserstein', () => {
  const w = group('wasserstein');
  const wn = group('wasserstein normed');
  for (const c of cases.wasserstein) {
    const d = cases.datasets[c.dataset]!;
    w.add(wassersteinDistance(d.a, d.b), c.value, `dataset ${c.dataset}`);
    wn.add(wassersteinNormed(d.a, d.b).statistic, c.normed, `dataset ${c.dataset}`);
  }
  for (const c of cases.wassersteinCompact) {
    const [a, b] = expand(cases.compactDatasets[c.dataset]!);
    w.add(wassersteinDistance(a, b), c.value, `compact ${c.dataset}`);
    wn.add(wassersteinNormed(a, b).statistic, c.normed, `compact ${c.dataset}`);
  }
  for (const t of [w, wn]) {assert.ok(t.max <= TOLERANCE, `${t.group}: ${t.max} at ${t.where}`);}
});

test('reference: numpy sturges edges, histogram counts, JS and PSI on the bins', () => {
  const edges = group('sturges edges');
  const js = group('jensenshannon on bins (e, 2)');
  const psi = group('psi on bins');
  for (const c of cases.binning) {
    const d = cases.datasets[c.dataset]!;
    const a = sortedFinite(d.a);
    const b = sortedFinite(d.b);
    const min = Math.min(a[0]!, b[0]!);
    const max = Math.max(a[a.length - 1]!, b[b.length - 1]!);
    const e = sturgesBinEdges(a.length + b.length, min, max);
    assert.equal(e.length, c.edges.length, `dataset ${c.dataset}: bin count`);
    e.forEach((v, i) => edges.add(v, c.edges[i]!, `dataset ${c.dataset} edge ${i}`));
    const ca = histogramSorted(a, e);
    const cb = histogramSorted(b, e);
    assert.deepEqual(Array.from(ca), c.countsA, `dataset ${c.dataset}: reference counts`);
    assert.deepEqual(Array.from(cb), c.countsB, `dataset ${c.dataset}: current counts`);
    const ra = ca.map((v) => v / a.length);
    const rb = cb.map((v) => v / b.length);
    js.add(jensenShannonDistance(ra, rb), c.jensenshannon, `dataset ${c.dataset} natural`);
    js.add(jensenShannonDistance(ra, rb, 2), c.jensenshannon2, `dataset ${c.dataset} base 2`);
    psi.add(psiTest(ca, cb).statistic, c.psi, `dataset ${c.dataset}`);
  }
  const sturges = group('sturges bin count by n');
  for (const s of cases.sturges) {
    const e = sturgesBinEdges(s.n, s.min, s.max);
    assert.equal(e.length - 1, s.bins, `n=${s.n}: bins`);
    e.forEach((v, i) => sturges.add(v, s.edges[i]!, `n=${s.n} edge ${i}`));
  }
  for (const t of [edges, js, psi, sturges]) {assert.ok(t.max <= TOLERANCE, `${t.group}: ${t.max} at ${t.where}`);}
});

test('reference: chisquare with Evidently expected counts, and chi2_contingency', () => {
  const s = group('chisquare statistic');
  const p = group('chisquare p-value');
  const hs = group('chi2_contingency statistic');
  const hp = group('chi2_contingency p-value');
  cases.chisquare.forEach((c, i) => {
    const r = chiSquareTest(c.ref, c.cur);
    s.add(r.statistic, c.statistic, `case ${i} (k=${c.ref.length})`);
    p.add(r.pValue, c.pvalue, `case ${i} (k=${c.ref.length})`);
    const h = chiSquareHomogeneityTest(c.ref, c.cur);
    hs.add(h.statistic, c.homogeneityStatistic, `case ${i} (k=${c.ref.length})`);
    hp.add(h.pValue, c.homogeneityPvalue, `case ${i} (k=${c.ref.length})`);
  });
  for (const t of [s, p, hs, hp]) {assert.ok(t.max <= TOLERANCE, `${t.group}: ${t.max} at ${t.where}`);}
});

test('reference: jensenshannon (natural log and base 2)', () => {
  const t = group('jensenshannon vectors');
  cases.jensenshannon.forEach((c, i) => {
    t.add(jensenShannonDistance(c.p, c.q), c.natural, `case ${i} natural`);
    t.add(jensenShannonDistance(c.p, c.q, 2), c.base2, `case ${i} base 2`);
  });
  assert.ok(t.max <= TOLERANCE, `${t.group}: ${t.max} at ${t.where}`);
});

test('reference: two-proportion z-test', () => {
  const z = group('z statistic');
  const p = group('z p-value (2 sf)');
  const pe = group('z p vs Evidently 2(1-cdf), absolute');
  cases.ztest.forEach((c, i) => {
    const r = twoProportionZTest(c.x1, c.n1, c.x2, c.n2);
    z.add(r.statistic, c.z, `case ${i}`);
    p.add(r.pValue, c.pvalue, `case ${i}`);
    // Evidently's 2 (1 - cdf) loses relative precision for tiny p: compare absolute differences.
    pe.add(Math.abs(r.pValue - num(c.pvalueEvidently)), 0, `case ${i}`);
  });
  for (const t of [z, p, pe]) {assert.ok(t.max <= TOLERANCE, `${t.group}: ${t.max} at ${t.where}`);}
});

test('reference: distribution functions (kstwo, kstwobign, smirnov, chi2, ndtr, erfc)', () => {
  const ks2 = group('kstwo.sf');
  const ks2c = group('kstwo.cdf');
  for (const c of cases.kstwo) {
    ks2.add(kolmogorovNSf(c.n, c.x), c.sf, `n=${c.n} x=${c.x}`);
    ks2c.add(kolmogorovNCdf(c.n, c.x), c.cdf, `n=${c.n} x=${c.x}`);
  }
  const big = group('kstwobign sf/cdf');
  for (const c of cases.kstwobign) {
    big.add(kolmogorovSf(c.x), c.sf, `x=${c.x} sf`);
    big.add(kolmogorovCdf(c.x), c.cdf, `x=${c.x} cdf`);
  }
  const sm = group('smirnov');
  for (const c of cases.smirnov) {sm.add(smirnovSf(c.n, c.x), c.sf, `n=${c.n} x=${c.x}`);}
  const chi = group('chi2.sf');
  for (const c of cases.chi2sf) {chi.add(chiSquareSf(c.x, c.df), c.sf, `x=${c.x} df=${c.df}`);}
  const nd = group('ndtr / norm.sf');
  for (const c of cases.ndtr) {
    nd.add(normalCdf(c.x), c.cdf, `cdf x=${c.x}`);
    nd.add(normalSf(c.x), c.sf, `sf x=${c.x}`);
  }
  const ef = group('erfc / erf');
  for (const c of cases.erfc) {
    ef.add(erfc(c.x), c.erfc, `erfc x=${c.x}`);
    ef.add(erf(c.x), c.erf, `erf x=${c.x}`);
  }
  for (const t of [ks2, ks2c, big, sm, chi, nd, ef])
    {assert.ok(t.max <= TOLERANCE, `${t.group}: ${t.max} at ${t.where}`);}
});

test('reference: summary of the largest relative differences', () => {
  const lines = report.map(
    (t) => `  ${t.group.padEnd(36)} n=${String(t.n).padStart(4)}  max rel diff ${t.max.toExponential(2)}  (${t.where})`
  );
  const worst = report.reduce((a, t) => (t.max > a.max ? t : a), report[0]!);
  console.log(
    `scipy reference comparison (${JSON.stringify(cases.generator)}):\n${lines.join('\n')}\n  overall max: ${worst.max.toExponential(2)} [${worst.group}]`
  );
  assert.ok(report.length > 0);
});
