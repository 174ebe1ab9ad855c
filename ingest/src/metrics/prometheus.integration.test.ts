// /metrics against the real Prometheus tools (Debian's `prometheus` package, installed by
// scripts/install-deps.sh): promtool lints the exposition, and a Prometheus server scrapes the
// service and answers queries over what it scraped, so the series are usable as Prometheus
// users would use them (rates by label, histograms for quantiles).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jsonBody } from '../testing/otlp.js';
import { makeTempDir, postJson, startTestService, type TestService } from '../testing/service.js';

const PROMETHEUS = process.env.PYFLARE_PROMETHEUS ?? '/usr/bin/prometheus';
const PROMTOOL = process.env.PYFLARE_PROMTOOL ?? '/usr/bin/promtool';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

interface PromVector {
  status: string;
  data: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

describe('/metrics with the real Prometheus', () => {
  let svc: TestService;
  let dir = '';
  let prom: ChildProcess | null = null;
  let promUrl = '';
  let promLog = '';

  before(async () => {
    for (const bin of [PROMETHEUS, PROMTOOL]) {
      await fs.access(bin).catch(() => {
        throw new Error(`${bin} not found: install Debian's prometheus package (scripts/install-deps.sh does)`);
      });
    }
    svc = await startTestService({});
    const body = jsonBody([
      { attrs: { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 200 } },
      { attrs: { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 500, 'gen_ai.usage.output_tokens': 100 } },
      {},
    ]);
    const res = await postJson(`${svc.otlpUrl}/v1/traces`, body);
    assert.equal(res.status, 200, await res.text());
    await svc.service.intake.flush();

    dir = await makeTempDir('pyflare-prometheus-');
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    const config = [
      'global:',
      '  scrape_interval: 1s',
      'scrape_configs:',
      '  - job_name: pyflare',
      `    static_configs: [{ targets: ['${new URL(svc.apiUrl).host}'] }]`,
      '',
    ].join('\n');
    await fs.writeFile(path.join(dir, 'prometheus.yml'), config);
    const check = spawnSync(PROMTOOL, ['check', 'config', path.join(dir, 'prometheus.yml')], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    prom = spawn(PROMETHEUS, [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    prom.stderr!.on('data', (d: Buffer) => {
      promLog = (promLog + d.toString()).slice(-4000);
    });
  });

  after(async () => {
    if (prom && prom.exitCode === null) {
      const exited = new Promise((r) => prom!.once('exit', r));
      prom.kill('SIGTERM');
      await exited;
    }
    await svc?.stop();
    if (dir) {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  /** Polls an instant query until `ok` accepts its result (Prometheus scrapes every second). */
  async function query(q: string, ok: (r: PromVector['data']['result']) => boolean): Promise<PromVector['data']['result']> {
    const until = Date.now() + 30_000;
    let last: unknown = null;
    while (Date.now() < until) {
      try {
        const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
        const body = (await res.json()) as PromVector;
        last = body;
        if (body.status === 'success' && ok(body.data.result)) {
          return body.data.result;
        }
      } catch (e) {
        last = (e as Error).message; // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${q}: no acceptable answer in 30 s; last ${JSON.stringify(last)}; prometheus log: ${promLog}`);
  }

  it('passes promtool check metrics', async () => {
    const text = await (await fetch(`${svc.apiUrl}/metrics`)).text();
    const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stdout + r.stderr, '', 'no lint findings');
    assert.match(text, /^pyflare_spans_accepted_total\{protocol="http"\} 3$/m);
  });

  it('is scraped by Prometheus, and its series answer queries', async () => {
    await query('up{job="pyflare"}', (r) => r.length === 1 && r[0]!.value[1] === '1');
    const accepted = await query('sum(pyflare_spans_accepted_total)', (r) => r.length === 1);
    assert.equal(accepted[0]!.value[1], '3');
    const tokens = await query('sum by (type) (pyflare_llm_tokens_total{model="gpt-4o",provider="openai"})', (r) => r.length >= 2);
    const byType = Object.fromEntries(tokens.map((x) => [x.metric.type, x.value[1]]));
    assert.equal(byType.input, '1500');
    assert.equal(byType.output, '300');
    const calls = await query('pyflare_llm_requests_total{model="gpt-4o"}', (r) => r.length === 1);
    assert.equal(calls[0]!.value[1], '2');
    // The WAL commit histogram works with histogram_quantile (buckets, le labels, +Inf).
    const p99 = await query('histogram_quantile(0.99, sum by (le) (pyflare_wal_commit_seconds_bucket))', (r) => r.length === 1);
    const v = Number(p99[0]!.value[1]);
    assert.ok(Number.isFinite(v) && v > 0, `p99 WAL commit ${p99[0]!.value[1]} s`);
  });
});
