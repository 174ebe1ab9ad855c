// The data source's query and config editors in a real browser (no Grafana: a fixed catalog).
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { launchBrowser, type Browser } from './lib/browser';
import { startHarness, type Harness } from './lib/harness';

const RESULTS = path.resolve(import.meta.dirname, '..', '..', 'test-results');

let harness: Harness;
let browser: Browser;

before(async () => {
  await mkdir(RESULTS, { recursive: true });
  harness = await startHarness({ entries: { editors: 'tests/browser/harness/editors.tsx' } });
  browser = await launchBrowser({ width: 1180, height: 1400 });
});

after(async () => {
  await browser?.close();
  await harness?.close();
});

test('renders every query type’s editor and the config editor', async () => {
  await harness.writeCase('editors', { theme: 'light' });
  const { page } = browser;
  await page.goto(`${harness.url}editors.html?case=editors`);
  await page.waitForSelector('body[data-harness="ready"]', { state: 'attached' });
  const editors = page.getByTestId('harness-query-editor');
  await editors.first().waitFor();
  assert.equal(await editors.count(), 6);
  assert.equal(await page.getByTestId('pyflare-traces-search').inputValue(), 'status:error duration:>2s');
  assert.equal(await page.getByTestId('pyflare-costs-horizon').count(), 1);
  assert.equal(await page.getByTestId('pyflare-config-url').inputValue(), 'http://pyflare:8780');
  // Open the service picker: its options come from the (fixed) catalog.
  await page.getByTestId('pyflare-traces-service').click();
  await page.getByRole('option', { name: 'search-api' }).waitFor();
  await page.screenshot({ path: path.join(RESULTS, 'editors.png'), fullPage: true });
  assert.deepEqual(browser.errors, []);
});
