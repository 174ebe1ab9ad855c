// End-to-end ingest benchmark: the built service (node ingest/dist/server.js) in its own
// process; this process is the load generator, replaying pre-encoded OTLP/protobuf batches of
// 512 realistic LLM spans (bench/ingest-payloads.ts, ~1 MB each) over keep-alive HTTP on
// loopback. Run from the repository root: npx tsx bench/ingest.bench.ts
//   [--no-build] [--profile] [--duration S] [--connections N] [--rate SPANS_PER_S] [--out FILE]
//   [--spans-per-batch N] (default 512; smaller requests exercise the intake's small-request path)
// Service settings come from the environment (e.g. PYFLARE_REDACTION=true PYFLARE_REDACTION_KEY=...).
// Writes bench/results/ingest.json (bench/results/ingest-profile.json with --profile).
// BENCH_KEEP_PROFILE=FILE keeps the .cpuprofile of a --profile run (open it in Chrome DevTools).
//
// 1. throughput: N connections send back to back (429/503 honoured via Retry-After) for a
//    warm-up and a measured window; then the backlog drains. Sustained rate = spans acknowledged
//    in the window / (window + time until DuckDB holds every acknowledged span).
// 2. latency: open loop at a fixed rate (default half the sustained rate); a batch's latency
//    runs from its scheduled send time to its acknowledgement (no coordinated omission).
// 3. the service is stopped (SIGTERM) and the spans in its DuckDB file are counted: every
//    acknowledged span must be there.
// RSS: /proc/<pid>/status VmRSS sampled every 100 ms, and VmHWM at the end.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';

import { DuckDBInstance } from '@duckdb/node-api';

import { localServiceEnv } from '../ingest/src/testing/processEnv.js';
import { calibrate } from './calibrate';
import { makeBatches } from './ingest-payloads';
import { summarizeProfile, type ProfileSummary } from './ingest-profile';

const ROOT = join(__dirname, '..');
const API_KEY = 'bench-key-0123456789abcdef';

const args = parseArgs({
  options: {
    'no-build': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    'latency-duration': { type: 'string', default: '15' },
    connections: { type: 'string', default: '4' },
    rate: { type: 'string' },
    keep: { type: 'boolean', default: false },
    /** Result file name under bench/results (e.g. ingest-redaction.json for a variant run). */
    out: { type: 'string' },
    /** Extra node flags for the service, e.g. --node-args=--trace-gc */
    'node-args': { type: 'string', default: '' },
    /** A malloc for the service process only, e.g. --preload=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 */
    preload: { type: 'string', default: '' },
    'spans-per-batch': { type: 'string', default: '512' },
  },
}).values;
const SPANS_PER_BATCH = Number(args['spans-per-batch']);
if (!Number.isInteger(SPANS_PER_BATCH) || SPANS_PER_BATCH < 1) {
  throw new Error(`--spans-per-batch: need a positive integer, got ${args['spans-per-batch']}`);
}
const DURATION_S = Number(args.duration);
const WARMUP_S = Number(args.warmup);
const LATENCY_S = Number(args['latency-duration']);
const CONNECTIONS = Number(args.connections);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

// ---- the service -----------------------------------------------------------------------------

interface Service {
  proc: ChildProcess;
  httpPort: number;
  otlpHttpPort: number;
  exited: Promise<number | null>;
  stderr: string[];
}

