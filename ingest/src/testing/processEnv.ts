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
