// Drift of one window against its reference, per drift type, from samples already in memory.
// Pure: the statistics come from ./stats; this module picks columns and their kinds, maps
// every result to a score where 0 means "no drift" and `scoreThreshold` the drift boundary,
// and shapes distributions for the distribution view.
//
// Scores: distance tests (Wasserstein, Jensen-Shannon, PSI, Hellinger) -> the distance, with
// the test's threshold; p-value tests (KS, chi-square, z) -> 1 - p (after correction), with
// 1 - alpha; dataset drift -> share of drifted columns, with the drift share; embedding
// classifier -> 2 (AUC - 0.5) (Gini), with 2 (threshold - 0.5); concept -> relative quality
// drop, with the configured threshold. So "score >= threshold" is always the drift rule and
// "score < 0.8 x threshold" always means clearly back to normal (alert hysteresis).
import type { FeatureType, ModelConfig } from './config.js';
import type { FeatureValue } from './records.js';
import {
  columnDrift,
  datasetDrift,
  embeddingDrift,
  P_VALUE_TESTS,
  type ColumnDistribution,
  type ColumnDriftResult,
  type ColumnInput,
  type DatasetDriftResult,
  type EmbeddingDriftOptions,
  type StatTestName,
} from './stats/index.js';
import type { DriftPart } from './storage.js';
import type { LlmSampleRow, QualityStats, SampleRow } from './store.js';

export const DRIFT_TYPES_STORED = ['feature', 'prediction', 'embedding', 'concept', 'llm'] as const;
export type StoredDriftType = (typeof DRIFT_TYPES_STORED)[number];

export interface DistributionBin {
  bin: string;
  lower: number | null;
  upper: number | null;
  reference: number;
  current: number;
}

export type { DriftPart } from './storage.js';

export interface DriftOutcome {
  parts: DriftPart[];
  /** Why nothing was computed (too few rows, no such data). */
  skipped?: string;
}

const MAX_COLUMNS = 300;
const MAX_BINS = 50;

export function scoreOf(r: {
  test: StatTestName;
  statistic: number;
  pValue?: number;
  adjustedPValue?: number;
  threshold: number;
}): {
  score: number;
  scoreThreshold: number;
} {
  if (P_VALUE_TESTS.has(r.test)) {
    const p = r.adjustedPValue ?? r.pValue ?? 1;
    return { score: 1 - p, scoreThreshold: Number((1 - r.threshold).toFixed(12)) };
  }
  return { score: Number.isFinite(r.statistic) ? r.statistic : 0, scoreThreshold: r.threshold };
}

/** Bins for the distribution view; many categories are folded into "(other)". */
export function distributionBins(
  d: ColumnDistribution | undefined,
  kind: 'numeric' | 'categorical'
): DistributionBin[] {
  if (!d) {
    return [];
  }
  const bins: DistributionBin[] = [];
  if (d.edges) {
    for (let i = 0; i + 1 < d.edges.length; i++) {
      const lo = d.edges[i]!;
      const hi = d.edges[i + 1]!;
      bins.push({
        bin: `[${fmt(lo)}, ${fmt(hi)}${i + 2 === d.edges.length ? ']' : ')'}`,
        lower: lo,
        upper: hi,
        reference: d.reference[i] ?? 0,
        current: d.current[i] ?? 0,
      });
    }
    return bins;
  }
  (d.values ?? []).forEach((v, i) => {
    const n = typeof v === 'number' && kind === 'numeric' ? v : null;
    bins.push({ bin: String(v), lower: n, upper: n, reference: d.reference[i] ?? 0, current: d.current[i] ?? 0 });
  });
  if (bins.length <= MAX_BINS) {
    return bins;
  }
  const sorted = [...bins].sort((a, b) => b.reference + b.current - (a.reference + a.current));
  const keep = sorted.slice(0, MAX_BINS - 1);
  const rest = sorted.slice(MAX_BINS - 1);
  keep.push({
    bin: '(other)',
    lower: null,
    upper: null,
    reference: rest.reduce((s, b) => s + b.reference, 0),
    current: rest.reduce((s, b) => s + b.current, 0),
  });
  return keep;
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : Number(x.toPrecision(6)).toString();
}

