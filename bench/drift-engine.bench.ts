// Drift engine benchmark: can continuous evaluation keep up with 1,000 inference records/s?
// Run from the repository root: npx tsx bench/drift-engine.bench.ts [--intake-seconds 10] [--rate 1000]
// Writes bench/results/drift-engine.json.
//
// The service runs in this process (real DuckDB files in a temp dir, real HTTP on loopback),
// so the load generator shares its 2 cores.
// 1. intake: 4 connections POST /api/v1/inferences back to back (500 records per request,
//    16 features incl. text, prediction + probability, label on a third), then the same with
//    64-dim embeddings; records/s acknowledged (durable) and request latency.
// 2. evaluation at scale: three hourly buckets of 3.6M records each (1,000/s) are generated
//    in SQL (plus 5,000 records with embeddings per hour via the intake path); one bucket is
//    evaluated for feature, prediction, embedding and concept drift against (a) a fixed
//    reference hour, first with a cold and then a warm reference cache, and (b) a rolling
//    reference read from per-bucket samples; then labels arrive for 10,000 stored records.
// 3. concurrent: one bucket is evaluated while records arrive at --rate per second (100 per
//    request every 100 ms); intake latency and achieved rate during the evaluation.

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

import { Rng } from '../ingest/src/drift/stats/index.js';
import { generateRecords } from '../ingest/src/drift/testdata.js';
import { auth, startTestService } from '../ingest/src/testing/service.js';

const ROOT = join(__dirname, '..');
const H = 3_600_000;
const PER_HOUR = 3_600_000; // 1,000 records/s

const args = parseArgs({
  options: {
    'intake-seconds': { type: 'string', default: '10' },
    rate: { type: 'string', default: '1000' },
    'rows-per-hour': { type: 'string', default: String(PER_HOUR) },
  },
});
const INTAKE_S = Number(args.values['intake-seconds']);
const RATE = Number(args.values.rate);
const ROWS = Number(args.values['rows-per-hour']);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Number(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!.toFixed(1)) : 0;
}

