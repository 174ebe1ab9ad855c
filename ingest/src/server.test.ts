// Service wiring: gRPC intake through the real OpenTelemetry gRPC exporter, the shared-port
// mode, restart persistence, and the entry point's start-up / config-error behaviour.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { BasicTracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { loadConfig } from './config.js';
import { DUCKDB_JEMALLOC_CONF } from './memoryTuning.js';
import { autoCeiling, parseSize } from './storage/memoryFit.js';
import { hex, jsonBody } from './testing/otlp.js';
import { glibcRuntime, localServiceEnv, withoutMemoryEnv } from './testing/processEnv.js';
import { getJson, makeTempDir, postJson, startTestService, TEST_API_KEY } from './testing/service.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('service', () => {
  it('accepts spans from the OpenTelemetry JS gRPC exporter and refuses a bad key', async () => {
    const svc = await startTestService();
    try {
      const send = async (key: string) => {
        const metadata = new grpc.Metadata();
        metadata.set('authorization', `Bearer ${key}`);
        const exporter = new GrpcExporter({
          url: `http://127.0.0.1:${svc.service.otlpGrpcPort}`,
          metadata,
          credentials: grpc.credentials.createInsecure(),
        });
        // Collect the finished span, then hand it to the exporter ourselves to see the result code.
        const finished: ReadableSpan[] = [];
        const provider = new BasicTracerProvider({
          spanProcessors: [
            {
              onStart: () => undefined,
              onEnd: (sp: ReadableSpan) => finished.push(sp),
              forceFlush: async () => undefined,
              shutdown: async () => undefined,
            },
          ],
        });
        const s = provider.getTracer('grpc-test').startSpan('chat claude', {
          attributes: {
            'gen_ai.provider.name': 'anthropic',
            'gen_ai.request.model': 'claude-3-5-haiku-20241022',
            'gen_ai.usage.input_tokens': 40,
            'gen_ai.usage.output_tokens': 4,
          },
        });
        s.end();
        const code = await new Promise<number>((resolve) => exporter.export(finished, (r) => resolve(r.code)));
        await exporter.shutdown();
        const codes = [code];
        return { traceId: s.spanContext().traceId, codes };
      };
      const ok = await send(TEST_API_KEY);
      assert.deepEqual(ok.codes, [0], 'ExportResultCode.SUCCESS');
      await svc.service.intake.flush();
      const t = await getJson<{ spans: Array<Record<string, any>> }>(`${svc.apiUrl}/api/v1/traces/${ok.traceId}`);
      assert.equal(t.status, 200);
      assert.equal(t.body.spans[0]!.provider, 'anthropic');
      assert.equal(t.body.spans[0]!.cost.source, 'computed');
      const bad = await send('not-a-key');
      assert.deepEqual(bad.codes, [1], 'ExportResultCode.FAILED');
      assert.equal((await getJson(`${svc.apiUrl}/api/v1/traces/${bad.traceId}`)).status, 404);
      const metrics = await (await fetch(`${svc.apiUrl}/metrics`)).text();
      assert.match(metrics, /^pyflare_spans_accepted_total\{protocol="grpc"\} 1$/m);
    } finally {
      await svc.stop();
    }
  });

  it('serves REST and OTLP/HTTP on one port when configured so, and keeps data across restarts', async () => {
    const dir = await makeTempDir();
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const first = await startTestService({ httpPort: port, otlpHttpPort: port }, { dir });
    const traceId = hex(16);
    try {
      assert.equal(first.service.otlpHttpPort, first.service.httpPort);
      const res = await postJson(`${first.otlpUrl}/v1/traces`, jsonBody([{ traceId, name: 'persisted' }]));
      assert.equal(res.status, 200);
    } finally {
      await first.stop({ keepDir: true });
    }
    const second = await startTestService({}, { dir });
    try {
      const t = await getJson<{ spans: Array<{ name: string }> }>(`${second.apiUrl}/api/v1/traces/${traceId}`);
      assert.deepEqual(t.body.spans.map((s) => s.name), ['persisted']);
    } finally {
      await second.stop();
    }
  });

  it('validates the environment, naming the bad variable', () => {
    assert.throws(() => loadConfig({ PYFLARE_HTTP_PORT: '70000' }), /PYFLARE_HTTP_PORT: must be 0-65535 \(got "70000"\)/);
    assert.throws(() => loadConfig({ PYFLARE_AUTH_DISABLED: 'maybe' }), /PYFLARE_AUTH_DISABLED: must be true or false/);
    assert.throws(() => loadConfig({ PYFLARE_API_KEY: 'short' }), (e: Error) => /PYFLARE_API_KEY: must be at least 8/.test(e.message) && !e.message.includes('short'));
    assert.equal(loadConfig({ PYFLARE_API_KEY: 'pyflare-dev-key' }).apiKey, 'pyflare-dev-key');
    assert.throws(() => loadConfig({ PYFLARE_RETENTION_DAYS: '-1' }), /PYFLARE_RETENTION_DAYS: must be >= 0/);
    assert.throws(() => loadConfig({ PYFLARE_MEMORY_TUNING: 'less' }), /PYFLARE_MEMORY_TUNING: must be on or off/);
    // Only checked here: main.ts has applied it (memoryTuning.ts) before the config is read.
    assert.doesNotThrow(() => loadConfig({ PYFLARE_MEMORY_TUNING: ' Off ' }));
    assert.throws(
      () => loadConfig({ PYFLARE_DUCKDB_MEMORY_START: '1GB', PYFLARE_DUCKDB_MEMORY_LIMIT: '512MB' }),
      /PYFLARE_DUCKDB_MEMORY_START: must not exceed PYFLARE_DUCKDB_MEMORY_LIMIT \(got 1GB and 512MB\)/
    );
    assert.throws(() => loadConfig({ PYFLARE_DUCKDB_MEMORY_LIMIT: '0MB' }), /PYFLARE_DUCKDB_MEMORY_LIMIT: must be more than 0/);
    assert.throws(() => loadConfig({ PYFLARE_DUCKDB_MEMORY_LIMIT: 'lots' }), /PYFLARE_DUCKDB_MEMORY_LIMIT: must be auto or a size such as 512MB or 2GiB \(got "lots"\)/);
    assert.equal(loadConfig({ PYFLARE_DUCKDB_MEMORY_START: '512MB' }).duckdbMemoryStart, '512MB');
    // The cap defaults to a quarter of this machine's (or cgroup's) memory, in bytes.
    const auto = loadConfig({});
    assert.equal(auto.duckdbMemoryLimit, `${autoCeiling(os.totalmem(), process.constrainedMemory())}B`);
    assert.ok(parseSize(auto.duckdbMemoryLimit) >= 512e6);
    assert.equal(auto.duckdbMemoryStart, '128MB');
    assert.equal(loadConfig({ PYFLARE_DUCKDB_MEMORY_LIMIT: 'AUTO' }).duckdbMemoryLimit, auto.duckdbMemoryLimit);
    // A small fixed cap takes the default start down with it; an explicit start above it is refused.
    assert.deepEqual(
      (({ duckdbMemoryLimit, duckdbMemoryStart }) => ({ duckdbMemoryLimit, duckdbMemoryStart }))(loadConfig({ PYFLARE_DUCKDB_MEMORY_LIMIT: '100MB' })),
      { duckdbMemoryLimit: '100MB', duckdbMemoryStart: '100MB' }
    );
    assert.throws(
      () => loadConfig({ PYFLARE_DUCKDB_MEMORY_LIMIT: '100MB', PYFLARE_DUCKDB_MEMORY_START: '128MB' }),
      /PYFLARE_DUCKDB_MEMORY_START: must not exceed PYFLARE_DUCKDB_MEMORY_LIMIT \(got 128MB and 100MB\)/
    );
    // No authentication only where nobody else can connect.
    assert.throws(
      () => loadConfig({ PYFLARE_AUTH_DISABLED: 'true' }),
      /PYFLARE_AUTH_DISABLED: only allowed with PYFLARE_HOST on a loopback address \(127\.0\.0\.1, ::1 or localhost\), got "0\.0\.0\.0"/
    );
    assert.throws(() => loadConfig({ PYFLARE_AUTH_DISABLED: 'true', PYFLARE_HOST: '10.0.0.5' }), /got "10\.0\.0\.5"/);
    for (const host of ['localhost', '::1', '[::1]', '127.0.0.1', '127.1.2.3']) {
      assert.equal(loadConfig({ PYFLARE_AUTH_DISABLED: 'true', PYFLARE_HOST: host }).authDisabled, true, host);
    }
    const c = loadConfig({ PYFLARE_HTTP_PORT: '', PYFLARE_AUTH_DISABLED: 'true', PYFLARE_HOST: '127.0.0.1', PYFLARE_DATA_DIR: '/tmp/x' });
    assert.equal(c.httpPort, 8780);
    assert.equal(c.otlpHttpPort, 4318);
    assert.equal(c.otlpGrpcPort, 4317);
    assert.equal(c.authDisabled, true);
    assert.equal(c.retentionDays, 30);
    assert.equal(c.maxBodyBytes, 16 * 1024 * 1024);
    assert.equal(c.dataDir, '/tmp/x');
  });

  it('main exits 1 with a clear message on a bad variable, and prints the ready line otherwise', async () => {
    const run = (env: Record<string, string>, untilReady: boolean) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const p = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
          cwd: ROOT,
          env: { ...withoutMemoryEnv(process.env), ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        p.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (untilReady && out.includes('"pyflare ready"')) {
            p.kill('SIGTERM');
          }
        });
        p.stderr.on('data', (d: Buffer) => (err += d.toString()));
        p.on('exit', (code) => resolve({ code, out, err }));
      });
    const bad = await run({ PYFLARE_OTLP_GRPC_PORT: 'abc' }, false);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /invalid configuration: PYFLARE_OTLP_GRPC_PORT: must be a port number/);

    const dir = await makeTempDir();
    const good = await run(
      {
        ...localServiceEnv(dir),
        PYFLARE_AUTH_DISABLED: 'true',
      },
      true
    );
    await fs.rm(dir, { recursive: true, force: true });
    assert.equal(good.code, 0, good.err);
    const lines = good.out.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>);
    const ready = lines.filter((l) => l.msg === 'pyflare ready');
    assert.equal(ready.length, 1);
    for (const k of ['httpPort', 'otlpHttpPort', 'otlpGrpcPort']) {
      assert.ok(typeof ready[0]![k] === 'number' && (ready[0]![k] as number) > 0, k);
    }
    // DuckDB's memory: the start it runs with and the automatic cap.
    assert.equal(ready[0]!.duckdbMemoryMB, 128);
    assert.equal(ready[0]!.duckdbMemoryMaxMB, Math.round(autoCeiling(os.totalmem(), process.constrainedMemory()) / 1e6));
    // main.ts set the memory tuning before the service (and DuckDB) loaded; glibc's thresholds
    // through the helper the build put in dist/ (main.test checks a built one), where it is.
    const glibc = glibcRuntime();
    const helperBuilt = existsSync(path.join(ROOT, 'dist', 'pyflare-malloc.node'));
    assert.deepEqual(ready[0]!.memoryTuning, {
      duckdbJemallocConf: DUCKDB_JEMALLOC_CONF,
      v8HeapGrowingPercent: 50,
      glibcMalloc:
        glibc !== undefined && helperBuilt
          ? { mmapThreshold: 4 * 1024 * 1024, trimThreshold: 128 * 1024 }
          : { notSet: helperBuilt ? 'not glibc' : 'no native helper (pyflare-malloc.node is built by build.mjs where a C compiler is found)' },
    });
    assert.ok(lines.some((l) => l.level === 40 && /AUTHENTICATION IS DISABLED/.test(String(l.msg))), 'auth-disabled warning');
    assert.ok(lines.some((l) => l.msg === 'pyflare stopped'));
  });
});
