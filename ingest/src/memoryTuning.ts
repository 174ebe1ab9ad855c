// Memory settings that are read once per process, so main.ts applies them before the service
// (and DuckDB's native library) loads. Both cut the service's RSS under sustained ingest at no
// measurable cost in spans/s (bench/README.md, "Memory"):
//  - DuckDB's allocator. libduckdb.so links its own jemalloc, configured from
//    DUCKDB_JE_MALLOC_CONF over DuckDB's built-in "narenas:<cores>,dirty_decay_ms:1000,
//    muzzy_decay_ms:1000". One arena instead of one per core, and freed pages returned to the
//    kernel when they decay instead of being marked lazily free first (MADV_FREE pages count in
//    RSS until the kernel needs them).
//  - V8's heap growth. The OTLP/HTTP receiver frees request bodies as soon as they are logged
//    (otlp/http.ts), so their memory no longer pushes V8 into full collections; without a smaller
//    growing factor the old generation then grows to ~4x its live size between them.
// PYFLARE_MEMORY_TUNING=off leaves both at their defaults. An operator's own
// --heap-growing-percent flag wins, and so does an own DUCKDB_JE_MALLOC_CONF, which replaces
// this one whole (what it does not name keeps DuckDB's built-in value).
import v8 from 'node:v8';

/** jemalloc options for DuckDB's allocator (keys not named keep DuckDB's values). */
export const DUCKDB_JEMALLOC_CONF = 'narenas:1,muzzy_decay_ms:0';
/** V8 grows the old generation to (1 + p/100) x its live size after a full collection. */
export const V8_HEAP_GROWING_PERCENT = 50;

const JEMALLOC_ENV = 'DUCKDB_JE_MALLOC_CONF';
const V8_FLAG = '--heap-growing-percent';
// A global symbol, not a module variable: it stays one record however the build splits the code.
const APPLIED = Symbol.for('pyflare.memoryTuning');

export interface MemoryTuning {
  /** The jemalloc options DuckDB's allocator reads (null: DuckDB's built-in ones). */
  duckdbJemallocConf: string | null;
  /** Set by the service (null: V8's default, or the operator's own flag). */
  v8HeapGrowingPercent: number | null;
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

/**
 * Applies the tuning to `env` (DuckDB's allocator reads it when libduckdb.so loads) and to V8.
 * Must run before anything imports @duckdb/node-api.
 */
export function applyMemoryTuning(
  env: NodeJS.ProcessEnv,
  execArgv: readonly string[],
  setV8Flags: (flags: string) => void = (f) => v8.setFlagsFromString(f)
): MemoryTuning {
  let percent: number | null = null;
  if (!tuningOff(env)) {
    if (env[JEMALLOC_ENV] === undefined) {
      env[JEMALLOC_ENV] = DUCKDB_JEMALLOC_CONF;
    }
    if (!operatorSetV8Flag(execArgv)) {
      setV8Flags(`${V8_FLAG}=${V8_HEAP_GROWING_PERCENT}`);
      percent = V8_HEAP_GROWING_PERCENT;
    }
  }
  const applied: MemoryTuning = { duckdbJemallocConf: env[JEMALLOC_ENV] ?? null, v8HeapGrowingPercent: percent };
  (globalThis as Record<symbol, unknown>)[APPLIED] = applied;
  return applied;
}

/** What applyMemoryTuning set in this process, for the start-up log (null: not run, as in tests). */
export function appliedMemoryTuning(): MemoryTuning | null {
  return ((globalThis as Record<symbol, unknown>)[APPLIED] as MemoryTuning | undefined) ?? null;
}
