// Two ingest replicas sharing one ClickHouse, all as separate processes: the ClickHouse engine
// (chdb behind ClickHouse's HTTP interface, src/testing/chdbHttpServerMain.ts) and two built
// services (dist bundle) with PYFLARE_STORAGE=clickhouse, each with its own data dir and ports.
// Proves: replicas need no coordination, each one's queries see the spans of both, nothing is
// lost or doubled (also a batch retried against the other replica), ClickHouse going down gives
// 503 + Retry-After / UNAVAILABLE and coming back (same data dir and port) loses nothing that
// was acknowledged, and drift evaluation runs once per bucket across the replicas (lease).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { TRACE_EXPORT_PATH } from './otlp/grpc.js';
import { jsonBody, type JsonSpanSpec } from './testing/otlp.js';
import { localServiceEnv } from './testing/processEnv.js';
import { makeTempDir, TEST_API_KEY } from './testing/service.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Its own directory: the build writes the entry and its chunks there.
const BUNDLE = path.join(ROOT, '.test-build', `server-replicas-${process.pid}`, 'server.js');
const CH_USER = 'pyflare';
const CH_PASSWORD = 'replica-test-pw';
const HOUR = 3_600_000;

interface PbType {
  encode(m: unknown): { finish(): Uint8Array };
}
const requireCjs = createRequire(import.meta.url);
const PbRequest = (
  requireCjs('@opentelemetry/otlp-transformer/build/src/generated/root') as {
    opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: PbType } } } } };
  }
).opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

interface Proc {
  proc: ChildProcess;
  ready: Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
  output: string[];
}

function startProc(args: string[], env: Record<string, string>, readyMsg: string): Proc {
  const proc = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  proc.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
      output.push(line);
      if (line.includes(`"${readyMsg}"`)) {
        resolve(JSON.parse(line) as Record<string, unknown>);
      }
    });
    void exited.then((code) => reject(new Error(`${args.join(' ')} exited (${code}) before ready: ${output.join('\n').slice(-3000)}`)));
  });
  ready.catch(() => undefined);
  return { proc, ready, exited, output };
}

async function stopProc(p: Proc | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p && p.proc.exitCode === null && p.proc.signalCode === null) {
    p.proc.kill(signal);
    await p.exited;
  }
}

interface Replica {
  p: Proc;
  api: string;
  otlp: string;
  grpcPort: number;
}

const headers = { 'x-api-key': TEST_API_KEY };

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  assert.equal(res.status, 200, `${url}: ${text}`);
  return JSON.parse(text) as T;
}

function postOtlp(r: Replica, body: string): Promise<Response> {
  return fetch(`${r.otlp}/v1/traces`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
}

/** One OTLP/JSON batch of `traces` LLM traces (2 spans each) and its span keys. */
function batch(traces: number, service: string, startMs: number): { body: string; keys: string[]; traceIds: string[] } {
  const specs: JsonSpanSpec[] = [];
  const traceIds: string[] = [];
  for (let t = 0; t < traces; t++) {
    const traceId = crypto.randomBytes(16).toString('hex');
    const root = crypto.randomBytes(8).toString('hex');
    traceIds.push(traceId);
    specs.push({ traceId, spanId: root, name: 'agent', startMs: startMs + t, durationMs: 900 });
    specs.push({
      traceId,
      parentSpanId: root,
      name: 'chat gpt-4o',
      startMs: startMs + t + 10,
      durationMs: 800,
      attrs: { 'gen_ai.system': 'openai', 'gen_ai.request.model': t % 2 ? 'gpt-4o' : 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 100 + t, 'gen_ai.usage.output_tokens': 20 },
    });
  }
  const body = jsonBody(specs, service);
  const keys = (((body.resourceSpans as Array<{ scopeSpans: Array<{ spans: Array<{ traceId: string; spanId: string }> }> }>)[0]!.scopeSpans[0]!.spans)).map((s) => `${s.traceId}/${s.spanId}`);
  return { body: JSON.stringify(body), keys, traceIds };
}

/** The same kind of batch as OTLP/protobuf (for gRPC). */
function protoBatch(service: string): Uint8Array {
  const now = BigInt(Date.now()) * 1_000_000n;
  return PbRequest.encode({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [
          {
            spans: [
              { traceId: crypto.randomBytes(16), spanId: crypto.randomBytes(8), name: 'grpc op', kind: 1, startTimeUnixNano: String(now - 1_000_000_000n), endTimeUnixNano: String(now) },
            ],
          },
        ],
      },
    ],
  }).finish();
}

