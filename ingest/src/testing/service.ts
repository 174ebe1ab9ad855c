// Starts the real service in-process on a temp data dir with free ports (tests only).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config.js';
import { DEFAULT_LIMITS } from '../limits/index.js';
import { SAMPLING_OFF } from '../sampling/index.js';
import { startService, type Service, type StartOptions } from '../server.js';

export const TEST_API_KEY = 'test-key-0123456789abcdef0123';

export interface TestService {
  service: Service;
  dir: string;
  apiUrl: string;
  otlpUrl: string;
  /** Stops the service (idempotent); `keepDir` leaves the data dir for a restart. */
  stop(opts?: { keepDir?: boolean }): Promise<void>;
}

export async function makeTempDir(prefix = 'pyflare-test-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export function testConfig(dir: string, overrides: Partial<Config> = {}): Config {
  return {
    dataDir: dir,
    host: '127.0.0.1',
    httpPort: 0,
    otlpHttpPort: 0,
    otlpGrpcPort: 0,
    apiKey: TEST_API_KEY,
    authDisabled: false,
    logLevel: 'silent',
    retentionDays: 30,
    pricesFile: undefined,
    maxBodyBytes: 16 * 1024 * 1024,
    queueMaxSpans: 200_000,
    queueMaxBytes: 16 * 1024 * 1024,
    duckdbMemoryLimit: '128MB',
    duckdbMemoryStart: '128MB',
    duckdbThreads: 0,
    commitIntervalMs: 0,
    checkpointIntervalMs: 10_000,
    storage: 'duckdb',
    clickhouse: { url: `chdb:${path.join(dir, 'clickhouse')}`, username: 'default', password: '', database: 'pyflare', cluster: undefined },
    privacy: { enabled: false, mode: 'mask', policyFile: undefined, key: undefined, dropContent: false },
    limits: { ...DEFAULT_LIMITS },
    tls: undefined,
    sampling: { ...SAMPLING_OFF },
    retention: { spansDays: 30, inferencesDays: 30, auditDays: 1826 },
    ...overrides,
  };
}

export async function startTestService(
  overrides: Partial<Config> = {},
  opts: StartOptions & { dir?: string } = {}
): Promise<TestService> {
  const dir = opts.dir ?? (await makeTempDir());
  const service = await startService(testConfig(dir, overrides), opts);
  let stopped = false;
  return {
    service,
    dir,
    apiUrl: `http://127.0.0.1:${service.httpPort}`,
    otlpUrl: `http://127.0.0.1:${service.otlpHttpPort}`,
    async stop(o = {}) {
      if (!stopped) {
        stopped = true;
        await service.close();
      }
      if (!o.keepDir) {
        await fs.rm(dir, { recursive: true, force: true });
      }
    },
  };
}

export const auth = (key = TEST_API_KEY) => ({ authorization: `Bearer ${key}` });

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth(), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export async function getJson<T = unknown>(url: string, headers: Record<string, string> = auth()): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}