function partOf(r: ColumnDriftResult, extra: Record<string, unknown> = {}): DriftPart {
  const s = scoreOf(r);
  return {
    feature: r.column,
    test: r.test,
    statistic: Number.isFinite(r.statistic) ? r.statistic : null,
    pValue: r.adjustedPValue ?? r.pValue ?? null,
    threshold: r.threshold,
    score: s.score,
    scoreThreshold: s.scoreThreshold,
    drift: r.drift,
    referenceCount: r.referenceCount,
    currentCount: r.currentCount,
    details: {
      kind: r.kind,
      autoSelected: r.autoSelected,
      distinct: r.distinct,
      ...(r.adjustedPValue !== undefined && r.adjustedPValue !== r.pValue ? { rawPValue: r.pValue } : {}),
      distribution: distributionBins(r.distribution, r.kind),
      ...extra,
    },
  };
}

function datasetPart(
  d: DatasetDriftResult,
  refCount: number,
  curCount: number,
  details: Record<string, unknown> = {}
): DriftPart {
  return {
    feature: '',
    test: 'drift_share',
    statistic: d.driftedShare,
    pValue: null,
    threshold: d.driftShare,
    score: d.driftedShare,
    scoreThreshold: d.driftShare,
    drift: d.datasetDrift,
    referenceCount: refCount,
    currentCount: curCount,
    details: {
      evaluated: d.evaluatedCount,
      drifted: d.driftedCount,
      driftedColumns: d.columns.filter((c) => c.drift).map((c) => c.column),
      skippedColumns: d.columns.filter((c) => c.skipped).map((c) => ({ column: c.column, reason: c.skipped })),
      correction: d.correction,
      ...details,
    },
  };
}

/** Kind of each feature over both windows; an override wins. */
export function featureKinds(
  ref: readonly SampleRow[],
  cur: readonly SampleRow[],
  overrides: Readonly<Record<string, { type?: FeatureType }>>
): Map<string, FeatureType> {
  const stats = new Map<
    string,
    { num: number; bool: number; str: number; maxLen: number; lenSum: number; distinct: Set<string> }
  >();
  for (const rows of [ref, cur]) {
    for (const r of rows) {
      for (const [k, v] of Object.entries(r.features)) {
        if (v === null || v === undefined) {
          continue;
        }
        let s = stats.get(k);
        if (!s) {
          if (stats.size >= MAX_COLUMNS * 2) {
            continue;
          }
          s = { num: 0, bool: 0, str: 0, maxLen: 0, lenSum: 0, distinct: new Set() };
          stats.set(k, s);
        }
        if (typeof v === 'number') {
          s.num++;
        } else if (typeof v === 'boolean') {
          s.bool++;
        } else {
          s.str++;
          s.maxLen = Math.max(s.maxLen, v.length);
          s.lenSum += v.length;
          if (s.distinct.size < 10_000) {
            s.distinct.add(v);
          }
        }
      }
    }
  }
  const kinds = new Map<string, FeatureType>();
  for (const name of [...stats.keys()].sort().slice(0, MAX_COLUMNS)) {
    const s = stats.get(name)!;
    const own = overrides[name]?.type;
    if (own) {
      kinds.set(name, own);
    } else if (s.str === 0 && s.bool === 0) {
      kinds.set(name, 'numeric');
    } else if (s.str === 0 && s.num === 0) {
      kinds.set(name, 'boolean');
    } else if (s.str > 0 && (s.maxLen > 200 || (s.lenSum / s.str > 40 && s.distinct.size > 0.5 * s.str))) {
      // Long, mostly unique strings are free text, not categories.
      kinds.set(name, 'text');
    } else {
      kinds.set(name, 'categorical');
    }
  }
  return kinds;
}

