// The drift panel in headless Chromium with the real @grafana/ui, on REAL frames: the PyFlare
// service (node ingest/dist/server.js) is seeded through its inference API with a model whose
// drift is known (drift-panel.seed.ts), its drift engine evaluates the buckets, and the frames
// come from POST /api/v1/query. A heatmap click runs a real distribution query through the
// panel's data source. Only the 200-feature heatmap case uses SYNTHETIC frames (the engine's
// exact shape, src/panels/drift/testing/synthetic.ts), to look at the canvas at scale.
// Screenshots go to test-results/drift-*.png.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { DataFrameJSON } from '@grafana/data';
import type { FrameJSON } from '@pyflare/query-model';
import type { Page } from 'playwright-core';

import { driftScenario } from '../../src/panels/drift/testing/synthetic';
import { SEED_DRIFTED, SEED_MODEL, SEED_STABLE, seedDrift } from './drift-panel.seed';
import type { DriftHarnessCase } from './harness/drift';
import { launchBrowser, type Browser } from './lib/browser';
import { query, startService, type Service } from './lib/service';
import { startHarness, type Harness } from './lib/harness';

const RESULTS = path.resolve(import.meta.dirname, '..', '..', 'test-results');
const THEMES = ['light', 'dark'] as const;

let svc: Service;
let harness: Harness;
let browser: Browser;
let page: Page;
let range: { from: number; to: number };
let overviewFrames: FrameJSON[];
let heatmapFrames: FrameJSON[];
let categoricalFrames: FrameJSON[];

async function frames(queries: Array<Record<string, unknown>>): Promise<FrameJSON[]> {
  const res = await query(
    svc,
    queries.map((q, i) => ({ refId: String.fromCharCode(65 + i), query: { pluginVersion: '1', ...q } })),
    range
  );
  return Object.entries(res.results).flatMap(([refId, r]) => {
    assert.equal(r.status, 200, `${refId}: ${r.error}`);
    return r.frames ?? [];
  });
}

async function open(name: string, c: Omit<DriftHarnessCase, 'range'> & { range?: DriftHarnessCase['range'] }) {
  await harness.writeCase(name, { range, ...c });
  await page.setViewportSize({ width: c.width + 32, height: c.height + 32 });
  await page.goto(`${harness.url}drift.html?case=${name}`);
  await page.waitForSelector('body[data-harness="ready"]', { state: 'attached' });
}

const shot = (name: string) => page.screenshot({ path: path.join(RESULTS, `${name}.png`) });

/** Grafana's tooltip measures itself after it shows, then moves inside the window (animated): wait for that. */
async function tooltipSettled(testId: string) {
  const tip = page.getByTestId(testId);
  await tip.waitFor();
  const viewport = page.viewportSize()!;
  for (let i = 0; i < 40; i++) {
    const b = await tip.boundingBox();
    if (b && b.x >= 0 && b.x + b.width <= viewport.width && b.y + b.height <= viewport.height) {
      await page.waitForTimeout(150);
      return tip;
    }
    await page.waitForTimeout(50);
  }
  return tip;
}
const json = (f: FrameJSON[]) => f as unknown as DataFrameJSON[];

before(async () => {
  await mkdir(RESULTS, { recursive: true });
  // On-demand evaluation only, no grace period: the seed evaluates every bucket itself.
  process.env.PYFLARE_DRIFT_INTERVAL_MS = '0';
  process.env.PYFLARE_DRIFT_GRACE_MS = '0';
  svc = await startService();
  ({ range } = await seedDrift(svc));
  overviewFrames = await frames([
    { queryType: 'drift', view: 'scores' },
    { queryType: 'alerts', state: 'active' },
  ]);
  heatmapFrames = await frames([
    { queryType: 'drift', view: 'scores', modelId: SEED_MODEL, driftType: 'feature', feature: '*' },
    { queryType: 'drift', view: 'features', modelId: SEED_MODEL },
    { queryType: 'alerts', state: 'active', modelId: SEED_MODEL },
  ]);
  categoricalFrames = await frames([
    { queryType: 'drift', view: 'distribution', modelId: SEED_MODEL, driftType: 'feature', feature: 'payment_method' },
  ]);
  harness = await startHarness({
    entries: { drift: 'tests/browser/harness/drift.tsx' },
    service: { url: svc.httpUrl, apiKey: svc.apiKey },
  });
  browser = await launchBrowser({ width: 1280, height: 600 });
  page = browser.page;
});

