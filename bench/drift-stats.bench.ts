// Drift statistics throughput. Run from the repository root: npx tsx bench/drift-stats.bench.ts
// Writes bench/results/drift-stats.json.
// - tabular: full dataset drift report, 50 numeric + 10 categorical features, 100k reference and
//   100k current rows (Evidently's large-reference tests: normed Wasserstein, Jensen-Shannon),
//   plus the same report with every column forced to PSI, and a small-reference report (1000 vs
//   10000 rows: exact KS, chi-square, z-test) — targets <= 2 s;
// - embedding: 10k x 384 reference and current windows: distance between means, MMD (1000 rows
//   per window, 100 permutations) and the 5-fold domain classifier (5000 rows per window) —
//   target <= 2 s.
// Data generation is excluded from the timings. Each scenario runs 3 times; the median is kept.

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';

import {
  datasetDrift,
  domainClassifierTest,
  embeddingDrift,
  meanEmbeddingDistance,
  mmdTest,
  Rng,
  type ColumnInput,
  type EmbeddingMatrix,
} from '../ingest/src/drift/stats/index.js';

const rng = new Rng(20251);

function numericColumn(i: number, n: number, drifted: boolean): Float64Array {
  const out = new Float64Array(n);
  const shift = drifted ? 0.25 : 0;
  switch (i % 5) {
    case 0:
      for (let r = 0; r < n; r++) out[r] = 10 + 3 * (rng.normal() + shift);
      break;
    case 1:
      for (let r = 0; r < n; r++) out[r] = Math.exp(0.8 * rng.normal() + shift); // latency-like
      break;
    case 2:
      for (let r = 0; r < n; r++) out[r] = Math.round(50 * rng.uniform() + 10 * shift); // integer codes
      break;
    case 3:
      for (let r = 0; r < n; r++) out[r] = Math.floor(4 * rng.uniform() + shift); // 4-5 distinct values
      break;
    default:
      for (let r = 0; r < n; r++) out[r] = rng.uniform() < 0.02 ? NaN : rng.normal() * (1 + shift); // missing values
  }
  return out;
}

function categoricalColumn(i: number, n: number, drifted: boolean): (string | null)[] {
  const k = 3 + ((i * 7) % 40);
  const labels = Array.from({ length: k }, (_, j) => `cat_${i}_${j}`);
  // Zipf-like weights; drift moves mass to the tail.
  const w = labels.map((_, j) => 1 / (j + 1) ** (drifted ? 0.6 : 1));
  const total = w.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  let acc = 0;
  for (const v of w) cdf.push((acc += v / total));
  return Array.from({ length: n }, () => {
    const u = rng.uniform();
    let j = 0;
    while (j < k - 1 && u >= cdf[j]!) j++;
    return rng.uniform() < 0.01 ? null : labels[j]!;
  });
}

function tabular(nRef: number, nCur: number): ColumnInput[] {
  const cols: ColumnInput[] = [];
  for (let i = 0; i < 50; i++) {
    const drifted = i % 4 === 0;
    cols.push({
      name: `num_${i}`,
      kind: 'numeric',
      reference: numericColumn(i, nRef, false),
      current: numericColumn(i, nCur, drifted),
    });
  }
  for (let i = 0; i < 10; i++) {
    const drifted = i % 3 === 0;
    cols.push({
      name: `cat_${i}`,
      kind: 'categorical',
      reference: categoricalColumn(i, nRef, false),
      current: categoricalColumn(i, nCur, drifted),
    });
  }
  return cols;
}

function embeddings(rows: number, dim: number, shift: number): EmbeddingMatrix {
  const data = new Float32Array(rows * dim);
  // Unit-scale sentence-embedding-like vectors: small per-dimension spread, drift along 32 dims.
  for (let i = 0; i < data.length; i++) data[i] = 0.05 * rng.normal() + (i % dim < 32 ? shift : 0);
  return { data, rows, dim };
}

interface Timing {
  wallMs: number;
  cpuMs: number;
}
function time<T>(fn: () => T, runs = 3): { timing: Timing; result: T } {
  const samples: Timing[] = [];
  let result: T | undefined;
  for (let r = 0; r < runs; r++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    result = fn();
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    samples.push({ wallMs, cpuMs: (cpu.user + cpu.system) / 1000 });
  }
  samples.sort((a, b) => a.wallMs - b.wallMs);
  const m = samples[Math.floor(runs / 2)]!;
  return { timing: { wallMs: Math.round(m.wallMs), cpuMs: Math.round(m.cpuMs) }, result: result! };
}

