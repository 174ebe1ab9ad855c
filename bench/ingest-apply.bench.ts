// In-process split of the ingest cost per span, without HTTP or the load generator: the bench
// payloads (bench/ingest-payloads.ts) are decoded and normalized into DuckDB chunks as the
// service does (exporter's replay preparer), then applied in transactions of the intake's size
// and checkpointed at the intake's pace. Reports CPU microseconds per span of each step, for the
// whole process and for the JS thread (the rest is DuckDB's threads, the libuv pool, the GC's helpers).
// Run from the repository root: npx tsx bench/ingest-apply.bench.ts [--spans N] [--per-apply SPANS]
//   [--checkpoint-every SPANS] [--threads N]  (defaults: the intake's 4096-span applies, a checkpoint per 32 MiB of WAL)
// Prints only (the end-to-end figures are bench/ingest.bench.ts's).

import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { createReplayPreparer } from '../ingest/src/intake/exporter.js';
import { PriceBook } from '../ingest/src/pricing/index.js';
import { DuckDbStorage } from '../ingest/src/storage/duckdb.js';
import { calibrate } from './calibrate';
import { makeBatches, preparedBatch } from './ingest-payloads';

const args = parseArgs({
  options: {
    spans: { type: 'string', default: '300000' },
    'per-apply': { type: 'string', default: '4096' },
    'checkpoint-every': { type: 'string', default: '16384' },
    threads: { type: 'string', default: '1' },
  },
}).values;
const TOTAL = Number(args.spans);
const PER_APPLY = Number(args['per-apply']);
const CHECKPOINT_EVERY = Number(args['checkpoint-every']);

/** CPU seconds (user + system) of the process and of its main thread. */
function cpu(): { total: number; main: number } {
  const ticks = (stat: string) => {
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  };
  return { total: ticks(readFileSync('/proc/self/stat', 'utf8')), main: ticks(readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')) };
}

async function main() {
  const payloads = makeBatches(32, 512);
  // Before the measured loop, on a small heap (measured after it, the figure swung by 50 %). It
  // runs protobufjs, not the service's code, so it warms nothing the loop measures.
  const machine = calibrate(payloads, 512);
  console.log(`calibration: ${machine.referenceUsPerSpan} us/span of reference work on one thread (bench/calibrate.ts)`);
  const dir = mkdtempSync(join(tmpdir(), 'pyflare-apply-'));
  const storage = await DuckDbStorage.open({ dataDir: dir, memoryLimit: '128MB', threads: Number(args.threads) });
  const prepare = createReplayPreparer({ storage, pricer: await PriceBook.load({}) });
  const receivedNs = BigInt(Date.now()) * 1_000_000n;
  const acc = { prepare: { total: 0, main: 0 }, apply: { total: 0, main: 0 }, checkpoint: { total: 0, main: 0 } };
  const add = (k: keyof typeof acc, a: { total: number; main: number }, b: { total: number; main: number }) => {
    acc[k].total += b.total - a.total;
    acc[k].main += b.main - a.main;
  };
  let done = 0;
  let sinceCheckpoint = 0;
  let seq = 0n;
  const cursor = { next: 0 };
  const t0 = performance.now();
  while (done < TOTAL) {
    const c0 = cpu();
    const { batch, rows: n } = preparedBatch(prepare, payloads, cursor, receivedNs, PER_APPLY);
    const c1 = cpu();
    add('prepare', c0, c1);
    await storage.applyPrepared(batch, ++seq);
    for (const b of batch) {
      b.spans.release();
    }
    const c2 = cpu();
    add('apply', c1, c2);
    done += n;
    sinceCheckpoint += n;
    if (sinceCheckpoint >= CHECKPOINT_EVERY) {
      await storage.checkpoint();
      add('checkpoint', c2, cpu());
      sinceCheckpoint = 0;
    }
  }
  const wall = (performance.now() - t0) / 1000;
  const us = (s: number) => ((s * 1e6) / done).toFixed(1);
  console.log(`${done} spans in ${wall.toFixed(1)} s (${Math.round(done / wall)} spans/s, one thread of work at a time), load average ${loadavg()[0]!.toFixed(1)}`);
  let total = 0;
  let mainT = 0;
  for (const [k2, v] of Object.entries(acc)) {
    total += v.total;
    mainT += v.main;
    console.log(`  ${k2.padEnd(11)} ${us(v.total).padStart(6)} us/span (JS thread ${us(v.main)})`);
  }
  console.log(`  ${'all'.padEnd(11)} ${us(total).padStart(6)} us/span (JS thread ${us(mainT)}); RSS ${Math.round(process.memoryUsage().rss / 1048576)} MB`);
  await storage.close();
  console.log(`  file ${(statSync(storage.file).size / done).toFixed(0)} bytes/span`);
  rmSync(dir, { recursive: true, force: true });
}

main().catch((e: Error) => {
  console.error(e);
  process.exit(1);
});
