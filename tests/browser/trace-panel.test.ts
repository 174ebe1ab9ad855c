// The trace panel in headless Chromium with the real @grafana/ui, on frames from the real
// PyFlare service: OTLP/HTTP JSON in, POST /api/v1/query out (for the panel's own queries
// and for the traces it fetches on a click), rendered by the panel's own code.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { DataFrameJSON } from '@grafana/data';
import type { FrameJSON } from '@pyflare/query-model';
import type { Locator, Page } from 'playwright-core';

import { syntheticSpans } from '../../src/panels/trace/testing/synthetic';
import type { TraceHarnessCase } from './harness/trace';
import { launchBrowser, type Browser } from './lib/browser';
import { exportRequest, type SpanSpec } from './lib/otlp';
import { postJson, query, startService, waitForSpans, type Service } from './lib/service';
import { startHarness, type Harness } from './lib/harness';

const RESULTS = path.resolve(import.meta.dirname, '..', '..', 'test-results');
const TRACE_A = '5b8efff798038103d269b633813fc60c';
const TRACE_B = '0af7651916cd43dd8448eb211c80319c';
const TRACE_BIG = 'b16b16b16b16b16b16b16b16b16b16b1';
const BIG_SPANS = 400;

let svc: Service;
let harness: Harness;
let browser: Browser;
let page: Page;
let listAndTraceA: FrameJSON[];
let emptyList: FrameJSON[];
let range: { from: number; to: number };

const INPUT_MESSAGES = JSON.stringify([
  { role: 'system', parts: [{ type: 'text', content: 'You are the checkout assistant. Be brief.' }] },
  { role: 'user', parts: [{ type: 'text', content: 'Where is my order 4711?' }] },
]);
const OUTPUT_MESSAGES = JSON.stringify([
  {
    role: 'assistant',
    parts: [{ type: 'tool_call', id: 'call_42', name: 'lookup_order', arguments: { order_id: 4711 } }],
    finish_reason: 'tool_call',
  },
]);

/** An agent run: a retrieval in parallel with an LLM call, a failing tool call into another service, a final LLM call. */
function agentTrace(t0: number): { agent: SpanSpec[]; orders: SpanSpec[] } {
  return {
    agent: [
      {
        spanId: 'a1a1a1a1a1a1a1a1',
        name: 'agent.run',
        startMs: t0,
        durationMs: 1800,
        attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'checkout' },
      },
      {
        spanId: 'e5e5e5e5e5e5e5e5',
        parentSpanId: 'a1a1a1a1a1a1a1a1',
        name: 'retrieve docs',
        startMs: t0 + 30,
        durationMs: 370,
        attributes: { 'openinference.span.kind': 'RETRIEVER', 'input.value': 'order status policy' },
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
          'gen_ai.input.messages': INPUT_MESSAGES,
          'gen_ai.output.messages': OUTPUT_MESSAGES,
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
        events: [
          {
            name: 'exception',
            atMs: t0 + 1150,
            attributes: { 'exception.type': 'OrderNotFound', 'exception.message': 'order 4711 not found' },
          },
        ],
      },
      {
        spanId: 'd4d4d4d4d4d4d4d4',
        parentSpanId: 'a1a1a1a1a1a1a1a1',
        name: 'chat gpt-4o-mini',
        kind: 3,
        startMs: t0 + 1180,
        durationMs: 600,
        attributes: {
          'openinference.span.kind': 'LLM',
          'llm.model_name': 'gpt-4o-mini',
          'llm.provider': 'openai',
          'llm.token_count.prompt': 800,
          'llm.token_count.completion': 120,
          'llm.input_messages.0.message.role': 'system',
          'llm.input_messages.0.message.content': 'You are the checkout assistant.',
          'llm.input_messages.1.message.role': 'user',
          'llm.input_messages.1.message.content': 'Where is my order 4711?',
          'llm.output_messages.0.message.role': 'assistant',
          'llm.output_messages.0.message.content': 'I could not find order 4711. Could you check the number?',
        },
      },
    ],
    orders: [
      {
        spanId: 'f6f6f6f6f6f6f6f6',
        parentSpanId: 'c3c3c3c3c3c3c3c3',
        name: 'GET /orders/{id}',
        kind: 2,
        startMs: t0 + 950,
        durationMs: 200,
        attributes: { 'http.request.method': 'GET', 'http.response.status_code': 404 },
      },
    ],
  };
}