const scenarios: Record<string, unknown> = {};
const print = (name: string, t: Timing, extra: string) =>
  console.log(
    `${name.padEnd(34)} wall ${String(t.wallMs).padStart(5)} ms  cpu ${String(t.cpuMs).padStart(5)} ms  ${extra}`
  );

// ---- tabular, large reference
{
  const cols = tabular(100_000, 100_000);
  const { timing, result } = time(() => datasetDrift(cols));
  const tests: Record<string, number> = {};
  for (const c of result.columns) tests[c.test] = (tests[c.test] ?? 0) + 1;
  print(
    'tabular 60 cols, 100k vs 100k',
    timing,
    `drifted ${result.driftedCount}/${result.evaluatedCount} ${JSON.stringify(tests)}`
  );
  scenarios.tabularDefault = {
    rowsReference: 100_000,
    rowsCurrent: 100_000,
    numeric: 50,
    categorical: 10,
    ...timing,
    tests,
    drifted: result.driftedCount,
    targetMs: 2000,
  };
  const psi = time(() => datasetDrift(cols, { test: 'psi', includeDistribution: true }));
  print('tabular all-PSI + distributions', psi.timing, `drifted ${psi.result.driftedCount}`);
  scenarios.tabularPsi = { ...psi.timing, drifted: psi.result.driftedCount, targetMs: 2000 };
}

// ---- tabular, small reference (hypothesis tests, exact KS)
{
  const cols = tabular(1000, 10_000);
  const { timing, result } = time(() => datasetDrift(cols, { correction: 'fdr_bh' }));
  const tests: Record<string, number> = {};
  for (const c of result.columns) tests[c.test] = (tests[c.test] ?? 0) + 1;
  print(
    'tabular 60 cols, 1k vs 10k (BH)',
    timing,
    `drifted ${result.driftedCount}/${result.evaluatedCount} ${JSON.stringify(tests)}`
  );
  scenarios.tabularSmallReference = {
    rowsReference: 1000,
    rowsCurrent: 10_000,
    ...timing,
    tests,
    drifted: result.driftedCount,
    targetMs: 2000,
  };
}

// ---- embeddings
{
  const ref = embeddings(10_000, 384, 0);
  const same = embeddings(10_000, 384, 0);
  const shifted = embeddings(10_000, 384, 0.01);
  const parts: Record<string, Timing> = {};
  parts.meanDistance = time(() => meanEmbeddingDistance(ref, shifted)).timing;
  parts.mmd = time(() => mmdTest(ref, shifted)).timing;
  parts.classifier = time(() => domainClassifierTest(ref, shifted)).timing;
  const full = time(() => embeddingDrift(ref, shifted));
  const nullRun = time(() => embeddingDrift(ref, same), 1);
  const r = full.result;
  print(
    'embedding report 10k x 384 (shift)',
    full.timing,
    `auc ${r.model!.statistic.toFixed(3)} mmd2 ${r.mmd!.statistic.toExponential(2)} p ${r.mmd!.pValue} dist ${r.distance.statistic.toFixed(3)} drift ${r.drift}`
  );
  const n = nullRun.result;
  print(
    'embedding report 10k x 384 (same)',
    nullRun.timing,
    `auc ${n.model!.statistic.toFixed(3)} mmd p ${n.mmd!.pValue} dist ${n.distance.statistic.toFixed(3)} drift ${n.drift}`
  );
  for (const [k, t] of Object.entries(parts)) print(`  part: ${k}`, t, '');
  scenarios.embedding = {
    rows: 10_000,
    dim: 384,
    ...full.timing,
    parts,
    shifted: {
      auc: r.model!.statistic,
      mmd2: r.mmd!.statistic,
      mmdP: r.mmd!.pValue,
      meanDistance: r.distance.statistic,
      drift: r.drift,
    },
    same: { auc: n.model!.statistic, mmdP: n.mmd!.pValue, meanDistance: n.distance.statistic, drift: n.drift },
    targetMs: 2000,
  };
}

const result = {
  benchmark: 'drift-stats',
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  loadAverage1m: Number(loadavg()[0]!.toFixed(2)),
  note: 'Single thread; median of 3 runs; wall and process CPU time (GC helper threads included). Data generation excluded.',
  scenarios,
};
const out = join(__dirname, 'results', 'drift-stats.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
console.log(`wrote ${out}`);