async function main(): Promise<void> {
  const base = Math.floor(Date.now() / H) * H - 4 * H;
  const svc = await startTestService({}, { drift: { intervalMs: 0, graceMs: 0 } });
  const url = `${svc.apiUrl}/api/v1/inferences`;
  const headers = { ...auth(), 'content-type': 'application/json' };
  const rng = new Rng(4242);
  const result: Record<string, unknown> = {
    benchmark: 'drift-engine',
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? '',
    cores: cpus().length,
    loadAverage1m: Number(loadavg()[0]!.toFixed(1)),
    note: 'Service and load generator in one process on the same cores; DuckDB memory capped at the service default (256 MB); hourly buckets (PYFLARE_DRIFT_BUCKET default); sample caps 5000 rows (univariate), 1000 (embeddings).',
  };

  try {
    // ---- 1. intake ----------------------------------------------------------------------------
    const intake = async (embeddingDim: number | undefined, label: string) => {
      const bodies: string[] = [];
      for (let b = 0; b < 40; b++) {
        const g = generateRecords({
          rng,
          modelId: `intake-${label}`,
          startMs: base + b * 1000,
          spanMs: 1000,
          n: 500,
          shifted: false,
          embeddingDim,
          idPrefix: `${label}-${b}`,
        });
        bodies.push(
          JSON.stringify(
            g.records.map((r, i) => ({ ...r, id: undefined, ...(i % 3 === 0 ? { label: g.labels[i]!.label } : {}) }))
          )
        );
      }
      const lat: number[] = [];
      let accepted = 0;
      let k = 0;
      const t0 = performance.now();
      const end = t0 + INTAKE_S * 1000;
      await Promise.all(
        [0, 1, 2, 3].map(async () => {
          while (performance.now() < end) {
            const body = bodies[k++ % bodies.length]!;
            const s = performance.now();
            const res = await fetch(url, { method: 'POST', headers, body });
            const j = (await res.json()) as { accepted: number };
            lat.push(performance.now() - s);
            if (res.status !== 200) throw new Error(`intake answered ${res.status}`);
            accepted += j.accepted;
          }
        })
      );
      const s = (performance.now() - t0) / 1000;
      return {
        recordsPerSecond: Math.round(accepted / s),
        records: accepted,
        seconds: Number(s.toFixed(1)),
        requestRecords: 500,
        bytesPerRequest: bodies[0]!.length,
        latencyMs: { p50: pct(lat, 50), p99: pct(lat, 99), max: pct(lat, 100) },
      };
    };
    result.intake = { tabular: await intake(undefined, 'tab'), embeddings64: await intake(64, 'emb') };
    console.log('intake', JSON.stringify(result.intake));

    // ---- 2. evaluation at scale ---------------------------------------------------------------
    const conn = await svc.service.storage.connect();
    await conn.run('USE pyflare_drift');
    const gen = async (hour: number, shifted: boolean) => {
      const start = base + hour * H;
      const shift = shifted ? 0.5 : 0;
      const normal = `sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())`;
      const cats = shifted
        ? `['a','b','c','d','d','d'][1 + floor(random() * 6)::INT]`
        : `['a','a','b','c','d'][1 + floor(random() * 5)::INT]`;
      // The shift moves 6 of 10 numeric features, 2 of 4 categorical ones and the flag: 9 of 16.
      const nums = Array.from(
        { length: 10 },
        (_, f) => `'f${f}', round(${f} + ${f < 6 ? shift : 0} + ${normal}, 3)`
      ).join(', ');
      const catCols = Array.from(
        { length: 4 },
        (_, c) => `'c${c}', ${c < 2 ? cats : `['x','y','z'][1 + floor(random() * 3)::INT]`}`
      ).join(', ');
      // In chunks: the service caps DuckDB's memory (PYFLARE_DUCKDB_MEMORY_LIMIT).
      for (let lo = 0; lo < ROWS; lo += 200_000) {
        await conn.run(`
        INSERT INTO inferences
        SELECT 'h${hour}-' || i, 'bench', 'v1', ${start} + i * ${H} // ${ROWS},
          json_object(${nums}, ${catCols}, 'flag', random() < ${shifted ? 0.5 : 0.3}, 'note', repeat('word ', 3 + floor(random() * 8)::INT)),
          p, NULL, prob, CASE WHEN random() < 0.3 THEN CASE WHEN random() < ${shifted ? 0.6 : 0.9} THEN p ELSE 'other' END END, NULL, NULL, NULL,
          'api', NULL, NULL, ${start}
        FROM (SELECT i, CASE WHEN random() < ${shifted ? 0.45 : 0.3} THEN 'fraud' ELSE 'ok' END AS p, random() AS prob
              FROM range(${lo}, ${Math.min(ROWS, lo + 200_000)}) t(i))`);
        // Appended rows stay in memory until a checkpoint writes them to the file.
        if (lo % 1_000_000 === 800_000) await conn.run('CHECKPOINT pyflare_drift');
      }
      // Records with embeddings go through the normal intake path.
      const g = generateRecords({
        rng,
        modelId: 'bench',
        startMs: start,
        spanMs: H,
        n: 5000,
        shifted,
        embeddingDim: 64,
        idPrefix: `emb-h${hour}`,
      });
      await svc.service.drift.ingest(
        g.records.map((r) => ({
          id: r.id,
          modelId: 'bench',
          modelVersion: 'v1',
          tsMs: r.timestamp,
          features: JSON.stringify(r.features),
          predClass: r.prediction.class,
          predValue: null,
          predProb: r.prediction.probability,
          labelClass: null,
          labelValue: null,
          embedding: r.embedding ?? null,
          source: 'api' as const,
          traceId: null,
          spanId: null,
        }))
      );
    };
    const tg = performance.now();
    await gen(0, false);
    await gen(1, false);
    await gen(2, true);
    await conn.run('CHECKPOINT pyflare_drift');
    const genS = (performance.now() - tg) / 1000;
    conn.closeSync();
    console.log(`generated 3 x ${ROWS} records in ${genS.toFixed(1)} s`);

    const engine = svc.service.drift.engine;
    const store = svc.service.drift.store;
    const cfg = (await store.modelConfig('bench')).config;
    const forget = async (hour: number) => {
      // Forget a bucket's sample and quality counts, as if it had never been evaluated.
      const c = await svc.service.storage.connect();
      await c.run('USE pyflare_drift');
      for (const t of ['drift_samples', 'drift_embedding_samples', 'drift_sampled', 'drift_bucket_stats'])
        await c.run(`DELETE FROM ${t} WHERE bucket_ms = ${base + hour * H}`);
      c.closeSync();
    };
    const evalBucket = async (hour: number) => {
      const started = Date.now();
      const t = performance.now();
      const n = await engine.evaluateInference('bench', base + hour * H, [
        'feature',
        'prediction',
        'embedding',
        'concept',
      ]);
      const ms = Math.round(performance.now() - t);
      const rows = await store.results({
        modelId: 'bench',
        bucketSizeMs: H,
        fromMs: base + hour * H,
        toMs: base + hour * H,
        feature: null,
      });
      const fresh = rows.filter((r) => r.computedMs >= started);
      return {
        ms,
        driftTypes: n,
        drift: Object.fromEntries(
          fresh.map((r) => [
            r.driftType,
            { drift: r.drift, score: Number(r.score.toFixed(3)), threshold: r.scoreThreshold },
          ])
        ),
      };
    };
    await store.putModelConfig('bench', { ...cfg, reference: { type: 'fixed', from: base, to: base + H } }, Date.now());
    const cold = await evalBucket(1);
    const warm = await evalBucket(2);
    await store.putModelConfig('bench', { ...cfg, reference: { type: 'rolling', days: 1 } }, Date.now());
    await forget(2);
    const rollingFirst = await evalBucket(2);
    await forget(2);
    const rollingSteady = await evalBucket(2);
    result.evaluation = {
      recordsPerBucket: ROWS + 5000,
      bucketMs: H,
      generationSeconds: Number(genS.toFixed(1)),
      fixedReferenceCold: cold,
      fixedReferenceWarm: warm,
      rollingReferenceFirst: rollingFirst,
      rollingReferenceSteady: rollingSteady,
    };
    console.log('evaluation', JSON.stringify(result.evaluation));

    // ---- labels arriving later: 10 requests of 1000 labels for records of hour 1 -----------------
    const labelLat: number[] = [];
    const tl = performance.now();
    for (let k = 0; k < 10; k++) {
      const body = JSON.stringify(
        Array.from({ length: 1000 }, (_, i) => ({ id: `h1-${((k * 1000 + i) * 337) % ROWS}`, label: 'ok' }))
      );
      const s = performance.now();
      const res = await fetch(`${url}/labels`, { method: 'POST', headers, body });
      const j = (await res.json()) as { accepted: number };
      if (res.status !== 200 || j.accepted !== 1000)
        throw new Error(`labels answered ${res.status} ${JSON.stringify(j).slice(0, 200)}`);
      labelLat.push(performance.now() - s);
    }
    result.labels = {
      tableRows: 3 * (ROWS + 5000) + 0,
      labelsPerSecond: Math.round(10_000 / ((performance.now() - tl) / 1000)),
      requestLabels: 1000,
      latencyMs: { p50: pct(labelLat, 50), max: pct(labelLat, 100) },
    };
    console.log('labels', JSON.stringify(result.labels));

    // ---- 3. evaluation while records arrive ---------------------------------------------------
    await store.putModelConfig('bench', { ...cfg, reference: { type: 'fixed', from: base, to: base + H } }, Date.now());
    await forget(2);
    const perReq = Math.max(1, Math.round(RATE / 10));
    const lat: number[] = [];
    let sent = 0;
    let stop = false;
    const live = (async () => {
      let i = 0;
      const t0 = performance.now();
      const inflight: Promise<void>[] = [];
      while (!stop) {
        const due = t0 + i * 100;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const g = generateRecords({
          rng,
          modelId: 'live',
          startMs: Date.now() - 1000,
          spanMs: 1000,
          n: perReq,
          shifted: false,
          idPrefix: `live-${i}`,
        });
        const body = JSON.stringify(g.records);
        const sched = due;
        inflight.push(
          fetch(url, { method: 'POST', headers, body }).then(async (res) => {
            await res.arrayBuffer();
            if (res.status === 200) {
              lat.push(performance.now() - sched);
              sent += perReq;
            }
          })
        );
        i++;
      }
      await Promise.all(inflight);
      return (performance.now() - t0) / 1000;
    })();
    await new Promise((r) => setTimeout(r, 1000));
    const during = await evalBucket(2);
    await new Promise((r) => setTimeout(r, 1000));
    stop = true;
    const liveS = await live;
    result.concurrent = {
      targetRate: RATE,
      achievedRate: Math.round(sent / liveS),
      seconds: Number(liveS.toFixed(1)),
      evaluationMs: during.ms,
      // From each request's scheduled send time (no coordinated omission).
      intakeLatencyMs: { p50: pct(lat, 50), p99: pct(lat, 99), max: pct(lat, 100) },
    };
    console.log('concurrent', JSON.stringify(result.concurrent));

    const tab = (result.intake as { tabular: { recordsPerSecond: number } }).tabular.recordsPerSecond;
    const worst = Math.max(cold.ms, warm.ms, rollingFirst.ms, rollingSteady.ms);
    result.verdict = {
      ingestTarget: 1000,
      intakeHeadroom: Number((tab / 1000).toFixed(1)),
      worstBucketEvaluationMs: worst,
      evaluationShareOfBucket: Number((worst / H).toExponential(2)),
      keepsUp: tab >= 1000 && worst < H && (result.concurrent as { achievedRate: number }).achievedRate >= RATE * 0.95,
    };
    console.log('verdict', JSON.stringify(result.verdict));
  } finally {
    await svc.stop();
  }
  const out = join(ROOT, 'bench/results/drift-engine.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
