import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  appliedMemoryTuning,
  applyMemoryTuning,
  DUCKDB_JEMALLOC_CONF,
  GLIBC_MMAP_THRESHOLD,
  GLIBC_TRIM_THRESHOLD,
  loadMallocHelper,
  V8_HEAP_GROWING_PERCENT,
  type MallocHelper,
} from './memoryTuning.js';
import { glibcRuntime } from './testing/processEnv.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A stand-in for the native helper that records what it was asked. */
function fakeHelper(over: Partial<MallocHelper> = {}) {
  const calls: Array<[number, number]> = [];
  const helper: MallocHelper = {
    glibc: true,
    M_MMAP_THRESHOLD: -3,
    M_TRIM_THRESHOLD: -1,
    mallopt: (p, v) => {
      calls.push([p, v]);
      return true;
    },
    ...over,
  };
  return { helper, calls };
}

function apply(env: NodeJS.ProcessEnv, execArgv: string[] = [], helper: MallocHelper | null = fakeHelper().helper) {
  const flags: string[] = [];
  const result = applyMemoryTuning(env, execArgv, (f) => flags.push(f), () => helper);
  return { result, flags };
}

const SET = { mmapThreshold: GLIBC_MMAP_THRESHOLD, trimThreshold: GLIBC_TRIM_THRESHOLD };

