import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { autoCeiling, estimateNeed, fitLimit, needFor, parseSize } from './memoryFit.js';

describe('memoryFit', () => {
  it('reads sizes as DuckDB does (MB in 10^6, MiB in 2^20) and refuses anything else', () => {
    assert.equal(parseSize('128MB'), 128e6);
    assert.equal(parseSize('2GiB'), 2 * 2 ** 30);
    assert.equal(parseSize('1.5 gb'), 1.5e9);
    assert.equal(parseSize('4096B'), 4096);
    assert.throws(() => parseSize('128'), /not a size: "128"/);
    assert.throws(() => parseSize('-1MB'), /not a size/);
  });

  it('raises the limit once the need passes 80 % of it, to 1.5 times the larger of both, never above the ceiling', () => {
    assert.equal(fitLimit(128e6, 102.4e6, 512e6), 128e6);
    assert.equal(fitLimit(128e6, 110e6, 512e6), 192e6);
    assert.equal(fitLimit(128e6, 152e6, 512e6), 228e6);
    assert.equal(fitLimit(128e6, 400e6, 512e6), 512e6);
    assert.equal(fitLimit(512e6, 500e6, 512e6), 512e6);
    // A limit configured above its cap stays (nothing lowers it here).
    assert.equal(fitLimit(600e6, 590e6, 512e6), 600e6);
  });

  it('needs room beside the index, and estimates the index of a stored database from its span count', () => {
    // A new database fits the 128MB start; 10M spans measured 50-56 MB of index, 144MB held.
    assert.equal(fitLimit(128e6, needFor(2e6), 512e6), 128e6);
    assert.ok(needFor(56e6) >= 144e6);
    assert.equal(estimateNeed(0), needFor(0));
    assert.ok(estimateNeed(10_000_000) >= needFor(56e6));
  });

  it('sets the automatic cap to a quarter of the usable memory: the cgroup limit when below RAM, at least 512MB', () => {
    const GiB = 2 ** 30;
    assert.equal(autoCeiling(24 * GiB, undefined), 6 * GiB);
    assert.equal(autoCeiling(24 * GiB, 0), 6 * GiB);
    assert.equal(autoCeiling(24 * GiB, 2 ** 64), 6 * GiB);
    assert.equal(autoCeiling(24 * GiB, 8 * GiB), 2 * GiB);
    assert.equal(autoCeiling(24 * GiB, 1 * GiB), 512e6);
    assert.equal(autoCeiling(1 * GiB, undefined), 512e6);
  });
});