function ragTrace(t0: number): SpanSpec[] {
  return [
    { spanId: '1111111111111111', name: 'rag.query', startMs: t0, durationMs: 650 },
    {
      spanId: '2222222222222222',
      parentSpanId: '1111111111111111',
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

/** A big agent trace (synthetic shape) sent over OTLP like any other. */
function bigTrace(t0: number): SpanSpec[] {
  const spans = syntheticSpans(BIG_SPANS, 11);
  const base = spans[0]!.startTime;
  return spans.map((s) => ({
    spanId: s.spanID,
    parentSpanId: s.parentSpanID || undefined,
    name: s.operationName,
    startMs: t0 + (s.startTime - base),
    durationMs: s.duration,
    attributes: Object.fromEntries((s.tags ?? []).map((t) => [t.key, t.value as string | number | boolean])),
  }));
}

before(async () => {
  await mkdir(RESULTS, { recursive: true });
  svc = await startService();
  harness = await startHarness({
    entries: { trace: 'tests/browser/harness/trace.tsx' },
    service: { url: svc.httpUrl, apiKey: svc.apiKey },
  });

  const t0 = Date.now() - 120_000;
  const a = agentTrace(t0);
  for (const body of [
    exportRequest('checkout-agent', TRACE_A, a.agent),
    exportRequest('orders-api', TRACE_A, a.orders),
    exportRequest('search-api', TRACE_B, ragTrace(t0 + 5_000)),
    exportRequest('checkout-agent', TRACE_BIG, bigTrace(t0 + 10_000)),
  ]) {
    const res = await postJson(`${svc.otlpHttpUrl}/v1/traces`, svc.apiKey, body);
    assert.equal(res.status, 200, `OTLP export: ${JSON.stringify(res.json)}`);
  }
  await waitForSpans(svc, 8 + BIG_SPANS);

  range = { from: Date.now() - 3_600_000, to: Date.now() + 60_000 };
  const answer = await query(
    svc,
    [
      { refId: 'A', query: { queryType: 'traces', pluginVersion: '1', limit: 50 } },
      { refId: 'B', query: { queryType: 'trace', pluginVersion: '1', traceId: TRACE_A } },
      { refId: 'C', query: { queryType: 'traces', pluginVersion: '1', serviceName: 'no-such-service' } },
    ],
    range
  );
  for (const refId of ['A', 'B', 'C'] as const) {
    assert.equal(answer.results[refId]?.status, 200, `${refId}: ${JSON.stringify(answer.results[refId])}`);
  }
  listAndTraceA = [...(answer.results.A?.frames ?? []), ...(answer.results.B?.frames ?? [])];
  emptyList = answer.results.C?.frames ?? [];
  assert.equal(listAndTraceA.length, 2, 'one trace list frame and one trace frame');

  browser = await launchBrowser({ width: 1320, height: 800 });
  page = browser.page;
});

after(async () => {
  await browser?.close();
  await harness?.close();
  await svc?.stop();
});

async function open(
  name: string,
  opts: {
    theme?: 'light' | 'dark';
    frames?: FrameJSON[];
    options?: Record<string, unknown>;
    width?: number;
    height?: number;
  } = {}
) {
  const c: TraceHarnessCase = {
    theme: opts.theme ?? 'light',
    title: 'LLM traces',
    frames: (opts.frames ?? listAndTraceA) as unknown as DataFrameJSON[],
    options: opts.options,
    width: opts.width ?? 1280,
    height: opts.height ?? 720,
    range,
  };
  await harness.writeCase(name, c);
  await page.goto(`${harness.url}trace.html?case=${name}`);
  await page.waitForSelector('body[data-harness="ready"]', { state: 'attached' });
  await page
    .getByTestId('pyflare-trace-panel')
    .waitFor({ timeout: 15_000 })
    .catch(async (e: unknown) => {
      await shot(`${name}-failed`);
      throw new Error(`${String(e)}\npage errors: ${browser.errors.join('\n')}`);
    });
}

async function shot(name: string) {
  // Icons load their SVGs lazily: let them arrive before the picture is taken.
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: path.join(RESULTS, `trace-panel-${name}.png`) });
}
const rows = () => page.getByTestId('pyflare-trace-row');
const spanRows = () => page.getByTestId('pyflare-span-row');
const spanRow = (name: string) => spanRows().filter({ has: page.locator(`span[title="${name}"]`) });
const text = async (l: Locator) => (await l.innerText()).replace(/\s+/g, ' ');

async function openTrace(root: string) {
  await rows().filter({ hasText: root }).click();
  await page.getByTestId('pyflare-trace-detail').waitFor();
}

/** Waits until a locator's text is `expected` (state updates land after the event). */
async function waitText(l: Locator, expected: string) {
  const deadline = Date.now() + 5_000;
  let last = '';
  while (Date.now() < deadline) {
    last = (await l.innerText().catch(() => '')).trim();
    if (last === expected) {
      return;
    }
    await page.waitForTimeout(25);
  }
  assert.equal(last, expected);
}

const toolbar = () => page.getByTestId('pyflare-trace-toolbar');

function noPageErrors() {
  assert.deepEqual(browser.errors, []);
}

describe('trace list', () => {
  test('lists traces from the service with time, root span, service, models, tokens and cost', async () => {
    await open('list', { options: { slowThresholdMs: 1000, expensiveThresholdUsd: 0.005 } });
    assert.equal(await rows().count(), 3);
    const agentRow = rows().filter({ hasText: 'agent.run' });
    const t = await text(agentRow);
    assert.match(t, /checkout-agent/);
    assert.match(t, /gpt-4o/);
    assert.match(t, /Error/);
    assert.match(t, /1\.8 s/);
    assert.equal(await agentRow.getAttribute('data-error'), 'true');
    assert.equal(await agentRow.getAttribute('data-slow'), 'true', 'slower than the 1 s threshold');
    assert.equal(await agentRow.getAttribute('data-expensive'), 'true', 'costlier than $0.005');
    assert.equal(await agentRow.getByTestId('pyflare-mini-waterfall').count(), 1);
    assert.equal(await agentRow.getByTestId('pyflare-mini-waterfall').locator('rect').count(), 6);
    // The service's Explore data link on traceID, resolved by Grafana's field processing.
    const explore = await agentRow.getByRole('link', { name: `Open trace ${TRACE_A} in Explore` }).getAttribute('href');
    assert.ok(decodeURIComponent(explore ?? '').includes(TRACE_A), `explore link names the trace: ${explore}`);
    assert.match(await text(rows().filter({ hasText: 'rag.query' })), /search-api/);
    await shot('list');
    noPageErrors();
  });

  test('sorts by a column', async () => {
    await page.getByRole('button', { name: 'Spans' }).click();
    assert.match(await text(rows().first()), /invoke_agent checkout/, 'the 400-span trace first');
    await page.getByRole('button', { name: /Spans/ }).click();
    assert.match(await text(rows().first()), /rag\.query/, 'the 2-span trace first');
    assert.equal(await page.getByRole('columnheader', { name: /Spans/ }).getAttribute('aria-sort'), 'ascending');
  });

  test('hides columns and caps rows by the options', async () => {
    await open('list-options', { options: { showServiceColumn: false, showModelColumn: false, maxTraces: 2 } });
    const headers = await page.getByRole('columnheader').allInnerTexts();
    assert.ok(!headers.includes('Service') && !headers.includes('Model'), headers.join('|'));
    assert.ok(headers.includes('Tokens') && headers.includes('Cost'), headers.join('|'));
    assert.equal(await rows().count(), 2);
    assert.match(await page.getByTestId('pyflare-trace-list-footer').innerText(), /Showing 2 of 3 traces/);
  });

  test('shows an empty state when the query finds no traces', async () => {
    await open('empty', { frames: emptyList });
    assert.match(await page.getByTestId('pyflare-trace-empty').innerText(), /No traces in this time range/);
    noPageErrors();
  });
});

describe('trace view', () => {
  test('opens the span waterfall with its hierarchy and the Explore link', async () => {
    await open('detail');
    await openTrace('agent.run');
    assert.equal(await spanRows().count(), 6);
    const levels = await spanRows().evaluateAll((els) => els.map((e) => e.getAttribute('aria-level')));
    assert.deepEqual(levels, ['1', '2', '2', '2', '3', '2']);
    // The remote call shows its own service where the service changes.
    assert.match(await text(spanRow('GET /orders/{id}')), /orders-api/);
    assert.match(await text(page.getByTestId('pyflare-trace-ruler')), /0 ms.*500 ms.*1\.5 s/);
    const href = await page.getByTestId('pyflare-trace-explore').getAttribute('href');
    assert.ok(decodeURIComponent(href ?? '').includes(TRACE_A), `explore: ${href}`);
    noPageErrors();
  });

  test('shows an LLM span as a chat with tokens and cost (GenAI messages)', async () => {
    await spanRow('chat gpt-4o').click();
    const details = page.getByTestId('pyflare-span-details');
    await details.waitFor();
    const roles = await details
      .getByTestId('pyflare-chat-message')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-role')));
    assert.deepEqual(roles, ['system', 'user', 'assistant']);
    assert.match(await text(details), /Where is my order 4711\?/);
    assert.match(await text(details.getByTestId('pyflare-chat-tool-call')), /lookup_order.*"order_id": 4711/);
    assert.match(await text(details), /1,200.*300/);
    assert.match(await text(details), /gen_ai\.request\.temperature/);
    await shot('detail');
    noPageErrors();
  });

  test('shows OpenInference flattened messages as a chat', async () => {
    await spanRow('chat gpt-4o-mini').click();
    const details = page.getByTestId('pyflare-span-details');
    const roles = await details
      .getByTestId('pyflare-chat-message')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-role')));
    assert.deepEqual(roles, ['system', 'user', 'assistant']);
    assert.match(await text(details), /I could not find order 4711/);
  });

  test('collapses and expands subtrees', async () => {
    await spanRow('execute_tool lookup_order').getByTestId('pyflare-span-toggle').click();
    assert.equal(await spanRows().count(), 5);
    assert.match(await text(spanRow('execute_tool lookup_order')), /\+1/);
    await page.getByRole('button', { name: 'Collapse all' }).click();
    assert.equal(await spanRows().count(), 1);
    const hidden = await spanRow('agent.run').locator('span[title*="hidden spans"]').getAttribute('title');
    assert.equal(hidden, '5 hidden spans, 1 with errors');
    await shot('collapsed');
    await page.getByRole('button', { name: 'Expand all' }).click();
    assert.equal(await spanRows().count(), 6);
  });

  test('highlights the critical path', async () => {
    const critical = await spanRows().evaluateAll((els) =>
      els.filter((e) => e.getAttribute('data-critical') === 'true').map((e) => e.getAttribute('data-span-id'))
    );
    // The retrieval ran alongside the first LLM call, which finished later: it is off the path.
    assert.deepEqual(critical, [
      'a1a1a1a1a1a1a1a1',
      'b2b2b2b2b2b2b2b2',
      'c3c3c3c3c3c3c3c3',
      'f6f6f6f6f6f6f6f6',
      'd4d4d4d4d4d4d4d4',
    ]);
    assert.equal(await spanRow('retrieve docs').getByTestId('pyflare-critical-segment').count(), 0);
    // The final LLM call is on the path from start to end: its segment spans its whole bar.
    const bar = await spanRow('chat gpt-4o-mini').getByTestId('pyflare-span-bar').boundingBox();
    const seg = await spanRow('chat gpt-4o-mini').getByTestId('pyflare-critical-segment').boundingBox();
    assert.ok(
      bar && seg && Math.abs(bar.x - seg.x) < 2 && Math.abs(bar.width - seg.width) < 2,
      'segment covers the bar'
    );
    await shot('critical-path');
    await toolbar()
      .getByLabel('Critical path')
      .evaluate((el: HTMLElement) => el.click());
    assert.equal(await page.getByTestId('pyflare-critical-segment').count(), 0);
    await toolbar()
      .getByLabel('Critical path')
      .evaluate((el: HTMLElement) => el.click());
    assert.ok((await page.getByTestId('pyflare-critical-segment').count()) >= 5);
  });

  test('searches within the trace', async () => {
    const search = page.getByLabel('Search spans');
    const count = page.getByTestId('pyflare-trace-match-count');
    await search.fill('chat');
    await waitText(count, '2 matches');
    await search.press('Enter');
    await waitText(count, '1 of 2');
    assert.equal(await spanRow('chat gpt-4o').getAttribute('data-match'), 'current');
    assert.equal(await spanRow('chat gpt-4o-mini').getAttribute('data-match'), 'match');
    await shot('search');
    await search.fill('gen_ai.tool.name=lookup_order');
    await waitText(count, '1 match');
    await search.fill('http.response.status_code=404');
    await waitText(count, '1 match');
    await search.press('Enter');
    assert.equal(await spanRow('GET /orders/{id}').getAttribute('data-match'), 'current');
    await search.fill('');
    noPageErrors();
  });

  test('zooms by dragging across the ruler, with the wheel, and resets', async () => {
    const track = page.getByTestId('pyflare-trace-ruler-track');
    const box = (await track.boundingBox())!;
    const y = box.y + box.height / 2;
    // Drag across the second half of the trace (900 ms to 1800 ms).
    await page.mouse.move(box.x + box.width * 0.5, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.75, y, { steps: 4 });
    await page.mouse.move(box.x + box.width - 1, y, { steps: 4 });
    await page.mouse.up();
    const note = page.getByTestId('pyflare-trace-zoom-note');
    assert.match(await note.innerText(), /^900 ms – 1\.8 s$/);
    const ticks = await page.getByTestId('pyflare-trace-tick').allInnerTexts();
    assert.ok(!ticks.includes('0 ms') && ticks.length >= 3, ticks.join('|'));
    // The retrieval (30-400 ms) is out of view; the minimap shows the window.
    assert.equal(await spanRow('retrieve docs').getByTestId('pyflare-span-bar').count(), 0);
    const win = (await page.getByTestId('pyflare-trace-minimap-window').boundingBox())!;
    const map = (await page.getByTestId('pyflare-trace-minimap').boundingBox())!;
    assert.ok(
      Math.abs(win.x - (map.x + map.width / 2)) < 3,
      `window starts mid-map: ${win.x} vs ${map.x + map.width / 2}`
    );
    await shot('zoom');

    // Dragging the minimap's window pans: same width, earlier start.
    await page.mouse.move(win.x + win.width / 2, win.y + win.height / 2);
    await page.mouse.down();
    await page.mouse.move(win.x + win.width / 2 - map.width / 4, win.y + win.height / 2, { steps: 5 });
    await page.mouse.up();
    const panned = await note.innerText();
    assert.match(panned, /^4\d\d ms – 1\.3\d s$/, 'panned by a quarter of the trace');

    // Ctrl + wheel over the timeline zooms further, around the pointer.
    const tool = (await spanRow('execute_tool lookup_order').getByTestId('pyflare-span-bar').boundingBox())!;
    await page.mouse.move(tool.x + tool.width / 2, tool.y + tool.height / 2);
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -300);
    await page.keyboard.up('Control');
    await page.waitForFunction(
      (before) => document.querySelector('[data-testid="pyflare-trace-zoom-note"]')?.textContent !== before,
      panned
    );
    const width = (text: string) => {
      const [a = '', b = ''] = text.split(' – ');
      const ms = (t: string) => (t.endsWith(' s') ? parseFloat(t) * 1000 : parseFloat(t));
      return ms(b) - ms(a);
    };
    assert.ok(width(await note.innerText()) < width(panned) - 50, `zoomed further: ${await note.innerText()}`);

    await page.getByRole('button', { name: 'Reset zoom' }).click();
    assert.equal(await note.count(), 0);
    assert.equal(await spanRow('retrieve docs').getByTestId('pyflare-span-bar').count(), 1);
    noPageErrors();
  });

  test('zooms to a span from its details', async () => {
    await spanRow('execute_tool lookup_order').click();
    await page.getByRole('button', { name: 'Zoom to this span' }).click();
    assert.match(await page.getByTestId('pyflare-trace-zoom-note').innerText(), /^929 ms – 1\.17 s$/);
    await page.getByRole('button', { name: 'Reset zoom' }).click();
  });

  test('colors bars by service', async () => {
    await toolbar()
      .getByRole('radio', { name: 'Service' })
      .evaluate((el: HTMLElement) => el.click());
    const legend = await page.getByTestId('pyflare-trace-legend').innerText();
    assert.match(legend, /checkout-agent/);
    assert.match(legend, /orders-api/);
    const colors = await page
      .getByTestId('pyflare-span-bar')
      .evaluateAll((els) => [...new Set(els.map((e) => (e as HTMLElement).style.background))]);
    // Two services plus the failed span's error color.
    assert.equal(colors.length, 3, colors.join(' | '));
    await toolbar()
      .getByRole('radio', { name: 'Kind' })
      .evaluate((el: HTMLElement) => el.click());
  });

  test('loads a trace that is not in the panel’s data from the service', async () => {
    await page.getByTestId('pyflare-trace-back').click();
    await openTrace('rag.query');
    assert.equal(await spanRows().count(), 2);
    assert.match(await text(spanRow('embeddings text-embedding-3-small')), /text-embedding-3-small/);
    const href = await page.getByTestId('pyflare-trace-explore').getAttribute('href');
    assert.ok(decodeURIComponent(href ?? '').includes(TRACE_B), `explore: ${href}`);
    noPageErrors();
  });

  test('windows the rows of a big trace and scrolls to its end', async () => {
    await page.getByTestId('pyflare-trace-back').click();
    await openTrace('invoke_agent checkout');
    const rendered = await spanRows().count();
    assert.ok(rendered > 10 && rendered < 80, `rendered rows: ${rendered} of ${BIG_SPANS}`);
    await page.getByTestId('pyflare-trace-waterfall').evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await page.waitForFunction(
      (n) =>
        [...document.querySelectorAll('[data-testid="pyflare-span-row"]')].some(
          (e) => e.getAttribute('data-row-index') === String(n - 1)
        ),
      BIG_SPANS
    );
    await shot('big-trace');
    noPageErrors();
  });
});

