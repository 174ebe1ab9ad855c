// The trace panel in a real browser on frames from the real PyFlare service:
// OTLP/HTTP JSON in, POST /api/v1/query out, frames rendered by the panel's own code.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';

import type { DataFrameJSON } from '@grafana/data';
import type { FrameJSON } from '@pyflare/query-model';

import { launchBrowser, type Browser } from './lib/browser';
import { startHarness, type Harness } from './lib/harness';
import { exportRequest, type SpanSpec } from './lib/otlp';
import { postJson, query, startService, waitForSpans, type Service } from './lib/service';

const RESULTS = path.resolve(import.meta.dirname, '..', '..', 'test-results');
const TRACE_A = '5b8efff798038103d269b633813fc60c';
const TRACE_B = '0af7651916cd43dd8448eb211c80319c';

let svc: Service;
let harness: Harness;
let browser: Browser;
let frames: FrameJSON[];

function agentTrace(t0: number): SpanSpec[] {
  return [
    {
      spanId: 'a1a1a1a1a1a1a1a1',
      name: 'agent.run',
      startMs: t0,
      durationMs: 1800,
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'checkout' },
    },
    {
      spanId: 'b2b2b2b2b2b2b2b2',
      parentSpanId: 'a1a1a1a1a1a1a1a1',
      name: 'chat gpt-4o',
      kind: 3,
      startMs: t0 + 20,
      durationMs: 900,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.response.model': 'gpt-4o-2024-08-06',
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.usage.output_tokens': 300,
        'gen_ai.request.temperature': 0.2,
      },
    },
    {
      spanId: 'c3c3c3c3c3c3c3c3',
      parentSpanId: 'a1a1a1a1a1a1a1a1',
      name: 'execute_tool lookup_order',
      startMs: t0 + 940,
      durationMs: 220,
      attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup_order' },
      error: 'order 4711 not found',
      events: [{ name: 'exception', atMs: t0 + 1150, attributes: { 'exception.message': 'order 4711 not found' } }],
    },
    {
      spanId: 'd4d4d4d4d4d4d4d4',
      parentSpanId: 'a1a1a1a1a1a1a1a1',
      name: 'chat gpt-4o-mini',
      kind: 3,
      startMs: t0 + 1180,
      durationMs: 600,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 800,
        'gen_ai.usage.output_tokens': 120,
      },
    },
  ];
}

function ragTrace(t0: number): SpanSpec[] {
  return [
    { spanId: 'e5e5e5e5e5e5e5e5', name: 'rag.query', startMs: t0, durationMs: 650 },
    {
      spanId: 'f6f6f6f6f6f6f6f6',
      parentSpanId: 'e5e5e5e5e5e5e5e5',
      name: 'embeddings text-embedding-3-small',
      kind: 3,
      startMs: t0 + 5,
      durationMs: 80,
      attributes: {
        'gen_ai.operation.name': 'embeddings',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'text-embedding-3-small',
        'gen_ai.usage.input_tokens': 40,
      },
    },
  ];
}

before(async () => {
  await mkdir(RESULTS, { recursive: true });
  [svc, harness] = await Promise.all([startService(), startHarness()]);

  const t0 = Date.now() - 60_000;
  for (const body of [
    exportRequest('checkout-agent', TRACE_A, agentTrace(t0)),
    exportRequest('search-api', TRACE_B, ragTrace(t0 + 5_000)),
  ]) {
    const res = await postJson(`${svc.otlpHttpUrl}/v1/traces`, svc.apiKey, body);
    assert.equal(res.status, 200, `OTLP export: ${JSON.stringify(res.json)}`);
  }
  await waitForSpans(svc, 6);

  const range = { from: Date.now() - 3_600_000, to: Date.now() + 60_000 };
  const answer = await query(
    svc,
    [
      { refId: 'A', query: { queryType: 'traces', pluginVersion: '1', limit: 50 } },
      { refId: 'B', query: { queryType: 'trace', pluginVersion: '1', traceId: TRACE_A } },
    ],
    range
  );
  const a = answer.results.A;
  const b = answer.results.B;
  assert.equal(a?.status, 200, `traces query: ${JSON.stringify(a)}`);
  assert.equal(b?.status, 200, `trace query: ${JSON.stringify(b)}`);
  frames = [...(a?.frames ?? []), ...(b?.frames ?? [])];
  assert.equal(frames.length, 2, 'one trace list frame and one trace frame');

  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await harness?.close();
  await svc?.stop();
});

