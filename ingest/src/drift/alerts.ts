// Drift alerts with hysteresis, derived from the stored results of one series (model,
// service, drift type, feature): an alert opens once the score is >= threshold for K buckets
// in a row and resolves once it is < 0.8 x threshold for K buckets in a row; scores in between
// reset both counts. The counts after each bucket are stored on its result row, so a
// recomputed bucket (labels arrived late) replays the series from there: same input, same
// alerts (deterministic ids), nothing counted twice.
import crypto from 'node:crypto';
import type { AlertRow, ResultRow, SeriesKey } from './store.js';

export const RESOLVE_FACTOR = 0.8;

export interface SeriesState {
  above: number;
  below: number;
  alertId: string | null;
}

export const INITIAL_STATE: SeriesState = { above: 0, below: 0, alertId: null };

export function alertIdFor(s: SeriesKey, bucketSizeMs: number, openBucketMs: number): string {
  const h = crypto.createHash('sha256');
  h.update(JSON.stringify([s.modelId, s.service, s.driftType, s.feature, bucketSizeMs, openBucketMs]));
  return `da_${h.digest('hex').slice(0, 20)}`;
}

export interface ReplayResult {
  /** The rows with hysAbove/hysBelow/alertId filled in. */
  rows: ResultRow[];
  upsert: AlertRow[];
  deleteIds: string[];
}

/**
 * Replays one series from its first row on. `rows`: that series' alertable rows, oldest first;
 * `prev`: the state after the bucket before them; `existing`: every alert of the series.
 */
export function replaySeries(opts: {
  series: SeriesKey;
  bucketSizeMs: number;
  rows: readonly ResultRow[];
  prev: SeriesState;
  existing: readonly AlertRow[];
  k: number;
  nowMs: number;
}): ReplayResult {
  const { series, bucketSizeMs, k, nowMs } = opts;
  const out: ReplayResult = { rows: [], upsert: [], deleteIds: [] };
  if (opts.rows.length === 0) {
    return out;
  }
  const from = opts.rows[0]!.bucketMs;
  const alerts = new Map<string, AlertRow>();
  for (const a of opts.existing) {
    if (a.resolvedBy === 'manual') {
      alerts.set(a.id, a);
    } else if (a.openBucketMs >= from) {
      // Opened in the replayed range: the replay decides again (same id if it opens again).
      out.deleteIds.push(a.id);
    } else if (a.resolveBucketMs !== null && a.resolveBucketMs >= from) {
      // Resolved in the replayed range: active again until the replay resolves it.
      alerts.set(a.id, { ...a, state: 'active', resolvedMs: null, resolveBucketMs: null, resolvedBy: null });
    } else {
      alerts.set(a.id, a);
    }
  }
  const changed = new Set<string>();
  let st: SeriesState = { ...opts.prev };
  const dropIfManuallyResolved = () => {
    const a = st.alertId ? alerts.get(st.alertId) : undefined;
    if (st.alertId && (!a || a.state !== 'active')) {
      // Someone resolved it by hand (or it vanished): start counting afresh.
      st = { ...INITIAL_STATE };
    }
  };
  for (const row of opts.rows) {
    dropIfManuallyResolved();
    const thr = row.scoreThreshold;
    if (row.score >= thr) {
      st = { ...st, above: st.above + 1, below: 0 };
    } else if (row.score < thr * RESOLVE_FACTOR) {
      st = { ...st, below: st.below + 1, above: 0 };
    } else {
      st = { ...st, above: 0, below: 0 };
    }
    const end = row.bucketMs + bucketSizeMs;
    if (st.alertId === null && st.above >= k) {
      const id = alertIdFor(series, bucketSizeMs, row.bucketMs);
      const prior = alerts.get(id);
      if (prior && prior.resolvedBy === 'manual') {
        // Already opened and resolved by hand once for this very bucket: do not reopen it.
        st = { ...INITIAL_STATE };
      } else {
        alerts.set(id, {
          id,
          ...series,
          bucketSizeMs,
          state: 'active',
          openedMs: end,
          openBucketMs: row.bucketMs,
          resolvedMs: null,
          resolveBucketMs: null,
          resolvedBy: null,
          score: row.score,
          peakScore: row.score,
          threshold: thr,
          updatedMs: nowMs,
        });
        const del = out.deleteIds.indexOf(id);
        if (del >= 0) {
          out.deleteIds.splice(del, 1);
        }
        changed.add(id);
        st = { ...st, alertId: id };
      }
    } else if (st.alertId !== null) {
      const a = alerts.get(st.alertId)!;
      const next: AlertRow = { ...a, updatedMs: nowMs };
      if (st.below < k) {
        // The latest score while open (a resolved alert keeps its last open score).
        next.score = row.score;
        next.peakScore = Math.max(a.peakScore, row.score);
        next.threshold = thr;
      } else {
        next.state = 'resolved';
        next.resolvedMs = end;
        next.resolveBucketMs = row.bucketMs;
        next.resolvedBy = 'auto';
        st = { above: 0, below: 0, alertId: null };
      }
      alerts.set(a.id, next);
      changed.add(a.id);
    }
    out.rows.push({ ...row, hysAbove: st.above, hysBelow: st.below, alertId: st.alertId });
  }
  // Alerts reactivated above but neither continued nor resolved by the replay still changed.
  for (const a of opts.existing) {
    const now = alerts.get(a.id);
    if (now && (now.state !== a.state || now.resolvedMs !== a.resolvedMs)) {
      changed.add(a.id);
    }
  }
  out.upsert = [...changed].map((id) => alerts.get(id)!).filter((a) => !out.deleteIds.includes(a.id));
  return out;
}
