import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

import type { QueryResponseJSON } from '@pyflare/query-model';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
export const SERVER_JS = path.join(ROOT, 'ingest', 'dist', 'server.js');

export interface Service {
  httpUrl: string;
  otlpHttpUrl: string;
  apiKey: string;
  /** Every stdout/stderr line, for failure messages. */
  log: string[];
  stop(): Promise<void>;
}

/** Starts the real PyFlare service (built) on free ports with a fresh data directory. */
export async function startService(): Promise<Service> {
  if (!existsSync(SERVER_JS)) {
    throw new Error(`${SERVER_JS} is missing: run "npm run build -w @pyflare/ingest" first`);
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), 'pyflare-data-'));
  const apiKey = `pf_browser_test_${process.pid}_key`;
  const child: ChildProcess = spawn(process.execPath, [SERVER_JS], {
    cwd: ROOT,
    env: {
      ...process.env,
      PYFLARE_DATA_DIR: dataDir,
      PYFLARE_API_KEY: apiKey,
      PYFLARE_HOST: '127.0.0.1',
      PYFLARE_HTTP_PORT: '0',
      PYFLARE_OTLP_HTTP_PORT: '0',
      PYFLARE_OTLP_GRPC_PORT: '0',
      PYFLARE_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => log.push(l));

  const ready = await new Promise<{ httpPort: number; otlpHttpPort: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service not ready after 60 s:\n${log.join('\n')}`)), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code} before it was ready:\n${log.join('\n')}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      log.push(line);
      if (!line.includes('"msg":"pyflare ready"')) {
        return;
      }
      try {
        const j = JSON.parse(line) as { httpPort?: unknown; otlpHttpPort?: unknown };
        if (typeof j.httpPort === 'number' && typeof j.otlpHttpPort === 'number') {
          clearTimeout(timer);
          resolve({ httpPort: j.httpPort, otlpHttpPort: j.otlpHttpPort });
        }
      } catch {
        // not the JSON line we wait for
      }
    });
  });

  return {
    httpUrl: `http://127.0.0.1:${ready.httpPort}`,
    otlpHttpUrl: `http://127.0.0.1:${ready.otlpHttpPort}`,
    apiKey,
    log,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function postJson(url: string, apiKey: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

export async function getJson(url: string, apiKey: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${apiKey}` } });
  return { status: res.status, json: await res.json().catch(() => undefined) };
}

/** Polls until the service has stored at least `count` spans (intake is asynchronous). */
export async function waitForSpans(svc: Service, count: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const { status, json } = await getJson(`${svc.httpUrl}/api/v1/status`, svc.apiKey);
    last = json;
    if (status === 200 && typeof (json as { spanCount?: unknown }).spanCount === 'number') {
      if ((json as { spanCount: number }).spanCount >= count) {
        return;
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`service did not store ${count} spans in time; last status: ${JSON.stringify(last)}`);
}

export async function query(
  svc: Service,
  queries: Array<{ refId: string; query: Record<string, unknown> }>,
  range: { from: number; to: number }
): Promise<QueryResponseJSON> {
  const { status, json } = await postJson(`${svc.httpUrl}/api/v1/query`, svc.apiKey, {
    queries: queries.map((q) => ({ ...q, timeRange: range, intervalMs: 60_000, maxDataPoints: 1000 })),
  });
  if (status !== 200) {
    throw new Error(`POST /api/v1/query: HTTP ${status} ${JSON.stringify(json)}`);
  }
  return json as QueryResponseJSON;
}
