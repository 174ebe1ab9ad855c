import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  binCategorical,
  binNumericSorted,
  fillEmptyShares,
  histogramSorted,
  sturgesBinCount,
  sturgesBinEdges,
  toShares,
} from './binning.js';

test('drift.md vectors: Sturges bin count 40 -> 7, 2000 -> 12', () => {
  assert.equal(sturgesBinCount(40, 0, 1), 7);
  assert.equal(sturgesBinCount(2000, -3, 5), 12);
  assert.equal(sturgesBinEdges(40, 0, 1).length, 8);
  assert.equal(sturgesBinEdges(2000, -3, 5).length, 13);
  assert.equal(sturgesBinCount(10, 3, 3), 1);
});

test('edges are numpy.linspace(min, max, k + 1); a constant sample spans v +- 0.5', () => {
  assert.deepEqual(Array.from(sturgesBinEdges(40, 0, 7)), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(Array.from(sturgesBinEdges(5, 2, 2)), [1.5, 2.5]);
  const e = sturgesBinEdges(100, -1.1, 6.2);
  assert.equal(e[0], -1.1);
  assert.equal(e[e.length - 1], 6.2);
});

test('histogram: bins are [a, b) except the last, which is closed', () => {
  const edges = Float64Array.of(0, 1, 2, 3);
  const sorted = Float64Array.of(-1, 0, 0.5, 1, 1, 2.999, 3, 4);
  assert.deepEqual(Array.from(histogramSorted(sorted, edges)), [2, 2, 2]);
});

test('numeric binning: <= 20 distinct reference values -> one bin per value of the union', () => {
  const ref = Float64Array.of(1, 1, 2, 3);
  const cur = Float64Array.of(2, 4, 4);
  const b = binNumericSorted(ref, cur);
  assert.equal(b.edges, null);
  assert.deepEqual(b.values, [1, 2, 3, 4]);
  assert.deepEqual(Array.from(b.reference), [2, 1, 1, 0]);
  assert.deepEqual(Array.from(b.current), [0, 1, 0, 2]);
});

test('numeric binning: > 20 distinct reference values -> Sturges over reference ∪ current', () => {
  const ref = Float64Array.from({ length: 30 }, (_, i) => i);
  const cur = Float64Array.from({ length: 10 }, (_, i) => 29 + i);
  const b = binNumericSorted(ref, cur);
  assert.ok(b.edges);
  assert.equal(b.edges.length - 1, 7); // n = 40
  assert.equal(b.edges[0], 0);
  assert.equal(b.edges[7], 38);
  assert.equal(
    b.reference.reduce((x, y) => x + y, 0),
    30
  );
  assert.equal(
    b.current.reduce((x, y) => x + y, 0),
    10
  );
});

test('categorical binning: union of categories in ascending order, missing ignored', () => {
  const b = binCategorical(['b', 'a', null, 'a'], ['c', 'a', undefined]);
  assert.deepEqual(b.values, ['a', 'b', 'c']);
  assert.deepEqual(Array.from(b.reference), [2, 1, 0]);
  assert.deepEqual(Array.from(b.current), [1, 0, 1]);
});

test("Evidently's empty-bin fill: 0.0001, or min non-zero / 1e6 when that is <= 0.0001", () => {
  assert.deepEqual(Array.from(fillEmptyShares(Float64Array.of(0.5, 0.5, 0))), [0.5, 0.5, 0.0001]);
  const tiny = fillEmptyShares(Float64Array.of(0.99995, 0.00005, 0));
  assert.equal(tiny[2], 0.00005 / 1e6);
  assert.deepEqual(Array.from(toShares(Float64Array.of(1, 3))), [0.25, 0.75]);
});
