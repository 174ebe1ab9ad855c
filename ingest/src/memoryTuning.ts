// Memory settings that are read once per process, so main.ts applies them before the service
// (and DuckDB's native library) loads. All three cut the service's RSS under sustained ingest at
// no measurable cost in spans/s (bench/README.md, "Where the memory goes" and "glibc's thresholds"):
//  - DuckDB's allocator. libduckdb.so links its own jemalloc, configured from
//    DUCKDB_JE_MALLOC_CONF over DuckDB's built-in "narenas:<cores>,dirty_decay_ms:1000,
//    muzzy_decay_ms:1000". One arena instead of one per core, and freed pages returned to the
//    kernel when they decay instead of being marked lazily free first (MADV_FREE pages count in
//    RSS until the kernel needs them).
//  - V8's heap growth. The OTLP/HTTP receiver frees request bodies as soon as they are logged
//    (otlp/http.ts), so their memory no longer pushes V8 into full collections; without a smaller
//    growing factor the old generation then grows to ~4x its live size between them.
//  - glibc's malloc (node, V8's helpers, libuv's threads, DuckDB's ZSTD contexts). By default
//    glibc raises its mmap threshold to the largest block freed so far (up to 32 MiB) and its
//    trim threshold to twice that, so after the first 3.5 MiB ZSTD context is freed, each thread's
//    arena keeps up to 7 MiB of free memory at its top, and 11 arenas kept ~56 MB free in all.
//    Fixed thresholds (mmap 4 MiB, trim 128 KiB) stop that: blocks up to 4 MiB (request bodies,
//    ZSTD contexts) still come from the arenas, whose free tops now go back to the kernel. Set
//    through a small native helper (native/malloc-tuning.c): glibc reads its own variables
//    (MALLOC_MMAP_THRESHOLD_, ...) only at process start.
// PYFLARE_MEMORY_TUNING=off leaves all three at their defaults. An operator's own
// --heap-growing-percent flag wins, and so does an own DUCKDB_JE_MALLOC_CONF, which replaces
// this one whole (what it does not name keeps DuckDB's built-in value), and any of glibc's own
// malloc variables.
import { createRequire } from 'node:module';
import v8 from 'node:v8';

/** jemalloc options for DuckDB's allocator (keys not named keep DuckDB's values). */
export const DUCKDB_JEMALLOC_CONF = 'narenas:1,muzzy_decay_ms:0';
/** V8 grows the old generation to (1 + p/100) x its live size after a full collection. */
export const V8_HEAP_GROWING_PERCENT = 50;
/** glibc serves blocks from this size up with their own mmap (and unmaps them when freed). */
export const GLIBC_MMAP_THRESHOLD = 4 * 1024 * 1024;
/** glibc gives free memory at the top of an arena back to the kernel beyond this (its default). */
export const GLIBC_TRIM_THRESHOLD = 128 * 1024;
/**
 * glibc's variables that fix a threshold themselves (each also stops the automatic raising).
 * GLIBC_TUNABLES may name the same (glibc.malloc.mmap_threshold, ...).
 */
export const GLIBC_MALLOC_ENV = ['MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_', 'MALLOC_TOP_PAD_', 'MALLOC_MMAP_MAX_'];
const GLIBC_TUNABLES = /glibc\.malloc\.(mmap_threshold|trim_threshold|top_pad|mmap_max)=/;

/** The native helper's interface (native/malloc-tuning.c). */
export interface MallocHelper {
  glibc: boolean;
  M_MMAP_THRESHOLD?: number;
  M_TRIM_THRESHOLD?: number;
  mallopt(param: number, value: number): boolean;
}

/** File name of the helper beside the bundle (build.mjs's MALLOC_HELPER). */
const HELPER = 'pyflare-malloc.node';

/**
 * Loads the helper from beside the bundle (dist/server.js), or from dist/ when running from
 * src/ (tsx). Null when it is not there: not built (no C compiler, not Linux).
 */
export function loadMallocHelper(from: string = import.meta.url): MallocHelper | null {
  const req = createRequire(from);
  // A bundle looks only beside itself: another build's dist/ next to it is not its helper.
  const places = from.endsWith('.ts') ? [`./${HELPER}`, `../dist/${HELPER}`] : [`./${HELPER}`];
  for (const rel of places) {
    let file: string;
    try {
      file = req.resolve(rel);
    } catch {
      continue;
    }
    return req(file) as MallocHelper;
  }
  return null;
}

const JEMALLOC_ENV = 'DUCKDB_JE_MALLOC_CONF';
const V8_FLAG = '--heap-growing-percent';
// A global symbol, not a module variable: it stays one record however the build splits the code.
const APPLIED = Symbol.for('pyflare.memoryTuning');

