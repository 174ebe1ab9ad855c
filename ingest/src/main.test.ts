// The built entry (dist/server.js) must not load DuckDB before main.ts has set the memory tuning:
// esbuild keeps native packages as static imports at the top of the file that uses them, and
// those run before any statement of that file.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { glibcRuntime, localServiceEnv, withoutMemoryEnv } from './testing/processEnv.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let dir: string;

describe('built entry', () => {
  before(async () => {
    // Inside the package: the external packages resolve from its node_modules.
    dir = path.join(ROOT, '.test-build', `main-${process.pid}`);
    await fs.mkdir(dir, { recursive: true });
    const b = spawnSync(process.execPath, [path.join(ROOT, 'build.mjs'), path.join(dir, 'server.js')], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('imports DuckDB only from the chunk it loads after the tuning', async () => {
    const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.js'));
    const entry = await fs.readFile(path.join(dir, 'server.js'), 'utf8');
    assert.match(entry, /applyMemoryTuning\(process\.env, process\.execArgv\);\s*await import\("\.\/server-start-[A-Z0-9]+\.js"\)/);
    const start = files.find((f) => /^server-start-[A-Z0-9]+\.js$/.test(f));
    assert.ok(start, files.join(', '));
    assert.match(await fs.readFile(path.join(dir, start), 'utf8'), /from "@duckdb\/node-bindings"/);
    // The entry and every chunk it shares with the service (its static imports) are free of it.
    for (const f of files.filter((f) => f !== start)) {
      assert.doesNotMatch(await fs.readFile(path.join(dir, f), 'utf8'), /@duckdb/, f);
    }
  });

  it("starts from its directory with the memory tuning applied, glibc's thresholds through the helper built beside it", { skip: process.platform !== 'linux', timeout: 60_000 }, async () => {
    assert.ok((await fs.readdir(dir)).includes('pyflare-malloc.node'));
    // Not the runner's own malloc settings: they would (rightly) keep the service's off.
    const env = withoutMemoryEnv({ ...process.env, ...localServiceEnv(path.join(dir, 'data-ready')), PYFLARE_LOG_LEVEL: 'info' });
    const proc = spawn(process.execPath, [path.join(dir, 'server.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
        readline.createInterface({ input: proc.stdout! }).on('line', (l) => {
          if (l.includes('pyflare ready')) {
            resolve(JSON.parse(l) as Record<string, unknown>);
          }
        });
        void exited.then((code) => reject(new Error(`exited with ${code} before ready: ${stderr.slice(-2000)}`)));
      });
      const glibc = glibcRuntime();
      assert.deepEqual(
        (ready.memoryTuning as { glibcMalloc: unknown }).glibcMalloc,
        glibc === undefined ? { notSet: 'not glibc' } : { mmapThreshold: 4 * 1024 * 1024, trimThreshold: 128 * 1024 }
      );
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
      }
      await exited;
    }
  });

  it('runs from its directory: a bad setting is refused with its name', () => {
    const r = spawnSync(process.execPath, [path.join(dir, 'server.js')], {
      env: { ...process.env, PYFLARE_MEMORY_TUNING: 'maybe', PYFLARE_DATA_DIR: path.join(dir, 'data') },
      encoding: 'utf8',
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /invalid configuration: PYFLARE_MEMORY_TUNING: must be on or off/);
  });
});
