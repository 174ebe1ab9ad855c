// The data source's query, config, variable and annotation editors in a real browser (no
// Grafana: a fixed catalog).
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
  await page.keyboard.press('Escape');
  // The drift feature is a picker fed by the model's features.
  assert.equal(await page.getByTestId('pyflare-drift-feature').inputValue(), 'amount');
  await page.getByTestId('pyflare-drift-feature').click();
  await page.getByRole('option', { name: 'merchant_category' }).waitFor();
  await page.getByRole('option', { name: 'Every feature' }).waitFor();
  await page.screenshot({ path: path.join(RESULTS, 'editors.png'), fullPage: true });
  await page.keyboard.press('Escape');
  assert.deepEqual(browser.errors, []);
});

/** Opens a harness view and waits for its editors. */
async function openView(view: 'variable' | 'annotation', theme: 'light' | 'dark', testId: string, count: number) {
  await harness.writeCase(view, { theme, view });
  const { page } = browser;
  await page.goto(`${harness.url}editors.html?case=${view}`);
  await page.waitForSelector('body[data-harness="ready"]', { state: 'attached' });
  const editors = page.getByTestId(testId);
  await editors.first().waitFor();
  assert.equal(await editors.count(), count);
  return editors;
}

test('renders the query variable editor in each of its states', async () => {
  const { page } = browser;
  const editors = await openView('variable', 'dark', 'harness-variable-editor', 4);
  const [features, values, services, noModel] = [editors.nth(0), editors.nth(1), editors.nth(2), editors.nth(3)];
  assert.equal(await features.getByTestId('pyflare-variable-kind').inputValue(), 'Features of a model');
  assert.equal(await features.getByTestId('pyflare-variable-model').inputValue(), '$model');
  assert.equal(await features.getByTestId('pyflare-variable-time-scoped').isChecked(), true);
  assert.equal(await values.getByTestId('pyflare-variable-kind').inputValue(), 'Attribute values');
  assert.equal(await values.getByTestId('pyflare-variable-attribute-key').inputValue(), 'user.tier');
  assert.equal(await values.getByTestId('pyflare-variable-time-scoped').isChecked(), false);
  // The short text form is read into the editor.
  assert.equal(await services.getByTestId('pyflare-variable-kind').inputValue(), 'Services');
  assert.equal(await services.getByTestId('pyflare-variable-model').count(), 0);
  assert.match(await noModel.getByTestId('pyflare-variable-problem').innerText(), /choose the model/);
  // Labels are not clipped: every label's text fits its box.
  const clipped = await page.$$eval('label', (labels) =>
    labels.filter((l) => l.scrollWidth > l.clientWidth + 1).map((l) => l.textContent)
  );
  assert.deepEqual(clipped, []);
  // The model picker offers the dashboard's variables and the drift engine's models.
  await features.getByTestId('pyflare-variable-model').click();
  await page.getByRole('option', { name: '$env' }).waitFor();
  await page.getByRole('option', { name: 'fraud' }).waitFor();
  await page.screenshot({ path: path.join(RESULTS, 'variable-editor.png'), fullPage: true });
  await page.keyboard.press('Escape');
  assert.deepEqual(browser.errors, []);
});

test('renders the annotation editor for drift alerts and budget breaches', async () => {
  const { page } = browser;
  const editors = await openView('annotation', 'light', 'harness-annotation-editor', 3);
  const [alerts, oneBudget, allBudgets] = [editors.nth(0), editors.nth(1), editors.nth(2)];
  const checked = (scope: typeof alerts, group: string, name: string) =>
    scope.getByTestId(group).getByRole('radio', { name }).isChecked();
  assert.equal(await checked(alerts, 'pyflare-annotation-source', 'Drift alerts'), true);
  assert.equal(await checked(alerts, 'pyflare-annotation-state', 'Active'), true);
  assert.equal(await alerts.getByTestId('pyflare-annotation-model').inputValue(), 'fraud');
  assert.equal(await alerts.getByTestId('pyflare-annotation-drift-type').inputValue(), 'Feature');
  assert.equal(await alerts.getByTestId('pyflare-annotation-budget').count(), 0);
  assert.equal(await checked(oneBudget, 'pyflare-annotation-source', 'Budget breaches'), true);
  assert.equal(await oneBudget.getByTestId('pyflare-annotation-state').count(), 0);
  // The saved budget id is shown by its name.
  assert.equal(await oneBudget.getByTestId('pyflare-annotation-budget').inputValue(), 'LLM spend (daily)');
  assert.equal(await allBudgets.getByTestId('pyflare-annotation-budget').inputValue(), '');
  const clipped = await page.$$eval('label', (labels) =>
    labels.filter((l) => l.scrollWidth > l.clientWidth + 1).map((l) => l.textContent)
  );
  assert.deepEqual(clipped, []);
  await allBudgets.getByTestId('pyflare-annotation-budget').click();
  await page.getByRole('option', { name: 'search-api (monthly)' }).waitFor();
  await page.screenshot({ path: path.join(RESULTS, 'annotation-editor.png'), fullPage: true });
  await page.keyboard.press('Escape');
  assert.deepEqual(browser.errors, []);
});