export interface MemoryTuning {
  /** The jemalloc options DuckDB's allocator reads (null: DuckDB's built-in ones). */
  duckdbJemallocConf: string | null;
  /** Set by the service (null: V8's default, or the operator's own flag). */
  v8HeapGrowingPercent: number | null;
  /** glibc malloc thresholds the service set, in bytes; or why it set none. */
  glibcMalloc: { mmapThreshold: number; trimThreshold: number } | { notSet: string };
}

function tuningOff(env: NodeJS.ProcessEnv): boolean {
  return (env.PYFLARE_MEMORY_TUNING ?? '').trim().toLowerCase() === 'off';
}

/** V8 reads `_` and `-` in flag names alike. (NODE_OPTIONS cannot carry this flag: node refuses it there.) */
function operatorSetV8Flag(execArgv: readonly string[]): boolean {
  return execArgv.some((a) => {
    const name = a.split('=')[0]!.replace(/_/g, '-');
    return name === V8_FLAG;
  });
}

function setGlibcThresholds(env: NodeJS.ProcessEnv, loadHelper: () => MallocHelper | null): MemoryTuning['glibcMalloc'] {
  const own = GLIBC_MALLOC_ENV.find((k) => env[k] !== undefined) ?? (GLIBC_TUNABLES.test(env.GLIBC_TUNABLES ?? '') ? 'GLIBC_TUNABLES' : undefined);
  if (own) {
    return { notSet: `the environment sets ${own}` };
  }
  // Whatever the helper does wrong (a stale or foreign file, a throwing call), the service
  // starts with glibc's defaults and says why.
  try {
    const helper = loadHelper();
    if (!helper) {
      return { notSet: `no native helper (${HELPER} is built by build.mjs where a C compiler is found)` };
    }
    if (typeof helper.mallopt !== 'function') {
      return { notSet: `the native helper has no mallopt(): not ${HELPER} of this build` };
    }
    if (!helper.glibc || helper.M_MMAP_THRESHOLD === undefined || helper.M_TRIM_THRESHOLD === undefined) {
      return { notSet: 'not glibc' };
    }
    // Both: start-up may already have raised the trim threshold, and setting either one stops
    // glibc's automatic raising of both. (glibc 2.35 and later accept any value for either; the
    // check is for older ones, which refuse an mmap threshold above 32 MiB.)
    if (!helper.mallopt(helper.M_TRIM_THRESHOLD, GLIBC_TRIM_THRESHOLD) || !helper.mallopt(helper.M_MMAP_THRESHOLD, GLIBC_MMAP_THRESHOLD)) {
      return { notSet: 'glibc refused the thresholds' };
    }
  } catch (e) {
    return { notSet: `the native helper failed: ${(e as Error).message.split('\n')[0]}` };
  }
  return { mmapThreshold: GLIBC_MMAP_THRESHOLD, trimThreshold: GLIBC_TRIM_THRESHOLD };
}

/**
 * Applies the tuning to `env` (DuckDB's allocator reads it when libduckdb.so loads), to V8 and
 * to glibc's malloc. Must run before anything imports @duckdb/node-api.
 */
export function applyMemoryTuning(
  env: NodeJS.ProcessEnv,
  execArgv: readonly string[],
  setV8Flags: (flags: string) => void = (f) => v8.setFlagsFromString(f),
  loadHelper: () => MallocHelper | null = loadMallocHelper
): MemoryTuning {
  let percent: number | null = null;
  let glibcMalloc: MemoryTuning['glibcMalloc'] = { notSet: 'PYFLARE_MEMORY_TUNING=off' };
  if (!tuningOff(env)) {
    if (env[JEMALLOC_ENV] === undefined) {
      env[JEMALLOC_ENV] = DUCKDB_JEMALLOC_CONF;
    }
    if (!operatorSetV8Flag(execArgv)) {
      setV8Flags(`${V8_FLAG}=${V8_HEAP_GROWING_PERCENT}`);
      percent = V8_HEAP_GROWING_PERCENT;
    }
    glibcMalloc = setGlibcThresholds(env, loadHelper);
  }
  const applied: MemoryTuning = { duckdbJemallocConf: env[JEMALLOC_ENV] ?? null, v8HeapGrowingPercent: percent, glibcMalloc };
  (globalThis as Record<symbol, unknown>)[APPLIED] = applied;
  return applied;
}

/** What applyMemoryTuning set in this process, for the start-up log (null: not run, as in tests). */
export function appliedMemoryTuning(): MemoryTuning | null {
  return ((globalThis as Record<symbol, unknown>)[APPLIED] as MemoryTuning | undefined) ?? null;
}
