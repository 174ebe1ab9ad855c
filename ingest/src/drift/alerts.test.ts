import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alertIdFor, INITIAL_STATE, replaySeries, type SeriesState } from './alerts.js';
import type { AlertRow, ResultRow } from './store.js';

const H = 3_600_000;
const series = { modelId: 'm', service: '', driftType: 'feature', feature: '' };

function rows(scores: number[], start = 0): ResultRow[] {
  return scores.map((score, i) => ({
    ...series,
    bucketSizeMs: H,
    bucketMs: (start + i) * H,
    test: 'drift_share',
    statistic: score,
    pValue: null,
    threshold: 1,
    score,
    scoreThreshold: 1,
    drift: score >= 1,
    referenceCount: 100,
    currentCount: 100,
    details: {},
    alertable: true,
    hysAbove: 0,
    hysBelow: 0,
    alertId: null,
    computedMs: 0,
  }));
}

function run(scores: number[], opts: { start?: number; prev?: SeriesState; existing?: AlertRow[] } = {}) {
  return replaySeries({
    series,
    bucketSizeMs: H,
    rows: rows(scores, opts.start ?? 0),
    prev: opts.prev ?? INITIAL_STATE,
    existing: opts.existing ?? [],
    k: 2,
    nowMs: 1,
  });
}

describe('alert hysteresis', () => {
  it('opens after K buckets >= threshold and resolves after K buckets < 0.8 x threshold', () => {
    const r = run([0.2, 1.2, 0.5, 1.1, 1.3, 0.9, 0.7, 0.5, 0.4, 1.5]);
    assert.equal(r.upsert.length, 1);
    const a = r.upsert[0]!;
    assert.equal(a.id, alertIdFor(series, H, 4 * H));
    assert.equal(a.openBucketMs, 4 * H);
    assert.equal(a.openedMs, 5 * H, 'opened when the K-th drifting bucket ended');
    assert.equal(a.state, 'resolved');
    assert.equal(a.resolveBucketMs, 7 * H);
    assert.equal(a.resolvedMs, 8 * H);
    assert.equal(a.resolvedBy, 'auto');
    assert.equal(a.peakScore, 1.3);
    assert.deepEqual(
      r.rows.map((x) => [x.hysAbove, x.hysBelow, x.alertId === null ? 0 : 1]),
      [
        [0, 1, 0],
        [1, 0, 0],
        [0, 1, 0],
        [1, 0, 0],
        [2, 0, 1],
        [0, 0, 1],
        [0, 1, 1],
        [0, 0, 0],
        [0, 1, 0],
        [1, 0, 0],
      ]
    );
  });

  it('replays from a recomputed bucket without duplicating alerts', () => {
    const first = run([1.2, 1.3, 0.5, 0.5]);
    const alert = first.upsert[0]!;
    assert.equal(alert.state, 'resolved');
    const prev = first.rows[1]!;
    // Bucket 2 and 3 were recomputed (labels arrived): still drifting, so the alert is active again.
    const again = run([1.2, 1.4], {
      start: 2,
      prev: { above: prev.hysAbove, below: prev.hysBelow, alertId: prev.alertId },
      existing: [alert],
    });
    assert.deepEqual(again.deleteIds, []);
    assert.equal(again.upsert.length, 1);
    assert.equal(again.upsert[0]!.id, alert.id);
    assert.equal(again.upsert[0]!.state, 'active');
    assert.equal(again.upsert[0]!.resolvedMs, null);
    // Replaying the very same input from the start gives the same alert (same id), not a second one.
    const same = run([1.2, 1.3, 0.5, 0.5], { existing: [alert] });
    assert.deepEqual(same.deleteIds, []);
    assert.deepEqual(
      same.upsert.map((x) => x.id),
      [alert.id]
    );
  });

  it('restarts counting after a manual resolve', () => {
    const first = run([1.2, 1.3]);
    const manual: AlertRow = {
      ...first.upsert[0]!,
      state: 'resolved',
      resolvedBy: 'manual',
      resolvedMs: 99,
      resolveBucketMs: null,
    };
    const next = run([1.5, 1.6, 1.7], {
      start: 2,
      prev: { above: 2, below: 0, alertId: manual.id },
      existing: [manual],
    });
    assert.equal(next.upsert.length, 1);
    assert.notEqual(next.upsert[0]!.id, manual.id);
    assert.equal(next.upsert[0]!.openBucketMs, 3 * H, 'K fresh buckets after the manual resolve');
  });
});
