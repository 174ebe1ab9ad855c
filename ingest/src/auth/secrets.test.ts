// No API key, token or password in logs or error messages: the real service (src/main.ts in a
// child process, its pino output captured) through auth failures, key management, OTLP on both
// transports, config errors and ClickHouse authentication errors.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { openClickHouse } from '../clickhouse/client.js';
import { loadConfig } from '../config.js';
import { TRACE_EXPORT_PATH } from '../otlp/grpc.js';
import { jsonBody } from '../testing/otlp.js';
import { makeTempDir } from '../testing/service.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const BOOTSTRAP = 'bootstrap-SECRET-key-4f9a1c2b7e';
const WRONG = 'wrong-SECRET-token-8d3e5a1f';
const REDACTION_KEY = 'redaction-SECRET-key-77aa66bb55';
const CH_PASSWORD = 'clickhouse-SECRET-pass-31337';

interface Run {
  code: number | null;
  output: string;
}

/** Starts src/main.ts; `drive` gets the ports once ready; resolves with all stdout+stderr after exit. */
function runService(env: Record<string, string>, drive?: (ports: { http: number; otlp: number; grpc: number }) => Promise<void>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
      cwd: ROOT,
      env: { ...process.env, PYFLARE_HOST: '127.0.0.1', PYFLARE_HTTP_PORT: '0', PYFLARE_OTLP_HTTP_PORT: '0', PYFLARE_OTLP_GRPC_PORT: '0', PYFLARE_LOG_LEVEL: 'trace', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let driving = false;
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /"msg":"pyflare ready"/.test(output) ? /\{[^\n]*"pyflare ready"[^\n]*\}/.exec(output) : null;
      if (m && !driving) {
        driving = true;
        const ready = JSON.parse(m[0]) as { httpPort: number; otlpHttpPort: number; otlpGrpcPort: number };
        (drive ?? (async () => undefined))({ http: ready.httpPort, otlp: ready.otlpHttpPort, grpc: ready.otlpGrpcPort })
          .catch((e: Error) => {
            output += `\nDRIVER FAILED: ${e.message}\n`;
          })
          .finally(() => p.kill('SIGTERM'));
      }
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    p.on('error', reject);
    p.on('exit', (code) => resolve({ code, output }));
    setTimeout(() => p.kill('SIGKILL'), 60_000).unref();
  });
}

function assertNoSecrets(text: string, secrets: string[], where: string): void {
  for (const s of secrets) {
    assert.ok(!text.includes(s), `${where} contains the secret ${s.slice(0, 12)}...:\n${text.slice(0, 4000)}`);
    // Also the base64 of it (a basic-auth header would carry user:password that way).
    assert.ok(!text.includes(Buffer.from(s).toString('base64').slice(0, 16)), `${where} contains the base64 of a secret`);
  }
}

