// DuckDB's memory as the stored spans grow: what the intake's applies make DuckDB hold that it
// cannot evict (the trace lookup index; storage/memoryFit.ts), and the limit the service runs
// with for it. Each case opens storage as the service does (PYFLARE_DUCKDB_MEMORY_START /
// _LIMIT), then applies the bench payloads (bench/ingest-payloads.ts) in the intake's 4,096-span
// transactions with a checkpoint per 16,384 spans, and samples duckdb_memory() after each apply.
//
//   npx tsx bench/duckdb-memory.bench.ts [--spans N] [--limit 512MB] [--start 128MB]
//
// Cases: a new database, and a copy of the query bench's 10M-span file (bench/query.bench.ts
// makes it; skipped when absent). Results: bench/results/duckdb-memory.json.
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { createReplayPreparer } from '../ingest/src/intake/exporter.js';
import { PriceBook } from '../ingest/src/pricing/index.js';
import { DB_FILE, DuckDbStorage } from '../ingest/src/storage/duckdb.js';
import type { MemoryEvent } from '../ingest/src/storage/memoryFit.js';
import { makeBatches, preparedBatch } from './ingest-payloads';

const args = parseArgs({
  options: {
    spans: { type: 'string', default: '300000' },
    limit: { type: 'string', default: '512MB' },
    start: { type: 'string', default: '128MB' },
  },
}).values;
const SPANS = Number(args.spans);
const PER_APPLY = 4096;
const CHECKPOINT_EVERY = 16_384;
const BIG = process.env.PYFLARE_BENCH_DIR ?? join(tmpdir(), 'pyflare-bench-10000000');
const MB = (b: number) => Math.round(b / 1e6);

interface CaseResult {
  name: string;
  storedSpansBefore: number;
  spansApplied: number;
  startLimitMB: number;
  endLimitMB: number;
  indexMaxMB: number;
  duckdbMaxMB: number;
  rssMaxMB: number;
  events: Array<{ kind: MemoryEvent['kind']; limitMB: number; indexMB: number; needMB: number }>;
  error: string | null;
}

async function runCase(name: string, dir: string): Promise<CaseResult> {
  const events: CaseResult['events'] = [];
  const storage = await DuckDbStorage.open({
    dataDir: dir,
    memoryLimit: String(args.limit),
    memoryStart: String(args.start),
    threads: 1,
    onMemory: (e) => events.push({ kind: e.kind, limitMB: MB(e.limitBytes), indexMB: MB(e.indexBytes), needMB: MB(e.needBytes) }),
  });
  const out: CaseResult = {
    name,
    storedSpansBefore: (await storage.status()).spanCount,
    spansApplied: 0,
    startLimitMB: MB(storage.memoryLimitBytes() ?? 0),
    endLimitMB: 0,
    indexMaxMB: 0,
    duckdbMaxMB: 0,
    rssMaxMB: 0,
    events,
    error: null,
  };
  const conn = await storage.connect();
  const sample = async () => {
    const r = (await conn.runAndReadAll(`SELECT tag, memory_usage_bytes AS b FROM duckdb_memory()`)).getRowObjectsJS() as Array<{ tag: string; b: bigint }>;
    const total = r.reduce((s, x) => s + Number(x.b), 0);
    const index = Number(r.find((x) => x.tag === 'ART_INDEX')?.b ?? 0);
    out.indexMaxMB = Math.max(out.indexMaxMB, MB(index));
    out.duckdbMaxMB = Math.max(out.duckdbMaxMB, MB(total));
    out.rssMaxMB = Math.max(out.rssMaxMB, MB(process.memoryUsage().rss));
  };
  try {
    const payloads = makeBatches(32, 512);
    const prepare = createReplayPreparer({ storage, pricer: await PriceBook.load({}) });
    const receivedNs = BigInt(Date.now()) * 1_000_000n;
    let seq = (await storage.appliedSeq()) + 1n;
    const cursor = { next: 0 };
    let sinceCheckpoint = 0;
    while (out.spansApplied < SPANS) {
      const { batch, rows: n } = preparedBatch(prepare, payloads, cursor, receivedNs, PER_APPLY);
      try {
        await storage.applyPrepared(batch, seq++);
      } finally {
        batch.forEach((b) => b.spans.release());
      }
      out.spansApplied += n;
      await sample();
      sinceCheckpoint += n;
      if (sinceCheckpoint >= CHECKPOINT_EVERY) {
        await storage.checkpoint();
        sinceCheckpoint = 0;
      }
    }
  } catch (e) {
    out.error = (e as Error).message.split('\n')[0]!;
  } finally {
    out.endLimitMB = MB(storage.memoryLimitBytes() ?? 0);
    conn.closeSync();
    await storage.close().catch(() => undefined);
  }
  return out;
}

async function main() {
  const results: CaseResult[] = [];
  const fresh = mkdtempSync(join(tmpdir(), 'pyflare-memory-'));
  try {
    results.push(await runCase('new database', fresh));
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
  if (existsSync(join(BIG, DB_FILE))) {
    const copy = mkdtempSync(join(tmpdir(), 'pyflare-memory-'));
    try {
      copyFileSync(join(BIG, DB_FILE), join(copy, DB_FILE));
      results.push(await runCase('10M spans stored (query bench data)', copy));
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  } else {
    console.log(`(no ${join(BIG, DB_FILE)}: run bench/query.bench.ts once for the 10M-span case)`);
  }
  for (const r of results) {
    console.log(
      `${r.name}: ${r.storedSpansBefore.toLocaleString('en-US')} stored + ${r.spansApplied.toLocaleString('en-US')} applied; ` +
        `limit ${r.startLimitMB} -> ${r.endLimitMB} MB (cap ${args.limit}); index max ${r.indexMaxMB} MB; DuckDB max ${r.duckdbMaxMB} MB; ` +
        `process RSS max ${r.rssMaxMB} MB; ${r.events.length} limit events; ${r.error ? `FAILED: ${r.error}` : 'no failure'}`
    );
  }
  const file = join(__dirname, 'results', 'duckdb-memory.json');
  writeFileSync(file, `${JSON.stringify({ benchmark: 'duckdb-memory', date: new Date().toISOString(), limit: args.limit, start: args.start, cases: results }, null, 2)}\n`);
  console.log(`wrote ${file}`);
  if (results.some((r) => r.error)) {
    process.exitCode = 1;
  }
}

main().catch((e: Error) => {
  console.error(e);
  process.exit(1);
});
