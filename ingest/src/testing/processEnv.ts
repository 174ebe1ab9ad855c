import { GLIBC_MALLOC_ENV } from '../memoryTuning.js';

// Environment of a service process started by a test or bench: its data directory, loopback
// only, and free ports for all three listeners (the process logs the ones it got).
export function localServiceEnv(dataDir: string): Record<string, string> {
  return {
    PYFLARE_DATA_DIR: dataDir,
    PYFLARE_HOST: '127.0.0.1',
    PYFLARE_HTTP_PORT: '0',
    PYFLARE_OTLP_HTTP_PORT: '0',
    PYFLARE_OTLP_GRPC_PORT: '0',
  };
}

/**
 * The variables that set the service's memory tuning or glibc's malloc: a test of the tuning
 * starts the service without them, so the runner's own settings do not change what it checks.
 */
const MEMORY_ENV = ['PYFLARE_MEMORY_TUNING', 'DUCKDB_JE_MALLOC_CONF', 'GLIBC_TUNABLES', ...GLIBC_MALLOC_ENV];

/** `env` without the memory settings (MEMORY_ENV). */
export function withoutMemoryEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const k of MEMORY_ENV) {
    delete out[k];
  }
  return out;
}

/** The glibc version this process runs on; undefined on other C libraries and systems. */
export function glibcRuntime(): string | undefined {
  return (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime;
}
