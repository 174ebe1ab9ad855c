// Crash test: 20 times in a row, a client sends span batches to the built service while the
// service is killed with SIGKILL at a random moment (sometimes during start-up and WAL replay).
// Afterwards every span that was ever acknowledged (HTTP 200) must be in DuckDB.
//
// Reproduce a run with PYFLARE_CRASH_SEED=<seed printed on failure>.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { DB_FILE } from './storage/duckdb.js';
import { jsonBody } from './testing/otlp.js';
import { localServiceEnv } from './testing/processEnv.js';
import { makeTempDir, TEST_API_KEY } from './testing/service.js';
import { rng } from './testing/spans.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Its own directory: the build writes the entry and its chunks there.
const BUNDLE = path.join(ROOT, '.test-build', `server-${process.pid}`, 'server.js');
const ITERATIONS = 20;
const CLIENTS = 4;
const SPANS_PER_BATCH = 25;
const SEED = Number(process.env.PYFLARE_CRASH_SEED ?? Date.now() % 1_000_000);

let dir: string;
let counter = 0;

/** Unique, valid ids: a run counter in hex keeps them distinct across iterations. */
function nextIds(): { traceId: string; spanId: string } {
  counter++;
  const c = counter.toString(16).padStart(12, '0');
  return { traceId: `${SEED.toString(16).padStart(8, '0')}${'a'.repeat(12)}${c}`, spanId: `b${c}bbb` };
}

interface Child {
  proc: ChildProcess;
  ready: Promise<{ httpPort: number; otlpHttpPort: number }>;
  exited: Promise<number | null>;
  stderr: string[];
}

function startChild(): Child {
  const proc = spawn(process.execPath, [BUNDLE], {
    env: {
      ...process.env,
      ...localServiceEnv(dir),
      PYFLARE_API_KEY: TEST_API_KEY,
      PYFLARE_LOG_LEVEL: 'info',
      PYFLARE_COMMIT_INTERVAL_MS: '20',
      // Seal, checkpoint and delete WAL segments often, so kills land in those steps too.
      PYFLARE_CHECKPOINT_INTERVAL_MS: '150',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  proc.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const ready = new Promise<{ httpPort: number; otlpHttpPort: number }>((resolve, reject) => {
    const lines = readline.createInterface({ input: proc.stdout! });
    lines.on('line', (line) => {
      if (line.includes('"pyflare ready"')) {
        const o = JSON.parse(line) as { httpPort: number; otlpHttpPort: number };
        resolve(o);
      }
    });
    void exited.then((code) => reject(new Error(`service exited (${code}) before ready: ${stderr.join('')}`)));
  });
  ready.catch(() => undefined);
  return { proc, ready, exited, stderr };
}

before(async () => {
  await fs.mkdir(path.dirname(BUNDLE), { recursive: true });
  const b = spawnSync(process.execPath, [path.join(ROOT, 'build.mjs'), BUNDLE], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(b.status, 0, `build failed: ${b.stderr}`);
  dir = await makeTempDir('pyflare-crash-');
});

after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rm(path.dirname(BUNDLE), { recursive: true, force: true });
});

it(`keeps every acknowledged span through ${ITERATIONS} SIGKILLs (seed ${SEED})`, { timeout: 120_000 }, async () => {
  const rand = rng(SEED);
  const acked: string[] = [];
  let requests = 0;
  let refused = 0;

  for (let iter = 0; iter < ITERATIONS; iter++) {
    const child = startChild();
    // One in five kills lands during start-up (WAL replay, CHECKPOINT), before the ready line.
    if (rand() < 0.2) {
      await new Promise((r) => setTimeout(r, rand() * 300));
      child.proc.kill('SIGKILL');
      await child.exited;
      continue;
    }
    const { otlpHttpPort, httpPort } = await child.ready;
    // Everything acknowledged before (by earlier, killed, processes) is there after replay.
    const st = await fetch(`http://127.0.0.1:${httpPort}/api/v1/status`, { headers: { 'x-api-key': TEST_API_KEY } });
    const { spanCount } = (await st.json()) as { spanCount: number };
    assert.ok(spanCount >= acked.length, `iteration ${iter}: ${spanCount} spans in storage < ${acked.length} acknowledged`);

    let stop = false;
    const client = async () => {
      while (!stop) {
        const ids = Array.from({ length: SPANS_PER_BATCH }, nextIds);
        const body = jsonBody(ids.map((x) => ({ ...x, attrs: { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 10 } })), 'crash');
        requests++;
        try {
          const res = await fetch(`http://127.0.0.1:${otlpHttpPort}/v1/traces`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': TEST_API_KEY },
            body: JSON.stringify(body),
          });
          const text = await res.text();
          if (res.status === 200) {
            assert.equal(text, '{}');
            acked.push(...ids.map((x) => `${x.traceId}/${x.spanId}`));
          } else {
            refused++;
          }
        } catch {
          // Connection reset by the kill: not acknowledged, so the client may retry or drop it.
          refused++;
        }
      }
    };
    const clients = Array.from({ length: CLIENTS }, client);
    await new Promise((r) => setTimeout(r, 50 + rand() * 700));
    child.proc.kill('SIGKILL');
    await child.exited;
    stop = true;
    await Promise.all(clients);
  }

  // A last, clean run replays the WAL; SIGTERM then flushes and closes DuckDB.
  const last = startChild();
  await last.ready;
  last.proc.kill('SIGTERM');
  assert.equal(await last.exited, 0, last.stderr.join(''));

  const inst = await DuckDBInstance.create(path.join(dir, DB_FILE));
  const conn = await inst.connect();
  const reader = await conn.runAndReadAll(`SELECT trace_id || '/' || span_id AS k FROM spans`);
  const keys = (reader.getColumnsJS()[0] ?? []).map(String);
  const stored = new Set(keys);
  conn.closeSync();
  inst.closeSync();
  const missing = acked.filter((k) => !stored.has(k));
  assert.ok(acked.length > 1000, `the client got enough acknowledgements to mean something (${acked.length}, ${requests} requests)`);
  assert.deepEqual(missing.slice(0, 5), [], `${missing.length} of ${acked.length} acknowledged spans lost (seed ${SEED})`);
  // Every span id is sent once, so a repeat can only be a WAL record applied twice.
  assert.equal(keys.length, stored.size, `${keys.length - stored.size} spans stored twice (seed ${SEED})`);
  const walLeft = (await fs.readdir(path.join(dir, 'wal'))).filter((f) => f.endsWith('.wal'));
  assert.deepEqual(walLeft, [], 'a clean shutdown leaves no WAL segment behind');
  console.log(
    `crash test: ${ITERATIONS} kills, ${acked.length} spans acknowledged in ${requests} requests (${refused} refused/reset), ${stored.size} stored, seed ${SEED}`
  );
});