function textLength(v: FeatureValue | undefined): number {
  return typeof v === 'string' ? v.length : v === null || v === undefined ? NaN : String(v).length;
}
function toNumber(v: FeatureValue | undefined): number {
  if (typeof v === 'number') {
    return v;
  }
  if (typeof v === 'boolean') {
    return v ? 1 : 0;
  }
  if (typeof v === 'string' && v.trim() !== '') {
    return Number(v);
  }
  return NaN;
}
function toCategory(v: FeatureValue | undefined): string | null {
  return v === null || v === undefined ? null : String(v);
}

/** Column inputs for the statistics; text becomes its length in characters. */
export function featureColumns(
  ref: readonly SampleRow[],
  cur: readonly SampleRow[],
  kinds: ReadonlyMap<string, FeatureType>
): ColumnInput[] {
  const cols: ColumnInput[] = [];
  for (const [name, kind] of kinds) {
    if (kind === 'numeric' || kind === 'text') {
      const f = kind === 'text' ? textLength : toNumber;
      cols.push({
        name,
        kind: 'numeric',
        reference: Float64Array.from(ref, (r) => f(r.features[name])),
        current: Float64Array.from(cur, (r) => f(r.features[name])),
      });
    } else {
      cols.push({
        name,
        kind: 'categorical',
        reference: ref.map((r) => toCategory(r.features[name])),
        current: cur.map((r) => toCategory(r.features[name])),
      });
    }
  }
  return cols;
}

function columnOverrides(
  cfg: Record<string, { test?: StatTestName; threshold?: number; type?: FeatureType }>
): Record<string, { test?: StatTestName; threshold?: number }> {
  const out: Record<string, { test?: StatTestName; threshold?: number }> = {};
  for (const [k, v] of Object.entries(cfg)) {
    const o: { test?: StatTestName; threshold?: number } = {};
    if (v.test) {
      o.test = v.test;
    }
    if (v.threshold) {
      o.threshold = v.threshold;
    }
    out[k] = o;
  }
  return out;
}

export function featureDrift(
  ref: readonly SampleRow[],
  cur: readonly SampleRow[],
  cfg: ModelConfig,
  minRows: number
): DriftOutcome {
  if (ref.length < minRows || cur.length < minRows) {
    return { parts: [], skipped: `too few rows (reference ${ref.length}, current ${cur.length}, need ${minRows})` };
  }
  const kinds = featureKinds(ref, cur, cfg.features);
  if (kinds.size === 0) {
    return { parts: [], skipped: 'no features' };
  }
  const d = datasetDrift(featureColumns(ref, cur, kinds), {
    driftShare: cfg.driftShare,
    correction: cfg.correction,
    ...(cfg.test ? { test: cfg.test } : {}),
    ...(cfg.threshold ? { threshold: cfg.threshold } : {}),
    columns: columnOverrides(cfg.features),
    includeDistribution: true,
  });
  if (d.evaluatedCount === 0) {
    return { parts: [], skipped: 'no feature could be tested' };
  }
  const parts = [datasetPart(d, ref.length, cur.length)];
  for (const c of d.columns) {
    if (!c.skipped) {
      parts.push(
        partOf(c, {
          featureType: kinds.get(c.column),
          ...(kinds.get(c.column) === 'text' ? { transform: 'length' } : {}),
        })
      );
    }
  }
  return { parts };
}