async function startService(dataDir: string, profileDir: string | null): Promise<Service> {
  const nodeArgs = [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), ...String(args['node-args']).split(' ').filter(Boolean)];
  const proc = spawn(process.execPath, [...nodeArgs, join(ROOT, 'ingest/dist/server.js')], {
    env: {
      ...process.env,
      ...localServiceEnv(dataDir),
      PYFLARE_API_KEY: API_KEY,
      PYFLARE_LOG_LEVEL: 'info',
      ...(args.preload ? { LD_PRELOAD: String(args.preload) } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  proc.stderr!.on('data', (d: Buffer) => {
    stderr.push(d.toString());
    if (process.env.BENCH_SERVICE_STDOUT) process.stderr.write(d);
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const ports = await new Promise<{ httpPort: number; otlpHttpPort: number }>((resolve, reject) => {
    const lines = readline.createInterface({ input: proc.stdout! });
    lines.on('line', (line) => {
      if (line.includes('"pyflare ready"')) {
        resolve(JSON.parse(line) as { httpPort: number; otlpHttpPort: number });
      } else if (/"level":(40|50|60)/.test(line) || process.env.BENCH_SERVICE_STDOUT) {
        process.stderr.write(`service: ${line}\n`);
      }
    });
    void exited.then((code) => reject(new Error(`service exited (${code}) before ready: ${stderr.join('')}`)));
  });
  return { proc, ...ports, exited, stderr };
}

function memory(pid: number): { rssMb: number; hwmMb: number } {
  const st = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(st)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

/** CPU seconds (user + system) of the whole process and of its main (JS) thread. */
function cpuSeconds(pid: number): { total: number; main: number } {
  const ticks = (stat: string) => {
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime, stime (fields 14, 15)
  };
  const hz = 100; // USER_HZ on Linux
  return {
    total: ticks(readFileSync(`/proc/${pid}/stat`, 'utf8')) / hz,
    main: ticks(readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8')) / hz,
  };
}

async function spanCount(svc: Service): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${svc.httpPort}/api/v1/status`, { headers: { 'x-api-key': API_KEY } });
  return ((await res.json()) as { spanCount: number }).spanCount;
}

// ---- the load generator --------------------------------------------------------------------

interface PostResult {
  status: number;
  retryAfterS: number;
}

function post(agent: http.Agent, port: number, body: Buffer): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/traces',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length, 'x-api-key': API_KEY },
      },
      (res) => {
        res.resume();
        const parts: Buffer[] = []; res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => { if (res.statusCode !== 200 && process.env.BENCH_DEBUG) console.error('429', Buffer.concat(parts).toString('latin1').replace(/[^ -~]/g, '')); resolve({ status: res.statusCode ?? 0, retryAfterS: Number(res.headers['retry-after'] ?? 1) }); });
        res.on('error', reject);
      }
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface Counters {
  acked: number;
  refused: number;
  errors: number;
}

async function closedLoop(svc: Service, payloads: Buffer[], counters: Counters, stopAt: () => boolean, latencies: number[] | null) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  let next = 0;
  const worker = async () => {
    while (!stopAt()) {
      const body = payloads[next++ % payloads.length]!;
      const t0 = performance.now();
      try {
        const r = await post(agent, svc.otlpHttpPort, body);
        if (r.status === 200) {
          counters.acked += SPANS_PER_BATCH;
          latencies?.push(performance.now() - t0);
        } else if (r.status === 429 || r.status === 503) {
          counters.refused++;
          await sleep(r.retryAfterS * 1000);
        } else {
          counters.errors++;
        }
      } catch {
        counters.errors++;
        await sleep(100);
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  agent.destroy();
}

async function openLoop(svc: Service, payloads: Buffer[], spansPerSec: number, seconds: number, counters: Counters) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const intervalMs = (1000 * SPANS_PER_BATCH) / spansPerSec;
  const total = Math.round((seconds * 1000) / intervalMs);
  const warm = Math.round(1000 / intervalMs);
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const start = performance.now() + 50;
  for (let k = 0; k < total; k++) {
    const scheduled = start + k * intervalMs;
    const wait = scheduled - performance.now();
    if (wait > 1) await sleep(wait);
    pending.push(
      post(agent, svc.otlpHttpPort, payloads[k % payloads.length]!).then(
        (r) => {
          if (r.status === 200) {
            counters.acked += SPANS_PER_BATCH;
            if (k >= warm) latencies.push(performance.now() - scheduled);
          } else {
            counters.refused++;
          }
        },
        () => {
          counters.errors++;
        }
      )
    );
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  return { latencies: latencies.sort((a, b) => a - b), elapsed, sent: total };
}

/** With sampling on, DuckDB stores only kept traces: drained = nothing left in the intake queue. */
const SAMPLING = Number(process.env.PYFLARE_SAMPLING_RATE ?? 1) < 1;
async function queueDepth(svc: Service): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${svc.httpPort}/metrics`)).text();
  return Number(/^pyflare_queue_depth_spans(?:\{\})? (\S+)$/m.exec(text)?.[1] ?? NaN);
}

async function waitStored(svc: Service, acked: number, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if (SAMPLING ? (await queueDepth(svc)) === 0 : (await spanCount(svc)) >= acked) return performance.now() - t0;
    await sleep(50);
  }
  throw new Error(`DuckDB did not reach ${acked} spans within ${timeoutMs} ms (has ${await spanCount(svc)})`);
}

// ---- main --------------------------------------------------------------------------------------

async function main() {
  if (!args['no-build']) {
    const b = spawnSync('npm', ['run', 'build', '-w', '@pyflare/ingest'], { cwd: ROOT, encoding: 'utf8' });
    if (b.status !== 0) throw new Error(`build failed: ${b.stderr}`);
  }
  // At least 16k distinct spans to replay, as with 32 batches of 512.
  const payloads = makeBatches(Math.min(2048, Math.max(32, Math.round(16384 / SPANS_PER_BATCH))), SPANS_PER_BATCH);
  const avgBytes = payloads.reduce((n, p) => n + p.length, 0) / payloads.length;
  console.log(`payloads: ${payloads.length} batches x ${SPANS_PER_BATCH} spans, ${(avgBytes / 1024).toFixed(0)} KiB each`);
  const machine = calibrate(payloads, SPANS_PER_BATCH);
  console.log(`calibration: ${machine.referenceUsPerSpan} us/span of reference work on one thread (bench/calibrate.ts; compare runs by it)`);

  const dataDir = mkdtempSync(join(tmpdir(), 'pyflare-bench-'));
  cleanup.dataDir = dataDir;
  const profileDir = args.profile ? join(dataDir, 'profile') : null;
  const svc = await startService(dataDir, profileDir);
  cleanup.svc = svc;
  const pid = svc.proc.pid!;
  let maxRss = 0;
  const rssSeries: number[] = [];
  const sampler = setInterval(() => {
    try {
      const m = memory(pid).rssMb;
      maxRss = Math.max(maxRss, m);
      rssSeries.push(Math.round(m));
    } catch {
      // exited
    }
  }, 100);
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();

  // 1. throughput
  const counters: Counters = { acked: 0, refused: 0, errors: 0 };
  const tStart = performance.now();
  const tWindow = tStart + WARMUP_S * 1000;
  const tEnd = tWindow + DURATION_S * 1000;
  let ackedAtWindow = 0;
  let cpuAtWindow = { total: 0, main: 0 };
  const closedLatencies: number[] = [];
  const windowMark = setTimeout(() => {
    ackedAtWindow = counters.acked;
    cpuAtWindow = cpuSeconds(pid);
  }, WARMUP_S * 1000);
  await closedLoop(svc, payloads, counters, () => performance.now() >= tEnd, closedLatencies);
  clearTimeout(windowMark);
  const windowS = (performance.now() - tWindow) / 1000;
  const ackedInWindow = counters.acked - ackedAtWindow;
  const drainMs = await waitStored(svc, counters.acked, 300_000);
  const cpuAfter = cpuSeconds(pid);
  const sustained = ackedInWindow / (windowS + drainMs / 1000);
  // Service CPU per stored span over the window and the drain (a load-independent efficiency figure).
  const cpuUsPerSpan = {
    total: Number((((cpuAfter.total - cpuAtWindow.total) * 1e6) / ackedInWindow).toFixed(1)),
    mainThread: Number((((cpuAfter.main - cpuAtWindow.main) * 1e6) / ackedInWindow).toFixed(1)),
  };
  const ackRate = ackedInWindow / windowS;
  closedLatencies.sort((a, b) => a - b);
  const rssThroughput = maxRss;
  console.log(
    `throughput: ${fmt(sustained)} spans/s stored (acknowledged ${fmt(ackRate)} spans/s over ${windowS.toFixed(1)} s, ` +
      `backlog drained in ${fmt(drainMs)} ms), ${counters.refused} refused, ${counters.errors} errors, ` +
      `closed-loop ack p50 ${quantile(closedLatencies, 0.5).toFixed(0)} ms p99 ${quantile(closedLatencies, 0.99).toFixed(0)} ms; ` +
      `service CPU ${cpuUsPerSpan.total} us/span (JS main thread ${cpuUsPerSpan.mainThread}), load average ${loadavg()[0]!.toFixed(1)}`
  );

  // 2. latency at a fixed rate
  const rate = args.rate ? Number(args.rate) : Math.max(5000, Math.round(sustained / 2 / 1000) * 1000);
  const ackedBefore = counters.acked;
  const refusedBefore = counters.refused;
  const rssFrom = rssSeries.length;
  const ol = await openLoop(svc, payloads, rate, LATENCY_S, counters);
  // RSS at half the sustained rate: what a service with headroom holds.
  const rssHalfRate = Math.max(...rssSeries.slice(rssFrom));
  const achieved = (counters.acked - ackedBefore) / ol.elapsed;
  await waitStored(svc, counters.acked, 300_000);
  const lat = {
    targetSpansPerSec: rate,
    achievedSpansPerSec: Math.round(achieved),
    p50Ms: Number(quantile(ol.latencies, 0.5).toFixed(1)),
    p90Ms: Number(quantile(ol.latencies, 0.9).toFixed(1)),
    p99Ms: Number(quantile(ol.latencies, 0.99).toFixed(1)),
    maxMs: Number((ol.latencies[ol.latencies.length - 1] ?? NaN).toFixed(1)),
    refused: counters.refused - refusedBefore,
  };
  console.log(
    `latency at ${fmt(rate)} spans/s (open loop, achieved ${fmt(achieved)}): p50 ${lat.p50Ms} ms, p90 ${lat.p90Ms} ms, ` +
      `p99 ${lat.p99Ms} ms, max ${lat.maxMs} ms, ${lat.refused} refused`
  );

  // 3. stop and count what DuckDB holds
  const hwm = memory(pid).hwmMb;
  clearInterval(sampler);
  if (process.env.BENCH_DEBUG) console.error('rss every 0.5 s:', rssSeries.filter((_, i) => i % 5 === 0).join(' '));
  const loadgenCpu = process.cpuUsage(cpu0);
  const loadgenCores = (loadgenCpu.user + loadgenCpu.system) / 1000 / (performance.now() - wall0);
  svc.proc.kill('SIGTERM');
  const code = await svc.exited;
  if (code !== 0) throw new Error(`service exited with ${code}: ${svc.stderr.join('')}`);
  const inst = await DuckDBInstance.create(join(dataDir, 'pyflare.duckdb'));
  const conn = await inst.connect();
  const stored = Number((await conn.runAndReadAll('SELECT count(*) AS n FROM spans')).getRowObjectsJS()[0]!.n);
  // Sampled-out spans are counted in the rollups only: every acknowledged span must be counted there.
  const counted = Number((await conn.runAndReadAll('SELECT coalesce(sum(n), 0) AS n FROM rollup_1m')).getRowObjectsJS()[0]!.n);
  conn.closeSync();
  inst.closeSync();
  console.log(
    `stored: ${fmt(stored)} spans in DuckDB (${fmt(counted)} counted in rollups) for ${fmt(counters.acked)} acknowledged; service RSS max ${maxRss.toFixed(0)} MB ` +
      `(throughput phase ${rssThroughput.toFixed(0)} MB, at half rate ${rssHalfRate.toFixed(0)} MB), VmHWM ${hwm.toFixed(0)} MB; load generator used ${loadgenCores.toFixed(2)} cores`
  );
  if ((SAMPLING ? counted : stored) < counters.acked) throw new Error(`${counters.acked - (SAMPLING ? counted : stored)} acknowledged spans are missing from DuckDB`);

  let profile: ProfileSummary | null = null;
  if (profileDir) {
    const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('no .cpuprofile written');
    profile = summarizeProfile(join(profileDir, file), join(ROOT, 'ingest/dist/server.js'));
    if (process.env.BENCH_KEEP_PROFILE) copyFileSync(join(profileDir, file), process.env.BENCH_KEEP_PROFILE);
    console.log(profile.text);
  }

  const result = {
    benchmark: 'ingest',
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadAverage1m: Number(loadavg()[0]!.toFixed(2)),
    /** The machine's speed at the time of the run (bench/calibrate.ts): compare runs by it. */
    calibration: machine,
    profiled: Boolean(profileDir),
    /** The malloc the service ran with (LD_PRELOAD), when not glibc's. */
    preload: args.preload || null,
    /** Hardening switches the service ran with (from the environment). */
    serviceEnv: Object.fromEntries(
      ['PYFLARE_REDACTION', 'PYFLARE_REDACTION_MODE', 'PYFLARE_DROP_CONTENT', 'PYFLARE_SAMPLING_RATE'].flatMap((k) => (process.env[k] ? [[k, process.env[k]]] : []))
    ),
    setup: {
      transport: 'OTLP/HTTP protobuf, keep-alive, loopback, separate load-generator process',
      spansPerBatch: SPANS_PER_BATCH,
      avgBatchBytes: Math.round(avgBytes),
      connections: CONNECTIONS,
      warmupS: WARMUP_S,
      windowS: Number(windowS.toFixed(1)),
    },
    throughput: {
      sustainedSpansPerSec: Math.round(sustained),
      ackedSpansPerSec: Math.round(ackRate),
      drainMs: Math.round(drainMs),
      refused: counters.refused,
      errors: counters.errors,
      closedLoopAckP50Ms: Number(quantile(closedLatencies, 0.5).toFixed(1)),
      closedLoopAckP99Ms: Number(quantile(closedLatencies, 0.99).toFixed(1)),
      serviceCpuUsPerSpan: cpuUsPerSpan,
    },
    latency: lat,
    memory: { maxRssMb: Math.round(maxRss), vmHwmMb: Math.round(hwm), halfRateMaxRssMb: Math.round(rssHalfRate) },
    stored: { acknowledged: counters.acked, inDuckDb: stored, countedInRollups: counted },
    loadGeneratorCores: Number(loadgenCores.toFixed(2)),
    targets: {
      sustained50k: sustained >= 50_000,
      stretch100k: sustained >= 100_000,
      p99Under250msAtHalfRate: lat.p99Ms <= 250,
      rssUnder400Mb: Math.max(maxRss, hwm) <= 400,
      noLoss: (SAMPLING ? counted : stored) >= counters.acked,
    },
    profile: profile ? profile.phases : undefined,
  };
  const out = join(ROOT, 'bench/results', args.out ?? (profileDir ? 'ingest-profile.json' : 'ingest.json'));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  console.log(`wrote ${out}`);
  if (!args.keep) rmSync(dataDir, { recursive: true, force: true });
  else console.log(`data kept in ${dataDir}`);
}

/** What a failed or interrupted run leaves behind: the service process and its data directory. */
const cleanup: { svc: Service | null; dataDir: string | null } = { svc: null, dataDir: null };
function abandon(): void {
  if (cleanup.svc && cleanup.svc.proc.exitCode === null) cleanup.svc.proc.kill('SIGKILL');
  if (cleanup.dataDir && !args.keep) rmSync(cleanup.dataDir, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    abandon();
    process.exit(130);
  });
}

main().catch((e: Error) => {
  console.error(e);
  abandon();
  process.exit(1);
});