describe('small panels', () => {
  test('stacks the span details under the waterfall and leaves out the minimap', async () => {
    await open('narrow', { width: 720, height: 420, options: { colorBy: 'service' } });
    await openTrace('agent.run');
    assert.equal(await page.getByTestId('pyflare-trace-minimap').count(), 0);
    await spanRow('chat gpt-4o').click();
    const waterfall = (await page.getByTestId('pyflare-trace-waterfall').boundingBox())!;
    const details = (await page.getByTestId('pyflare-span-details').boundingBox())!;
    assert.ok(details.y >= waterfall.y + waterfall.height - 1, 'details below the waterfall');
    // No room for the legend: each row's swatch names what its color stands for.
    assert.equal(await page.getByTestId('pyflare-trace-legend').count(), 0);
    assert.equal(await spanRow('agent.run').locator('span[title="checkout-agent"]').count(), 1);
    await shot('narrow');
    noPageErrors();
  });
});

describe('dark theme', () => {
  test('renders the list and a failed span in the dark theme', async () => {
    await open('dark', { theme: 'dark', options: { slowThresholdMs: 1000 } });
    await shot('list-dark');
    await openTrace('agent.run');
    await spanRow('execute_tool lookup_order').click();
    const error = page.getByTestId('pyflare-span-error');
    assert.match(await text(error), /order 4711 not found/);
    assert.match(await text(error), /OrderNotFound/);
    await page.getByLabel('Search spans').fill('gpt');
    await shot('dark');
    noPageErrors();
  });
});