/** Prediction drift: the same tests on the predicted class or value, and on the probability. */
export function predictionDrift(
  ref: readonly SampleRow[],
  cur: readonly SampleRow[],
  cfg: ModelConfig,
  minRows: number
): DriftOutcome {
  const classRows = (rows: readonly SampleRow[]) => rows.filter((r) => r.predClass !== null).length;
  const useClass = classRows(ref) + classRows(cur) >= (ref.length + cur.length) / 2;
  const pred: ColumnInput = useClass
    ? {
        name: 'prediction',
        kind: 'categorical',
        reference: ref.map((r) => r.predClass),
        current: cur.map((r) => r.predClass),
      }
    : {
        name: 'prediction',
        kind: 'numeric',
        reference: Float64Array.from(ref, (r) => r.predValue ?? NaN),
        current: Float64Array.from(cur, (r) => r.predValue ?? NaN),
      };
  const cols: ColumnInput[] = [pred];
  if (ref.some((r) => r.predProb !== null) && cur.some((r) => r.predProb !== null)) {
    cols.push({
      name: 'probability',
      kind: 'numeric',
      reference: Float64Array.from(ref, (r) => r.predProb ?? NaN),
      current: Float64Array.from(cur, (r) => r.predProb ?? NaN),
    });
  }
  const opts = {
    ...(cfg.prediction.test ? { test: cfg.prediction.test } : {}),
    ...(cfg.prediction.threshold ? { threshold: cfg.prediction.threshold } : {}),
    includeDistribution: true,
  };
  const results = cols
    .map((c) => columnDrift(c, opts))
    .filter((r) => !r.skipped && r.referenceCount >= minRows && r.currentCount >= minRows);
  if (results.length === 0) {
    return { parts: [], skipped: 'too few predictions' };
  }
  const parts = results.map((r) => partOf(r));
  // The overall prediction score: the column furthest past (or nearest to) its threshold.
  const top = [...parts].sort((a, b) => b.score / b.scoreThreshold - a.score / a.scoreThreshold)[0]!;
  parts.unshift({
    ...top,
    feature: '',
    details: { ...top.details, column: top.feature, drifted: parts.filter((p) => p.drift).map((p) => p.feature) },
  });
  return { parts };
}

/** Rows x dim matrix of the embeddings with the most common dimension. */
export function toMatrix(vs: readonly Float32Array[]): { data: Float32Array; rows: number; dim: number } | null {
  if (vs.length === 0) {
    return null;
  }
  const counts = new Map<number, number>();
  for (const v of vs) {
    counts.set(v.length, (counts.get(v.length) ?? 0) + 1);
  }
  const dim = [...counts.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]![0];
  const rows = vs.filter((v) => v.length === dim);
  const data = new Float32Array(rows.length * dim);
  rows.forEach((v, i) => data.set(v, i * dim));
  return { data, rows: rows.length, dim };
}

export function embeddingDriftOf(
  ref: readonly Float32Array[],
  cur: readonly Float32Array[],
  cfg: ModelConfig,
  opts: { minRows: number; maxRows: number; seed: number }
): DriftOutcome {
  const R = toMatrix(ref);
  const C = toMatrix(cur);
  if (!R || !C || R.rows < opts.minRows || C.rows < opts.minRows) {
    return { parts: [], skipped: 'too few embeddings' };
  }
  if (R.dim !== C.dim) {
    return { parts: [], skipped: `embedding dimensions differ (reference ${R.dim}, current ${C.dim})` };
  }
  const method = cfg.embedding.method;
  const t = cfg.embedding.threshold;
  const o: EmbeddingDriftOptions = {
    seed: opts.seed,
    method,
    mmd:
      method === 'mmd'
        ? { maxSamples: Math.min(1000, opts.maxRows), permutations: 100, ...(t ? { alpha: Math.min(t, 0.99) } : {}) }
        : false,
    model:
      method === 'model' ? { maxSamples: opts.maxRows * 2, ...(t ? { threshold: Math.min(t, 0.99) } : {}) } : false,
    distance: { metric: 'euclidean', threshold: method === 'distance' && t ? t : 0.2 },
  };
  const r = embeddingDrift(R, C, o);
  const d = r.decision;
  let score: number;
  let scoreThreshold: number;
  if (d.test === 'model') {
    score = Math.max(0, 2 * (d.statistic - 0.5));
    scoreThreshold = Number((2 * (d.threshold - 0.5)).toFixed(12));
  } else if (d.test === 'mmd' && d.pValue !== undefined) {
    score = 1 - d.pValue;
    scoreThreshold = Number((1 - d.threshold).toFixed(12));
  } else {
    score = d.statistic;
    scoreThreshold = d.threshold;
  }
  return {
    parts: [
      {
        feature: '',
        test: d.test === 'model' ? 'domain_classifier_auc' : d.test === 'mmd' ? 'mmd' : 'mean_euclidean_distance',
        statistic: d.statistic,
        pValue: d.pValue ?? null,
        threshold: d.threshold,
        score,
        scoreThreshold,
        drift: d.drift,
        referenceCount: R.rows,
        currentCount: C.rows,
        details: { dim: R.dim, method, meanDistance: r.distance.statistic },
      },
    ],
  };
}