async function open(name: string, theme: 'light' | 'dark') {
  await harness.writeCase(name, {
    panel: 'trace',
    theme,
    title: 'LLM traces',
    frames: frames as unknown as DataFrameJSON[],
    width: 1200,
    height: 680,
  });
  const { page } = browser;
  await page.goto(`${harness.url}?case=${name}`);
  await page.waitForSelector('body[data-harness="ready"]', { state: 'attached' });
  await page
    .getByTestId('pyflare-trace-row')
    .first()
    .waitFor({ timeout: 15_000 })
    .catch(async (e: unknown) => {
      await page.screenshot({ path: path.join(RESULTS, `trace-panel-${name}-failed.png`) });
      throw new Error(`${String(e)}\npage errors: ${browser.errors.join('\n')}`);
    });
}

test('lists traces from the service with root span, service and model', async () => {
  await open('list-light', 'light');
  const { page } = browser;
  const rows = page.getByTestId('pyflare-trace-row');
  assert.equal(await rows.count(), 2);
  const agentRow = rows.filter({ hasText: 'agent.run' });
  assert.equal(await agentRow.count(), 1);
  const text = (await agentRow.innerText()).replace(/\s+/g, ' ');
  assert.match(text, /checkout-agent/);
  assert.match(text, /gpt-4o/);
  assert.match(text, /Error/);
  assert.equal(await agentRow.getByTestId('pyflare-mini-waterfall').count(), 1);
  // The service's Explore data link on traceID, resolved by Grafana's field processing.
  const explore = await agentRow.getByRole('link', { name: `Open trace ${TRACE_A} in Explore` }).getAttribute('href');
  assert.ok(explore?.startsWith('/explore?'), `explore link: ${explore}`);
  assert.ok(decodeURIComponent(explore ?? '').includes(TRACE_A), `explore link names the trace: ${explore}`);
  assert.match((await rows.filter({ hasText: 'rag.query' }).innerText()).replace(/\s+/g, ' '), /search-api/);
  await page.screenshot({ path: path.join(RESULTS, 'trace-panel-list.png') });
  assert.deepEqual(browser.errors, []);
});

test('opens the span waterfall of a clicked trace', async () => {
  const { page } = browser;
  await page.getByTestId('pyflare-trace-row').filter({ hasText: 'agent.run' }).click();
  const detail = page.getByTestId('pyflare-trace-detail');
  await detail.waitFor();
  const spans = detail.getByTestId('pyflare-span-row');
  assert.equal(await spans.count(), 4);
  const llm = spans.filter({ hasText: 'chat gpt-4o' }).first();
  assert.ok(await llm.isVisible(), 'chat gpt-4o is in the waterfall');
  await llm.click();
  const details = page.getByTestId('pyflare-span-details');
  await details.waitFor();
  const detailsText = await details.innerText();
  assert.match(detailsText, /1,200/);
  assert.match(detailsText, /gen_ai\.request\.temperature/);
  await page.screenshot({ path: path.join(RESULTS, 'trace-panel-detail.png') });
  assert.deepEqual(browser.errors, []);
});

test('renders in the dark theme', async () => {
  await open('detail-dark', 'dark');
  const { page } = browser;
  await page.getByTestId('pyflare-trace-row').filter({ hasText: 'agent.run' }).click();
  await page.getByTestId('pyflare-span-row').filter({ hasText: 'execute_tool lookup_order' }).click();
  await page.getByTestId('pyflare-span-details').waitFor();
  assert.match(await page.getByTestId('pyflare-span-details').innerText(), /order 4711 not found/);
  await page.screenshot({ path: path.join(RESULTS, 'trace-panel-dark.png') });
  assert.deepEqual(browser.errors, []);
});
