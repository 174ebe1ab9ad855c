import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { appliedMemoryTuning, applyMemoryTuning, DUCKDB_JEMALLOC_CONF, V8_HEAP_GROWING_PERCENT } from './memoryTuning.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function apply(env: NodeJS.ProcessEnv, execArgv: string[] = []) {
  const flags: string[] = [];
  const result = applyMemoryTuning(env, execArgv, (f) => flags.push(f));
  return { result, flags };
}

describe('memory tuning', () => {
  it('sets DuckDB allocator options and V8 heap growth by default, and records what it set', () => {
    const env: NodeJS.ProcessEnv = {};
    const { result, flags } = apply(env);
    assert.equal(env.DUCKDB_JE_MALLOC_CONF, DUCKDB_JEMALLOC_CONF);
    assert.deepEqual(flags, [`--heap-growing-percent=${V8_HEAP_GROWING_PERCENT}`]);
    assert.deepEqual(result, { duckdbJemallocConf: DUCKDB_JEMALLOC_CONF, v8HeapGrowingPercent: 50 });
    assert.deepEqual(appliedMemoryTuning(), result);
  });

  it("keeps the operator's own allocator options and V8 flag", () => {
    const env: NodeJS.ProcessEnv = { DUCKDB_JE_MALLOC_CONF: 'narenas:4' };
    const fromArgv = apply(env, ['--enable-source-maps', '--heap-growing-percent=20']);
    assert.equal(env.DUCKDB_JE_MALLOC_CONF, 'narenas:4');
    assert.deepEqual(fromArgv.flags, []);
    assert.deepEqual(fromArgv.result, { duckdbJemallocConf: 'narenas:4', v8HeapGrowingPercent: null });
    assert.deepEqual(apply({}, ['--heap_growing_percent=30']).flags, [], 'V8 reads _ as -');
    assert.deepEqual(apply({}, ['--heap-growing-percent', '30']).flags, []);
    assert.deepEqual(apply({}, ['--heap-growing-percentage=30']).flags, ['--heap-growing-percent=50'], 'another flag');
  });

  it('PYFLARE_MEMORY_TUNING=off changes nothing', () => {
    const env: NodeJS.ProcessEnv = { PYFLARE_MEMORY_TUNING: ' OFF ' };
    const { result, flags } = apply(env);
    assert.equal(env.DUCKDB_JE_MALLOC_CONF, undefined);
    assert.deepEqual(flags, []);
    assert.deepEqual(result, { duckdbJemallocConf: null, v8HeapGrowingPercent: null });
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
