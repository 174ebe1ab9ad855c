// The demo generator: deterministic payloads, and a run against the real in-process service
// that must produce traces, priced costs, budgets and a drift alert for churn-predictor only.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FrameJSON, QueryResponseJSON } from '../queryModel.js';
import { getJson, postJson, startTestService, TEST_API_KEY, type TestService } from '../testing/service.js';
import { apiUrlFor, parseArgs, parseDuration } from './cli.js';
import { buildRecord, DRIFTING_MODEL, STABLE_MODEL } from './inference.js';
import { DEMO_BUDGETS, defaultDriftAt, demoPlan, runDemo, Timeline, type DemoBatch, type DemoStats } from './run.js';
import { MODELS, SERVICES } from './traffic.js';

const H = 3_600_000;
const T = Date.parse('2026-01-15T12:20:00Z');
const OPTS = { seed: 42, rate: 0.1, inferenceRate: 0.02, backfillMs: 2 * H };

function payloads(seed: number, startedAt = T): DemoBatch[] {
  const plan = demoPlan({ ...OPTS, seed }, startedAt);
  return [...new Timeline(plan).until(startedAt)];
}

describe('demo generator (pure)', () => {
  it('produces the same payloads for the same seed and clock, and others for another seed', () => {
    const a = payloads(42);
    const b = payloads(42);
    assert.equal(JSON.stringify(a), JSON.stringify(b));
    assert.notEqual(JSON.stringify(payloads(43)), JSON.stringify(a));
    assert.ok(a.length >= 2);
  });

  it('continues the backfilled timeline without gaps or repeats', () => {
    const plan = demoPlan(OPTS, T);
    const once = [...new Timeline(plan).until(T + 10 * 60_000)];
    const tl = new Timeline(plan);
    const split = [...tl.until(T), ...tl.until(T + 5 * 60_000), ...tl.until(T + 10 * 60_000)];
    const ids = (bs: DemoBatch[]) =>
      bs.flatMap((b) => (b.kind === 'traces' ? b.traces.map((t) => t.traceId) : b.records.map((r) => r.id))).sort();
    assert.deepEqual(ids(split), ids(once));
    assert.equal(new Set(ids(once)).size, ids(once).length, 'no id twice');
  });

  it('covers every service, model kind, streaming, cache hits, errors and expensive traces', () => {
    const plan = demoPlan({ ...OPTS, rate: 0.5, backfillMs: 6 * H }, T);
    const traces = [...new Timeline(plan).until(T)].flatMap((b) => (b.kind === 'traces' ? b.traces : []));
    assert.ok(traces.every((t) => t.endMs <= T && t.startMs >= T - 6 * H));
    assert.deepEqual(new Set(traces.map((t) => t.service)), new Set(Object.keys(SERVICES)));
    const attrs = traces.flatMap((t) => t.spans.flatMap((s) => s.attributes));
    const strings = (key: string) =>
      new Set(attrs.filter((a) => a.key === key).map((a) => String(a.value.stringValue)));
    assert.deepEqual(strings('gen_ai.request.model'), new Set(Object.values(MODELS).map((m) => m.request)));
    assert.deepEqual(
      strings('gen_ai.provider.name'),
      new Set(['anthropic', 'openai', 'gcp.gemini', 'deepseek', 'mistral_ai'])
    );
    assert.ok(attrs.some((a) => a.key === 'llm.is_streaming' && a.value.boolValue === true));
    assert.ok(attrs.some((a) => a.key === 'cache.hit' && a.value.boolValue === true));
    assert.ok(attrs.some((a) => a.key === 'gen_ai.usage.cache_read.input_tokens'));
    assert.ok(attrs.some((a) => a.key === 'error.type' && a.value.stringValue === 'timeout'));
    assert.ok(attrs.some((a) => a.key === 'error.type' && a.value.stringValue === '429'));
    assert.deepEqual(
      strings('gen_ai.operation.name'),
      new Set(['chat', 'embeddings', 'retrieval', 'execute_tool', 'invoke_agent'])
    );
    const errorShare = traces.filter((t) => t.error).length / traces.length;
    assert.ok(errorShare > 0.01 && errorShare < 0.05, `error share ${errorShare}`);
  });

  it('shifts churn-predictor at the drift moment and leaves fraud-detector alone', () => {
    const opts = { seed: 1, startMs: T - 6 * H, rate: 1, driftAtMs: defaultDriftAt(T) };
    assert.equal(opts.driftAtMs, Date.parse('2026-01-15T09:00:00Z'));
    const mean = (model: typeof STABLE_MODEL | typeof DRIFTING_MODEL, feature: string, from: number, n: number) => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        s += Number(buildRecord(opts, model, from + i).features[feature]);
      }
      return s / n;
    };
    const before = (opts.driftAtMs - H - opts.startMs) / 1000;
    const afterDrift = (opts.driftAtMs + H - opts.startMs) / 1000;
    assert.ok(
      mean(DRIFTING_MODEL, 'tenure_months', before, 500) > 3 * mean(DRIFTING_MODEL, 'tenure_months', afterDrift, 500)
    );
    const ratio = mean(STABLE_MODEL, 'amount', before, 2000) / mean(STABLE_MODEL, 'amount', afterDrift, 2000);
    assert.ok(ratio > 0.85 && ratio < 1.15, `amount ratio ${ratio}`);
  });

  it('parses its command line', () => {
    assert.equal(parseDuration('6h'), 6 * H);
    assert.equal(parseDuration('90m'), 90 * 60_000);
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration('6 hours'), null);
    const ok = parseArgs(['--url', 'http://svc:4318', '--backfill=6h', '--once', '--no-setup', '--rate', '2'], {});
    assert.ok(ok.success);
    assert.deepEqual(
      [ok.data.backfill, ok.data.once, ok.data.setup, ok.data.rate, ok.data.seed],
      [6 * H, true, false, 2, 42]
    );
    assert.equal(parseArgs([], { PYFLARE_API_KEY: 'k'.repeat(20) }).data?.['api-key'], 'k'.repeat(20));
    assert.equal(parseArgs(['--backfill', 'forever'], {}).success, false);
    assert.equal(apiUrlFor('http://pyflare:4318'), 'http://pyflare:8780');
  });
});