after(async () => {
  await browser?.close();
  await harness?.close();
  await svc?.stop();
});

describe('drift panel on frames from the real service', () => {
  for (const theme of THEMES) {
    test(`overview: one gauge per drift type with thresholds, sparkline and alerts (${theme})`, async () => {
      await open(`drift-overview-${theme}`, {
        theme,
        title: 'Model drift',
        frames: json(overviewFrames),
        width: 1240,
        height: 330,
        withDataSource: true,
      });
      const cards = page.getByTestId('pyflare-drift-card');
      await cards.first().waitFor();
      const types = await cards.evaluateAll((els) => els.map((e) => e.getAttribute('data-drift-type')));
      assert.deepEqual(types, ['feature', 'prediction', 'embedding', 'concept', 'llm']);
      const byType = (t: string) => page.locator(`[data-testid="pyflare-drift-card"][data-drift-type="${t}"]`);
      // Known drift: labels went wrong from bucket 40 (concept), gpt-4o's behaviour from 34 (llm).
      for (const t of ['concept', 'llm']) {
        assert.equal(await byType(t).getByTestId('pyflare-drift-status').innerText(), 'Drift', t);
        assert.equal(await byType(t).getByTestId('pyflare-drift-card-alert').count(), 1, t);
      }
      assert.match(await byType('llm').innerText(), /gpt-4o · chat-svc/);
      assert.match(await byType('prediction').getByTestId('pyflare-drift-value').innerText(), /^p /);
      assert.equal(await page.getByTestId('pyflare-drift-sparkline').count(), 5);
      assert.match(await page.getByTestId('pyflare-drift-alert').innerText(), /\d+ drift alerts? active/);
      await shot(`drift-overview-${theme}`);
      assert.deepEqual(browser.errors, []);
    });

    test(`feature heatmap: worst first, tooltip with the test, click opens the real distribution (${theme})`, async () => {
      await open(`drift-heatmap-${theme}`, {
        theme,
        title: `Feature drift: ${SEED_MODEL}`,
        frames: json(heatmapFrames),
        width: 1240,
        height: 420,
        withDataSource: true,
        options: { featureVariable: 'feature' },
      });
      const rows = page.getByTestId('pyflare-drift-heatmap-row');
      await rows.first().waitFor();
      const features = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-feature')));
      assert.equal(features.length, SEED_DRIFTED.length + SEED_STABLE.length);
      assert.deepEqual(new Set(features.slice(0, 3)), new Set(SEED_DRIFTED), `worst first: ${features.join(', ')}`);
      const canvas = page.getByTestId('pyflare-drift-heatmap-canvas');
      assert.equal(Number(await canvas.getAttribute('data-painted')), features.length * 48);
      // Hover the latest bucket of the worst feature: the tooltip names its test and p-value.
      const box = (await canvas.boundingBox())!;
      const rowHeight = box.height / features.length;
      await page.mouse.move(box.x + box.width - 3, box.y + rowHeight / 2);
      const tip = await tooltipSettled('pyflare-drift-heatmap-tooltip');
      const tipText = await tip.innerText();
      assert.match(tipText, new RegExp(features[0]!));
      assert.match(tipText, /Test\s+(Kolmogorov–Smirnov|Chi-square)/);
      assert.match(tipText, /p-value\s+< 0\.0001/);
      assert.match(tipText, /Test threshold\s+0\.05/);
      await shot(`drift-heatmap-${theme}`);

      // Sort by name, then drill down into account_age_days by clicking its latest cell.
      await page.getByTestId('pyflare-drift-heatmap-sort').getByRole('radio', { name: 'Name' }).click();
      const sorted = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-feature')));
      assert.deepEqual(sorted, [...features].sort());
      const i = sorted.indexOf('account_age_days');
      const box2 = (await canvas.boundingBox())!;
      await page.mouse.click(box2.x + box2.width - 3, box2.y + rowHeight * (i + 0.5));
      const dist = page.getByTestId('pyflare-drift-distribution');
      await page.getByTestId('pyflare-drift-distribution-chart').waitFor();
      assert.equal(await dist.getAttribute('data-feature'), 'account_age_days');
      const stats = await page.getByTestId('pyflare-drift-distribution-stats').innerText();
      assert.match(stats, /Kolmogorov–Smirnov/);
      assert.match(stats, /p-value\s+< 0\.0001/);
      assert.match(stats, /Threshold\s+0\.05/);
      assert.ok((await page.getByTestId('pyflare-drift-distribution-bin').count()) >= 5);
      assert.match(page.url(), /var-feature=account_age_days/);
      await page.mouse.move(200, 0);
      await shot(`drift-distribution-${theme}`);
      assert.deepEqual(browser.errors, []);
    });

    test(`distribution mode: category bars of a categorical feature (${theme})`, async () => {
      await open(`drift-categorical-${theme}`, {
        theme,
        title: 'payment_method: reference vs current',
        frames: json(categoricalFrames),
        width: 820,
        height: 340,
      });
      const bins = page.getByTestId('pyflare-drift-distribution-bin');
      await bins.first().waitFor();
      const names = await bins.evaluateAll((els) => els.map((e) => e.getAttribute('data-bin')));
      assert.deepEqual(new Set(names), new Set(['card', 'paypal', 'bank_transfer', 'crypto', 'gift_card']));
      assert.match(await page.getByTestId('pyflare-drift-distribution-stats').innerText(), /Chi-square/);
      const crypto = bins.nth(names.indexOf('crypto'));
      const cb = (await crypto.boundingBox())!;
      await page.mouse.move(cb.x + cb.width / 2, cb.y + cb.height - 10);
      const tip = await tooltipSettled('pyflare-drift-distribution-tooltip');
      assert.match(await tip.innerText(), /crypto[\s\S]*Reference[\s\S]*Current/);
      await shot(`drift-distribution-categorical-${theme}`);
      assert.deepEqual(browser.errors, []);
    });
  }

  test('empty and error states', async () => {
    await open('drift-empty', { theme: 'dark', title: 'Model drift', frames: [], width: 600, height: 200 });
    await page.getByTestId('pyflare-drift-empty').waitFor();
    assert.match(await page.getByTestId('pyflare-drift-empty').innerText(), /No drift data in this time range/);
    await shot('drift-empty-dark');
    await open('drift-error', {
      theme: 'light',
      title: 'Model drift',
      frames: [],
      width: 600,
      height: 200,
      error: 'drift: unknown model "fraud-detectr"',
    });
    const error = page.getByText(/unknown model/);
    await error.waitFor();
    assert.match(await error.innerText(), /drift: unknown model "fraud-detectr"/);
    await shot('drift-error-light');
    assert.deepEqual(browser.errors, []);
  });
});

describe('drift panel at scale (SYNTHETIC frames in the engine’s shape)', () => {
  for (const theme of THEMES) {
    test(`heatmap of 200 features x 168 hourly buckets (${theme}, synthetic data)`, async () => {
      const sc = driftScenario({ features: 200, buckets: 168 });
      await open(`drift-heatmap-200-${theme}`, {
        theme,
        title: 'Feature drift: 200 features, 7 days (synthetic data)',
        frames: json([...sc.perFeature, sc.features, sc.alerts]),
        width: 1240,
        height: 560,
        range: {
          from: sc.perFeature[0]!.data.values[0]![0] as number,
          to: sc.perFeature[0]!.data.values[0]![167] as number,
        },
      });
      const canvas = page.getByTestId('pyflare-drift-heatmap-canvas');
      await canvas.waitFor();
      assert.equal(Number(await canvas.getAttribute('data-painted')), 200 * 168);
      const first = page.getByTestId('pyflare-drift-heatmap-row').first();
      assert.equal(await first.getAttribute('data-status'), 'critical');
      assert.ok(sc.drifting.includes((await first.getAttribute('data-feature'))!));
      await shot(`drift-heatmap-200-${theme}`);
      assert.deepEqual(browser.errors, []);
    });
  }
});
