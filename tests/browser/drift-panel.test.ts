// The drift panel in a real browser. SYNTHETIC DATA: the drift engine does not exist yet,
// so the frames below are made up here in the shape the panel accepts (numeric time series
// labelled driftType/feature). Replace them with the service's drift query once it exists.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';

import type { DataFrameJSON } from '@grafana/data';
import type { FrameJSON } from '@pyflare/query-model';

import { launchBrowser, type Browser } from './lib/browser';
import { startHarness, type Harness } from './lib/harness';

const RESULTS = path.resolve(import.meta.dirname, '..', '..', 'test-results');

let harness: Harness;
let browser: Browser;

/** One synthetic drift series: 24 hourly scores moving linearly from `from` to `to`, with a wobble. */
function syntheticDriftFrame(driftType: string, from: number, to: number, feature?: string): FrameJSON {
  const end = Date.UTC(2025, 0, 15, 12, 0, 0);
  const times = Array.from({ length: 24 }, (_, i) => end - (23 - i) * 3_600_000);
  const values = times.map((_, i) => Number((from + ((to - from) * i) / 23 + 0.01 * Math.sin(i)).toFixed(4)));
  return {
    schema: {
      name: `synthetic ${driftType}${feature ? ` ${feature}` : ''}`,
      meta: { custom: { synthetic: true } },
      fields: [
        { name: 'time', type: 'time', typeInfo: { frame: 'time.Time' } },
        {
          name: 'score',
          type: 'number',
          typeInfo: { frame: 'float64' },
          labels: feature ? { driftType, feature } : { driftType },
        },
      ],
    },
    data: { values: [times, values] },
  };
}

const SYNTHETIC: FrameJSON[] = [
  syntheticDriftFrame('feature', 0.03, 0.27, 'account_age_days'),
  syntheticDriftFrame('feature', 0.02, 0.13, 'basket_value'),
  syntheticDriftFrame('prediction', 0.02, 0.05),
  syntheticDriftFrame('embedding', 0.01, 0.08),
  syntheticDriftFrame('llm', 0.04, 0.06, 'response_length'),
];

before(async () => {
  await mkdir(RESULTS, { recursive: true });
  harness = await startHarness();
  browser = await launchBrowser({ width: 1280, height: 560 });
});

after(async () => {
  await browser?.close();
  await harness?.close();
});

for (const theme of ['light', 'dark'] as const) {
  test(`shows drift per type and feature with status and sparkline (${theme}, synthetic data)`, async () => {
    await harness.writeCase(`drift-${theme}`, {
      panel: 'drift',
      theme,
      title: 'Model drift (synthetic data)',
      frames: SYNTHETIC as unknown as DataFrameJSON[],
      width: 1200,
      height: 480,
    });
    const { page } = browser;
    await page.goto(`${harness.url}?case=drift-${theme}`);
    await page.waitForSelector('body[data-harness="ready"]', { state: 'attached' });
    const cards = page.getByTestId('pyflare-drift-card');
    await cards.first().waitFor();
    assert.equal(await cards.count(), 5);
    // Worst first: the drifted feature leads.
    const first = cards.first();
    assert.equal(await first.getAttribute('aria-label'), 'Feature drift · account_age_days');
    assert.match(await first.innerText(), /Feature drift\s+account_age_days/);
    assert.equal(await first.getByTestId('pyflare-drift-status').innerText(), 'Drift');
    assert.equal(await first.getByTestId('pyflare-drift-sparkline').count(), 1);
    assert.equal(await cards.nth(1).getByTestId('pyflare-drift-status').innerText(), 'Warning');
    assert.match(await page.getByTestId('pyflare-drift-alert').innerText(), /Drift detected in 1 of 5 series/);
    await page.screenshot({ path: path.join(RESULTS, theme === 'light' ? 'drift-panel.png' : 'drift-panel-dark.png') });
    assert.deepEqual(browser.errors, []);
  });
}