// ---- concept drift ---------------------------------------------------------------------------

export interface Quality {
  n: number;
  accuracy?: number;
  f1?: number;
  rmse?: number;
  mae?: number;
}

export function emptyStats(): QualityStats {
  return { n: 0, confusion: [], reg: { n: 0, sse: 0, sae: 0 } };
}

export function mergeStats(all: Iterable<QualityStats>): QualityStats {
  const conf = new Map<string, [string, string, number]>();
  const out = emptyStats();
  for (const s of all) {
    out.n += s.n;
    out.reg.n += s.reg.n;
    out.reg.sse += s.reg.sse;
    out.reg.sae += s.reg.sae;
    for (const [p, a, n] of s.confusion) {
      const k = JSON.stringify([p, a]);
      const e = conf.get(k);
      if (e) {
        e[2] += n;
      } else {
        conf.set(k, [p, a, n]);
      }
    }
  }
  out.confusion = [...conf.values()];
  return out;
}

/** Accuracy and macro F1 (classes of labels and predictions, as scikit-learn), RMSE and MAE. */
export function qualityOf(s: QualityStats): Quality {
  const q: Quality = { n: s.n };
  const classN = s.confusion.reduce((t, c) => t + c[2], 0);
  if (classN > 0) {
    let correct = 0;
    const tp = new Map<string, number>();
    const fp = new Map<string, number>();
    const fn = new Map<string, number>();
    const add = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);
    for (const [p, a, n] of s.confusion) {
      if (p === a) {
        correct += n;
        add(tp, p, n);
      } else {
        add(fp, p, n);
        add(fn, a, n);
      }
    }
    const classes = new Set([...tp.keys(), ...fp.keys(), ...fn.keys()]);
    let f1 = 0;
    for (const c of classes) {
      const t = tp.get(c) ?? 0;
      const d = 2 * t + (fp.get(c) ?? 0) + (fn.get(c) ?? 0);
      f1 += d > 0 ? (2 * t) / d : 0;
    }
    q.accuracy = correct / classN;
    q.f1 = classes.size ? f1 / classes.size : 0;
  }
  if (s.reg.n > 0) {
    q.rmse = Math.sqrt(s.reg.sse / s.reg.n);
    q.mae = s.reg.sae / s.reg.n;
  }
  return q;
}

/** Concept drift: relative quality loss of the current window against the reference. */
export function conceptDrift(ref: QualityStats, cur: QualityStats, cfg: ModelConfig, minRows: number): DriftOutcome {
  if (ref.n < minRows || cur.n < minRows) {
    return { parts: [], skipped: `too few labelled records (reference ${ref.n}, current ${cur.n}, need ${minRows})` };
  }
  const r = qualityOf(ref);
  const c = qualityOf(cur);
  const threshold = cfg.concept.threshold;
  const parts: DriftPart[] = [];
  const metric = (name: 'accuracy' | 'f1' | 'rmse' | 'mae', higherIsBetter: boolean) => {
    const rv = r[name];
    const cv = c[name];
    if (rv === undefined || cv === undefined) {
      return;
    }
    const base = Math.max(Math.abs(rv), 1e-9);
    const score = Math.min(100, Math.max(0, (higherIsBetter ? rv - cv : cv - rv) / base));
    parts.push({
      feature: name,
      test: higherIsBetter ? 'relative_drop' : 'relative_rise',
      statistic: cv,
      pValue: null,
      threshold,
      score,
      scoreThreshold: threshold,
      drift: score >= threshold,
      referenceCount: ref.n,
      currentCount: cur.n,
      details: { reference: rv, current: cv },
    });
  };
  metric('accuracy', true);
  metric('f1', true);
  metric('rmse', false);
  metric('mae', false);
  if (parts.length === 0) {
    return { parts: [], skipped: 'predictions and labels do not match in kind' };
  }
  const top = [...parts].sort((a, b) => b.score - a.score)[0]!;
  parts.unshift({ ...top, feature: '', details: { metric: top.feature, reference: r, current: c } });
  return { parts };
}