async function grpcCall(port: number, key: string): Promise<grpc.ServiceError | null> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${key}`);
    return await new Promise((resolve) =>
      client.makeUnaryRequest(TRACE_EXPORT_PATH, (b: Buffer) => b, (b: Buffer) => b, Buffer.from([0x0a, 0x02, 0xff, 0xff]), md, (e) => resolve(e))
    );
  } finally {
    client.close();
  }
}

describe('secrets stay out of logs and error messages', () => {
  // Each started service gets a data directory of its own; all go when the suite ends.
  const dirs: string[] = [];
  const tempDir = async () => {
    const d = await makeTempDir();
    dirs.push(d);
    return d;
  };
  after(async () => {
    await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
  });

  it('a running service: auth failures, key management, OTLP/HTTP and gRPC', { timeout: 90_000 }, async () => {
    const dir = await tempDir();
    const bodies: string[] = [];
    let created = '';
    const run = await runService(
      { PYFLARE_DATA_DIR: dir, PYFLARE_API_KEY: BOOTSTRAP, PYFLARE_REDACTION: 'true', PYFLARE_REDACTION_KEY: REDACTION_KEY, PYFLARE_CLICKHOUSE_PASSWORD: CH_PASSWORD },
      async (ports) => {
        const api = `http://127.0.0.1:${ports.http}`;
        const otlp = `http://127.0.0.1:${ports.otlp}`;
        const call = async (url: string, init: RequestInit, expect: number) => {
          const res = await fetch(url, init);
          const text = await res.text();
          bodies.push(text);
          assert.equal(res.status, expect, `${url}: ${text}`);
          return text;
        };
        await call(`${api}/api/v1/status`, { headers: { authorization: `Bearer ${WRONG}` } }, 401);
        await call(`${api}/api/v1/status`, { headers: { 'x-api-key': WRONG } }, 401);
        await call(`${api}/api/v1/status`, { headers: { authorization: `Basic ${Buffer.from(`u:${WRONG}`).toString('base64')}` } }, 401);
        const k = JSON.parse(
          await call(`${api}/api/v1/keys`, { method: 'POST', headers: { authorization: `Bearer ${BOOTSTRAP}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'reader', scopes: ['read'] }) }, 201)
        ) as { key: string };
        created = k.key;
        bodies.pop(); // the one response that must hold a key
        await call(`${api}/api/v1/keys`, { headers: { authorization: `Bearer ${created}` } }, 403);
        await call(`${api}/api/v1/query`, { method: 'POST', headers: { authorization: `Bearer ${created}`, 'content-type': 'application/json' }, body: '{not json' }, 400);
        await call(`${otlp}/v1/traces`, { method: 'POST', headers: { authorization: `Bearer ${WRONG}`, 'content-type': 'application/json' }, body: JSON.stringify(jsonBody([{}])) }, 401);
        await call(`${otlp}/v1/traces`, { method: 'POST', headers: { authorization: `Bearer ${created}`, 'content-type': 'application/json' }, body: '{}' }, 403);
        await call(
          `${otlp}/v1/traces`,
          { method: 'POST', headers: { authorization: `Bearer ${BOOTSTRAP}`, 'content-type': 'application/json' }, body: JSON.stringify(jsonBody([{ attrs: { 'http.request.header.authorization': `Bearer ${WRONG}` } }])) },
          200
        );
        const e1 = await grpcCall(ports.grpc, WRONG);
        assert.equal(e1?.code, grpc.status.UNAUTHENTICATED);
        const e2 = await grpcCall(ports.grpc, BOOTSTRAP);
        assert.equal(e2?.code, grpc.status.INVALID_ARGUMENT);
        bodies.push(e1?.details ?? '', e2?.details ?? '');
      }
    );
    assert.equal(run.code, 0, run.output.slice(-2000));
    assert.match(run.output, /"pyflare ready"/);
    assert.doesNotMatch(run.output, /DRIVER FAILED/, run.output.slice(-2000));
    assert.ok(created.startsWith('pfk_'));
    assertNoSecrets(run.output, [BOOTSTRAP, WRONG, REDACTION_KEY, CH_PASSWORD, created], 'service log');
    assertNoSecrets(bodies.join('\n'), [BOOTSTRAP, WRONG, REDACTION_KEY, CH_PASSWORD, created], 'error responses');
  });

  it('config errors name the variable, never a secret value (also URL credentials)', { timeout: 60_000 }, async () => {
    const cases: Array<Record<string, string>> = [
      { PYFLARE_API_KEY: 'SECRET7', PYFLARE_HTTP_PORT: 'x' },
      { PYFLARE_REDACTION: 'true', PYFLARE_REDACTION_KEY: 'SECRET-short' },
      { PYFLARE_CLICKHOUSE_URL: `ftp://admin:${CH_PASSWORD}@db:8123`, PYFLARE_CLICKHOUSE_PASSWORD: CH_PASSWORD },
    ];
    for (const env of cases) {
      const secrets = Object.values(env).filter((v) => v.includes('SECRET'));
      assert.throws(
        () => loadConfig(env),
        (e: Error) => {
          assertNoSecrets(e.message, secrets, 'ConfigError');
          return /invalid configuration: PYFLARE_/.test(e.message);
        }
      );
    }
    const run = await runService({ ...cases[2]!, PYFLARE_DATA_DIR: await tempDir() });
    assert.equal(run.code, 1);
    assert.match(run.output, /PYFLARE_CLICKHOUSE_URL/);
    assertNoSecrets(run.output, [CH_PASSWORD], 'fatal config line');
  });

  it('a ClickHouse authentication failure does not carry the password', { timeout: 60_000 }, async () => {
    // A stand-in ClickHouse that refuses every login the way a real one does (code 516).
    let sawAuth = false;
    const fake = http.createServer((req, res) => {
      sawAuth ||= Boolean(req.headers.authorization ?? req.headers['x-clickhouse-key']);
      req.resume();
      res.writeHead(516, { 'content-type': 'text/plain', 'x-clickhouse-exception-code': '516' });
      res.end('Code: 516. DB::Exception: admin: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)\n');
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const port = (fake.address() as AddressInfo).port;
    try {
      const err = await openClickHouse({ url: `http://127.0.0.1:${port}`, username: 'admin', password: CH_PASSWORD, database: 'pyflare', cluster: undefined }).then(
        () => null,
        (e: Error) => e
      );
      assert.ok(err, 'the login must fail');
      assert.ok(sawAuth, 'credentials were sent (so the test can see a leak)');
      assertNoSecrets(`${err.message}\n${err.stack ?? ''}\n${JSON.stringify(err)}`, [CH_PASSWORD], 'ClickHouse error');
      // And through the real entry point, when the service is configured for ClickHouse.
      const run = await runService({
        PYFLARE_DATA_DIR: await tempDir(),
        PYFLARE_STORAGE: 'clickhouse',
        PYFLARE_CLICKHOUSE_URL: `http://127.0.0.1:${port}`,
        PYFLARE_CLICKHOUSE_USER: 'admin',
        PYFLARE_CLICKHOUSE_PASSWORD: CH_PASSWORD,
      });
      assertNoSecrets(run.output, [CH_PASSWORD], 'service log (ClickHouse login failure)');
    } finally {
      fake.close();
    }
  });
});