describe('demo against the real service', () => {
  let svc: TestService;
  let stats: DemoStats;
  let now: number;
  before(async () => {
    svc = await startTestService({}, { drift: { intervalMs: 0, graceMs: 0 } });
    now = Date.now();
    stats = await runDemo({
      otlpUrl: svc.otlpUrl,
      apiUrl: svc.apiUrl,
      apiKey: TEST_API_KEY,
      seed: 42,
      rate: 0.02,
      inferenceRate: 0.03,
      backfillMs: 6 * H,
      continuous: false,
      now: () => now,
    });
    await svc.service.intake.flush();
  });
  after(async () => {
    await svc?.stop();
  });

  const range = () => ({ from: now - 6 * H - 60_000, to: now + 60_000 });
  async function query(q: Record<string, unknown>): Promise<FrameJSON[]> {
    const res = await postJson(`${svc.apiUrl}/api/v1/query`, {
      queries: [
        {
          refId: 'A',
          timeRange: range(),
          intervalMs: 60_000,
          maxDataPoints: 1000,
          query: { refId: 'A', pluginVersion: '1', ...q },
        },
      ],
    });
    assert.equal(res.status, 200);
    const r = ((await res.json()) as QueryResponseJSON).results.A!;
    assert.equal(r.status, 200, r.error);
    return r.frames ?? [];
  }
  const col = (f: FrameJSON, name: string): unknown[] => {
    const i = f.schema.fields.findIndex((x) => x.name === name);
    assert.ok(i >= 0, `field ${name} in ${f.schema.name}`);
    return f.data.values[i]!;
  };

  it('stores every trace it sent', async () => {
    const st = await getJson<{ spanCount: number }>(`${svc.apiUrl}/api/v1/status`);
    assert.equal(st.body.spanCount, stats.spans);
    assert.ok(stats.traces >= 400 && stats.errorTraces > 0, JSON.stringify({ ...stats, traceIds: undefined }));
    const [list] = await query({ queryType: 'traces', limit: 10_000 });
    assert.equal(col(list!, 'traceID').length, stats.traces);
    assert.deepEqual(new Set(col(list!, 'serviceName')), new Set(Object.keys(SERVICES)));
    assert.equal((col(list!, 'status') as string[]).filter((s) => s === 'error').length, stats.errorTraces);
  });

  it('prices every model call and has very expensive traces', async () => {
    const [summary] = await query({ queryType: 'costs', view: 'summary' });
    // Every demo model is in the price table, and failed calls without usage (429, timeouts,
    // 5xx) have no cost rather than an unknown one: nothing is unpriced.
    const unpriced = col(summary!, 'unpricedRequests')[0] as number;
    const requests = col(summary!, 'requests')[0] as number;
    assert.ok(requests > 0);
    assert.equal(unpriced, 0, `${unpriced} of ${requests} calls unpriced`);
    assert.ok((col(summary!, 'totalUsd')[0] as number) > 1);
    const [byModel] = await query({ queryType: 'costs', view: 'breakdown', groupBy: 'model' });
    const models = col(byModel!, 'model') as string[];
    const costs = col(byModel!, 'costUsd') as number[];
    // Successful calls carry the response model; failed ones only the request model, no tokens.
    const priced = new Set(models.filter((_, i) => costs[i]! > 0));
    for (const m of Object.values(MODELS)) {
      assert.ok(priced.has(m.response), `${m.response} priced: ${JSON.stringify(models.map((x, i) => [x, costs[i]]))}`);
    }
    const [top] = await query({ queryType: 'traces', sortBy: 'cost', limit: 1 });
    assert.equal(col(top!, 'serviceName')[0], 'research-agent');
    assert.ok((col(top!, 'costUsd')[0] as number) > 1, 'a deep-research trace costs dollars');
    const [budgets] = await query({ queryType: 'costs', view: 'budgets' });
    assert.deepEqual(new Set(col(budgets!, 'name')), new Set(DEMO_BUDGETS.map((b) => b.name)));
  });

  it('opens a drift alert for churn-predictor and none for fraud-detector', async () => {
    const ev = await postJson(`${svc.apiUrl}/api/v1/drift/evaluate`, {});
    assert.equal(ev.status, 200);
    const [alerts] = await query({ queryType: 'alerts', state: 'active' });
    const models = col(alerts!, 'model') as string[];
    const types = col(alerts!, 'driftType') as string[];
    const churn = models.map((m, i) => (m === DRIFTING_MODEL ? types[i] : null)).filter((t) => t !== null);
    assert.ok(churn.includes('feature'), `churn-predictor alerts: ${churn.join()}`);
    assert.ok(
      !models.some((m, i) => m === STABLE_MODEL && types[i] === 'feature'),
      'fraud-detector has no feature-drift alert'
    );
    const opened = (col(alerts!, 'openedAt') as number[])[models.indexOf(DRIFTING_MODEL)]!;
    const driftAt = defaultDriftAt(now);
    assert.ok(opened >= driftAt + H && opened <= driftAt + 3 * H, `opened ${new Date(opened).toISOString()}`);
    const scores = await query({ queryType: 'drift', modelId: DRIFTING_MODEL, driftType: 'feature' });
    assert.ok(scores.length >= 1 && (scores[0]!.data.values[0]?.length ?? 0) >= 3);
  });
});