describe('memory tuning', () => {
  it('sets DuckDB allocator options and V8 heap growth by default, and records what it set', () => {
    const env: NodeJS.ProcessEnv = {};
    const { result, flags } = apply(env);
    assert.equal(env.DUCKDB_JE_MALLOC_CONF, DUCKDB_JEMALLOC_CONF);
    assert.deepEqual(flags, [`--heap-growing-percent=${V8_HEAP_GROWING_PERCENT}`]);
    assert.deepEqual(result, { duckdbJemallocConf: DUCKDB_JEMALLOC_CONF, v8HeapGrowingPercent: 50, glibcMalloc: SET });
    assert.deepEqual(appliedMemoryTuning(), result);
  });

  it("sets glibc's trim and mmap thresholds through the native helper", () => {
    const { helper, calls } = fakeHelper();
    assert.deepEqual(apply({}, [], helper).result.glibcMalloc, SET);
    assert.deepEqual(calls, [
      [-1, 128 * 1024],
      [-3, 4 * 1024 * 1024],
    ]);
  });

  it("leaves glibc's malloc alone where it cannot or should not set it, and says why", () => {
    const notSet = (env: NodeJS.ProcessEnv, helper: MallocHelper | null) => {
      const r = apply(env, [], helper).result.glibcMalloc;
      return 'notSet' in r ? r.notSet : 'set';
    };
    const untouched = fakeHelper();
    assert.equal(notSet({ MALLOC_MMAP_THRESHOLD_: '131072' }, untouched.helper), 'the environment sets MALLOC_MMAP_THRESHOLD_');
    assert.equal(notSet({ MALLOC_TRIM_THRESHOLD_: '0' }, untouched.helper), 'the environment sets MALLOC_TRIM_THRESHOLD_');
    assert.equal(notSet({ MALLOC_TOP_PAD_: '0' }, untouched.helper), 'the environment sets MALLOC_TOP_PAD_');
    assert.equal(notSet({ MALLOC_MMAP_MAX_: '0' }, untouched.helper), 'the environment sets MALLOC_MMAP_MAX_');
    for (const t of ['mmap_threshold=65536', 'trim_threshold=0', 'top_pad=0', 'mmap_max=0']) {
      assert.equal(notSet({ GLIBC_TUNABLES: `glibc.malloc.arena_max=2:glibc.malloc.${t}` }, untouched.helper), 'the environment sets GLIBC_TUNABLES', t);
    }
    assert.deepEqual(untouched.calls, [], "the operator's own settings are kept");
    assert.equal(notSet({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, fakeHelper().helper), 'set', 'another tunable');
    assert.match(notSet({}, null), /^no native helper/);
    assert.equal(notSet({}, fakeHelper({ glibc: false, M_MMAP_THRESHOLD: undefined, M_TRIM_THRESHOLD: undefined }).helper), 'not glibc');
    assert.equal(notSet({}, fakeHelper({ mallopt: () => false }).helper), 'glibc refused the thresholds');
    const broken = applyMemoryTuning({}, [], () => undefined, () => {
      throw new Error('invalid ELF header\nmore');
    }).glibcMalloc;
    assert.deepEqual(broken, { notSet: 'the native helper failed: invalid ELF header' });
    const throwing = fakeHelper({
      mallopt: () => {
        throw new RangeError('mallopt(param, value): both must be integers that fit a C int');
      },
    }).helper;
    assert.equal(notSet({}, throwing), 'the native helper failed: mallopt(param, value): both must be integers that fit a C int');
    assert.match(notSet({}, { glibc: true } as MallocHelper), /has no mallopt\(\)/, 'a stale or foreign file does not stop the service');
  });

  it('the native helper builds, loads, and passes glibc its answers', { skip: process.platform !== 'linux' }, async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pyflare-malloc-'));
    try {
      const { buildNative } = (await import(path.join(ROOT, 'build.mjs'))) as { buildNative: (outdir: string) => string | null };
      const file = buildNative(dir);
      assert.ok(file, 'built (needs cc and the Node headers)');
      const helper = loadMallocHelper(pathToFileURL(path.join(dir, 'server.js')).href);
      assert.ok(helper);
      const glibc = glibcRuntime();
      assert.equal(helper.glibc, glibc !== undefined);
      if (glibc !== undefined) {
        // glibc's own numbers (malloc.h), compiled in.
        assert.equal(helper.M_MMAP_THRESHOLD, -3);
        assert.equal(helper.M_TRIM_THRESHOLD, -1);
        // M_MXFAST (1) above glibc's maximum of 160 bytes: glibc refuses it, and so does the helper.
        assert.equal(helper.mallopt(1, 1000), false);
        assert.equal(helper.mallopt(helper.M_TRIM_THRESHOLD, GLIBC_TRIM_THRESHOLD), true);
      }
      assert.throws(() => helper.mallopt('1' as unknown as number, 1), { name: 'TypeError', message: /both must be numbers/ });
      assert.throws(() => (helper.mallopt as (p: number) => boolean)(1), { name: 'TypeError' });
      for (const bad of [2 ** 40, -(2 ** 31) - 1, Number.NaN, Infinity, 1.5]) {
        assert.throws(() => helper.mallopt(1, bad), { name: 'RangeError', message: /integers that fit a C int/ }, String(bad));
      }
      assert.equal(helper.mallopt(1, 1000), false, 'still answers after refusing bad arguments');
      assert.equal(loadMallocHelper(pathToFileURL(path.join(os.tmpdir(), 'nowhere', 'server.js')).href), null);
      // A compiler that fails: a warning and no helper, or an error where the helper is required.
      const saved = { CC: process.env.CC, REQ: process.env.PYFLARE_REQUIRE_MALLOC_HELPER };
      try {
        process.env.CC = 'false';
        const failed = path.join(dir, 'failed');
        assert.equal(buildNative(failed), null);
        process.env.PYFLARE_REQUIRE_MALLOC_HELPER = '1';
        assert.throws(() => buildNative(failed), /pyflare-malloc\.node not built .*false failed/);
      } finally {
        for (const [k, v] of [['CC', saved.CC], ['PYFLARE_REQUIRE_MALLOC_HELPER', saved.REQ]] as const) {
          if (v === undefined) {
            delete process.env[k];
          } else {
            process.env[k] = v;
          }
        }
      }
      // A bundle does not take a helper from a dist/ beside its own directory; a source file (tsx) does.
      const nested = path.join(dir, 'bundle');
      await fs.mkdir(path.join(dir, 'dist'));
      await fs.copyFile(file, path.join(dir, 'dist', 'pyflare-malloc.node'));
      await fs.rm(file);
      assert.equal(loadMallocHelper(pathToFileURL(path.join(nested, 'server.js')).href), null);
      assert.ok(loadMallocHelper(pathToFileURL(path.join(nested, 'memoryTuning.ts')).href));
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it("keeps the operator's own allocator options and V8 flag", () => {
    const env: NodeJS.ProcessEnv = { DUCKDB_JE_MALLOC_CONF: 'narenas:4' };
    const fromArgv = apply(env, ['--enable-source-maps', '--heap-growing-percent=20']);
    assert.equal(env.DUCKDB_JE_MALLOC_CONF, 'narenas:4');
    assert.deepEqual(fromArgv.flags, []);
    assert.deepEqual(fromArgv.result, { duckdbJemallocConf: 'narenas:4', v8HeapGrowingPercent: null, glibcMalloc: SET });
    assert.deepEqual(apply({}, ['--heap_growing_percent=30']).flags, [], 'V8 reads _ as -');
    assert.deepEqual(apply({}, ['--heap-growing-percent', '30']).flags, []);
    assert.deepEqual(apply({}, ['--heap-growing-percentage=30']).flags, ['--heap-growing-percent=50'], 'another flag');
  });

  it('PYFLARE_MEMORY_TUNING=off changes nothing', () => {
    const env: NodeJS.ProcessEnv = { PYFLARE_MEMORY_TUNING: ' OFF ' };
    const { result, flags } = apply(env);
    assert.equal(env.DUCKDB_JE_MALLOC_CONF, undefined);
    assert.deepEqual(flags, []);
    assert.deepEqual(result, { duckdbJemallocConf: null, v8HeapGrowingPercent: null, glibcMalloc: { notSet: 'PYFLARE_MEMORY_TUNING=off' } });
  });

  it("V8 knows the flag (setFlagsFromString would ignore an unknown one silently; the command line refuses it)", () => {
    const ok = spawnSync(process.execPath, [`--heap-growing-percent=${V8_HEAP_GROWING_PERCENT}`, '-e', '0'], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    const unknown = spawnSync(process.execPath, ['--heap-growing-percentage=50', '-e', '0'], { encoding: 'utf8' });
    assert.notEqual(unknown.status, 0);
  });

  it("DuckDB's allocator takes the options when they are set before @duckdb/node-api loads", () => {
    // jemalloc prints its effective options at exit with stats_print.
    const script = `
      import { applyMemoryTuning } from './src/memoryTuning.ts';
      applyMemoryTuning(process.env, process.execArgv);
      process.env.DUCKDB_JE_MALLOC_CONF += ',stats_print:true';
      const { DuckDBInstance } = await import('@duckdb/node-api');
      const db = await DuckDBInstance.create(':memory:');
      const c = await db.connect();
      await c.run('CREATE TABLE t AS SELECT range::VARCHAR AS s FROM range(100000)');
    `;
    const env = { ...process.env, DUCKDB_JE_MALLOC_CONF: undefined, PYFLARE_MEMORY_TUNING: undefined };
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout + r.stderr;
    assert.match(out, /opt\.narenas: 1\b/);
    assert.match(out, /opt\.muzzy_decay_ms: 0\b/);
  });
});