// ---- LLM behaviour drift ---------------------------------------------------------------------

export const LLM_METRICS = [
  'input_tokens',
  'output_tokens',
  'latency_ms',
  'cost_usd',
  'error',
  'finish_reason',
  'tool_call',
] as const;

function mean(xs: ReadonlyArray<number | null>): number | null {
  let s = 0;
  let n = 0;
  for (const x of xs) {
    if (x !== null && Number.isFinite(x)) {
      s += x;
      n++;
    }
  }
  return n ? s / n : null;
}

function llmSummary(rows: readonly LlmSampleRow[]): Record<string, number | null> {
  return {
    calls: rows.length,
    inputTokens: mean(rows.map((r) => r.inputTokens)),
    outputTokens: mean(rows.map((r) => r.outputTokens)),
    latencyMs: mean(rows.map((r) => r.latencyMs)),
    costUsd: mean(rows.map((r) => r.costUsd)),
    errorRate: mean(rows.map((r) => (r.error ? 1 : 0))),
    toolCallRate: mean(rows.map((r) => (r.toolCall ? 1 : 0))),
  };
}

/** Drift of LLM call behaviour (tokens, latency, cost, errors, finish reasons, tool calls). */
export function llmDrift(
  ref: readonly LlmSampleRow[],
  cur: readonly LlmSampleRow[],
  cfg: ModelConfig,
  minRows: number
): DriftOutcome {
  if (ref.length < minRows || cur.length < minRows) {
    return {
      parts: [],
      skipped: `too few LLM calls (reference ${ref.length}, current ${cur.length}, need ${minRows})`,
    };
  }
  const numCol = (name: string, f: (r: LlmSampleRow) => number | null): ColumnInput => ({
    name,
    kind: 'numeric',
    reference: Float64Array.from(ref, (r) => f(r) ?? NaN),
    current: Float64Array.from(cur, (r) => f(r) ?? NaN),
  });
  const catCol = (name: string, f: (r: LlmSampleRow) => string): ColumnInput => ({
    name,
    kind: 'categorical',
    reference: ref.map(f),
    current: cur.map(f),
  });
  const cols: ColumnInput[] = [
    numCol('input_tokens', (r) => r.inputTokens),
    numCol('output_tokens', (r) => r.outputTokens),
    numCol('latency_ms', (r) => r.latencyMs),
    numCol('cost_usd', (r) => r.costUsd),
    catCol('error', (r) => String(r.error)),
    catCol('finish_reason', (r) => r.finishReason),
    catCol('tool_call', (r) => String(r.toolCall)),
  ];
  const d = datasetDrift(cols, { driftShare: cfg.llm.driftShare, columns: cfg.llm.metrics, includeDistribution: true });
  if (d.evaluatedCount === 0) {
    return { parts: [], skipped: 'no LLM metric could be tested' };
  }
  const parts = [datasetPart(d, ref.length, cur.length, { reference: llmSummary(ref), current: llmSummary(cur) })];
  for (const c of d.columns) {
    if (!c.skipped) {
      parts.push(partOf(c));
    }
  }
  return { parts };
}