function grpcExport(port: number, body: Uint8Array): Promise<grpc.ServiceError | null> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  md.set('x-api-key', TEST_API_KEY);
  return new Promise((resolve) => {
    client.makeUnaryRequest(TRACE_EXPORT_PATH, (b: Buffer) => b, (b: Buffer) => b, Buffer.from(body), md, { deadline: Date.now() + 30_000 }, (err) => {
      client.close();
      resolve(err ?? null);
    });
  });
}

describe('two ingest replicas on one ClickHouse (separate processes)', { timeout: 300_000 }, () => {
  let root: string;
  let chDir: string;
  let chPort = 0;
  let ch: Proc | undefined;
  const replicas: Replica[] = [];
  /** Every span acknowledged (200) by either replica. */
  const acked = new Set<string>();
  const ackedTraces = new Set<string>();
  const t0 = Date.now() - 10 * 60_000;

  const startClickHouse = async () => {
    ch = startProc(['--import', 'tsx', path.join(ROOT, 'src/testing/chdbHttpServerMain.ts')], {
      CHDB_HTTP_DIR: chDir,
      CHDB_HTTP_PORT: String(chPort),
      CHDB_HTTP_USER: CH_USER,
      CHDB_HTTP_PASSWORD: CH_PASSWORD,
    }, 'chdb http ready');
    chPort = (await ch.ready).port as number;
  };

  const startReplica = async (name: string): Promise<Replica> => {
    const p = startProc([BUNDLE], {
      ...localServiceEnv(path.join(root, name)),
      PYFLARE_API_KEY: TEST_API_KEY,
      PYFLARE_LOG_LEVEL: 'info',
      PYFLARE_STORAGE: 'clickhouse',
      PYFLARE_CLICKHOUSE_URL: `http://127.0.0.1:${chPort}`,
      PYFLARE_CLICKHOUSE_USER: CH_USER,
      PYFLARE_CLICKHOUSE_PASSWORD: CH_PASSWORD,
      PYFLARE_CLICKHOUSE_DATABASE: 'pf_replicas',
      PYFLARE_DRIFT_INTERVAL_MS: '0',
      PYFLARE_DRIFT_GRACE_MS: '0',
      PYFLARE_DRIFT_BUCKET: '1h',
      PYFLARE_DRIFT_REPLICA_ID: name,
    }, 'pyflare ready');
    const r = (await p.ready) as { httpPort: number; otlpHttpPort: number; otlpGrpcPort: number };
    return { p, api: `http://127.0.0.1:${r.httpPort}`, otlp: `http://127.0.0.1:${r.otlpHttpPort}`, grpcPort: r.otlpGrpcPort };
  };

  const spanCount = async (r: Replica) => (await getJson<{ spanCount: number }>(`${r.api}/api/v1/status`)).spanCount;

  before(async () => {
    await fs.mkdir(path.dirname(BUNDLE), { recursive: true });
    const b = spawnSync(process.execPath, [path.join(ROOT, 'build.mjs'), BUNDLE], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(b.status, 0, `build failed: ${b.stderr}`);
    root = await makeTempDir('pyflare-replicas-');
    chDir = path.join(root, 'clickhouse');
    await startClickHouse();
    // Started together: schema migrations must tolerate a concurrent replica.
    replicas.push(...(await Promise.all([startReplica('a'), startReplica('b')])));
  });

  after(async () => {
    await Promise.all(replicas.map((r) => stopProc(r.p)));
    await stopProc(ch);
    await fs.rm(root, { recursive: true, force: true });
    await fs.rm(path.dirname(BUNDLE), { recursive: true, force: true });
  });

  it('each replica sees the spans sent to both, in search, trace by id, metrics and status', async () => {
    const [a, b] = [replicas[0]!, replicas[1]!];
    // Concurrent exports to both replicas.
    const sends = Array.from({ length: 16 }, (_, i) => {
      const x = batch(10, i % 2 ? 'svc-b' : 'svc-a', t0 + i * 1000);
      return { x, r: i % 2 ? b : a };
    });
    await Promise.all(
      sends.map(async ({ x, r }) => {
        const res = await postOtlp(r, x.body);
        assert.equal(res.status, 200, await res.text());
        x.keys.forEach((k) => acked.add(k));
        x.traceIds.forEach((t) => ackedTraces.add(t));
      })
    );
    const from = t0 - HOUR;
    const to = Date.now() + 60_000;
    for (const r of [a, b]) {
      assert.equal(await spanCount(r), acked.size, `${r.api}: status spanCount`);
      const seen = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await getJson<{ traces: Array<{ traceId: string; spanCount: number }>; nextCursor: string | null }>(
          `${r.api}/api/v1/traces?from=${from}&to=${to}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`
        );
        page.traces.forEach((t) => {
          assert.equal(t.spanCount, 2, `trace ${t.traceId} has its 2 spans once`);
          seen.add(t.traceId);
        });
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      assert.deepEqual([...seen].sort(), [...ackedTraces].sort(), `${r.api}: trace search sees every trace of both replicas`);
      // A trace sent to the other replica, by id.
      const other = (r === a ? sends[1]! : sends[0]!).x.traceIds[3]!;
      const tr = await getJson<{ spans: unknown[] }>(`${r.api}/api/v1/traces/${other}`);
      assert.equal(tr.spans.length, 2);
      const m = await getJson<{ series: Array<{ labels: Record<string, string>; values: Array<number | null> }> }>(
        `${r.api}/api/v1/metrics?metric=request_count&aggregation=sum&groupBy=service&spans=all&from=${from}&to=${to}&intervalMs=${HOUR}`
      );
      const byService = Object.fromEntries(m.series.map((s) => [s.labels.service, s.values.reduce<number>((x, v) => x + (v ?? 0), 0)]));
      assert.deepEqual(byService, { 'svc-a': 160, 'svc-b': 160 }, `${r.api}: metrics over both replicas' spans`);
    }
  });

  it('stores a batch retried against the other replica once', async () => {
    const [a, b] = [replicas[0]!, replicas[1]!];
    const x = batch(5, 'svc-retry', t0 + 50_000);
    const before_ = await spanCount(a);
    assert.equal((await postOtlp(a, x.body)).status, 200);
    // The client did not see the answer (say, a timeout) and retries on the other replica.
    assert.equal((await postOtlp(b, x.body)).status, 200);
    x.keys.forEach((k) => acked.add(k));
    x.traceIds.forEach((t) => ackedTraces.add(t));
    assert.equal(await spanCount(a), before_ + x.keys.length, 'retried batch stored once');
    assert.equal(await spanCount(b), acked.size);
    const tr = await getJson<{ spans: unknown[] }>(`${b.api}/api/v1/traces/${x.traceIds[0]!}`);
    assert.equal(tr.spans.length, 2);
  });

  it('answers 503 + Retry-After / UNAVAILABLE while ClickHouse is down and loses nothing acknowledged after it is back', async () => {
    const [a, b] = [replicas[0]!, replicas[1]!];
    await stopProc(ch, 'SIGKILL');
    // The first request may spend the intake's retry window (5 s) before it is refused.
    const refused: Array<ReturnType<typeof batch>> = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5 && retryAfter === null; i++) {
      const x = batch(3, 'svc-down', t0 + 60_000 + i);
      const res = await postOtlp(a, x.body);
      const text = await res.text();
      if (res.status === 200) {
        x.keys.forEach((k) => acked.add(k)); // cannot happen with the server gone, but count it if it does
        continue;
      }
      assert.equal(res.status, 503, text);
      retryAfter = res.headers.get('retry-after');
      refused.push(x);
    }
    assert.ok(retryAfter !== null && Number(retryAfter) > 0, `503 carries Retry-After (${retryAfter})`);
    const err = await grpcExport(b.grpcPort, protoBatch('svc-down-grpc'));
    assert.equal(err?.code, grpc.status.UNAVAILABLE, `gRPC export while ClickHouse is down: ${err?.message ?? 'succeeded'}`);
    // The service itself stays up (liveness); it has no ClickHouse readiness check.
    assert.equal((await fetch(`${a.api}/healthz`)).status, 200);

    await startClickHouse(); // same data dir, same port
    // Replicas notice through their probe (every 0.5 s); the client retries the refused batch.
    const retry = refused[0]!;
    let status = 0;
    for (let i = 0; i < 60 && status !== 200; i++) {
      const res = await postOtlp(b, retry.body);
      status = res.status;
      await res.text();
      if (status !== 200) {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    assert.equal(status, 200, 'exports succeed again once ClickHouse is back');
    retry.keys.forEach((k) => acked.add(k));
    retry.traceIds.forEach((t) => ackedTraces.add(t));
    let grpcErr: grpc.ServiceError | null = null;
    for (let i = 0; i < 20; i++) {
      grpcErr = await grpcExport(a.grpcPort, protoBatch('svc-up-grpc'));
      if (!grpcErr) {
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(grpcErr, null, `gRPC export after recovery: ${grpcErr?.message}`);
    const grpcSpans = 1;
    for (const r of [a, b]) {
      assert.equal(await spanCount(r), acked.size + grpcSpans, `${r.api}: every acknowledged span, once, after the restart`);
    }
    const tr = await getJson<{ spans: unknown[] }>(`${a.api}/api/v1/traces/${[...ackedTraces][0]!}`);
    assert.equal(tr.spans.length, 2);
  });

  it('evaluates each drift bucket once across the replicas', async () => {
    const [a, b] = [replicas[0]!, replicas[1]!];
    const now = Date.now();
    const lastClosed = Math.floor(now / HOUR) * HOUR - HOUR;
    const first = lastClosed - 2 * HOUR;
    // 3 closed hourly buckets of records, half posted to each replica.
    for (const [i, r] of [a, b].entries()) {
      const records = Array.from({ length: 120 }, (_, k) => ({
        modelId: 'fraud',
        timestamp: first + (k % 3) * HOUR + 1000 * (k + 1) + i,
        features: { amount: (k % 17) * 3.5 + i, country: k % 3 ? 'DE' : 'FR' },
        prediction: { class: k % 4 ? 'ok' : 'fraud', probability: (k % 10) / 10 },
      }));
      const res = await fetch(`${r.api}/api/v1/inferences`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(records) });
      assert.equal(res.status, 200, await res.text());
    }
    for (const r of [a, b]) {
      const m = await getJson<{ models: Array<{ modelId: string }> }>(`${r.api}/api/v1/drift/models`);
      assert.ok(JSON.stringify(m).includes('fraud'), `${r.api} sees the model of both replicas' records`);
    }
    type Tick = { evaluated: { buckets: number; leasedElsewhere: number } };
    const evaluate = (r: Replica) =>
      fetch(`${r.api}/api/v1/drift/evaluate`, { method: 'POST', headers }).then(async (res) => {
        const text = await res.text();
        assert.equal(res.status, 200, text);
        return (JSON.parse(text) as Tick).evaluated;
      });
    // Both replicas at once, twice: the lease lets one evaluate, the cursor stops repeats.
    const round1 = await Promise.all([evaluate(a), evaluate(b)]);
    const round2 = await Promise.all([evaluate(b), evaluate(a)]);
    const earliestSpan = Math.floor((t0 - 1000) / HOUR) * HOUR;
    const llmBuckets = Math.max(0, (lastClosed - earliestSpan) / HOUR + 1);
    const total = [...round1, ...round2].reduce((s, t) => s + t.buckets, 0);
    assert.equal(total, 3 + llmBuckets, `buckets evaluated over both replicas: ${JSON.stringify({ round1, round2 })}`);
    assert.ok(round1.some((t) => t.leasedElsewhere > 0), `one replica found the lease held: ${JSON.stringify(round1)}`);
  });
});
